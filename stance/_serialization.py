"""Safe model files: safetensors + JSON only, with the library version and a checksum.

Every shipped or saved component writes ``config.json`` beside its ``*.safetensors`` with
``library_version``, ``format_version`` and the weights' ``sha256``; loading refuses a file
whose checksum differs (corrupted or modified) or whose format this version cannot read.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from stance.errors import ModelLoadError

__all__ = ["sha256_file", "verify_weights", "check_format", "read_verified_config"]


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


def read_verified_config(
    root: str | Path, config_name: str, weights_name: str, format_version: int, what: str
) -> tuple[dict[str, Any], Path]:
    """The JSON config of a saved model in ``root`` and the path of its weights, after checking
    that the config exists and parses, its format version, that the weights are a safetensors
    file, and their sha256. Raises :class:`ModelLoadError` with what to do otherwise."""
    root = Path(root)
    cfg_path = root / config_name
    if not cfg_path.is_file():
        raise ModelLoadError(f"no {config_name} in {root}; not a {what} directory")
    try:
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ModelLoadError(f"{cfg_path} is not valid JSON: {err}") from err
    check_format(config.get("format_version"), format_version, what, cfg_path)
    weights = root / str(config.get("weights", weights_name))
    if not re.fullmatch(r"[\w.-]+\.safetensors", weights.name):
        raise ModelLoadError(f"{cfg_path}: weights must be a .safetensors file, got {weights.name!r}")
    verify_weights(weights, config.get("weights_sha256"))
    return config, weights
