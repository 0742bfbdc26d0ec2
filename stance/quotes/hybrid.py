"""The default extractor: the trained attribution tagger, backed by the direct-quote rules.

The tagger (:mod:`stance.quotes.tagger`) finds source, cue and content spans, indirect speech
included. The rules (:mod:`stance.quotes.extractor`) are more precise on one thing: the
boundaries of text in quote marks. The two are combined per document:

* every tagger relation with content becomes a quote; its kind comes from its quote marks;
* a tagger content fragment that lies inside a quoted span the rules attributed is widened to
  that whole span (the tagger cuts long quotes into pieces), and takes the rules' source and
  cue where the tagger found none;
* a direct quote the rules found and the tagger missed entirely is added;
* a direct quote with no source of its own right after another quote continues that
  quote's speaker (as in the rules);
* "called X a Y", which PolNeAR annotates as attribution, is a label, not a statement: dropped
  (scare quotes are not quotes), while "called for" and "called on" stay.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from stance._nlp import ParsedText
from stance._spans import RawQuote, Span
from stance.quotes._marks import content_kind
from stance.quotes.extractor import RuleExtractor
from stance.quotes.tagger import AttributionTagger

logger = logging.getLogger(__name__)


#: "called X a Y" names something; "called for" / "called on" stay cues
_NAMING_CUE = re.compile(r"(?i)(?:has |have |had )?call(?:s|ed|ing)?")
_OPENING = set("\"'\u201c\u201e\u2018\u201a\u00ab\u00bb\u2039")


def _same_paragraph(text: str, a: Span, b: Span) -> bool:
    lo, hi = min(a[0], b[0]), max(a[1], b[1])
    return "\n" not in text[lo:hi]


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


@dataclass(frozen=True)
class HybridConfig:
    """``widen_to_quotes``: replace tagger content inside a rule quote by the whole quote."""

    widen_to_quotes: bool = True
    add_rule_quotes: bool = True


class HybridExtractor:
    """Tagger + rules (see the module docstring). ``predict_batch`` runs the tagger across documents."""

    def __init__(
        self,
        tagger: AttributionTagger,
        rules: RuleExtractor | None = None,
        config: HybridConfig | None = None,
    ) -> None:
        self.tagger = tagger
        self.rules = rules or RuleExtractor()
        self.config = config or HybridConfig()

    def __repr__(self) -> str:
        return f"HybridExtractor(tagger={self.tagger.config.encoder!r}, rules=v1)"

    def predict_batch(
        self, parsed: Sequence[ParsedText], batch_size: int | None = None
    ) -> list[list[RawQuote]]:
        relations = self.tagger.predict([p.text for p in parsed], batch_size=batch_size)
        return [self.combine(p, rels) for p, rels in zip(parsed, relations, strict=True)]

    def combine(self, parsed: ParsedText, relations: Sequence[object]) -> list[RawQuote]:
        text = parsed.text
        rule_quotes = [r for r in self.rules(parsed) if r.kind == "direct"]
        out: list[RawQuote] = []
        claimed: set[int] = set()
        for rel in relations:
            content: tuple[Span, ...] = getattr(rel, "content", ())
            if not content:
                continue
            cue_frags: tuple[Span, ...] = getattr(rel, "cue", ())
            src_frags: tuple[Span, ...] = getattr(rel, "source", ())
            cue = cue_frags[0] if cue_frags else None
            source = src_frags[0] if src_frags else None
            if cue is not None and _NAMING_CUE.fullmatch(text[cue[0] : cue[1]]):
                continue  # "called the draft a 'capitulation'": a label, not a statement (PolNeAR tags it)
            spans = list(content)
            if cue is not None:
                # the tagger's grouping links by distance; a paragraph break ends an attribution,
                # except for quoted text (a colon lead-in, a quote running over paragraphs)
                spans = [s for s in spans if _same_paragraph(text, cue, s) or text[s[0]] in _OPENING]
                if source is not None and not _same_paragraph(text, cue, source):
                    source = None
                if not spans:
                    continue
            if self.config.widen_to_quotes:
                for k, rq in enumerate(rule_quotes):
                    for qs in rq.spans:
                        inside = [s for s in spans if qs[0] <= s[0] and s[1] <= qs[1]]
                        if inside:
                            spans = [s for s in spans if s not in inside] + [qs]
                            claimed.add(k)
                            if source is None and rq.source is not None:
                                source, cue = rq.source, rq.cue
            spans = sorted(set(spans))
            kinds = {content_kind(text[a:b]) for a, b in spans}
            kind = (
                "direct"
                if kinds == {"direct"}
                else "indirect"
                if kinds == {"indirect"}
                else "mixed"
            )
            lemma = None
            if cue is not None:
                t = parsed.token_at(cue[0])
                lemma = parsed.tokens[t].lemma if t is not None else None
            out.append(RawQuote(tuple(spans), kind, cue, source, lemma))
        if self.config.add_rule_quotes:
            taken = [s for r in out for s in r.spans]
            for k, rq in enumerate(rule_quotes):
                if k not in claimed and not any(_overlaps(s, t) for s in rq.spans for t in taken):
                    out.append(rq)
        out.sort(key=lambda r: (r.spans[0], r.spans[-1]))
        return self._continue_speakers(text, out)

    @staticmethod
    def _continue_speakers(text: str, quotes: list[RawQuote]) -> list[RawQuote]:
        """A direct quote without a source right after another quote keeps that quote's speaker."""
        fixed: list[RawQuote] = []
        for rq in quotes:
            if rq.source is None and rq.kind == "direct" and fixed:
                prev = fixed[-1]
                between = text[prev.spans[-1][1] : rq.spans[0][0]]
                if prev.source is not None and between.count("\n") <= 2 and len(between) < 400:
                    rq = RawQuote(rq.spans, rq.kind, prev.cue, prev.source, prev.cue_lemma, True)
            fixed.append(rq)
        return fixed
