"""The default extractor: the trained attribution tagger, backed by the direct-quote rules.

The tagger (:mod:`stance.quotes.tagger`) finds source, cue and content spans, indirect speech
included. The rules (:mod:`stance.quotes.extractor`) are more precise on one thing: the
boundaries of text in quote marks. The two are combined per document:

* the tagger's fragments are grouped into relations by the learned relation linker
  (:mod:`stance.quotes.linker`, shipped beside the tagger's weights), or, without one, by
  distance to the nearest cue;
* every relation with content becomes a quote; its kind comes from its quote marks. A
  relation with a source and a cue but no tagged content takes the cue's complement clause or
  object from the parse ("Trump said [that …]");
* a tagger content fragment that lies inside a quoted span the rules attributed is widened to
  that whole span (the tagger cuts long quotes into pieces), and takes the rules' source and
  cue where the tagger found none (keeping the tagger's boundaries where both found the same
  words: "said:" with its colon, as PolNeAR marks it) — unless the fragment's own cue lies
  inside that quoted span too: an attribution quoted within a block quotation is nested, and
  keeps its own content;
* a direct quote the rules found and the tagger missed entirely is added, unless it reads as
  a title in quote marks (two to eight words, all capitalised but the minor ones: "Face the
  Nation", 'Coal Isn't the Villain.');
* a direct quote with no source of its own right after another quote continues that
  quote's speaker (as in the rules);
* the turns of a transcript ('"PENCE: …' paragraphs) are quotes of their labelled speakers,
  from the rules, in place of whatever the tagger found in those paragraphs;
* "Critics called the draft a capitulation" is a statement of the critics' view, as PolNeAR
  annotates it, and stays (an indirect quote); "called" without a source ("a group called the
  Legacy Fund") names something and is dropped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from stance._nlp import ParsedText
from stance._spans import RawQuote, Span
from stance.quotes._marks import content_kind
from stance.quotes.extractor import RuleExtractor, transcript_turns
from stance.quotes.linker import RelationLinker
from stance.quotes.tagger import AttributionTagger

logger = logging.getLogger(__name__)


#: "called" without a speaker names something ("a group called X")
_NAMING_CUE = re.compile(r"(?i)(?:has |have |had )?call(?:s|ed|ing)?")
_OPENING = set("\"'\u201c\u201e\u2018\u201a\u00ab\u00bb\u2039")


def _same_paragraph(text: str, a: Span, b: Span) -> bool:
    lo, hi = min(a[0], b[0]), max(a[1], b[1])
    return "\n" not in text[lo:hi]


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


#: words a title leaves in lower case ("Coal Isn't the Villain")
_MINOR_WORDS = frozenset(
    "a an the and or nor but of in on at to for from by with as vs. via into onto upon over per".split()
)
_TITLE_MAX_WORDS = 8
_WORD = re.compile(r"[^\W\d_][\w'\u2019.-]*")


def _is_title(text: str, rq: RawQuote) -> bool:
    """Whether a quote is a name in quote marks rather than a statement: two to eight words,
    each capitalised but the minor ones ("Face the Nation", 'Coal Isn't the Villain.'), as
    titles of shows, articles and forums are written. (One capitalised word may be a
    statement: "No," she said.)"""
    words = [m.group() for a, b in rq.spans for m in _WORD.finditer(text[a:b])]
    if not 2 <= len(words) <= _TITLE_MAX_WORDS:
        return False
    return words[0][0].isupper() and all(w[0].isupper() or w.lower() in _MINOR_WORDS for w in words)


def _same_words(mine: Span | None, theirs: Span | None) -> bool:
    """Whether two spans (either may be missing) overlap."""
    return mine is not None and theirs is not None and _overlaps(mine, theirs)


@dataclass(frozen=True)
class HybridConfig:
    """``widen_to_quotes``: replace tagger content inside a rule quote by the whole quote."""

    widen_to_quotes: bool = True
    add_rule_quotes: bool = True
    #: a relation with a source and a cue but no tagged content takes the cue's clausal or
    #: object complement from the parse as its content ("Trump said [that …]")
    content_from_parse: bool = True


#: dependents of a cue that can carry what was said, in order of preference
_COMPLEMENT_DEPS = ("ccomp", "dobj", "xcomp", "pobj", "attr", "oprd")


def complement_span(parsed: ParsedText, cue: Span, source: Span | None = None) -> Span | None:
    """The span of the cue's complement clause or object in the parse (its whole subtree, in the
    cue's sentence, without the cue, the source or trailing punctuation), or ``None``.

    >>> from stance._nlp import ParsedText, Token
    >>> toks = [Token(0, 0, 3, "Doe", "Doe", "PROPN", "NNP", "nsubj", 1, "", 0),
    ...         Token(1, 4, 8, "said", "say", "VERB", "VBD", "ROOT", 1, "", 0),
    ...         Token(2, 9, 11, "no", "no", "INTJ", "UH", "dobj", 1, "", 0),
    ...         Token(3, 11, 12, ".", ".", "PUNCT", ".", "punct", 1, "", 0)]
    >>> complement_span(ParsedText("Doe said no.", toks, [], [(0, 4)], [[], [0, 2, 3], [], []]), (4, 8), (0, 3))
    (9, 11)
    """
    toks = parsed.tokens_in(*cue)
    if not toks:
        return None
    skip = {t.i for t in toks} | ({t.i for t in parsed.tokens_in(*source)} if source else set())
    sent = toks[0].sent
    for dep in _COMPLEMENT_DEPS:
        for t in toks:
            for c in parsed.children[t.i]:
                if c in skip or parsed.tokens[c].dep != dep:
                    continue
                sub = [k for k in parsed.subtree(c) if k not in skip and parsed.tokens[k].sent == sent]
                while sub and parsed.tokens[sub[-1]].pos == "PUNCT" and parsed.tokens[sub[-1]].text in ".,;:":
                    sub.pop()
                if sub:
                    return parsed.tokens[sub[0]].start, parsed.tokens[sub[-1]].end
    return None


class HybridExtractor:
    """Tagger + rules (see the module docstring). ``predict_batch`` runs the tagger across documents."""

    def __init__(
        self,
        tagger: AttributionTagger,
        rules: RuleExtractor | None = None,
        config: HybridConfig | None = None,
        linker: RelationLinker | None = None,
    ) -> None:
        self.tagger = tagger
        self.rules = rules or RuleExtractor()
        self.config = config or HybridConfig()
        #: groups the tagger's fragments into relations; ``None``: the tagger's distance grouping
        self.linker = linker

    def __repr__(self) -> str:
        linker = "learned" if self.linker is not None else "distance"
        return f"HybridExtractor(tagger={self.tagger.config.encoder!r}, linker={linker}, rules=v1)"

    def predict_batch(
        self, parsed: Sequence[ParsedText], batch_size: int | None = None
    ) -> list[list[RawQuote]]:
        if self.linker is None:
            relations = self.tagger.predict([p.text for p in parsed], batch_size=batch_size)
        else:
            spans = self.tagger.predict_spans([p.text for p in parsed], batch_size=batch_size)
            relations = [self.linker.link(p, s) if s else [] for p, s in zip(parsed, spans, strict=True)]
        return [self.combine(p, rels) for p, rels in zip(parsed, relations, strict=True)]

    def combine(self, parsed: ParsedText, relations: Sequence[object]) -> list[RawQuote]:
        text = parsed.text
        rule_quotes = [r for r in self.rules(parsed) if r.kind == "direct"]
        out: list[RawQuote] = []
        claimed: set[int] = set()
        split_off: set[int] = set()  # rule quotes taken out of a tagger relation, kept whole
        # a transcript's turns ('"PENCE: …') are the rules' to attribute: the label is the
        # speaker, whatever the tagger made of the paragraph
        turns = transcript_turns(text)
        turn_paras = [para for para, _ in turns]
        split_off.update(k for k, rq in enumerate(rule_quotes) if any(rq.spans == (c,) for _, c in turns))
        for rel in relations:
            content: tuple[Span, ...] = getattr(rel, "content", ())
            cue_frags: tuple[Span, ...] = getattr(rel, "cue", ())
            src_frags: tuple[Span, ...] = getattr(rel, "source", ())
            cue = cue_frags[0] if cue_frags else None
            source = src_frags[0] if src_frags else None
            if not content and cue is not None and source is not None and self.config.content_from_parse:
                found = complement_span(parsed, cue, source)
                content = (found,) if found is not None else ()
            if not content:
                continue
            if cue is not None and source is None and _NAMING_CUE.fullmatch(text[cue[0] : cue[1]]):
                continue  # "a group called the Legacy Fund": naming, not a statement
            # a fragment without a word in it (a stray quote mark) is no content
            spans = [
                s for s in content
                if any(ch.isalnum() for ch in text[s[0] : s[1]]) and not any(_overlaps(s, p) for p in turn_paras)
            ]
            if not spans:
                continue
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
                        if not inside or (cue is not None and qs[0] <= cue[0] and cue[1] <= qs[1]):
                            # nothing inside, or an attribution quoted inside the quote (a block
                            # quotation's own "she said"): nested, not a piece of the quote
                            continue
                        spans = [s for s in spans if s not in inside]
                        # the rules' own attribution has structure (a cue beside the quote): it
                        # wins over a tagger relation without a cue or with its cue in another
                        # paragraph; a continuation only fills in a missing source
                        ruled = rq.source is not None and (
                            source is None
                            or (not rq.continued and (cue is None or not _same_paragraph(text, cue, qs)))
                        )
                        if ruled and source is not None and spans:
                            split_off.add(k)  # the relation's other fragments keep its source
                            continue
                        spans.append(qs)
                        claimed.add(k)
                        if ruled:
                            # the rules' attribution, with the tagger's boundaries where both
                            # found the same words (the tagger learned PolNeAR's: "said:")
                            source = source if _same_words(source, rq.source) else rq.source
                            cue = cue if _same_words(cue, rq.cue) else rq.cue
                if not spans:
                    continue
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
        taken = [s for r in out for s in r.spans]
        for k, rq in enumerate(rule_quotes):
            if k in claimed or any(_overlaps(s, t) for s in rq.spans for t in taken):
                continue
            if k in split_off or (self.config.add_rule_quotes and not _is_title(text, rq)):
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
