"""Does training the pronoun ranker on news help? Article-level cross-validation on the PolNeAR dev
speaker gold, end to end through the default pipeline (float32).

    python benchmarks/speaker_ranker_cv.py --pdnc ../shared/data/pdnc --data ../shared/data/polnear \
        [--news-weight 30 --folds 5 --seed 0 --cache out/pdnc-parse-cache.json]

The dev articles are split into ``--folds`` folds (by article, ``--seed``). Each fold is resolved
by a ranker trained on PDNC (the shipped recipe's novels), the news pronouns of the labelled
PolNeAR *train* articles (``stance/evaluation/gold/polnear_train_pronoun_speakers.jsonl``) and the
dev pronouns of the *other* folds, news weighted ``--news-weight``; a ranker trained on the
novels alone (the recipe shipped before the news labels) resolves the same articles for
comparison. Prints pronoun, descriptor and named-source accuracy where the source is detected
(the ``stance evaluate speakers`` figures) for both. About 15 minutes on two cores: the dev
articles go through the pipeline three times (record, novels only, folds) and the train
articles once.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

import stance
from stance.attribution import train_ranker as tr
from stance.attribution.resolver import ResolverConfig
from stance.evaluation.speakers import DEFAULT_GOLD, SpeakerEvaluator, read_gold

TRAIN_LABELS = DEFAULT_GOLD.parent / "polnear_train_pronoun_speakers.jsonl"


def pdnc_examples(root: Path, seed: int, cache: Path | None) -> list[tr.Example]:
    """The shipped recipe's PDNC training pronouns (train + validation novels, the same draw)."""
    novels, train, val, _ = tr.draw_novels(root, seed)
    tr._parse(train + val, cache)
    return tr.collect(train + val, novels, ResolverConfig(ranker=None))


def scores(ev: SpeakerEvaluator, items: list) -> dict[str, float]:
    out = ev.compute(items)
    return {form: round(100 * out[f"accuracy_{form}_detected"], 1) for form in ("pronoun", "descriptor", "named")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pdnc", type=Path, required=True)
    ap.add_argument("--data", default=None, help="PolNeAR directory")
    ap.add_argument("--news-weight", type=float, default=30.0)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", type=Path, default=None, help="JSON cache of the PDNC window parses")
    args = ap.parse_args()

    nlp = stance.load(precision="float32", progress=False)
    novels = pdnc_examples(args.pdnc, args.seed, args.cache)
    dev_rows = [g for g in read_gold(DEFAULT_GOLD) if g["form"] == "pronoun"]
    train_rows = tr.read_news_labels(f"train:{TRAIN_LABELS}")[1]
    train_news = tr.collect_news([("train", train_rows)], args.data, nlp)
    dev_news = tr.collect_news([("dev", dev_rows)], args.data, nlp)

    docs = sorted({g["doc"] for g in read_gold(DEFAULT_GOLD)})
    random.Random(args.seed).shuffle(docs)
    fold = {d: i % args.folds for i, d in enumerate(docs)}
    # the ranker trained on novels alone (the recipe shipped before news labels existed)
    nlp.resolver.ranker = tr.train(novels, 0, 30, args.seed, drop=("same_sentence", "named", "prev_speaker"))
    base_ev = SpeakerEvaluator(args.data, "dev", bootstrap=0)
    base_ev(nlp)
    cv_items = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.folds):
            news = [e for e in dev_news if fold[e.novel] != k] + train_news
            model = tr.train(novels + news, 0, 30, args.seed, weights=[1.0] * len(novels) + [args.news_weight] * len(news))
            gold = Path(tmp) / f"fold{k}.jsonl"
            gold.write_text("".join(json.dumps(g) + "\n" for g in read_gold(DEFAULT_GOLD) if fold[g["doc"]] == k))
            nlp.resolver.ranker = model
            ev = SpeakerEvaluator(args.data, "dev", gold=gold, bootstrap=0)
            ev(nlp)
            cv_items += ev.items
    print(json.dumps({  # noqa: T201
        "split": "dev", "folds": args.folds, "seed": args.seed, "news_weight": args.news_weight,
        "pronouns": {"pdnc": len(novels), "train_news": len(train_news), "dev_news": len(dev_news)},
        "novels_only_ranker": scores(base_ev, base_ev.items),
        "news_ranker_cross_validated": scores(base_ev, cv_items),
    }, indent=2))


if __name__ == "__main__":
    main()
