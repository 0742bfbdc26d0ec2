"""Shared fixtures: the real (offline) pipeline, loaded once; no network during tests."""

from __future__ import annotations

import socket

import pytest

import stance


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def guard(*args: object, **kwargs: object) -> None:
        raise RuntimeError("tests must not open network connections")

    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setattr(socket, "create_connection", guard)


@pytest.fixture(scope="session")
def nlp() -> stance.Pipeline:
    return stance.load()


def rows(doc: stance.Document) -> list[tuple[str, str, str, str]]:
    """(quote text, kind, speaker name, speaker type) per quote."""
    return [(q.text, str(q.kind), q.speaker.name, str(q.speaker.type)) for q in doc.quotes]
