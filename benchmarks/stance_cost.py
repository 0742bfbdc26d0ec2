"""What does stance cost per (quote, target) pair? Times the stance stage alone, as the pipeline
runs it, for the previous default (``benchmarks``: the quote text alone) and the news model
(``news``: "speaker: quote" plus the paragraph), in float32 and (where the CPU computes it
natively) bfloat16, on the same quotes and targets, in one run.

    python benchmarks/stance_cost.py --data ../shared/data/polnear [--targets 3] [--repeat 5] [--model NAME=DIR ...]

The quotes are the distinct gold quotes of the news-stance dev set (PolNeAR dev articles), each
with its gold speaker and its paragraph; every quote is scored against ``--targets`` targets
(Donald Trump, Hillary Clinton, the Republican Party, ...), as ``nlp(text, targets=[...])``
does (:meth:`StanceClassifier.predict_grid`). Every model is loaded first and then timed in
``--repeat`` rounds, each model once per round. Prints, per model and precision, the best of
those passes: seconds, milliseconds per pair, and the ratio to the previous default in
the same precision. ``--model NAME=DIR`` adds a model directory (a candidate, or an earlier
release from git history) to the same run. A model with ``reader="quote-once"`` encodes each
quote once for all its targets, so its cost per pair falls as targets are added. The news model
is timed as shipped (``news``: its screen reads every pair, the full model only those the screen
does not settle as neutral; ``escalated`` is their share) and without its screen
(``news-no-screen``, ``stance_screen=False``). Absolute times drift between machines; compare
within one run.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from stance._encoder import resolve_precision
from stance.data.news_stance import default_gold, read_news_stance
from stance.pipeline import BENCHMARK_STANCE_MODEL, NEWS_STANCE_MODEL
from stance.targets import StanceClassifier

TARGETS = ["Donald Trump", "Hillary Clinton", "the Republican Party", "Barack Obama", "the news media"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None, help="PolNeAR folder (default: $STANCE_DATA/polnear or ../shared/data/polnear)")
    ap.add_argument("--targets", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", action="append", default=[], metavar="NAME=DIR", help="another stance model to time")
    args = ap.parse_args()
    models = [("benchmarks", str(BENCHMARK_STANCE_MODEL), True), ("news", str(NEWS_STANCE_MODEL), True),
              ("news-no-screen", str(NEWS_STANCE_MODEL), False)]
    for item in args.model:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            ap.error(f"--model takes NAME=DIR, got {item!r}")
        models.append((name, path, True))
    torch.set_num_threads(args.threads)

    seen: dict[tuple[str, int], tuple[str, str, str]] = {}
    for ex in read_news_stance(default_gold("dev"), args.data):
        text, _, context = ex.as_pair()
        seen.setdefault((ex.doc, ex.content_start), (ex.quote, text, context))
    pairs = list(seen.values())
    targets = TARGETS[: args.targets]
    precisions = ["float32"] + (["bfloat16"] if resolve_precision("auto", "cpu") == "bfloat16" else [])
    out: dict[str, object] = {"quotes": len(pairs), "targets": len(targets), "pairs": len(pairs) * len(targets)}
    base: dict[str, float] = {}
    for precision in precisions:
        loaded = []
        for name, path, screen in models:
            clf = StanceClassifier.from_pretrained(path, screen=screen)
            clf.precision = precision
            clf.store_in_precision()
            news = clf.config.extra.get("inputs") == "speaker+context"
            loaded.append((name, clf, [p[1] if news else p[0] for p in pairs], [p[2] for p in pairs] if news else None))
        # rounds: every model once per round, so a slow spell of a shared machine hits all of them
        best = {name: float("inf") for name, *_ in loaded}
        for _ in range(args.repeat):
            for name, clf, texts, contexts in loaded:
                t0 = time.perf_counter()
                clf.predict_grid(texts, targets, contexts)
                best[name] = min(best[name], time.perf_counter() - t0)
        base[precision] = best["benchmarks"]
        for name, clf, _, _ in loaded:
            row: dict[str, object] = {
                "seconds": round(best[name], 2),
                "ms_per_pair": round(1000 * best[name] / (len(pairs) * len(targets)), 2),
                "ratio_to_benchmarks": round(best[name] / base[precision], 2),
                "reader": clf.config.reader,
            }
            if clf.screen is not None:
                counts = clf.screen_counts
                row["escalated"] = round(counts["escalated"] / max(1, counts["pairs"]), 3)
            out[f"{name}/{precision}"] = row
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
