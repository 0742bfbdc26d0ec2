"""Quote-speaker attribution on PDNC novels: the measure BookNLP and CoreNLP report.

Each held-out novel is analysed whole by the pipeline. A gold quotation is **detected** when a
predicted quote overlaps one of its spans, and **correct** when that quote's speaker name
resolves to the gold character through the novel's alias list
(:func:`stance.data.pdnc.character_of`). Accuracy is reported over all gold quotations (a missed
one is wrong) and over detected ones, overall and per quote type (Explicit: the speaker is
named next to the quote; Anaphoric: a pronoun or description; Implicit: no attribution at
all), with 95% bootstrap intervals over quotations. The published anchors (BookNLP 86.4 / 89.9,
CoreNLP 87.5 on QuoteLi3) are accuracies over attributed quotations on other novel sets; they
are context, not the same test.
"""

from __future__ import annotations

import bisect
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stance.data.pdnc import HELD_OUT, PdncNovel, character_of, read_novel
from stance.evaluation.metrics import detection_accuracy

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from stance.pipeline import Pipeline

TYPES = ("Explicit", "Anaphoric", "Implicit")


@dataclass
class QuoteItem:
    novel: str
    type: str
    gold: str
    detected: bool = False
    correct: bool = False
    predicted: str | None = None
    text: str = ""


def gold_character(speaker: str, aliases: dict[str, set[str]]) -> str:
    """The character a gold ``speaker`` field names: some novels give an alias there ("Lucy"
    for the character whose main name is "Miss Honeychurch"; 30% of *The Picture of Dorian
    Gray*'s quotations), which is the main name's character only through the alias list.

    >>> al = {"Miss Honeychurch": {"miss honeychurch", "lucy"}, "Freddy": {"freddy"}}
    >>> gold_character("Lucy", al), gold_character("Freddy", al), gold_character("Nobody", al)
    ('Miss Honeychurch', 'Freddy', 'Nobody')
    """
    if speaker in aliases:
        return speaker
    low = " ".join(speaker.lower().split())
    exact = [c for c, al in aliases.items() if low in al]
    return exact[0] if len(exact) == 1 else speaker


class PdncEvaluator:
    """Speaker accuracy on PDNC novels (default: the six held out from the ranker's training)."""

    name = "pdnc"
    primary_metric = "accuracy"

    def __init__(
        self, data_dir: str | os.PathLike[str], novels: Sequence[str] = HELD_OUT, *, bootstrap: int = 1000,
    ) -> None:
        self.data_dir, self.novels, self.bootstrap = data_dir, list(novels), bootstrap
        self.items: list[QuoteItem] = []
        self.seconds = 0.0

    def __call__(self, pipeline: Pipeline) -> dict[str, Any]:
        self.items = []
        t0 = time.perf_counter()
        for name in self.novels:
            novel = read_novel(self.data_dir, name)
            self.items.extend(self.score_novel(novel, pipeline(novel.text, id=name)))
        self.seconds = time.perf_counter() - t0
        return self.compute(self.items)

    @staticmethod
    def score_novel(novel: PdncNovel, doc: Any) -> list[QuoteItem]:
        preds = sorted(((q.start, q.end), q) for q in doc.quotes)
        starts = [p[0][0] for p in preds]
        out = []
        for gq in novel.quotes:
            it = QuoteItem(novel.name, gq.type, gq.speaker, text=novel.text[gq.spans[0][0] : gq.spans[0][1]][:80])
            hit = None
            for a, b in gq.spans:
                k = bisect.bisect_left(starts, b)
                hit = next((q for (s, e), q in reversed(preds[max(0, k - 8) : k]) if s < b and a < e), None)
                if hit is not None:
                    break
            if hit is not None:
                it.detected = True
                it.predicted = hit.speaker.name
                who = character_of(hit.speaker.name, novel.aliases) if hit.speaker.name != "unknown" else None
                it.correct = who is not None and who == gold_character(gq.speaker, novel.aliases)
            out.append(it)
        return out

    def compute(self, items: list[QuoteItem]) -> dict[str, Any]:
        out: dict[str, Any] = {"novels": self.novels, "n": len(items)}
        groups: dict[str, list[QuoteItem]] = {"": items, **{f"_{t.lower()}": [i for i in items if i.type == t] for t in TYPES}}
        for suffix, group in groups.items():
            out.update(detection_accuracy(group, suffix, self.bootstrap))
        out["per_novel"] = {
            n: round(sum(i.correct for i in items if i.novel == n) / max(1, sum(i.novel == n for i in items)), 4)
            for n in self.novels
        }
        out["seconds"] = round(self.seconds, 1)
        return out

    def errors(self) -> pd.DataFrame:
        """One row per missed or wrongly attributed gold quotation."""
        import pandas as pd

        return pd.DataFrame(
            [
                {"novel": i.novel, "type": i.type, "quote": i.text, "gold": i.gold, "predicted": i.predicted,
                 "error": "not detected" if not i.detected else "wrong speaker"}
                for i in self.items if not i.correct
            ],
            # the same columns when every quotation is right
            columns=["novel", "type", "quote", "gold", "predicted", "error"],
        )
