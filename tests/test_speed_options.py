"""Speed options keep the output: inference precision (bfloat16 where the CPU has AMX) and the
parse read-ahead of :meth:`Pipeline.pipe`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch

import stance
from stance._encoder import PRECISIONS, autocast, resolve_precision
from stance.cli import main

TEXTS = [
    '"We will not give up," Jane Doe said. The Kremlin said it had nothing to say.',
    '"A," she said. "B is here now," she added.',
    "",
    "No quotes in this one at all.",
    'John Smith, the mayor, said the bridge would open in May. "It is late," he added.',
] * 3


@pytest.mark.parametrize(
    ("asked", "expected"),
    [("float32", "float32"), ("bfloat16", "bfloat16"), ("int8", "float32")],
)
def test_explicit_precision_is_kept(asked: str, expected: str) -> None:
    assert resolve_precision(asked, "cpu") == expected


@pytest.mark.parametrize("bad", ["fp16", "half", "", "FLOAT32"])
def test_unknown_precision_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve_precision(bad)
    with pytest.raises(ValueError, match="precision"):
        stance.load(precision=bad)


@pytest.mark.parametrize(("amx", "expected"), [(True, "bfloat16"), (False, "float32")])
def test_auto_follows_the_cpu(monkeypatch: pytest.MonkeyPatch, amx: bool, expected: str) -> None:
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx, raising=False)
    assert resolve_precision("auto", "cpu") == expected


def test_auto_without_the_torch_probe_is_float32(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported", raising=False)
    assert resolve_precision("auto", "cpu") == "float32"


def test_autocast_runs_linear_layers_in_the_asked_precision() -> None:
    layer = torch.nn.Linear(4, 4)
    x = torch.randn(2, 4)
    with autocast("bfloat16"):
        assert layer(x).dtype == torch.bfloat16
    with autocast("float32"):
        assert layer(x).dtype == torch.float32
    assert set(PRECISIONS) == {"auto", "float32", "bfloat16", "int8"}


def test_tagger_forward_uses_its_precision(tiny_tagger_dir: str) -> None:
    nlp = stance.load(quote_model=tiny_tagger_dir, precision="bfloat16")
    tagger = nlp.extractor.tagger  # type: ignore[union-attr]
    assert tagger.precision == "bfloat16"
    seen: list[torch.dtype] = []
    linear = next(m for m in tagger.model.modules() if isinstance(m, torch.nn.Linear))
    handle = linear.register_forward_hook(lambda _m, _i, out: seen.append(out.dtype))
    try:
        nlp(TEXTS[0])
    finally:
        handle.remove()
    assert seen and set(seen) == {torch.bfloat16}
    f32 = stance.load(quote_model=tiny_tagger_dir, precision="float32")
    assert f32.extractor.tagger.precision == "float32"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("precision", "low_memory", "dtypes"),
    [("bfloat16", True, {torch.bfloat16}), ("float32", False, {torch.float32}),
     ("float32", True, {torch.float32, torch.float16})],
)
def test_pipeline_models_store_weights_in_their_precision(
    tiny_tagger_dir: str, precision: str, low_memory: bool, dtypes: set[torch.dtype]
) -> None:
    # bf16 inference keeps bf16 weights (half the memory, no per-forward casts); float32 keeps its
    # weights exact with low_memory=False, else stores the matrices in float16 (the default)
    tagger = stance.load(quote_model=tiny_tagger_dir, precision=precision, low_memory=low_memory).extractor.tagger  # type: ignore[union-attr]
    assert {p.dtype for p in tagger.model.parameters()} == dtypes


def test_pipeline_stance_model_stores_weights_in_its_precision() -> None:
    clf = stance.load(quote_model=None, precision="bfloat16").stance
    assert {p.dtype for p in clf.net.parameters()} == {torch.bfloat16}
    label = clf.predict(["We will never accept this plan."], ["the plan"])
    assert len(label) == 1


def test_store_in_precision() -> None:
    from stance._encoder import store_in_precision

    layer = torch.nn.Linear(4, 2)
    assert store_in_precision(layer, "float32") is layer
    assert layer.weight.dtype == torch.float32
    store_in_precision(layer, "bfloat16")
    assert layer.weight.dtype == layer.bias.dtype == torch.bfloat16
    with pytest.raises(ValueError, match="precision"):
        store_in_precision(layer, "int4")


def test_half_weight_storage_keeps_float32_arithmetic() -> None:
    from stance._encoder import half_weight_storage

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Embedding(300, 64), torch.nn.Linear(64, 128), torch.nn.LayerNorm(128))
    ids = torch.tensor([[1, 7, 299]])
    before = model(ids)
    half_weight_storage(model)
    after = model(ids)
    assert model[0].weight.dtype == model[1].weight.dtype == torch.float16
    assert model[1].bias.dtype == model[2].weight.dtype == torch.float32  # small tensors stay float32
    assert after.dtype == torch.float32
    assert torch.allclose(before, after, atol=1e-2)
    assert not torch.equal(before, after)  # the weights were rounded: not a no-op


def test_low_memory_pipeline_stores_half_weights_and_gives_the_same_quotes(tiny_tagger_dir: str) -> None:
    full = stance.load(quote_model=tiny_tagger_dir, precision="float32", low_memory=False)
    low = stance.load(quote_model=tiny_tagger_dir, precision="float32")  # low_memory is the default
    tagger = low.extractor.tagger  # type: ignore[union-attr]
    assert torch.float16 in {p.dtype for p in tagger.model.parameters()}
    assert {p.dtype for p in full.extractor.tagger.model.parameters()} == {torch.float32}  # type: ignore[union-attr]
    assert [[(q.start, q.end) for q in d.quotes] for d in low(TEXTS)] == [[(q.start, q.end) for q in d.quotes] for d in full(TEXTS)]
    # bf16 keeps its own weights: low_memory only changes float32 on the CPU
    bf16 = stance.load(quote_model=tiny_tagger_dir, precision="bfloat16", low_memory=True).extractor.tagger  # type: ignore[union-attr]
    assert {p.dtype for p in bf16.model.parameters()} == {torch.bfloat16}


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_low_memory_is_validated(bad: Any) -> None:
    with pytest.raises(ValueError, match="low_memory"):
        stance.load(quote_model=None, low_memory=bad)


def test_low_memory_stance_model_scores_as_float32() -> None:
    text, target = ["We will never accept this plan."], ["the plan"]
    full = stance.load(quote_model=None, precision="float32", low_memory=False).stance
    low = stance.load(quote_model=None, precision="float32").stance
    assert torch.float16 in {p.dtype for p in low.net.parameters()}
    assert torch.allclose(full.probabilities(text, target), low.probabilities(text, target), atol=2e-2)


def test_tagger_reads_windows_in_cpu_sized_batches(tiny_tagger_dir: str) -> None:
    import dataclasses

    from stance.quotes.tagger import CPU_WINDOW_BATCH

    tagger = stance.load(quote_model=tiny_tagger_dir, precision="float32").extractor.tagger  # type: ignore[union-attr]
    tagger.config = dataclasses.replace(tagger.config, batch_size=16)  # wider than the CPU's batch
    sizes: list[int] = []
    handle = tagger.model.register_forward_pre_hook(lambda _m, args: sizes.append(int(args[0].shape[0])))
    text = " ".join(TEXTS * 40)
    try:
        capped = tagger.token_scores([text])
        wide = tagger.token_scores([text], batch_size=32)
    finally:
        handle.remove()
    n_windows = len(tagger.window_inputs(len(tagger.encode([text])[0]["ids"])))
    first = -(-n_windows // CPU_WINDOW_BATCH)  # the forward passes of the first call
    assert n_windows > 16 and max(sizes[:first]) == CPU_WINDOW_BATCH and max(sizes[first:]) > CPU_WINDOW_BATCH
    assert np.allclose(capped[0]["scores"], wide[0]["scores"], atol=1e-4)  # the same scores either way


def test_bfloat16_tagger_gives_valid_documents(tiny_tagger_dir: str) -> None:
    docs = stance.load(quote_model=tiny_tagger_dir, precision="bfloat16")(TEXTS)
    for text, doc in zip(TEXTS, docs, strict=True):
        assert doc.ok
        for q in doc.quotes:
            assert text[q.start : q.end] == q.text


@pytest.mark.parametrize("batch_size", [1, 2, 4, 16])
def test_prefetch_gives_the_same_output(tiny_tagger_dir: str, batch_size: int) -> None:
    on = stance.load(quote_model=tiny_tagger_dir, precision="float32", prefetch=True)
    off = stance.load(quote_model=tiny_tagger_dir, precision="float32", prefetch=False)
    a = [d.to_records() for d in on.pipe(TEXTS, batch_size=batch_size)]
    b = [d.to_records() for d in off.pipe(TEXTS, batch_size=batch_size)]
    assert a == b
    assert len(a) == len(TEXTS)


def test_prefetch_yields_earlier_batches_before_raising() -> None:
    nlp = stance.load(quote_model=None, prefetch=True, max_chars=200)
    texts: list[Any] = [TEXTS[0], TEXTS[1], "x" * 500, TEXTS[0]]
    got = []
    with pytest.raises(stance.DocumentTooLargeError):
        for doc in nlp.pipe(texts, batch_size=2):
            got.append(doc)
    assert [d.text for d in got] == texts[:2]


def test_prefetch_skips_bad_documents_in_any_batch() -> None:
    nlp = stance.load(quote_model=None, prefetch=True, max_chars=200)
    texts: list[Any] = [TEXTS[0], 42, "x" * 500, TEXTS[4], None, TEXTS[1]]
    docs = list(nlp.pipe(texts, batch_size=2, errors="skip"))
    assert [d.ok for d in docs] == [True, False, False, True, False, True]
    assert docs[3].quotes and docs[3].text == TEXTS[4]


def test_prefetch_reads_at_most_one_batch_ahead() -> None:
    nlp = stance.load(quote_model=None, prefetch=True)
    pulled = 0

    def source() -> Iterator[str]:
        nonlocal pulled
        for i in range(1000):
            pulled += 1
            yield f'"Line {i} is here," Jane Doe said.'

    stream = nlp.pipe(source(), batch_size=4)
    first = [next(stream) for _ in range(4)]
    assert len(first) == 4
    assert pulled <= 12  # this batch, the one being parsed, and the one being read
    stream.close()  # stopping early neither hangs nor leaks the worker


def test_cli_precision_option(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "a.txt"
    src.write_text(TEXTS[0], encoding="utf-8")
    assert main(["analyze", str(src), "--quote-model", "none", "--precision", "float32"]) == 0
    assert "Jane Doe" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["analyze", str(src), "--precision", "fp8"])


@pytest.mark.parametrize("procs", [0, -1, 1.5, "2"])
def test_parse_processes_is_validated(procs: Any) -> None:
    with pytest.raises(ValueError, match="parse_processes"):
        stance.load(parse_processes=procs)


def test_parse_workers_give_the_same_parse(nlp: stance.Pipeline) -> None:
    from stance._nlp import ParsedText, ParsePool

    texts = [t for t in TEXTS if t] * 4 + ["\ud800 lone surrogate, she said.", "x" * 12_000]
    one = ParsedText.from_texts(texts, nlp.spacy)
    pool = ParsePool(nlp.config.spacy_model, 2)
    try:
        two = pool.parse(texts)
    finally:
        pool.close()
    assert [(p.text, p.tokens, p.ents, p.sents, p.children) for p in one] == [
        (p.text, p.tokens, p.ents, p.sents, p.children) for p in two
    ]
    with pytest.raises(ValueError, match="at least 2"):
        ParsePool(nlp.config.spacy_model, 1)


def test_pipeline_with_parse_processes_gives_the_same_records() -> None:
    texts = TEXTS * 2
    with stance.load(quote_model=None, parse_processes=2, prefetch=False) as fast:
        a = [d.to_records() for d in fast.pipe(texts, batch_size=4)]
        assert fast._parse_pool is not None
    assert fast._parse_pool is None  # closed on leaving the block
    b = [d.to_records() for d in stance.load(quote_model=None).pipe(texts, batch_size=4)]
    assert a == b


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["analyze", "x.txt"], "auto"),
        (["evaluate", "attribution"], "float32"),
        (["evaluate", "speakers"], "float32"),
        (["evaluate", "stance", "--dataset", "vast"], "float32"),
        (["evaluate", "attribution", "--precision", "bfloat16"], "bfloat16"),
    ],
)
def test_evaluation_defaults_to_float32(argv: list[str], expected: str) -> None:
    """Reported figures must not depend on the hardware; analysis may be fast."""
    from stance.cli import _parser

    assert _parser().parse_args(argv).precision == expected


def test_prefetch_with_parse_workers_gives_the_same_records() -> None:
    texts = TEXTS * 2
    with stance.load(quote_model=None, parse_processes=2, prefetch=True) as both:
        a = [d.to_records() for d in both.pipe(texts, batch_size=3)]
    b = [d.to_records() for d in stance.load(quote_model=None, prefetch=False).pipe(texts, batch_size=3)]
    assert a == b


def test_parse_workers_are_renewed_after_recycle_docs(nlp: stance.Pipeline) -> None:
    from stance._nlp import ParsedText, ParsePool

    texts = [t for t in TEXTS if t]
    pool = ParsePool(nlp.config.spacy_model, 2)
    pool.recycle_docs = len(texts)
    try:
        first = pool.parse(texts)
        # each start() after recycle_docs documents replaces the workers
        renewed = {p.pid for p in pool.start()._pool}
        second = pool.parse(texts)
        renewed_again = {p.pid for p in pool.start()._pool}
    finally:
        pool.close()
    assert renewed.isdisjoint(renewed_again)
    same = ParsedText.from_texts(texts, nlp.spacy)
    assert [p.tokens for p in first] == [p.tokens for p in second] == [p.tokens for p in same]


@pytest.mark.parametrize("prefetch", [True, False])
def test_pipeline_output_is_unchanged_by_renewing_workers(monkeypatch: pytest.MonkeyPatch, prefetch: bool) -> None:
    from stance._nlp import ParsePool

    monkeypatch.setattr(ParsePool, "recycle_docs", 5)
    texts = TEXTS * 3
    with stance.load(quote_model=None, parse_processes=2, prefetch=prefetch) as fast:
        a = [d.to_records() for d in fast.pipe(texts, batch_size=4)]
    b = [d.to_records() for d in stance.load(quote_model=None, prefetch=False).pipe(texts, batch_size=4)]
    assert a == b
