"""Pronoun rankers on PDNC's six held-out novels, the way the training script scores them: the
1,000 sampled "said he/she" quotes (seed 0), the resolver run end to end over each window.

    python benchmarks/speaker_ranker_pdnc.py --pdnc ../shared/data/pdnc [--cache out/pdnc-parse-cache.json]

Prints accuracy, how often the gold speaker is a candidate, and per-novel accuracy for the rules
alone, the novels ranker and the news ranker (the shipped ``stance/models`` directories).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from stance.attribution import train_ranker as tr
from stance.attribution.resolver import DEFAULT_RANKER, NOVELS_RANKER


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pdnc", type=Path, required=True)
    ap.add_argument("--cache", type=Path, default=None, help="JSON cache of the window parses")
    args = ap.parse_args()
    novels, _, _, test = tr.draw_novels(args.pdnc, 0)  # the training script's draw
    tr._parse(test, args.cache)
    out = {label: tr.end_to_end(test, novels, ranker)
           for label, ranker in (("rules", None), ("novels ranker", NOVELS_RANKER), ("news ranker", DEFAULT_RANKER))}
    print(json.dumps(out, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
