"""precision="int8": the tagger exported to ONNX, quantised by ONNX Runtime, cached, and run in
place of the torch network (stance._onnx); tiny random models, so this is about the plumbing
and its guarantees, not accuracy (benchmarks/quantization.py measures that)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from test_speed_options import TEXTS as SPEED_TEXTS

import stance
from stance.cli import main
from stance.quotes.tagger import AttributionTagger

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

TEXTS = SPEED_TEXTS[:5]  # a quote-rich one, pronouns, a blank, none, an apposition


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("STANCE_CACHE", str(cache))
    return cache


def _scores(tagger: AttributionTagger) -> list[np.ndarray]:
    return [s["scores"] for s in tagger.token_scores([t for t in TEXTS if t])]


def test_int8_runs_the_quantised_network_close_to_float32(tiny_tagger_dir: str, _own_cache: Path) -> None:
    from stance._onnx import OrtRunner

    tagger = AttributionTagger.from_pretrained(tiny_tagger_dir)
    before = _scores(tagger)
    tagger.quantize_int8()
    assert isinstance(tagger.runner, OrtRunner)
    assert tagger.runner.path.parent == _own_cache / "onnx" and tagger.runner.path.is_file()
    after = _scores(tagger)
    for a, b in zip(before, after, strict=True):
        assert a.shape == b.shape
        assert not np.array_equal(a, b)  # int8 arithmetic really ran
        assert float(np.abs(a - b).max()) < 0.5
        assert (a.argmax(-1) == b.argmax(-1)).mean() >= 0.95


def test_int8_export_is_cached_by_weights(tiny_tagger_dir: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import stance._onnx as onnx_mod

    first = AttributionTagger.from_pretrained(tiny_tagger_dir).quantize_int8().runner.path

    def no_export(*_: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_mod, "_export_int8", no_export)
    assert AttributionTagger.from_pretrained(tiny_tagger_dir).quantize_int8().runner.path == first
    other = AttributionTagger.from_pretrained(tiny_tagger_dir)
    with torch.no_grad():
        other.model.classifier.bias.add_(1.0)
    with pytest.raises(AssertionError, match="exported again"):  # other weights, other file
        other.quantize_int8()


def test_int8_keeps_each_feed_forward_output_in_float32(tiny_tagger_dir: str) -> None:
    import onnx

    from stance._onnx import _KEEP_FLOAT

    path = AttributionTagger.from_pretrained(tiny_tagger_dir).quantize_int8().runner.path
    nodes = onnx.load(str(path)).graph.node
    float_mm = [n.name for n in nodes if n.op_type == "MatMul"]
    kept = [n for n in float_mm if _KEEP_FLOAT.search(n)]
    assert len(kept) == 2  # one per layer of the tiny 2-layer encoder
    assert not any("attention/output/dense" in n for n in kept)  # attention's projection is quantised
    assert any(n.op_type in ("MatMulInteger", "DynamicQuantizeMatMul") for n in nodes)


def test_int8_pipeline_gives_the_float32_quotes(tiny_tagger_dir: str) -> None:
    f32 = stance.load(quote_model=tiny_tagger_dir, precision="float32")(TEXTS)
    i8 = stance.load(quote_model=tiny_tagger_dir, precision="int8")(TEXTS)
    for text, a, b in zip(TEXTS, f32, i8, strict=True):
        assert b.ok
        assert [(q.start, q.end) for q in a.quotes] == [(q.start, q.end) for q in b.quotes]
        assert all(text[q.start : q.end] == q.text for q in b.quotes)


def test_int8_without_onnxruntime_says_what_to_install(tiny_tagger_dir: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ImportError, match=r"stance-news\[onnx\]"):
        stance.load(quote_model=tiny_tagger_dir, precision="int8")
    stance.load(quote_model=None, precision="int8")  # the rules have no network to quantise


def test_int8_is_for_the_cpu(tiny_tagger_dir: str) -> None:
    tagger = AttributionTagger.from_pretrained(tiny_tagger_dir)
    tagger.device = torch.device("cuda")  # as if moved: refused before anything is exported
    with pytest.raises(ValueError, match="CPU"):
        tagger.quantize_int8()
    runner = AttributionTagger.from_pretrained(tiny_tagger_dir).quantize_int8().runner
    assert runner.eval() is runner and runner.train(False) is runner
    with pytest.raises(RuntimeError, match="inference only"):
        runner.train()


def test_cli_int8(tiny_tagger_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "a.txt"
    src.write_text(TEXTS[0], encoding="utf-8")
    assert main(["analyze", str(src), "--quote-model", tiny_tagger_dir, "--precision", "int8", "--format", "jsonl"]) == 0
    assert '"text"' in capsys.readouterr().out


def test_released_weights_leave_a_predict_only_tagger(tiny_tagger_dir: str, tmp_path: Path) -> None:
    kept = AttributionTagger.from_pretrained(tiny_tagger_dir).quantize_int8()
    released = AttributionTagger.from_pretrained(tiny_tagger_dir).quantize_int8(release=True)
    assert all(p.is_meta for p in released.model.parameters())
    assert not any(p.is_meta for p in kept.model.parameters())
    for a, b in zip(_scores(kept), _scores(released), strict=True):
        assert np.array_equal(a, b)  # the session alone computes the scores
    with pytest.raises(RuntimeError, match="released"):
        released.save_pretrained(tmp_path / "out")
    with pytest.raises(RuntimeError, match="released"):
        released.to("cpu")
    pipeline_tagger = stance.load(quote_model=tiny_tagger_dir, precision="int8").extractor.tagger  # type: ignore[union-attr]
    assert all(p.is_meta for p in pipeline_tagger.model.parameters())


def test_the_export_keeps_onnxruntime_advice_out_of_the_users_log(
    tiny_tagger_dir: str, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    AttributionTagger.from_pretrained(tiny_tagger_dir).quantize_int8()
    assert not [r for r in caplog.records if "onnxruntime" in r.pathname]
    assert any("exporting the tagger" in r.getMessage() for r in caplog.records)  # ours stays
    logging.getLogger().warning("after the export")  # the root logger's filter is gone again
    assert caplog.records[-1].getMessage() == "after the export"


def test_an_unwritable_cache_says_where_to_write(tiny_tagger_dir: str, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory", encoding="utf-8")
    with pytest.raises(OSError, match="STANCE_CACHE"):
        AttributionTagger.from_pretrained(tiny_tagger_dir).quantize_int8(cache_dir=blocked / "onnx")
