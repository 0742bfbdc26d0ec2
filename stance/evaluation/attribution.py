"""Scoring quote extraction against PolNeAR-format attribution data (brat standoff).

Each document is analysed by the pipeline; predicted fragments per role are the quote
content spans (``q.start``/``q.end``), the cue spans and the source mention spans, compared
to the gold Source/Cue/Content fragments of the first annotator file of each article (see
:mod:`stance.data.polnear`). Metric definitions: :mod:`stance.evaluation.metrics`.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stance.data.polnear import ROLES, PolnearArticle, read_polnear
from stance.document import Document
from stance.evaluation.metrics import SpanCounts, bootstrap_f1, span_counts
from stance.quotes._marks import content_kind

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from stance.pipeline import Pipeline

logger = logging.getLogger(__name__)

def predicted_spans(doc: Document) -> dict[str, list[tuple[int, int]]]:
    """Role -> predicted fragments of one analysed document."""
    out: dict[str, set[tuple[int, int]]] = {r: set() for r in ROLES}
    for q in doc.quotes:
        out["content"].add((q.start, q.end))
        if q.cue_start is not None and q.cue_end is not None:
            out["cue"].add((q.cue_start, q.cue_end))
        if q.mention is not None:
            out["source"].add((q.mention.start, q.mention.end))
    return {r: sorted(v) for r, v in out.items()}


@dataclass
class DocumentScore:
    id: str
    publisher: str
    counts: dict[str, SpanCounts]
    kind_counts: dict[str, SpanCounts]
    document: Document
    gold: dict[str, list[tuple[int, int]]]


class AttributionEvaluator:
    """Evaluate a pipeline's quote extraction on one split of PolNeAR-format data.

    >>> ev = AttributionEvaluator(data_dir="/nonexistent")
    >>> ev.primary_metric
    'content_exact_f1'
    """

    name = "attribution"
    primary_metric = "content_exact_f1"

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        split: str = "dev",
        *,
        limit: int | None = None,
        bootstrap: int = 1000,
        batch_size: int = 16,
    ) -> None:
        self.data_dir = data_dir
        self.split = split
        self.limit = limit
        self.bootstrap = bootstrap
        self.batch_size = batch_size
        self.scores: list[DocumentScore] = []
        self.seconds = 0.0

    def articles(self) -> list[PolnearArticle]:
        arts = read_polnear(self.data_dir, self.split)
        return arts[: self.limit] if self.limit is not None else arts

    def score_documents(self, pipeline: Pipeline) -> list[DocumentScore]:
        arts = self.articles()
        t0 = time.perf_counter()
        docs = list(pipeline.pipe([a.text for a in arts], ids=[a.id for a in arts], batch_size=self.batch_size))
        self.seconds = time.perf_counter() - t0
        scores = []
        for art, doc in zip(arts, docs, strict=True):
            pred = predicted_spans(doc)
            gold = {r: sorted({f for a in art.attributions for f in a.role(r)}) for r in ROLES}
            counts = {r: span_counts(text=art.text, pred=pred[r], gold=gold[r]) for r in ROLES}
            kinds: dict[str, SpanCounts] = {}
            pred_kind = {(q.start, q.end): str(q.kind) for q in doc.quotes}
            for kind in ("direct", "indirect", "mixed"):
                p = [s for s in pred["content"] if pred_kind.get(s) == kind]
                g = [s for s in gold["content"] if content_kind(art.text[s[0] : s[1]]) == kind]
                kinds[kind] = span_counts(text=art.text, pred=p, gold=g)
            scores.append(DocumentScore(art.id, art.publisher, counts, kinds, doc, gold))
        self.scores = scores
        return scores

    def __call__(self, pipeline: Pipeline) -> dict[str, Any]:
        scores = self.score_documents(pipeline)
        return self.compute(scores)

    def compute(self, scores: list[DocumentScore]) -> dict[str, Any]:
        out: dict[str, Any] = {"split": self.split, "n_docs": len(scores)}
        for role in ROLES:
            per_doc = [s.counts[role] for s in scores]
            total = sum(per_doc, SpanCounts())
            for mode, (p, r, f) in (("exact", total.exact()), ("overlap", total.overlap())):
                out[f"{role}_{mode}_precision"] = p
                out[f"{role}_{mode}_recall"] = r
                out[f"{role}_{mode}_f1"] = f
                if self.bootstrap:
                    lo, hi = bootstrap_f1(per_doc, mode=mode, n=self.bootstrap)
                    out[f"{role}_{mode}_f1_ci"] = [lo, hi]
            out[f"{role}_n_gold"] = total.n_gold
            out[f"{role}_n_pred"] = total.n_pred
        for kind in ("direct", "indirect", "mixed"):
            total = sum((s.kind_counts[kind] for s in scores), SpanCounts())
            out[f"content_{kind}_exact_f1"] = total.exact()[2]
            out[f"content_{kind}_overlap_f1"] = total.overlap()[2]
            out[f"content_{kind}_n_gold"] = total.n_gold
        out["articles_per_second"] = len(scores) / self.seconds if self.seconds else None
        return out

    def per_document(self) -> pd.DataFrame:
        """One row per document and role with its counts and F1 (for per-publisher views)."""
        import pandas as pd

        rows = []
        for s in self.scores:
            for role in ROLES:
                c = s.counts[role]
                rows.append(
                    {"doc": s.id, "publisher": s.publisher, "role": role, "n_gold": c.n_gold,
                     "n_pred": c.n_pred, "exact_tp": c.exact_tp, "overlap_p": c.overlap_p,
                     "overlap_r": c.overlap_r, "exact_f1": c.exact()[2], "overlap_f1": c.overlap()[2]}
                )
        return pd.DataFrame(rows)


#: Published exact-match F1 (%) on PolNeAR, for side-by-side tables (CofeNet paper, COLING 2022).
LITERATURE = [
    {"system": "CoreNLP QuoteAnnotator", "split": "test", "source": 13.9, "cue": 17.5, "content": None},
    {"system": "CRF", "split": "test", "source": 50.6, "cue": 53.4, "content": 28.6},
    {"system": "CofeNet (BERT-base)", "split": "test", "source": 83.2, "cue": 75.3, "content": 72.9},
]


def compare_with_literature(result: dict[str, Any], system: str = "stance (this run)") -> pd.DataFrame:
    """The literature rows plus this result, as exact F1 in percent."""
    import pandas as pd

    ours = {"system": system, "split": result.get("split")}
    ours.update({r: round(100 * result[f"{r}_exact_f1"], 1) for r in ROLES})
    return pd.DataFrame([*LITERATURE, ours])


def mention_form(text: str) -> str:
    """Surface form of a speaker mention: ``pronoun``, ``named`` (capitalised words beyond a
    sentence-initial determiner) or ``descriptor``.

    >>> mention_form("she"), mention_form("Several cast members"), mention_form("Jane Doe")
    ('pronoun', 'descriptor', 'named')
    """
    t = text.strip()
    if t.lower() in {"he", "she", "they", "it", "i", "we", "you", "him", "her", "them"}:
        return "pronoun"
    words = t.split()
    if any(w[:1].isupper() for w in words[1:]) or (
        words and words[0][:1].isupper() and words[0].lower() not in {"the", "a", "an", "some", "one", "two", "several", "many"}
    ):
        return "named"
    return "descriptor"


def source_forms(scores: list[DocumentScore]) -> pd.DataFrame:
    """Predicted speaker type against the form of the gold source it matched exactly.

    PolNeAR has no gold speaker types, so this is the honest cross-tab available: for each
    predicted quote whose mention is exactly a gold source span, the surface form of that
    source (pronoun / named / descriptor) against the predicted speaker type.
    """
    import pandas as pd

    rows = []
    for s in scores:
        gold_sources = set(s.gold["source"])
        for q in s.document.quotes:
            if q.mention is not None and (q.mention.start, q.mention.end) in gold_sources:
                rows.append({"gold_form": mention_form(q.mention.text), "predicted_type": str(q.speaker.type)})
    frame = pd.DataFrame(rows, columns=["gold_form", "predicted_type"])
    return pd.crosstab(frame["gold_form"], frame["predicted_type"])


def span_errors(scores: list[DocumentScore], role: str = "content") -> pd.DataFrame:
    """Every missed gold fragment and spurious prediction of one role, with its text and its
    best-overlapping counterpart, so errors can be read and grouped."""
    import pandas as pd

    from stance.evaluation.metrics import span_counts

    rows = []
    for s in scores:
        text = s.document.text
        pred = set(predicted_spans(s.document)[role])
        gold = set(s.gold[role])
        for kind, spans, others in (("missed", gold - pred, pred), ("spurious", pred - gold, gold)):
            for a, b in sorted(spans):
                best = max(
                    others,
                    key=lambda o: span_counts(text=text, pred=[(a, b)], gold=[o]).overlap_p,
                    default=None,
                )
                near = text[best[0] : best[1]] if best and best[0] < b and a < best[1] else ""
                rows.append({"doc": s.id, "publisher": s.publisher, "error": kind, "start": a, "end": b,
                             "text": text[a:b], "nearest": near,
                             "gold_kind": content_kind(text[a:b]) if role == "content" else None})
    # the same columns when there is no error at all
    columns = ["doc", "publisher", "error", "start", "end", "text", "nearest", "gold_kind"]
    return pd.DataFrame(rows, columns=columns)
