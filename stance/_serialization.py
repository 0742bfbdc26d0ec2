"""Safe model files: safetensors + JSON only, with the library version and a checksum.

Every shipped or saved component writes ``config.json`` beside its ``*.safetensors`` with
``library_version``, ``format_version`` and the weights' ``sha256``; loading refuses a file
whose checksum differs (corrupted or modified) or whose format this version cannot read.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from stance.errors import ModelLoadError

__all__ = ["sha256_file", "verify_weights", "check_format"]


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_weights(path: str | Path, expected: str | None) -> None:
    """Raise :class:`ModelLoadError` unless ``path`` exists and has the recorded sha256."""
    p = Path(path)
    if not p.is_file():
        raise ModelLoadError(f"no weights file at {p}; the model directory is incomplete")
    if not expected:
        raise ModelLoadError(f"{p.parent / 'config.json'} records no sha256 for {p.name}; refusing to load unverified weights")
    digest = sha256_file(p)
    if digest != expected:
        raise ModelLoadError(
            f"checksum mismatch for {p}: config.json records sha256 {expected}, the file has {digest}; "
            f"the weights are corrupted or were modified: restore them or retrain"
        )


def check_format(found: object, supported: int, what: str, where: str | Path) -> None:
    """Refuse a saved model written in a format this library version cannot read."""
    if found != supported:
        raise ModelLoadError(
            f"{where}: {what} format_version {found!r} is not the supported version {supported}; "
            f"it was saved by another version of stance: re-save it with this version or install a matching one"
        )
