"""How a stance model does where the quote's speaker is the target (Trump on Trump): the
(gold, predicted) label counts over such news pairs, for a seeded sample of 300 of the train
labels (what the model was trained on, bar the calibration articles) and for every such dev pair.

    python benchmarks/stance_self_reference.py --data ../shared/data [--model DIR ...]

"Speaker is the target" is decided as the speaker marker decides it
(:func:`stance.targets.model.speaker_names_target`). The guideline's self-reference rule makes a
speaker promoting or defending themselves ``favor``; the shipped model misses most such pairs.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import Counter

import torch

from stance.data.stance_sets import read_news_quotes
from stance.pipeline import NEWS_STANCE_MODEL
from stance.targets import StanceClassifier
from stance.targets.model import speaker_names_target


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--model", action="append", default=[], help="a stance model directory (default: the shipped news model)")
    ap.add_argument("--sample", type=int, default=300, help="train pairs to score (seeded sample)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    sets = {}
    for split in ("train", "dev"):
        pairs = [e for e in read_news_quotes(args.data, split)
                 if speaker_names_target(e.target, e.extras["speaker"])]
        if split == "train":
            random.Random(0).shuffle(pairs)
            pairs = pairs[: args.sample]
        sets[split] = pairs
    out = {}
    for path in args.model or [str(NEWS_STANCE_MODEL)]:
        clf = StanceClassifier.from_pretrained(path)
        out[path] = {}
        for split, pairs in sets.items():
            z = clf.logits([e.text for e in pairs], [e.target for e in pairs], [e.context for e in pairs], batch_size=32,
                           speakers=[e.extras["speaker"] for e in pairs])
            pred = [clf.config.labels[i] for i in z.argmax(-1).tolist()]
            counts = Counter(f"{e.label}->{p}" for e, p in zip(pairs, pred, strict=True))
            favor = sum(e.label == "favor" for e in pairs)
            out[path][split] = {"pairs": len(pairs), "gold_favor": favor, "favor_found": counts["favor->favor"],
                                "counts": dict(sorted(counts.items()))}
    print(json.dumps(out, indent=2))  # noqa: T201 - a benchmark script prints its figures


if __name__ == "__main__":
    main()
