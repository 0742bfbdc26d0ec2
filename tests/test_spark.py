"""Scale-out on Spark: the same records as one process, every failed document accounted for.

Spark runs in local mode (``local[2]``: two Python workers, loopback sockets only). Without
pyspark or Java the Spark tests skip, except under ``CI=true`` (.ci/run installs both), where
that is a failure. The pandas-level function is tested without Spark.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import stance
from stance.document import RECORD_FIELDS
from stance.spark import ERROR_FIELDS, DocumentFailedError, analyze_partition

MAX_CHARS = 20_000  # the synthetic corpus has one article over it: an error record, not a crash

# --- a synthetic news corpus -------------------------------------------------------------------

PEOPLE = [
    ("Katja Lindqvist", "she", "the EU's top diplomat"), ("Oleh Marchenko", "he", "the foreign minister"),
    ("Maria Gonzalez", "she", "the mayor"), ("David Okafor", "he", "the union leader"),
    ("Anna Kowalska", "she", "the prime minister"), ("James Whitfield", "he", "the senator"),
    ("Priya Raman", "she", "the central bank governor"), ("Tomas Berg", "he", "the company's chief executive"),
]
ORGS = ["the Kremlin", "the European Commission", "NATO", "the White House", "Reuters", "Axios"]
TOPICS = ["the peace plan", "the budget", "the new tariffs", "the ceasefire", "the housing bill", "the merger"]
CLAIMS = [
    "{topic} would make things worse", "{topic} had been drafted in secret", "{topic} was a good start",
    "nobody had been consulted on {topic}", "{topic} could pass by Friday", "talks on {topic} had stalled",
]
DIRECT = [
    "We will not accept {topic} as it stands", "This is a serious moment for all of us",
    "Nothing about us can be decided without us", "We are ready to work on the text, but not at any price",
    "There is a lot of pressure, more than at any point this year", "I have never seen anything like it",
]


def _sentence(rng: random.Random, topic: str) -> str:
    name, pron, role = rng.choice(PEOPLE)
    surname = name.split()[-1]
    claim = rng.choice(CLAIMS).format(topic=topic)
    direct = rng.choice(DIRECT).format(topic=topic)
    forms = [
        f'"{direct}," {name} said.',
        f'{role.capitalize()}, {name}, said {claim}. "{direct}," {pron} added.',
        f'{name} told reporters that {claim}. "{direct}," {surname} said. "{rng.choice(DIRECT).format(topic=topic)}."',
        f'"{direct}," said {surname}, who spoke on Monday.',
        f'According to {rng.choice(ORGS)}, {claim}.',
        f'{rng.choice(ORGS).capitalize()} said it had nothing to say about {topic}.',
        f'A senior official familiar with the talks said {claim}. "{direct}," the official said.',
        f'Protesters said {claim}.',
        f'{name} said the government was studying {topic} carefully, and {pron} warned that {claim}.',
        f'Critics called {topic} a "disaster" on Tuesday.',
        f'{name}: "{direct}."',
    ]
    return rng.choice(forms)


def corpus(n: int = 300, seed: int = 7) -> list[tuple[str, str]]:
    """``n`` (id, text) articles from templates, with the awkward cases at fixed places."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        topic = rng.choice(TOPICS)
        paragraphs = [f"{topic.capitalize()} dominated the day in the capital."]
        paragraphs += [_sentence(rng, topic) for _ in range(rng.randint(1, 7))]
        out.append((f"a{k:04d}", "\n\n".join(paragraphs)))
    special = {
        3: "",
        4: "   \n\n ",
        5: '<html><body><p>"We will win," <b>Jane Doe</b> said.</p><script>var x = "no";</script></body></html>',
        6: 'Emoji 🇺🇦 first. "Ça va très bien 😀," Zoë Ñúñez said.\x00 Control\x07 chars\u2028and '
           'right-to-left \u202eטקסט\u202c. "Нет," said Ivan Petrov. \U0001F600 end.',
        7: "\n".join(f'"Line {k} of a very long speech," Jane Doe said.' for k in range(600)),  # > MAX_CHARS
        8: "Plain text with no statement at all.",
        9: '"Unclosed quote, Jane Doe said.\n\n"Curly “quotes” too," he said.',
    }
    for k, text in special.items():
        out[k] = (out[k][0], text)
    assert len(out[7][1]) > MAX_CHARS
    return out


def single_process(articles: list[tuple[Any, Any]], **kwargs: Any) -> tuple[list[dict], list[dict]]:
    """(quote records, error records) from ``stance.load(...).pipe`` in this process."""
    targets = kwargs.pop("targets", None)
    nlp = stance.load(progress=False, **kwargs)
    records: list[dict] = []
    failed: list[dict] = []
    docs = nlp.pipe([t for _, t in articles], ids=[str(i) for i, _ in articles], targets=targets, errors="skip")
    for (key, _), doc in zip(articles, docs, strict=True):
        records.extend({**r, "doc": key} for r in doc.to_records())
        if doc.error_record():
            failed.append({**doc.error_record(), "doc": key})
    return records, failed


def key(r: dict) -> tuple:
    return (str(r["doc"]), r["start"], r["end"])


def same_records(got: list[dict], want: list[dict], tol: float = 0.0) -> None:
    got, want = sorted(got, key=key), sorted(want, key=key)
    assert [key(r) for r in got] == [key(r) for r in want]
    for g, w in zip(got, want, strict=True):
        assert list(g) == list(RECORD_FIELDS)
        assert {k: v for k, v in g.items() if k != "stance"} == {k: v for k, v in w.items() if k != "stance"}
        assert g["stance"].keys() == w["stance"].keys()
        for target, s in w["stance"].items():
            assert g["stance"][target]["label"] == s["label"]
            assert g["stance"][target]["score"] == pytest.approx(s["score"], abs=tol)


# --- the pandas level, no Spark needed ---------------------------------------------------------


def frame_records(frames: Iterator[pd.DataFrame]) -> list[dict]:
    out = []
    for f in frames:
        for r in f.to_dict("records"):
            out.append({k: (None if not isinstance(v, (dict, list)) and pd.isna(v) else v) for k, v in r.items()})
    return out


def test_partition_function_matches_single_process() -> None:
    articles = corpus(40)
    frames = [pd.DataFrame({"id": [i for i, _ in part], "text": [t for _, t in part]})
              for part in (articles[:13], articles[13:14], articles[14:])]
    # threads_per_worker=None: leave this (test) process's torch threads as they are
    options = {"quote_model": None, "max_chars": MAX_CHARS, "threads_per_worker": None}
    rows = frame_records(analyze_partition(iter(frames), errors="skip", **options))
    want, want_failed = single_process(articles, quote_model=None, max_chars=MAX_CHARS)
    quotes = [{k: r[k] for k in RECORD_FIELDS} for r in rows if r["error"] is None]
    failed = [{"doc": r["doc"], **{k: r[k] for k in ERROR_FIELDS}} for r in rows if r["error"] is not None]
    assert len(quotes) > 50 and want_failed and failed == want_failed
    same_records(quotes, want)
    with pytest.raises(DocumentFailedError, match="a0007"):  # the too-large article
        list(analyze_partition(iter(frames), **options))


def test_partition_function_checks_options() -> None:
    frame = pd.DataFrame({"id": [1], "body": ["x"]})
    with pytest.raises(ValueError, match="threads_per_worker"):
        list(analyze_partition([frame], text_column="body", threads_per_worker=0, quote_model=None))
    with pytest.raises(KeyError, match="text_column"):
        list(analyze_partition([frame], quote_model=None, threads_per_worker=None))
    with pytest.raises(TypeError, match="options are"):
        list(analyze_partition([frame], text_column="body", quote_modle=None))
    with pytest.raises(ValueError, match="errors"):
        list(analyze_partition([frame], text_column="body", errors="ignore", quote_model=None))
    with pytest.raises(stance.StanceModelUnavailableError):
        list(analyze_partition([frame], text_column="body", targets=["x"], quote_model=None, stance_model=None))


def test_one_name_per_option_across_pandas_spark_and_pipe() -> None:
    import inspect

    from stance.spark import analyze_spark

    call = inspect.signature(stance.Pipeline.__call__).parameters
    for fn in (analyze_partition, analyze_spark):
        params = inspect.signature(fn).parameters
        for name in ("text_column", "id_column", "targets", "errors", "batch_size"):
            assert name in params and name in call, (fn.__name__, name)
            if name != "id_column":
                assert params[name].default == call[name].default, (fn.__name__, name)
    frame = pd.DataFrame({"key": ["a", "b"], "body": ['"We will win," Jane Doe said.', 3.5]})
    options = {"quote_model": None, "threads_per_worker": None}
    rows = frame_records(analyze_partition([frame], text_column="body", id_column="key", errors="skip", **options))
    # the same value of errors= means the same thing in pipe(), nlp(df) and here: a failed row kept
    assert [r["doc"] for r in rows] == ["a", "b"] and rows[1]["error"] == "TypeError"
    nlp_rows = stance.load(quote_model=None)(frame, text_column="body", id_column="key", errors="skip")
    assert list(nlp_rows["error"].isna()) == [True, False]


def test_old_spark_option_names_still_work_with_a_warning() -> None:
    frame = pd.DataFrame({"key": ["a"], "body": ['"We will win," Jane Doe said.']})
    options = {"quote_model": None, "threads_per_worker": None}
    want = frame_records(analyze_partition([frame], text_column="body", id_column="key", errors="skip", **options))
    with pytest.warns(DeprecationWarning, match="text_col= is now text_column=") as caught:
        got = frame_records(analyze_partition([frame], text_col="body", id_col="key", errors="keep", **options))
    assert got == want and len(want) == 1
    assert {str(w.message).split(" is now")[0] for w in caught} == {"text_col=", "id_col=", 'errors="keep"'}


def test_spark_options_take_speaker_model_as_load_does() -> None:
    from stance.spark import _config

    assert _config({"speaker_model": None, "quote_model": None}).resolver.ranker is None
    assert _config({"quote_model": None}) == stance.load(quote_model=None, progress=False).config


def test_import_does_not_need_pyspark() -> None:
    code = (
        "import sys; sys.modules['pyspark'] = None\n"  # as if pyspark were not installed
        "import stance, stance.spark\n"
        "assert 'pyspark.sql' not in sys.modules\n"
        "try:\n    stance.spark.result_schema()\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "stance.spark needs pyspark; install it with: pip install 'stance-news[spark]'"


# --- Spark, local mode -------------------------------------------------------------------------


def _need_spark() -> None:
    reason = None
    try:
        import pyspark  # noqa: F401
    except ImportError:
        reason = "pyspark is not installed (pip install 'stance-news[spark]')"
    if reason is None and not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        reason = "no Java runtime for Spark (apt-get install -y default-jre-headless)"
    if reason:
        if os.environ.get("CI"):  # CI installs both: a missing one there is a failure, not a skip
            pytest.fail(f"CI=true but {reason}; .ci/run and the Makefile install them")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    _need_spark()
    from stance.spark import local_session

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYSPARK_PYTHON", sys.executable)  # workers run this interpreter, with stance
        mp.setenv("SPARK_LOCAL_IP", "127.0.0.1")
        session = local_session(2, "stance-tests")
        yield session
        session.stop()


def spark_rows(df: Any) -> list[dict]:
    return [r.asDict(recursive=True) for r in df.collect()]


def test_spark_matches_single_process_and_accounts_for_every_document(spark: Any) -> None:
    from stance.spark import analyze_spark, split_errors

    articles = corpus(300)
    df = spark.createDataFrame(pd.DataFrame({"id": [i for i, _ in articles], "text": [t for _, t in articles]}))
    df = df.repartition(4)
    result = analyze_spark(df, errors="skip", quote_model=None, max_chars=MAX_CHARS).persist()
    quotes, failed = split_errors(result)
    got = spark_rows(quotes)
    got_failed = spark_rows(failed)
    want, want_failed = single_process(articles, quote_model=None, max_chars=MAX_CHARS)
    assert len(want) > 500
    same_records(got, want)
    assert got_failed == want_failed == [
        {"doc": "a0007", "error": "DocumentTooLargeError", "message": want_failed[0]["message"]}
    ]
    # every input is accounted for: its quotes, an error row, or a document with no quote
    docs_out = {r["doc"] for r in got} | {r["doc"] for r in got_failed}
    assert docs_out <= {i for i, _ in articles}
    no_quotes = {i for i, _ in articles} - docs_out
    nlp = stance.load(quote_model=None)
    assert all(not nlp(dict(articles)[i]).quotes for i in no_quotes)
    result.unpersist()


def test_spark_error_raise_names_the_document(spark: Any) -> None:
    from stance.spark import analyze_spark

    df = spark.createDataFrame([("ok", '"Fine," she said.'), ("huge", "x" * 200)], "id string, text string")
    with pytest.raises(Exception, match="'huge' could not be analysed: DocumentTooLargeError"):
        analyze_spark(df, quote_model=None, max_chars=100).collect()


def test_spark_keeps_the_id_column_and_its_type(spark: Any) -> None:
    from pyspark.sql import types as T

    from stance.spark import analyze_spark

    texts = ['"We will win," Jane Doe said.', "", None, 'John Roe said the plan was dead. "No," he added.']
    df = spark.createDataFrame([(1000 + k, t) for k, t in enumerate(texts)], "article_id long, body string")
    out = analyze_spark(df, text_column="body", id_column="article_id", quote_model=None)
    assert out.schema["doc"].dataType == T.LongType()
    assert out.columns == list(RECORD_FIELDS)
    rows = spark_rows(out)
    assert sorted({r["doc"] for r in rows}) == [1000, 1003]
    joined = out.join(df, out["doc"] == df["article_id"]).select("doc", "body").distinct().collect()
    assert sorted(r["doc"] for r in joined) == [1000, 1003]
    with pytest.raises(KeyError, match="no column 'text'"):
        analyze_spark(df, id_column="article_id", quote_model=None)


def test_spark_binary_text_is_decoded_like_bytes(spark: Any) -> None:
    from stance.spark import analyze_spark

    raw = ['"Ça va," dit-il, Zoë Ñúñez said.'.encode("cp1252"), '"Kyiv’s plan is fine," Jane Doe said.'.encode()]
    df = spark.createDataFrame([(f"b{k}", bytearray(b)) for k, b in enumerate(raw)], "id string, text binary")
    got = spark_rows(analyze_spark(df, quote_model=None))
    want, _ = single_process([(f"b{k}", b) for k, b in enumerate(raw)], quote_model=None)
    assert want
    same_records(got, want)


@pytest.fixture(scope="module")
def tiny_stance_dir(tiny_encoder: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    import torch

    from stance.targets import StanceClassifier, StanceConfig

    torch.manual_seed(1)
    clf = StanceClassifier(StanceConfig(base_model=tiny_encoder, trained_layers=1, max_length=48))
    out: Path = tmp_path_factory.mktemp("tiny_stance")
    clf.save_pretrained(out)
    return str(out)


def test_spark_stance_map_and_tagger_match_single_process(
    spark: Any, tiny_stance_dir: str, tiny_tagger_dir: str
) -> None:
    from stance.spark import analyze_spark

    articles = [a for a in corpus(24, seed=11) if a[0] != "a0007"]
    targets = ["the peace plan", "Ukraine"]
    options = {"quote_model": tiny_tagger_dir, "stance_model": tiny_stance_dir}
    df = spark.createDataFrame(articles, "id string, text string").repartition(2)
    got = spark_rows(analyze_spark(df, targets=targets, batch_size=4, **options))
    want, _ = single_process(articles, targets=targets, **options)
    assert len(want) > 20 and all(r["stance"].keys() == set(targets) for r in want)
    same_records(got, want, tol=1e-5)  # floats: one torch thread per worker here, several above


def test_network_guard_allows_loopback_only() -> None:
    """Spark local mode needs loopback sockets; anything else stays blocked (tests/conftest.py)."""
    import socket

    with pytest.raises(RuntimeError, match="network"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
    with socket.socket() as sock, pytest.raises(RuntimeError, match="network"):
        sock.connect(("example.org", 80))
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass


@pytest.mark.parametrize("jvm_log", ["file", None])
def test_local_session_keeps_the_jvm_banner_out_of_stderr(tmp_path: Path, jvm_log: str | None) -> None:
    _need_spark()
    log = tmp_path / "jvm.log"
    code = (
        "from stance.spark import local_session\n"
        f"s = local_session(1, 't', jvm_log={str(log) if jvm_log else None!r})\n"
        "print(s.range(5).count())\n"
        "s.stop()\n"
    )
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == "5", proc.stderr[-2000:]
    banner = "log4j"  # Spark's start-up lines name its log4j profile
    if jvm_log:
        assert banner not in proc.stderr and banner in log.read_text(encoding="utf-8")
    else:  # None: Spark's own behaviour, so the check above can fail
        assert banner in proc.stderr
