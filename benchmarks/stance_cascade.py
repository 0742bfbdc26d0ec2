"""A stance cascade, simulated: a cheap screen (a quote-once model) labels every news pair, and
only the pairs it does not call neutral with probability at least ``t`` go to the cross model.

    python benchmarks/stance_cascade.py --data ../shared/data --screen out/stance-d1 \\
        [--model stance/models/stance-news] [--threshold 0.5 0.6 0.8] [--screen-max-length 48]

Scores both models once on the same pairs: the news pairs the trainer holds out of training for
calibration (PolNeAR train articles; the ``news`` recipe's split, seed 0) and the news dev set;
then prints, per threshold, the share of pairs escalated and macro-F1 (favor / against F1) of the
cascade. The cost of a cascade per pair is the screen's plus the escalated share times the
cross model's (time those with ``benchmarks/stance_cost.py``).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

import numpy as np
import torch

from stance.data.stance_sets import read_news_quotes
from stance.evaluation.stance_metrics import macro_f1
from stance.pipeline import NEWS_STANCE_MODEL
from stance.targets import StanceClassifier
from stance.targets.train import build_training_data


def _probs(clf: StanceClassifier, examples: list) -> np.ndarray:
    z = clf.logits([e.text for e in examples], [e.target for e in examples], [e.context for e in examples],
                   batch_size=32, speakers=[e.extras["speaker"] for e in examples])
    return torch.softmax(z / clf.config.temperature, -1).numpy()


def _scores(labels: list[str], gold: list[str], p: np.ndarray) -> dict[str, float]:
    pred = [labels[i] for i in p.argmax(1)]
    out = {"macro_f1": macro_f1(gold=gold, pred=pred)}
    for lab in ("favor", "against"):
        tp = sum(g == q == lab for g, q in zip(gold, pred, strict=True))
        wrong = sum((q == lab) != (g == lab) for g, q in zip(gold, pred, strict=True))
        out[f"f1_{lab}"] = 2 * tp / max(1, 2 * tp + wrong)
    return {k: round(100 * v, 1) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--screen", required=True, help="the cheap model (a quote-once stance model directory)")
    ap.add_argument("--model", default=str(NEWS_STANCE_MODEL), help="the cross model the uncertain pairs go to")
    ap.add_argument("--threshold", type=float, nargs="+", default=[0.5, 0.6, 0.7, 0.8, 0.9])
    ap.add_argument("--screen-max-length", type=int, default=None, metavar="N",
                    help="read the screen's inputs at most N tokens long (default: the length it was trained at)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    # both read every pair themselves: the model without the screen it may ship with
    screen = StanceClassifier.from_pretrained(args.screen, screen=False)
    model = StanceClassifier.from_pretrained(args.model, screen=False)
    if args.screen_max_length:
        screen.config = replace(screen.config, max_length=args.screen_max_length)
    if list(screen.config.labels) != list(model.config.labels):
        raise SystemExit("the two models have different labels")
    labels = list(model.config.labels)
    neutral = labels.index("neutral")
    _, calib = build_training_data(args.data, seed=0, recipe="news")
    sets = {"calibration": [e for e in calib if e.dataset == "news"], "dev": read_news_quotes(args.data, "dev")}
    out: dict[str, object] = {}
    for name, examples in sets.items():
        gold = [e.label for e in examples]
        ps, pm = _probs(screen, examples), _probs(model, examples)
        rows = {"screen": {"escalated": 0.0, **_scores(labels, gold, ps)},
                "model": {"escalated": 100.0, **_scores(labels, gold, pm)}}
        for t in args.threshold:
            up = ~((ps.argmax(1) == neutral) & (ps[:, neutral] >= t))
            rows[f"t={t}"] = {"escalated": round(100 * float(up.mean()), 1),
                              **_scores(labels, gold, np.where(up[:, None], pm, ps))}
        out[name] = {"n": len(examples), **rows}
    print(json.dumps(out, indent=2))  # noqa: T201 - a benchmark script prints its figures


if __name__ == "__main__":
    main()
