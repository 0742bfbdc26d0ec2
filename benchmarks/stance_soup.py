"""Weight averages ("soups") of stance models, scored for model selection: the news dev set and
the six calibration slices the trainer holds out (never trained on), each candidate read as the
pipeline reads it, behind the shipped model's screen.

    python benchmarks/stance_soup.py --data ../shared/data \\
        --candidate shipped=stance/models/stance-news \\
        --candidate half=stance/models/stance-news:0.5,out/stance-bV:0.5

A candidate is ``NAME=DIR[:WEIGHT][,DIR[:WEIGHT]...]``: one model, or a soup of several
(:func:`stance.targets.train.soup`; weights default to uniform). Prints, per candidate, news dev
macro-F1 with favor / against F1, macro-F1 on each calibration slice (news pairs of held-out
PolNeAR train articles, SemEval val, VAST dev, held-out Emergent / GWSD / RUW train pairs) and
their mean. No test split is read.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

import torch

from stance.data.stance_sets import read_news_quotes
from stance.evaluation.stance_metrics import class_f1, macro_f1
from stance.pipeline import NEWS_STANCE_MODEL
from stance.targets import StanceClassifier
from stance.targets.train import _speakers, build_training_data, soup


def _load(spec: str, screen: StanceClassifier, threshold: float) -> StanceClassifier:
    parts = [p.rsplit(":", 1) if ":" in p else [p, "1"] for p in spec.split(",")]
    if len(parts) == 1:
        clf = StanceClassifier.from_pretrained(parts[0][0], screen=False)
    else:
        clf = soup([d for d, _ in parts], [float(w) for _, w in parts])
    clf.screen = screen
    clf.config = replace(clf.config, screen_threshold=threshold)
    return clf


def _score(clf: StanceClassifier, examples: list) -> tuple[list[str], list[str]]:
    z = clf.logits([e.text for e in examples], [e.target for e in examples], [e.context for e in examples],
                   batch_size=32, speakers=_speakers(examples))
    labels = list(clf.config.labels)
    return [e.label for e in examples], [labels[i] for i in z.argmax(-1).tolist()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--candidate", action="append", required=True, metavar="NAME=DIR[:W],...")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    shipped = StanceClassifier.from_pretrained(NEWS_STANCE_MODEL)
    screen, threshold = shipped.screen, shipped.config.screen_threshold
    if screen is None:
        raise SystemExit(f"{NEWS_STANCE_MODEL} has no screen")
    _, calib = build_training_data(args.data, seed=0, recipe="news")
    sets = {"news_dev": read_news_quotes(args.data, "dev")}
    for name in ("news", "semeval", "vast", "emergent", "gwsd", "ruw"):
        sets[f"calib_{name}"] = [e for e in calib if e.dataset == name]
    rows = {}
    for cand in args.candidate:
        name, _, spec = cand.partition("=")
        clf = _load(spec, screen, threshold)
        row: dict[str, float] = {}
        for key, examples in sets.items():
            gold, pred = _score(clf, examples)
            row[key] = round(100 * macro_f1(gold=gold, pred=pred), 1)
            if key == "news_dev":
                row["dev_favor"] = round(100 * class_f1(gold=gold, pred=pred, label="favor"), 1)
                row["dev_against"] = round(100 * class_f1(gold=gold, pred=pred, label="against"), 1)
        row["calib_mean"] = round(sum(v for k, v in row.items() if k.startswith("calib_")) / 6, 2)
        rows[name] = row
        print(name, json.dumps(row), flush=True)  # noqa: T201 - a benchmark script prints its figures


if __name__ == "__main__":
    main()
