"""Throughput and peak memory of the full pipeline over a PolNeAR-format split.

    python benchmarks/throughput.py --data ../shared/data/polnear --split dev

Prints articles/s, tokens/s (whitespace tokens), peak RSS and the time split by stage.
Run it on an otherwise idle machine; the figures in the README come from this script.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time

import torch

import stance
from stance.data.polnear import read_polnear


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--split", default="dev")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=1, help="passes over the split (after one warm-up document)")
    ap.add_argument("--quote-model", default="default", help="default, a model directory, or none (rules only)")
    ap.add_argument("--target", action="append", default=[], help="score stance toward this target (repeatable)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    articles = read_polnear(args.data, args.split)
    texts = [a.text for a in articles]
    t_load = time.perf_counter()
    if args.threads:
        torch.set_num_threads(args.threads)
    nlp = stance.load(quote_model=None if args.quote_model.lower() == "none" else args.quote_model)
    targets = args.target or None
    nlp("Warm-up: the model is loaded before timing, Jane Doe said.", targets=targets)
    load_s = time.perf_counter() - t_load
    for k in nlp.timings:
        nlp.timings[k] = 0.0
    n_quotes = 0
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        for doc in nlp.pipe(texts, batch_size=args.batch_size, targets=targets):
            n_quotes += len(doc.quotes)
    wall = time.perf_counter() - t0
    n_docs = len(texts) * args.repeat
    n_tokens = sum(len(t.split()) for t in texts) * args.repeat
    result = {
        "split": args.split,
        "pipeline": repr(nlp),
        "targets": len(args.target),
        "articles": n_docs,
        "quotes": n_quotes,
        "seconds": round(wall, 2),
        "articles_per_s": round(n_docs / wall, 2),
        "tokens_per_s": round(n_tokens / wall),
        "peak_rss_mb": round(peak_rss_mb()),
        "load_s": round(load_s, 2),
        "stage_seconds": {k: round(v, 2) for k, v in nlp.timings.items()},
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "stance": stance.__version__,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>16}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
