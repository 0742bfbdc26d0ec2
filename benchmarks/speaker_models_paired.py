"""Two pronoun rankers on one speaker gold set, paired: how many detected pronoun sources each gets
right that the other gets wrong (counts only; no source text is printed, so a blind set stays blind).

    python benchmarks/speaker_models_paired.py --gold heldout --a news --b novels [--data ../shared/data/polnear]

``--a`` / ``--b``: ``news``, ``novels``, ``none`` (rules alone) or a ranker directory. Prints both
accuracies on detected pronoun sources, the paired counts and an article-bootstrap 95% interval of the
difference (2,000 resamples, seed 0).
"""

from __future__ import annotations

import argparse
import json
import random

import stance
from stance.evaluation.speakers import GOLD_SETS, SpeakerEvaluator


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", default="heldout", choices=sorted(GOLD_SETS))
    ap.add_argument("--a", default="news")
    ap.add_argument("--b", default="novels")
    ap.add_argument("--data", default=None)
    args = ap.parse_args()
    gold, split = GOLD_SETS[args.gold]
    outcome = {}
    for model in (args.a, args.b):
        nlp = stance.load(precision="float32", progress=False, speaker_model=model)
        ev = SpeakerEvaluator(args.data, split, gold=gold, bootstrap=0)
        ev(nlp)
        outcome[model] = {(i.gold["doc"], i.gold["source_start"]): i.correct for i in ev.items
                          if i.gold["form"] == "pronoun" and i.detected}
    a, b = outcome[args.a], outcome[args.b]
    keys = sorted(set(a) & set(b))
    docs = sorted({k[0] for k in keys})
    rng = random.Random(0)
    diffs = []
    for _ in range(2000):
        ks = [k for d in (rng.choice(docs) for _ in docs) for k in keys if k[0] == d]
        if ks:
            diffs.append(100 * sum(a[k] - b[k] for k in ks) / len(ks))
    diffs.sort()
    print(json.dumps({  # noqa: T201
        "gold": args.gold, "a": args.a, "b": args.b, "detected_pronouns": len(keys),
        "accuracy_a": round(100 * sum(a[k] for k in keys) / len(keys), 1),
        "accuracy_b": round(100 * sum(b[k] for k in keys) / len(keys), 1),
        "both_right": sum(a[k] and b[k] for k in keys), "only_a_right": sum(a[k] and not b[k] for k in keys),
        "only_b_right": sum(b[k] and not a[k] for k in keys),
        "difference_ci95": [round(diffs[int(0.025 * len(diffs))], 1), round(diffs[int(0.975 * len(diffs)) - 1], 1)],
    }, indent=2))


if __name__ == "__main__":
    main()
