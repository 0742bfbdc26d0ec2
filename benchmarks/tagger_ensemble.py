"""Would averaging two attribution taggers help? Scores the default pipeline on PolNeAR with
the MPNet tagger's token log-probabilities mixed with the MiniLM tagger's.

    python benchmarks/tagger_ensemble.py --data ../shared/data/polnear --split dev --weights 0 0.2 0.3 0.4 0.5

For each weight w the pipeline decodes ``(1 - w) * mpnet + w * minilm`` (MiniLM's scores are
carried to MPNet's word pieces by character: each MPNet piece takes the MiniLM piece covering its
first character, and a piece continuing the same MiniLM piece gets its ``B-`` mass as ``I-``).
w = 0 is the shipped default. Both taggers score every article once; each weight then re-runs
the pipeline on the cached scores. Prints exact F1 per role and their mean, and for
``--folds`` random halvings of the split the weight picked on one half scored on the other
(the honest estimate). Results in the README (tried, not shipped).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

import stance
from stance.data.polnear import read_polnear
from stance.evaluation.attribution import AttributionEvaluator
from stance.pipeline import FAST_QUOTE_MODEL
from stance.quotes.tagger import AttributionTagger

ROLES = ("source", "cue", "content")


def aligned(main: dict[str, Any], other: dict[str, Any], labels: list[str]) -> np.ndarray:
    """``other``'s per-piece scores carried onto ``main``'s word pieces by character."""
    starts, ends = other["offsets"][:, 0], other["offsets"][:, 1]
    idx = np.clip(np.searchsorted(starts, main["offsets"][:, 0], side="right") - 1, 0, len(starts) - 1)
    out = other["scores"][idx].copy()
    uncovered = ends[idx] <= main["offsets"][:, 0]
    out[uncovered] = main["scores"][uncovered]  # no piece of the other tokenizer covers it
    same = np.r_[False, idx[1:] == idx[:-1]]  # inside one piece of the other tokenizer: no new span
    for lab in labels:
        if lab.startswith("B-"):
            b, i = labels.index(lab), labels.index("I-" + lab[2:])
            out[same, i] = np.logaddexp(out[same, i], out[same, b])
            out[same, b] = -30.0
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--split", default="dev")
    ap.add_argument("--limit", type=int, default=None, help="only the first N articles")
    ap.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.2, 0.3, 0.4, 0.5])
    ap.add_argument("--precision", default="float32", choices=["auto", "float32", "bfloat16"])
    ap.add_argument("--folds", type=int, default=3, help="random halvings for the honest estimate")
    args = ap.parse_args()
    if 0.0 not in args.weights:
        args.weights = [0.0, *args.weights]

    nlp = stance.load(precision=args.precision, progress=False)
    tagger = nlp.extractor.tagger  # type: ignore[union-attr]
    other = AttributionTagger.from_pretrained(FAST_QUOTE_MODEL).merge_adapters()
    other.precision = tagger.precision
    arts = read_polnear(args.data, args.split)[: args.limit]
    texts = [a.text for a in arts]
    mine = dict(zip(texts, tagger.token_scores(texts), strict=True))
    theirs = {t: aligned(mine[t], s, list(tagger.config.labels)) for t, s in zip(texts, other.token_scores(texts), strict=True)}

    runs = {}
    for w in args.weights:
        def mixed(batch: list[str], batch_size: int | None = None, encoded: Any = None, w: float = w) -> list[dict[str, Any]]:
            return [{"offsets": mine[t]["offsets"], "scores": ((1 - w) * mine[t]["scores"] + w * theirs[t]).astype(np.float32)}
                    for t in batch]

        tagger.token_scores = mixed  # type: ignore[method-assign]
        ev = AttributionEvaluator(args.data, args.split, limit=args.limit, bootstrap=0)
        runs[w] = (ev, ev.score_documents(nlp))

    def f1s(w: float, docs: list[int] | None = None) -> list[float]:
        ev, scores = runs[w]
        r = ev.compute(scores if docs is None else [scores[i] for i in docs])
        return [100 * r[f"{role}_exact_f1"] for role in ROLES]

    out: dict[str, Any] = {"split": args.split, "n_docs": len(arts), "weights": {}}
    for w in args.weights:
        f = f1s(w)
        out["weights"][str(w)] = {**{r: round(v, 2) for r, v in zip(ROLES, f, strict=True)}, "mean": round(float(np.mean(f)), 2)}
    gains = []
    for seed in range(args.folds):
        perm = np.random.default_rng(seed).permutation(len(arts))
        halves = [list(perm[: len(perm) // 2]), list(perm[len(perm) // 2 :])]
        for pick, score in ((0, 1), (1, 0)):
            best = max(args.weights, key=lambda w: float(np.mean(f1s(w, halves[pick]))))
            gains.append(float(np.mean(f1s(best, halves[score])) - np.mean(f1s(0.0, halves[score]))))
    out["honest_gain_mean_f1"] = round(float(np.mean(gains)), 2) if gains else None
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
