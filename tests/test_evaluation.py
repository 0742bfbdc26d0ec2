"""Span metrics and the PolNeAR-format evaluator, on a fixture corpus written for these tests."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest

import stance
import stance.evaluation.attribution
import stance.evaluation.metrics
import stance.io
import stance.pipeline
import stance.quotes._marks
from stance._nlp import chunk_text
from stance.cli import main
from stance.data.polnear import parse_ann, read_polnear
from stance.evaluation import AttributionEvaluator, span_counts

TEXT = '"We will win," Jane Doe said. Talks failed, the official said.\n'
ANN = "\n".join(
    [
        "T1\tContent 0 14\t\"We will win,\"",
        "T2\tSource 15 23\tJane Doe",
        "T3\tCue 24 28\tsaid",
        "T4\tAttribution 24 28\tsaid",
        "E1\tAttribution:T4 Content:T1 Source:T2 Cue:T3",
        "T5\tContent 30 42\tTalks failed",
        "T6\tSource 44 56\tthe official",
        "T7\tCue 57 61\tsaid",
        "T8\tAttribution 57 61\tsaid",
        "E2\tAttribution:T8 Content:T5 Source:T6 Cue:T7",
    ]
)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    for split in ("dev", "other"):
        (tmp_path / split / "text").mkdir(parents=True)
        (tmp_path / split / "attributions").mkdir(parents=True)
        (tmp_path / split / "text" / "pub_2016_art.txt").write_text(TEXT, encoding="utf-8")
        (tmp_path / split / "attributions" / "pub_2016_art_a1.ann").write_text(ANN, encoding="utf-8")
        # a second annotator: ignored (the first file in sorted order is used)
        (tmp_path / split / "attributions" / "pub_2016_art_b2.ann").write_text("", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "module",
    [stance.evaluation.metrics, stance.evaluation.attribution, stance.io, stance.quotes._marks, stance.pipeline, stance],
)
def test_doctests(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.failed == 0 and result.attempted > 0


def test_chunk_text_doctest() -> None:
    assert [(c.offset, c.text) for c in chunk_text("a b\n\n c", max_chars=2)] == [(0, "a "), (2, "b"), (6, "c")]


def test_reader_parses_relations_and_discontinuous_spans() -> None:
    text = '"A," he said. "B."'
    ann = "T1\tContent 0 4;14 18\t\"A,\" \"B.\"\nT2\tSource 5 7\the\nT3\tCue 8 12\tsaid\nE1\tAttribution:T3 Content:T1 Source:T2 Cue:T3"
    (rel,) = parse_ann(ann, text)
    assert rel.content == ((0, 4), (14, 18)) and rel.source == ((5, 7),) and rel.cue == ((8, 12),)


def test_reader_picks_first_annotator(corpus: Path) -> None:
    (art,) = read_polnear(corpus, "dev")
    assert art.annotator == "a1" and len(art.attributions) == 2 and art.publisher == "pub"


@pytest.mark.parametrize(
    ("pred", "gold", "exact_tp", "op", "or_"),
    [
        ([(0, 5)], [(0, 5)], 1, 1.0, 1.0),
        ([(0, 5)], [(6, 9)], 0, 0.0, 0.0),
        ([], [(0, 5)], 0, 0.0, 0.0),
        ([(0, 9)], [(0, 5)], 0, 0.5, 1.0),
        ([(0, 5), (0, 5)], [(0, 5)], 1, 1.0, 1.0),  # duplicates count once
    ],
)
def test_span_counts(pred: list[tuple[int, int]], gold: list[tuple[int, int]], exact_tp: int, op: float, or_: float) -> None:
    c = span_counts(text="aaaa bbbb cccc", pred=pred, gold=gold)
    assert (c.exact_tp, c.overlap_p, c.overlap_r) == (exact_tp, op, or_)


def test_evaluator_end_to_end(corpus: Path, nlp: stance.Pipeline) -> None:
    result = AttributionEvaluator(corpus, "dev", bootstrap=50)(nlp)
    assert result["n_docs"] == 1
    for role in ("source", "cue", "content"):
        assert result[f"{role}_exact_f1"] == 1.0
    assert result["content_direct_n_gold"] == 1 and result["content_indirect_n_gold"] == 1


def test_cli_evaluate_json_any_split(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "attribution", "--data", str(corpus), "--split", "other", "--format", "json", "--bootstrap", "0"]) == 0
    result = json.loads(capsys.readouterr().out)
    keys = {"source_exact_f1", "cue_exact_f1", "content_exact_f1", "source_overlap_f1", "cue_overlap_f1", "content_overlap_f1", "n_docs"}
    assert keys <= set(result)


def test_cli_evaluate_missing_split(corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "attribution", "--data", str(corpus), "--split", "nope"]) == 1
    assert "no PolNeAR split 'nope'" in capsys.readouterr().err
