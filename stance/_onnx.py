"""The attribution tagger in int8 on a CPU, through ONNX Runtime (``precision="int8"``).

Most laptops have neither AMX nor bf16, and there the MPNet tagger in float32 is most of the
pipeline's time. This module exports a loaded tagger's network (adapters already merged) to
ONNX once, quantises its weight matrices to int8 with ONNX Runtime's dynamic quantisation and
runs it in an ``InferenceSession``:

* per-channel int8 weights, 7-bit range (``reduce_range``: CPUs without VNNI saturate the
  8-bit u8×s8 products), activations quantised per batch;
* **each layer's feed-forward output projection stays float32**. Quantising it is what broke
  the earlier attempts (torch ``quantize_dynamic``: 39.7 / 34.3 / 48.4 exact F1 on PolNeAR
  dev; ONNX Runtime with every matrix in int8: 83.0 / 75.9 / 72.9); with it kept, the default
  tagger scores 85.3 / 78.0 / 75.0 against 85.3 / 78.2 / 75.0 in float32
  (``benchmarks/quantization.py``, docs/speed.md).

The quantised file is cached under ``$STANCE_CACHE/onnx`` (default ``~/.cache/stance/onnx``),
named by a hash of the network's weights and the versions that made it, so the export (about
half a minute for the MPNet tagger) happens once per machine. Needs the optional packages
``onnxruntime`` and ``onnx`` (``pip install 'stance-news[onnx]'``); without them loading raises an
``ImportError`` that says so.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

from stance._encoder import _cache_dir

logger = logging.getLogger(__name__)

__all__ = ["INSTALL_HINT", "OrtRunner", "int8_runner", "require_onnx"]

INSTALL_HINT = "precision='int8' runs the tagger in ONNX Runtime: pip install 'stance-news[onnx]' (onnxruntime, onnx)"

#: the matrix products left in float32: each layer's feed-forward output (BERT/MiniLM and MPNet
#: name it ``layer.N.output.dense``; attention's ``attention.output.dense`` is quantised)
_KEEP_FLOAT = re.compile(r"/layer\.\d+/output/dense/")
#: bump when the export or quantisation recipe changes, so old cached files are not reused
_RECIPE = "1"


def require_onnx() -> Any:
    """The ``onnxruntime`` module; ``ImportError`` saying what to install when it (or ``onnx``) is missing."""
    try:
        import onnx  # noqa: F401
        import onnxruntime
    except ImportError as err:
        raise ImportError(INSTALL_HINT) from err
    return onnxruntime


class OrtRunner:
    """Stands in for the tagger's torch network at inference: ``runner(input_ids,
    attention_mask)`` -> logits ``[batch, tokens, labels]`` as a float32 tensor."""

    training = False

    def __init__(self, session: Any, path: Path) -> None:
        self.session = session
        #: the quantised ``.onnx`` file the session runs
        self.path = path

    def __call__(self, input_ids: Any, attention_mask: Any) -> Any:
        import numpy as np
        import torch

        feed = {
            "input_ids": input_ids.cpu().numpy().astype(np.int64),
            "attention_mask": attention_mask.cpu().numpy().astype(np.int64),
        }
        return torch.from_numpy(self.session.run(None, feed)[0])

    def eval(self) -> OrtRunner:
        return self

    def train(self, mode: bool = True) -> OrtRunner:
        if mode:
            raise RuntimeError("an ONNX Runtime tagger is for inference only; train the torch model")
        return self

    def __repr__(self) -> str:
        return f"OrtRunner({self.path.name!r})"


class _DropFrom(logging.Filter):
    """Drops log records emitted by code under a package directory (``onnxruntime``)."""

    def __init__(self, package: str) -> None:
        super().__init__()
        self.part = f"{os.sep}{package}{os.sep}"

    def filter(self, record: logging.LogRecord) -> bool:
        return self.part not in record.pathname


def _fingerprint(model: Any) -> str:
    """A hash of the network's weights and of the versions that export and quantise it."""
    import onnxruntime
    import torch

    h = hashlib.sha256(f"{_RECIPE}|{torch.__version__}|{onnxruntime.__version__}".encode())
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(memoryview(tensor.detach().to("cpu", torch.float32).contiguous().numpy()))  # no copy
    return h.hexdigest()[:24]


def _export_int8(model: Any, target: Path) -> None:
    """Export ``model`` (float32, CPU, eval) to ONNX and write its int8 version to ``target``."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        plain, quant = Path(tmp) / "float32.onnx", Path(tmp) / "int8.onnx"
        ids = torch.ones((2, 8), dtype=torch.long)
        mask = torch.ones((2, 8), dtype=torch.long)
        axes = {0: "batch", 1: "tokens"}
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model, (ids, mask), str(plain), input_names=["input_ids", "attention_mask"],
                output_names=["logits"], opset_version=17, dynamo=False,
                dynamic_axes={"input_ids": axes, "attention_mask": axes, "logits": axes},
            )
        graph = onnx.load(str(plain), load_external_data=False).graph
        keep = [n.name for n in graph.node if n.op_type == "MatMul" and _KEEP_FLOAT.search(n.name)]
        # the quantiser logs advice through the root logger (which Python prints to stderr when the
        # application configured no logging); a library keeps it out of its users' output
        root, quiet = logging.getLogger(), _DropFrom("onnxruntime")
        root.addFilter(quiet)
        try:
            quantize_dynamic(
                str(plain), str(quant), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
                op_types_to_quantize=["MatMul"], nodes_to_exclude=keep, extra_options={"MatMulConstBOnly": True},
            )
        finally:
            root.removeFilter(quiet)
        os.replace(quant, target)  # atomic: a concurrent loader sees the whole file or none


def int8_runner(model: Any, *, cache_dir: str | os.PathLike[str] | None = None, threads: int | None = None) -> OrtRunner:
    """An :class:`OrtRunner` for ``model`` (a tagger network in float32 on the CPU, adapters
    merged), exported and quantised on first use and cached (``cache_dir``, default
    ``$STANCE_CACHE/onnx``). ``threads``: ONNX Runtime's intra-op threads (default: torch's)."""
    ort = require_onnx()
    import torch

    if any(p.dtype != torch.float32 or p.device.type != "cpu" for p in model.parameters()):
        raise ValueError("precision='int8' quantises a float32 model on the CPU; load it with device='cpu'")
    model.eval()
    root = Path(cache_dir) if cache_dir is not None else _cache_dir() / "onnx"
    path = root / f"tagger-{_fingerprint(model)}.int8.onnx"
    if not path.is_file():
        logger.info("exporting the tagger to ONNX and quantising it to int8 (once per machine): %s", path)
        try:
            _export_int8(model, path)
        except OSError as err:
            raise OSError(
                f"cannot write the int8 tagger under {root} ({err}); set STANCE_CACHE (or pass "
                "cache_dir) to a writable directory"
            ) from err
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return OrtRunner(ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"]), path)
