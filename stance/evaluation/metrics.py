"""Span metrics as in the PARC/PolNeAR/CofeNet attribution literature, and bootstrap intervals.

Units are contiguous fragments ``(start, end)`` of one role (a discontinuous gold span counts
once per fragment), compared per document as sets.

* **exact**: a predicted fragment is correct when a gold fragment has the same offsets.
* **overlap** (PARC "partial"/CofeNet "proportional" match): a predicted fragment scores the
  largest share of its whitespace tokens found in one gold fragment (precision side); a gold
  fragment scores the largest share of its tokens found in one predicted fragment (recall).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Span = tuple[int, int]

_TOKEN = re.compile(r"\S+")


@dataclass
class SpanCounts:
    """Sufficient statistics of one role in one (or many) documents."""

    n_pred: int = 0
    n_gold: int = 0
    exact_tp: int = 0
    overlap_p: float = 0.0  # sum over predictions of their best overlap share
    overlap_r: float = 0.0  # sum over gold fragments of their best overlap share

    def __add__(self, other: SpanCounts) -> SpanCounts:
        return SpanCounts(
            self.n_pred + other.n_pred,
            self.n_gold + other.n_gold,
            self.exact_tp + other.exact_tp,
            self.overlap_p + other.overlap_p,
            self.overlap_r + other.overlap_r,
        )

    def exact(self) -> tuple[float, float, float]:
        return prf(tp_p=self.exact_tp, tp_r=self.exact_tp, n_pred=self.n_pred, n_gold=self.n_gold)

    def overlap(self) -> tuple[float, float, float]:
        return prf(tp_p=self.overlap_p, tp_r=self.overlap_r, n_pred=self.n_pred, n_gold=self.n_gold)


def prf(*, tp_p: float, tp_r: float, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    """Precision, recall and F1 from (soft) true-positive sums; 0 where undefined.

    >>> prf(tp_p=1, tp_r=1, n_pred=2, n_gold=1)
    (0.5, 1.0, 0.6666666666666666)
    >>> prf(tp_p=0, tp_r=0, n_pred=0, n_gold=0)
    (0.0, 0.0, 0.0)
    """
    p = tp_p / n_pred if n_pred else 0.0
    r = tp_r / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _token_ids(tokens: list[Span], span: Span) -> set[int]:
    return {k for k, (a, b) in enumerate(tokens) if a < span[1] and span[0] < b}


def span_counts(*, text: str, pred: Sequence[Span], gold: Sequence[Span]) -> SpanCounts:
    """Exact and overlap statistics of one role in one document.

    >>> c = span_counts(text="He said the plan is dead today", pred=[(8, 24)], gold=[(8, 30)])
    >>> c.exact_tp, round(c.overlap_p, 2), round(c.overlap_r, 2)
    (0, 1.0, 0.8)
    """
    pred_set, gold_set = sorted(set(pred)), sorted(set(gold))
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    p_tok = [_token_ids(tokens, s) for s in pred_set]
    g_tok = [_token_ids(tokens, s) for s in gold_set]
    counts = SpanCounts(len(pred_set), len(gold_set), len(set(pred_set) & set(gold_set)))
    for pt in p_tok:
        if pt:
            counts.overlap_p += max((len(pt & gt) / len(pt) for gt in g_tok), default=0.0)
    for gt in g_tok:
        if gt:
            counts.overlap_r += max((len(pt & gt) / len(gt) for pt in p_tok), default=0.0)
    return counts


def bootstrap_f1(
    per_doc: Sequence[SpanCounts], *, mode: str = "exact", n: int = 1000, seed: int = 0, alpha: float = 0.05
) -> tuple[float, float]:
    """Percentile bootstrap interval of micro F1, resampling documents.

    >>> bootstrap_f1([SpanCounts(1, 1, 1)] * 5)
    (1.0, 1.0)
    """
    if not per_doc:
        return 0.0, 0.0
    rng = random.Random(seed)
    scores = []
    for _ in range(n):
        total = SpanCounts()
        for _ in range(len(per_doc)):
            total = total + per_doc[rng.randrange(len(per_doc))]
        scores.append((total.exact() if mode == "exact" else total.overlap())[2])
    scores.sort()
    lo = scores[int(alpha / 2 * n)]
    hi = scores[min(n - 1, int((1 - alpha / 2) * n))]
    return lo, hi


def bootstrap_mean_ci(values: Sequence[float], n: int = 1000, seed: int = 0) -> list[float]:
    """95% percentile bootstrap interval of the mean of ``values`` (``[0, 0]`` when empty or ``n == 0``).

    >>> bootstrap_mean_ci([1.0, 1.0, 1.0], n=50)
    [1.0, 1.0]
    """
    if not values or not n:
        return [0.0, 0.0]
    rng = random.Random(seed)
    k = len(values)
    means = sorted(sum(values[rng.randrange(k)] for _ in range(k)) / k for _ in range(n))
    return [means[int(0.025 * n)], means[min(n - 1, int(0.975 * n))]]


def detection_accuracy(items: Sequence[Any], suffix: str = "", n_boot: int = 1000) -> dict[str, Any]:
    """Accuracy of items that have ``detected`` and ``correct`` flags (a missed item is wrong),
    its bootstrap interval, the accuracy on detected items, the share detected and the count, as
    ``accuracy{suffix}``, ``accuracy{suffix}_ci``, ``accuracy{suffix}_detected``,
    ``coverage{suffix}`` and ``n{suffix}``.

    >>> from types import SimpleNamespace as I
    >>> r = detection_accuracy([I(detected=True, correct=True), I(detected=False, correct=False)], "_x", n_boot=0)
    >>> r["accuracy_x"], r["accuracy_x_detected"], r["coverage_x"], r["n_x"]
    (0.5, 1.0, 0.5, 2)
    """
    vals = [1.0 if i.correct else 0.0 for i in items]
    det = [i for i in items if i.detected]
    return {
        f"accuracy{suffix}": sum(vals) / len(vals) if vals else 0.0,
        f"accuracy{suffix}_ci": bootstrap_mean_ci(vals, n_boot),
        f"accuracy{suffix}_detected": sum(i.correct for i in det) / len(det) if det else 0.0,
        f"coverage{suffix}": len(det) / len(items) if items else 0.0,
        f"n{suffix}": len(items),
    }
