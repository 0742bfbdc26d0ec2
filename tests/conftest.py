"""Shared fixtures: the real (offline) pipeline, loaded once; no network during tests."""

from __future__ import annotations

import ipaddress
import socket

import pytest

import stance


def _loopback(address: object) -> bool:
    """Whether a connect() address stays on this machine (Spark local mode talks over loopback)."""
    if isinstance(address, (str, bytes)):  # an AF_UNIX path
        return True
    host = address[0] if isinstance(address, tuple) and address else None
    if isinstance(host, bytes):
        host = host.decode()
    if host == "localhost":
        return True
    try:
        return isinstance(host, str) and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """No connection leaves the machine; loopback (127.0.0.0/8, ::1, Unix sockets) is allowed."""
    connect, create_connection = socket.socket.connect, socket.create_connection

    def guard_connect(self: socket.socket, address: object) -> None:
        if not _loopback(address):
            raise RuntimeError("tests must not open network connections")
        connect(self, address)  # type: ignore[arg-type]

    def guard_create(address: object, *args: object, **kwargs: object) -> socket.socket:
        if not _loopback(address):
            raise RuntimeError("tests must not open network connections")
        return create_connection(address, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guard_connect)
    monkeypatch.setattr(socket, "create_connection", guard_create)


@pytest.fixture(scope="session")
def nlp() -> stance.Pipeline:
    return stance.load(quote_model=None)  # the rules: fast and exact; the tagger has its own tests


def rows(doc: stance.Document) -> list[tuple[str, str, str, str]]:
    """(quote text, kind, speaker name, speaker type) per quote."""
    return [(q.text, str(q.kind), q.speaker.name, str(q.speaker.type)) for q in doc.quotes]


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A tiny random BERT with the real MiniLM tokenizer: real code paths in milliseconds."""
    import shutil
    from pathlib import Path

    import torch
    from transformers import BertConfig, BertModel

    from stance._encoder import default_encoder_path

    src = Path(default_encoder_path())
    out = tmp_path_factory.mktemp("tiny_bert")
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (src / name).exists():
            shutil.copy(src / name, out / name)
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=512)
    BertModel(cfg, add_pooling_layer=False).save_pretrained(out)
    return str(out)


@pytest.fixture(scope="session")
def tiny_tagger_dir(tiny_encoder: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A saved attribution tagger over the tiny encoder (random weights, biased towards content)."""
    import torch

    from stance.quotes.tagger import DEFAULT_LABELS, AttributionTagger, TaggerConfig

    torch.manual_seed(0)
    tagger = AttributionTagger(TaggerConfig(encoder=tiny_encoder, max_length=32, stride=8, train_layers=1, batch_size=3))
    with torch.no_grad():
        tagger.model.classifier.weight.mul_(0.01)
        bias = torch.full((len(DEFAULT_LABELS),), -5.0)
        bias[DEFAULT_LABELS.index("I-content")] = 3.0
        bias[DEFAULT_LABELS.index("B-content")] = 2.0
        tagger.model.classifier.bias.copy_(bias)
    out = tmp_path_factory.mktemp("tiny_tagger")
    tagger.save_pretrained(out)
    return str(out)
