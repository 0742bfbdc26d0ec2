"""Scale-out on Spark: articles/s with 1 and 2 local workers, beside one process.

    python benchmarks/spark_scaling.py --data ../shared/data/polnear --split dev [--quote-model none]

Runs ``stance.spark.analyze_spark`` over a PolNeAR-format split in Spark local mode,
``local[1]`` then ``local[2]`` (``--workers``), one torch thread per worker, and the same
articles through ``stance.load(...).pipe`` in this process with one torch thread. For each
Spark master it times two passes over the data (collecting every row to the driver): ``cold``
includes starting the Python workers and loading one pipeline in each; ``warm`` reuses them
(Spark keeps its Python workers, and each keeps its pipeline). The ratio is warm articles/s
over ``local[1]``'s. Needs ``pip install 'stance-news[spark]'`` and Java. Run it on an otherwise
idle machine with at least as many cores as workers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from typing import Any

import torch

import stance
from stance.data.polnear import read_polnear


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data/polnear")
    ap.add_argument("--split", default="dev")
    ap.add_argument("--quote-model", default="default", help="default, a model directory, or none (rules only)")
    ap.add_argument("--workers", default="1,2", help="comma-separated numbers of local Spark workers")
    ap.add_argument("--partitions-per-worker", type=int, default=4, help="tasks per worker (load balance)")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from stance.spark import analyze_spark, local_session

    quote_model = None if args.quote_model.lower() == "none" else args.quote_model
    articles = read_polnear(args.data, args.split)
    ids, texts = [a.id for a in articles], [a.text for a in articles]
    n = len(texts)

    # one process, one torch thread: what one Spark worker does
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    nlp = stance.load(quote_model=quote_model, progress=False)
    nlp("Warm-up: the model is loaded before timing, Jane Doe said.")
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    n_quotes = sum(len(d.quotes) for d in nlp.pipe(texts, ids=ids, batch_size=args.batch_size))
    single_s = time.perf_counter() - t0
    result: dict[str, Any] = {
        "split": args.split,
        "pipeline": repr(nlp),
        "articles": n,
        "quotes": n_quotes,
        "single_process": {"torch_threads": 1, "load_s": round(load_s, 2), "seconds": round(single_s, 2),
                           "articles_per_s": round(n / single_s, 2)},
        "spark": {},
    }
    del nlp

    import pandas as pd

    for workers in [int(w) for w in args.workers.split(",")]:
        spark = local_session(workers, f"stance-bench-{workers}")
        df = spark.createDataFrame(pd.DataFrame({"id": ids, "text": texts}))
        df = df.repartition(workers * args.partitions_per_worker).cache()
        df.count()  # the input in memory before timing
        quotes = analyze_spark(df, quote_model=quote_model, threads_per_worker=1, batch_size=args.batch_size)
        runs = {}
        for label in ("cold", "warm"):
            t0 = time.perf_counter()
            rows = quotes.collect()
            wall = time.perf_counter() - t0
            if len(rows) != n_quotes:
                raise SystemExit(f"local[{workers}] gave {len(rows)} quotes, one process {n_quotes}")
            runs[label] = {"seconds": round(wall, 2), "articles_per_s": round(n / wall, 2)}
        result["spark"][f"local[{workers}]"] = runs
        spark.stop()

    spark_runs = result["spark"]
    base = spark_runs.get("local[1]", {}).get("warm", {}).get("articles_per_s")
    for runs in spark_runs.values():
        if base:
            runs["speedup_vs_local1"] = round(runs["warm"]["articles_per_s"] / base, 2)
        runs["vs_single_process"] = round(runs["warm"]["articles_per_s"] / result["single_process"]["articles_per_s"], 2)
    result.update(cpus=os.cpu_count(), python=platform.python_version(), stance=stance.__version__,
                  load_avg_1min=round(os.getloadavg()[0], 2))
    if args.json:
        print(json.dumps(result))
        return 0
    sp = result["single_process"]
    print(f"{result['pipeline']} over {args.split}: {n} articles, {n_quotes} quotes, {os.cpu_count()} CPUs")
    print(f"{'run':<26} {'seconds':>8} {'articles/s':>11} {'x local[1]':>11} {'x 1 process':>12}")
    print(f"{'one process, 1 thread':<26} {sp['seconds']:>8.2f} {sp['articles_per_s']:>11.2f} {'':>11} {1.0:>12.2f}")
    for name, runs in spark_runs.items():
        for label in ("cold", "warm"):
            r = runs[label]
            extra = (f"{runs.get('speedup_vs_local1', float('nan')):>11.2f} {runs['vs_single_process']:>12.2f}"
                     if label == "warm" else "")
            print(f"{name + ' ' + label:<26} {r['seconds']:>8.2f} {r['articles_per_s']:>11.2f} {extra}")
    print(f"load average (1 min) at the end: {result['load_avg_1min']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
