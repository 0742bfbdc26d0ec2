"""Stance metrics, as published for each benchmark (keyword-only; labels are plain strings).

* :func:`f_avg` — SemEval-2016 Task 6: mean of the F1 of ``favor`` and of ``against``, pooled
  over all targets (``neutral`` only counts as a wrong prediction/gold of the other two).
* :func:`macro_f1` — VAST / RUW / GWSD: unweighted mean of per-class F1.
* :func:`fnc_score` / :func:`fnc_relative_score` — the official FNC-1 scorer: +0.25 when
  related/unrelated is right, +0.75 more when a related pair's exact label
  (agree/disagree/discuss) is right; relative = score / best possible score.
* :func:`accuracy` — Emergent.
* :func:`bootstrap_ci` — percentile bootstrap interval of any of them (resampling examples).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

__all__ = [
    "FNC_LABELS",
    "accuracy",
    "bootstrap_ci",
    "class_f1",
    "expected_calibration_error",
    "f_avg",
    "fnc_relative_score",
    "fnc_score",
    "group_bootstrap_ci",
    "macro_f1",
]

FNC_LABELS = ("agree", "disagree", "discuss", "unrelated")
_RELATED = ("agree", "disagree", "discuss")


def _check(gold: Sequence[str], pred: Sequence[str], weights: Sequence[float] | None = None) -> Sequence[float]:
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} labels but pred has {len(pred)}")
    if weights is None:
        return [1.0] * len(gold)
    if len(weights) != len(gold):
        raise ValueError(f"gold has {len(gold)} labels but weights has {len(weights)}")
    return weights


def class_f1(*, gold: Sequence[str], pred: Sequence[str], label: str, weights: Sequence[float] | None = None) -> float:
    """F1 of one class (0 when it is neither predicted nor gold); ``weights`` count examples.

    >>> class_f1(gold=["favor", "against", "favor"], pred=["favor", "favor", "neutral"], label="favor")
    0.5
    >>> class_f1(gold=["favor", "against"], pred=["favor", "favor"], label="favor", weights=[2, 0])
    1.0
    """
    w = _check(gold, pred, weights)
    tp = sum(x for g, p, x in zip(gold, pred, w, strict=False) if g == p == label)
    n_pred = sum(x for p, x in zip(pred, w, strict=False) if p == label)
    n_gold = sum(x for g, x in zip(gold, w, strict=False) if g == label)
    return 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0


def macro_f1(
    *,
    gold: Sequence[str],
    pred: Sequence[str],
    labels: Sequence[str] = ("favor", "against", "neutral"),
    weights: Sequence[float] | None = None,
) -> float:
    """Unweighted mean F1 over ``labels``.

    >>> macro_f1(gold=["favor", "against", "neutral"], pred=["favor", "against", "neutral"])
    1.0
    >>> round(macro_f1(gold=["favor", "against", "neutral"], pred=["favor", "favor", "favor"]), 4)
    0.1667
    """
    return sum(class_f1(gold=gold, pred=pred, label=lab, weights=weights) for lab in labels) / len(labels)


def f_avg(*, gold: Sequence[str], pred: Sequence[str], weights: Sequence[float] | None = None) -> float:
    """SemEval-2016 Task 6 ``F_avg`` = (F1(favor) + F1(against)) / 2, pooled over targets.

    >>> f_avg(gold=["favor", "against", "neutral"], pred=["favor", "against", "favor"])
    0.8333333333333333
    """
    fav = class_f1(gold=gold, pred=pred, label="favor", weights=weights)
    return (fav + class_f1(gold=gold, pred=pred, label="against", weights=weights)) / 2


def accuracy(*, gold: Sequence[str], pred: Sequence[str], weights: Sequence[float] | None = None) -> float:
    """Share of exact matches (0 for no examples).

    >>> accuracy(gold=["favor", "against"], pred=["favor", "neutral"])
    0.5
    """
    w = _check(gold, pred, weights)
    total = sum(w)
    return sum(x for g, p, x in zip(gold, pred, w, strict=False) if g == p) / total if total else 0.0


def fnc_score(*, gold: Sequence[str], pred: Sequence[str], weights: Sequence[float] | None = None) -> float:
    """The official FNC-1 score (``scorer.py``) over agree/disagree/discuss/unrelated labels.

    >>> fnc_score(gold=["agree", "unrelated", "discuss", "disagree"], pred=["agree", "unrelated", "agree", "unrelated"])
    1.5
    """
    w = _check(gold, pred, weights)
    score = 0.0
    for g, p, x in zip(gold, pred, w, strict=False):
        if g not in FNC_LABELS or p not in FNC_LABELS:
            raise ValueError(f"FNC-1 labels are {FNC_LABELS}, got {g!r} / {p!r}")
        if g == p:
            score += 0.25 * x
            if g != "unrelated":
                score += 0.50 * x
        if g in _RELATED and p in _RELATED:
            score += 0.25 * x
    return score


def fnc_relative_score(*, gold: Sequence[str], pred: Sequence[str], weights: Sequence[float] | None = None) -> float:
    """FNC-1 score divided by the score of a perfect prediction.

    >>> fnc_relative_score(gold=["agree", "unrelated"], pred=["agree", "unrelated"])
    1.0
    >>> fnc_relative_score(gold=["agree", "unrelated"], pred=["discuss", "unrelated"])
    0.4
    """
    best = fnc_score(gold=gold, pred=gold, weights=weights)
    return fnc_score(gold=gold, pred=pred, weights=weights) / best if best else 0.0


def expected_calibration_error(*, confidences: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """ECE: bin-size-weighted mean |accuracy - confidence| over equal-width confidence bins.

    >>> expected_calibration_error(confidences=[0.9, 0.9], correct=[True, False])
    0.4
    """
    if len(confidences) != len(correct):
        raise ValueError("confidences and correct must have the same length")
    if not confidences:
        return 0.0
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, c in enumerate(confidences) if (lo < c <= hi) or (b == 0 and c == 0.0)]
        if idx:
            acc = sum(1 for i in idx if correct[i]) / len(idx)
            conf = sum(confidences[i] for i in idx) / len(idx)
            total += len(idx) * abs(acc - conf)
    return round(total / len(confidences), 12)


def bootstrap_ci(
    *,
    gold: Sequence[str],
    pred: Sequence[str],
    metric: Callable[..., float],
    n: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric(gold=..., pred=..., weights=...)``.

    Examples are resampled with replacement; since every metric here depends only on the
    counts of (gold, pred) pairs, a resample is drawn as multinomial counts over those pairs.

    >>> bootstrap_ci(gold=["favor"] * 5, pred=["favor"] * 5, metric=accuracy)
    (1.0, 1.0)
    >>> bootstrap_ci(gold=["favor", "against"], pred=["favor", "favor"], metric=accuracy, n=0)
    (0.5, 0.5)
    >>> lo, hi = bootstrap_ci(gold=["favor", "against"] * 50, pred=["favor"] * 100, metric=accuracy)
    >>> 0.35 < lo < 0.5 < hi < 0.65
    True
    """
    import numpy as np

    _check(gold, pred)
    if not gold or n < 1:  # nothing to resample, or no resamples asked for (--bootstrap 0)
        value = float(metric(gold=gold, pred=pred)) if gold else 0.0
        return value, value
    counts = Counter(zip(gold, pred, strict=False))
    cats = list(counts)
    g_cat, p_cat = [c[0] for c in cats], [c[1] for c in cats]
    probs = np.array([counts[c] for c in cats], dtype=float) / len(gold)
    draws = np.random.default_rng(seed).multinomial(len(gold), probs, size=n)
    scores = sorted(float(metric(gold=g_cat, pred=p_cat, weights=row.tolist())) for row in draws)
    return scores[int(alpha / 2 * n)], scores[min(n - 1, int((1 - alpha / 2) * n))]


def group_bootstrap_ci(
    *,
    gold: Sequence[str],
    pred: Sequence[str],
    groups: Sequence[str],
    metric: Callable[..., float],
    n: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> tuple[float, float]:
    """Percentile bootstrap interval that resamples whole groups (articles), not single items:
    the quotes of one article are not independent, so an item bootstrap is too narrow.

    >>> group_bootstrap_ci(gold=["favor"] * 4, pred=["favor"] * 4, groups=["a", "a", "b", "b"], metric=accuracy)
    (1.0, 1.0)
    >>> lo, hi = group_bootstrap_ci(gold=["favor"] * 40, pred=["favor"] * 20 + ["against"] * 20,
    ...                             groups=[str(i // 10) for i in range(40)], metric=accuracy)
    >>> lo < 0.5 < hi
    True
    """
    import numpy as np

    _check(gold, pred)
    if len(groups) != len(gold):
        raise ValueError(f"{len(groups)} groups for {len(gold)} items")
    if not gold or n < 1:
        value = float(metric(gold=gold, pred=pred)) if gold else 0.0
        return value, value
    names = sorted(set(groups))
    index = {g: i for i, g in enumerate(names)}
    member = np.array([index[g] for g in groups])
    rng = np.random.default_rng(seed)
    scores = []
    for _ in range(n):
        times = np.bincount(rng.integers(0, len(names), len(names)), minlength=len(names))
        weights = times[member].astype(float).tolist()
        scores.append(float(metric(gold=gold, pred=pred, weights=weights)))
    scores.sort()
    return scores[int(alpha / 2 * n)], scores[min(n - 1, int((1 - alpha / 2) * n))]
