"""Streaming and bounded (issue #22): records are written document by document as soon as they
are ready, a huge document is batched alone, and a runaway document is stopped by its time
budget (``doc_timeout``) without taking the rest of its batch with it. Offline and fast: the
rules pipeline, slowness simulated by patching a stage (and, where the timing itself matters, a
clock the test drives), never real long waits."""

from __future__ import annotations

import io
import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import pytest

import stance
from stance import _deadline, runner
from stance import pipeline as pipeline_module
from stance._nlp import ParsedText
from stance._spans import RawQuote
from stance.attribution import RuleResolver
from stance.cli import main
from stance.io import InputDocument

GOOD = '"We will not give up," Jane Doe said. The Kremlin said it had nothing to say.'
RUNAWAY = '"This one never ends," the RUNAWAY minister said.'


def _short(i: int) -> str:
    return f'"Item {i} is on the record," Jane Doe said. Officials said item {i} was dead.'


def _doc_ids(text: str) -> list[str]:
    """The ``doc`` of each JSON line, consecutive repeats (a document's quotes) merged."""
    ids: list[str] = []
    for line in text.splitlines():
        doc = json.loads(line)["doc"]
        if not ids or ids[-1] != doc:
            ids.append(doc)
    return ids


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The deadline clock, moved only by the test: timeouts without waiting, and no flakiness."""
    clock = [0.0]
    monkeypatch.setattr(_deadline, "_clock", lambda: clock[0])
    return clock


def _slow_resolution(monkeypatch: pytest.MonkeyPatch, marker: str, action: Any) -> None:
    """Every resolver runs ``action()`` before resolving a text containing ``marker``."""
    resolve = RuleResolver.predict

    def predict(self: RuleResolver, parsed: ParsedText, quotes: list[RawQuote]) -> Any:
        if marker in parsed.text:
            action()
        return resolve(self, parsed, quotes)

    monkeypatch.setattr(RuleResolver, "predict", predict)


# -- (a) streaming --------------------------------------------------------------------------------
@pytest.mark.parametrize("prefetch", [True, False], ids=["prefetch", "no-prefetch"])
def test_records_before_a_slow_document_are_written_before_it_is_analysed(
    monkeypatch: pytest.MonkeyPatch, nlp: stance.Pipeline, prefetch: bool
) -> None:
    """The slow (huge) document's speaker stage looks at what the runner has written by then:
    every document before it, although they are far fewer than ``batch_size``. Neither writing
    a batch at its end nor batching the huge document with the short ones passes."""
    monkeypatch.setattr(pipeline_module, "BIG_DOC_CHARS", 400)
    big = " ".join([GOOD, "SLOWDOC"] * 10)
    assert len(big) > 400
    stream = [InputDocument(f"d{i}", _short(i)) for i in range(3)] + [
        InputDocument("big", big), InputDocument("d4", _short(4))
    ]
    monkeypatch.setattr(runner, "read_inputs", lambda _paths: iter(stream))
    out = io.StringIO()
    written_then: list[list[str]] = []
    _slow_resolution(monkeypatch, "SLOWDOC", lambda: written_then.append(_doc_ids(out.getvalue())))
    pipe = stance.Pipeline(pipeline_module.replace(nlp.config, prefetch=prefetch))
    summary = runner.analyze_files(pipe, ["-"], out=out, errors_out=io.StringIO(), batch_size=16)
    assert written_then == [["d0", "d1", "d2"]]
    assert _doc_ids(out.getvalue()) == ["d0", "d1", "d2", "big", "d4"]
    assert (summary.n_docs, summary.n_ok, summary.n_failed) == (5, 5, 0)


def test_every_document_is_flushed_as_it_is_written(monkeypatch: pytest.MonkeyPatch, nlp: stance.Pipeline) -> None:
    """The output is flushed after each document (a reader of the file sees it), not per batch."""

    class Out(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.flushed: list[int] = []

        def flush(self) -> None:
            self.flushed.append(len(_doc_ids(self.getvalue())))

    monkeypatch.setattr(runner, "read_inputs", lambda _paths: iter([InputDocument(f"d{i}", _short(i)) for i in range(5)]))
    out = Out()
    runner.analyze_files(nlp, ["-"], out=out, errors_out=io.StringIO(), batch_size=16)
    assert sorted(set(out.flushed)) == [1, 2, 3, 4, 5]


def test_checkpoints_at_document_boundaries_every_batch_size(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"d{i}", "text": _short(i)}) + "\n" for i in range(10)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["analyze", str(src), "-o", str(out), "--quote-model", "none", "--batch-size", "4"]) == 0
    states = [json.loads(line) for line in Path(str(out) + ".progress").read_text(encoding="utf-8").splitlines()[1:]]
    # every 4 documents (a run this short never waits 2 s), and at the end
    assert [s["n_inputs"] for s in states] == [4, 8, 10]
    assert states[-1]["out_offset"] == out.stat().st_size


def test_checkpoints_also_after_checkpoint_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nlp: stance.Pipeline
) -> None:
    """However large the batch, a checkpoint is never more than CHECKPOINT_SECONDS old at a
    document boundary (0 here: one after every document)."""
    monkeypatch.setattr(runner, "CHECKPOINT_SECONDS", 0.0)
    monkeypatch.setattr(runner, "read_inputs", lambda _paths: iter([InputDocument(f"d{i}", _short(i)) for i in range(3)]))
    path = tmp_path / "out.jsonl"
    with path.open("w", encoding="utf-8") as out:
        runner.analyze_files(nlp, ["-"], out=out, errors_out=io.StringIO(), batch_size=16, output_path=str(path))
    states = [json.loads(line) for line in Path(str(path) + ".progress").read_text(encoding="utf-8").splitlines()[1:]]
    assert [s["n_inputs"] for s in states] == [1, 2, 3]


# -- (b), (c) the time budget ---------------------------------------------------------------------
def test_runaway_document_becomes_a_timeout_record_and_spares_its_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fake_clock: list[float]
) -> None:
    rows = [{"id": f"d{i}", "text": _short(i)} for i in range(6)]
    with_runaway = [*rows[:2], {"id": "runaway", "text": RUNAWAY}, *rows[2:]]
    # resolving the runaway document takes 1000 (fake) seconds
    _slow_resolution(monkeypatch, "RUNAWAY", lambda: fake_clock.__setitem__(0, fake_clock[0] + 1000.0))

    def run(name: str, data: list[dict[str, str]]) -> tuple[int, str, list[dict[str, Any]], str]:
        src, out, errors = tmp_path / f"{name}.jsonl", tmp_path / f"{name}.out.jsonl", tmp_path / f"{name}.err.jsonl"
        src.write_text("".join(json.dumps(r) + "\n" for r in data), encoding="utf-8")
        rc = main(["analyze", str(src), "-o", str(out), "--errors", str(errors), "--quote-model", "none",
                   "--batch-size", "4", "--doc-timeout", "5", "--keep-going"])
        err = capsys.readouterr().err
        failed = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
        return rc, out.read_text(encoding="utf-8"), failed, err

    rc, out, failed, err = run("with", with_runaway)
    assert rc == 1
    assert [(f["doc"], f["error"]) for f in failed] == [("runaway", "DocumentTimeoutError")]
    assert "time budget of 5 s" in failed[0]["message"]
    assert "7 documents, 6 ok, 1 failed" in err  # n_in = n_ok + n_failed
    rc_alone, out_alone, failed_alone, _ = run("without", rows)
    assert (rc_alone, failed_alone) == (0, [])
    # the documents batched with the runaway one are all there, exactly as without it
    assert out == out_alone
    assert _doc_ids(out) == [f"d{i}" for i in range(6)]


def test_timeout_checks_reach_into_the_resolver_loop(
    monkeypatch: pytest.MonkeyPatch, nlp: stance.Pipeline, fake_clock: list[float]
) -> None:
    """The resolver checks the budget for each quote, not only when it is done."""
    text = '"One," Jane Doe said. "Two," John Roe said. "Three," she added.'
    parsed = ParsedText.from_texts([text], nlp.spacy)[0]
    quotes = nlp.extractor.predict_batch([parsed])[0]
    assert len(quotes) == 3
    from stance.attribution import resolver as resolver_module

    calls: list[int] = []

    def counting() -> None:
        calls.append(1)
        _deadline.check()

    monkeypatch.setattr(resolver_module, "check_deadline", counting)
    with _deadline.budget(1.0):
        nlp.resolver(parsed, quotes)  # in time: one check per quote
        assert len(calls) == 3
        fake_clock[0] = 2.0
        with pytest.raises(stance.DocumentTimeoutError, match="time budget of 1 s"):
            nlp.resolver(parsed, quotes)
    assert len(calls) == 4  # stopped at the first quote
    nlp.resolver(parsed, quotes)  # no deadline outside budget()


def test_errors_raise_raises_document_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real (short) wait: the runaway document sleeps 0.3 s against a budget of 0.05 s."""
    _slow_resolution(monkeypatch, "RUNAWAY", lambda: time.sleep(0.3))
    nlp = stance.load(quote_model=None, doc_timeout=0.05)
    with pytest.raises(stance.DocumentTimeoutError, match="RUNAWAY|runaway|document"):
        list(nlp.pipe([RUNAWAY, GOOD], ids=["runaway", "good"]))
    with pytest.raises(stance.DocumentTimeoutError):
        nlp(RUNAWAY)
    assert issubclass(stance.DocumentTimeoutError, stance.StanceError)
    docs = list(nlp.pipe([RUNAWAY, GOOD], ids=["runaway", "good"], errors="skip"))
    assert docs[0].error is not None and docs[0].error.startswith("DocumentTimeoutError: document runaway ran over")
    assert docs[1].ok and docs[1].to_records() == stance.load(quote_model=None)(GOOD, id="good").to_records()


# -- (d) unreadable inputs ------------------------------------------------------------------------
def test_malformed_jsonl_line_is_logged_when_read_and_written_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, nlp: stance.Pipeline
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([json.dumps({"id": "a", "text": _short(0)}), "{broken",
                              json.dumps({"id": "c", "text": _short(2)})]) + "\n", encoding="utf-8")
    warned_before_analysis: list[bool] = []

    def seen() -> None:  # at the first document's analysis: the broken line was read (and logged) already
        warned_before_analysis.append(any("cannot be read" in r.getMessage() for r in caplog.records))

    _slow_resolution(monkeypatch, "Item 0", seen)
    both = io.StringIO()  # records and error records in one stream: their order shows
    with caplog.at_level(logging.WARNING, logger="stance.runner"):
        summary = runner.analyze_files(nlp, [str(src)], out=both, errors_out=both, batch_size=16, keep_going=True)
    assert warned_before_analysis == [True]
    warnings = [r for r in caplog.records if r.name == "stance.runner" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "InputError" in warnings[0].getMessage()
    ids = _doc_ids(both.getvalue())
    assert len(ids) == 3 and ids[0] == "a" and ids[2] == "c" and ids[1].endswith(":2")
    assert [json.loads(line).get("error") for line in both.getvalue().splitlines() if line.startswith('{"doc": "' + ids[1])] == ["InputError"]
    assert (summary.n_docs, summary.n_ok, summary.n_failed) == (3, 2, 1)


# -- (e) size-aware batching ----------------------------------------------------------------------
def test_a_huge_document_is_batched_alone_with_the_same_output(
    monkeypatch: pytest.MonkeyPatch, nlp: stance.Pipeline
) -> None:
    monkeypatch.setattr(pipeline_module, "BIG_DOC_CHARS", 400)
    big = " ".join([GOOD] * 10)
    shorts = [_short(i) for i in range(6)]
    stream = [*shorts[:2], big, *shorts[2:]]
    sizes: list[int] = []
    analyze = stance.Pipeline._analyze

    def spy(self: stance.Pipeline, batch: Any, *args: Any, **kwargs: Any) -> Any:
        sizes.append(len(batch.texts))
        return analyze(self, batch, *args, **kwargs)

    monkeypatch.setattr(stance.Pipeline, "_analyze", spy)
    with_big = [d.to_records() for d in nlp.pipe(stream, batch_size=4)]
    assert sizes == [2, 1, 4]  # the two read before it, it alone, then the rest
    sizes.clear()
    without = [d.to_records() for d in nlp.pipe(shorts, batch_size=4)]
    assert sizes == [4, 2]
    assert [*with_big[:2], *with_big[3:]] == without
    assert with_big[2] == nlp(big).to_records()
    assert pipeline_module.BIG_DOC_CHARS == 400 and isinstance(pipeline_module.BIG_DOC_CHARS, int)


def test_huge_document_threshold_default() -> None:
    assert pipeline_module.BIG_DOC_CHARS == 100_000


# -- (f) validation ------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [0, -1, 0.0, "5", True, math.nan, [1]])
def test_bad_doc_timeout_is_refused_at_load(bad: object) -> None:
    with pytest.raises(ValueError, match="doc_timeout"):
        stance.load(quote_model=None, doc_timeout=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("good", [None, 0.5, 3, math.inf])
def test_good_doc_timeout_is_accepted(good: float | None) -> None:
    assert stance.load(quote_model=None, doc_timeout=good).config.doc_timeout == good


def test_cli_refuses_a_bad_doc_timeout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "a.txt"
    src.write_text(GOOD, encoding="utf-8")
    assert main(["analyze", str(src), "--quote-model", "none", "--doc-timeout", "0"]) == 1
    assert "doc_timeout" in capsys.readouterr().err
