"""int8 dynamic quantisation of the CPU models: accuracy change and speed, beside float32.

    python benchmarks/quantization.py --data ../shared/data [--models fast,default,stance] [--no-onnx]

For each model, the float32 model and the same model with its linear layers dynamically
quantised to int8 (``torch.ao.quantization.quantize_dynamic``, activations quantised per
batch) are scored on the same dev data in one run: the attribution taggers on PolNeAR dev
(exact F1 source / cue / content, ``stance evaluate attribution``), the news stance model on
the news-quote dev set (macro-F1 and per class, ``stance evaluate stance --dataset news``),
each with its wall time. Rows ``torch-int8``: every linear layer quantised by torch (not offered:
it costs 3-6 points and breaks the MPNet tagger). Rows ``onnx-int8`` (taggers only, with
``pip install 'stance-news[onnx]'``): the library's ``precision="int8"``, the tagger quantised by
ONNX Runtime with each layer's feed-forward output kept float32 (stance._onnx). For the taggers,
``seconds`` is the evaluation alone; loading (and the one-off ONNX export) is ``load_seconds``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

import torch

import stance
from stance.evaluation import AttributionEvaluator
from stance.evaluation.stance_eval import StanceEvaluator


def _int8(module: torch.nn.Module) -> None:
    with warnings.catch_warnings():  # torch >= 2.10 points to torchao; the eager API still works
        warnings.simplefilter("ignore")
        torch.ao.quantization.quantize_dynamic(module, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("STANCE_DATA", "../shared/data"))
    ap.add_argument("--models", default="fast,default,stance")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-onnx", dest="onnx", action="store_false", help="skip the onnx-int8 rows")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    out: dict[str, object] = {"torch": torch.__version__}
    for name in args.models.split(","):
        for precision in ("float32", "torch-int8") + (("onnx-int8",) if name != "stance" and args.onnx else ()):
            extra: dict[str, float] = {}
            t0 = time.perf_counter()
            if name == "stance":
                clf = stance.load(quote_model=None, precision="float32", progress=False).stance
                if precision == "torch-int8":
                    _int8(clf.net)
                r = StanceEvaluator("news", args.data, None, n_boot=0)(clf)
                figures = {"macro_f1": r["macro_f1"], **{f"f1_{k}": v for k, v in r["per_class_f1"].items()}}
            else:
                nlp = stance.load(quote_model=name, precision="int8" if precision == "onnx-int8" else "float32",
                                  progress=False)
                if precision == "torch-int8":
                    _int8(nlp.extractor.tagger.model)  # type: ignore[union-attr]
                nlp.extractor  # noqa: B018  (loads the tagger, and for onnx-int8 exports it once: not scored time)
                extra["load_seconds"] = round(time.perf_counter() - t0, 1)
                t0 = time.perf_counter()
                r = AttributionEvaluator(os.path.join(args.data, "polnear"), "dev", bootstrap=0)(nlp)
                figures = {k: r[f"{k}_exact_f1"] for k in ("source", "cue", "content")}
            out[f"{name}/{precision}"] = {**{k: round(100 * v, 1) for k, v in figures.items()},
                                          "seconds": round(time.perf_counter() - t0, 1), **extra}
            print(json.dumps({f"{name}/{precision}": out[f"{name}/{precision}"]}), flush=True)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
