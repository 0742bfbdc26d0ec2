"""What was said: direct, indirect and mixed quotes with their cue and source mention.

The v1 extractor is rule-based over a dependency parse:

1. quote marks are paired (:mod:`stance.quotes._marks`);
2. every verb of saying with a clausal complement (``said that …``, ``…, she said``), an object
   (``denied the report``), ``called for …`` and ``according to X`` gives an attribution: cue,
   source (its subject) and content (its complement);
3. a complement that is a quoted span makes a direct quote; one that contains quoted fragments
   within reported speech makes a mixed quote; otherwise it is indirect;
4. quoted spans left without a cue are attributed by a lead-in (``Name said:``), a trailer
   (``"…" — Name``) or as the continuation of the previous speaker's quote (``"A," she said.
   "B."`` and quote paragraphs that follow); anything else in quote marks (scare quotes,
   titles, headlines) is not a statement and is dropped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from stance._nlp import ParsedText, Token
from stance._spans import RawQuote, Span, starts_next_paragraph
from stance.quotes._lexicon import OBJECT_CONTENT_VERBS, PREP_CUES, is_speech_verb
from stance.quotes._marks import QuotedSpan, find_quoted_spans

logger = logging.getLogger(__name__)

_SUBJ = {"nsubj", "nsubjpass", "csubj"}
_DASHES = {"-", "--", "\u2014", "\u2013", "\u2015"}
_BREAKS = {";", "\u2014", "\u2015", "\u2013", "--"}
_EDGE_PUNCT = set(",.;:!?\u2014\u2013-()[]")
_QUOTE_CHARS = set("\"'\u201c\u201d\u201e\u2018\u2019\u201a\u00ab\u00bb\u2039\u203a")
#: auxiliaries of a cue verb that make the statement not (yet) made
_UNREALISED = {"will", "would", "could", "may", "might", "should", "must", "can", "shall", "to"}
_DASH_TRAILER = re.compile(r"^[ \t\u00a0]*([\u2014\u2013\u2015-]{1,2})[ \t\u00a0]*")
#: a transcript turn: a paragraph opening with a speaker label in capitals ('"WALLACE: Let's …')
_TURN = re.compile(r"^[ \t]*([\"\u201c]?)[ \t]*([A-Z][A-Z.'\u2019\- ]{0,30}[A-Z.])[ \t]*(:)[ \t]+(?=\S)", re.M)
#: capitalised paragraph labels of newsroom boilerplate, not speakers ("UPDATE: …"); Q/A are
#: interview turns whose speakers the labels do not name
_NOT_SPEAKERS = frozenset({
    "UPDATE", "CORRECTION", "NOTE", "EDITOR'S NOTE", "EDITOR\u2019S NOTE", "WATCH", "VIDEO", "PHOTO", "PHOTOS",
    "READ MORE", "RELATED", "SOURCE", "SOURCES", "WARNING", "BREAKING", "ABSTRACT", "Q", "A",
})


def _inside_quote_marks(parsed: ParsedText, tok: Token) -> bool:
    """Whether ``tok`` lies between an opening and a closing double quote mark of its sentence.

    >>> from stance._nlp import ParsedText, Token
    >>> toks = [Token(0, 0, 1, '"', '"', "PUNCT", "``", "punct", 1, "", 0),
    ...         Token(1, 1, 6, "Ready", "ready", "ADJ", "JJ", "nsubj", 4, "", 0),
    ...         Token(2, 6, 7, "?", "?", "PUNCT", ".", "punct", 1, "", 0),
    ...         Token(3, 7, 8, '"', '"', "PUNCT", "''", "punct", 4, "", 0),
    ...         Token(4, 9, 14, "asked", "ask", "VERB", "VBD", "ROOT", 4, "", 0),
    ...         Token(5, 15, 18, "Ann", "Ann", "PROPN", "NNP", "nsubj", 4, "", 0)]
    >>> p = ParsedText('"Ready?" asked Ann', toks, [], [(0, 6)], [[], [], [], [], [1, 5], []])
    >>> _inside_quote_marks(p, toks[1]), _inside_quote_marks(p, toks[5])
    (True, False)
    """
    first = parsed.sents[tok.sent][0] if 0 <= tok.sent < len(parsed.sents) else 0
    before = parsed.text[parsed.tokens[first].start : tok.start]
    straight = before.count('"')
    return straight % 2 == 1 or before.count("\u201c") > before.count("\u201d")


@dataclass(frozen=True)
class ExtractorConfig:
    """Settings of the rule-based extractor.

    ``min_continuation_words``: a quoted paragraph with no attribution continues the previous
    speaker only if it has at least this many words (shorter ones are titles or scare quotes).
    """

    min_continuation_words: int = 4
    min_content_chars: int = 3

    def __post_init__(self) -> None:
        if self.min_continuation_words < 1 or self.min_content_chars < 1:
            raise ValueError("ExtractorConfig: minimums must be >= 1")


@dataclass
class _Attr:
    cue: Span | None
    cue_lemma: str | None
    source: Span | None
    content: list[Span]
    kind: str = "indirect"
    continued: bool = False


def _transcript_turns(text: str) -> list[tuple[Span, _Attr]]:
    """Turns of a transcript: paragraphs that open with a speaker label in capitals and a
    colon ('"PENCE: Gennifer Flowers will not …'), each a direct quote of the labelled
    speaker up to the paragraph's end, with the colon as its cue (as PolNeAR annotates).
    Only where a text has at least two turns by two labels; returns (paragraph span,
    attribution) pairs."""
    found: list[tuple[Span, _Attr]] = []
    for m in _TURN.finditer(text):
        label = m.group(2).strip()
        if sum(c.isalpha() for c in label) < 2 or len(label.split()) > 4 or label.rstrip(".") in _NOT_SPEAKERS:
            continue
        end = text.find("\n", m.end())
        a, b = m.end(), len(text) if end < 0 else end
        while b > a and text[b - 1].isspace():
            b -= 1
        if m.group(1) and b > a and text[b - 1] in "\"\u201d" and text.count('"', a, b) % 2 == 1:
            b -= 1  # the turn's own closing mark
        if sum(c.isalnum() for c in text[a:b]) < 3:
            continue
        source = (m.start(2), m.start(2) + len(label))
        found.append(((m.start(), b), _Attr((m.start(3), m.end(3)), None, source, [(a, b)], "direct")))
    if len(found) < 2 or len({text[t.source[0] : t.source[1]] for _, t in found if t.source}) < 2:
        return []
    return found


def transcript_turns(text: str) -> list[tuple[Span, Span]]:
    """(paragraph, content) spans of the transcript turns in ``text`` (see :func:`_transcript_turns`).

    >>> t = '"WALLACE: Will she be there?\\n\\n"PENCE: She will not."'
    >>> [(t[a:b], t[c:d]) for (a, b), (c, d) in transcript_turns(t)]
    [('"WALLACE: Will she be there?', 'Will she be there?'), ('"PENCE: She will not.', 'She will not.')]
    >>> transcript_turns("UPDATE: The talks resumed.\\n\\nUPDATE: They ended.")
    []
    """
    return [(para, attr.content[0]) for para, attr in _transcript_turns(text)]


class RuleExtractor:
    """Rule-based quote extractor (the v1 baseline; see the module docstring)."""

    def __init__(self, config: ExtractorConfig | None = None) -> None:
        self.config = config or ExtractorConfig()

    def __call__(self, parsed: ParsedText) -> list[RawQuote]:
        return self.predict(parsed)

    def predict_batch(
        self, parsed: Sequence[ParsedText], batch_size: int | None = None
    ) -> list[list[RawQuote]]:
        return [self.predict(p) for p in parsed]

    # -- helpers -----------------------------------------------------------------------------
    def _span_of(self, parsed: ParsedText, idx: list[int]) -> list[Span]:
        """Contiguous runs of token indices -> trimmed character spans."""
        toks = parsed.tokens
        runs: list[list[int]] = []
        for k in sorted(idx):
            if runs and k == runs[-1][-1] + 1:
                runs[-1].append(k)
            else:
                runs.append([k])
        spans = []
        for run in runs:
            while run and toks[run[0]].text in _EDGE_PUNCT:
                run = run[1:]
            while run and toks[run[-1]].text in _EDGE_PUNCT:
                run = run[:-1]
            if not run:
                continue
            a, b = toks[run[0]].start, toks[run[-1]].end
            if sum(c.isalnum() for c in parsed.text[a:b]) >= self.config.min_content_chars:
                spans.append((a, b))
        return spans

    def _subject(self, parsed: ParsedText, verb: Token) -> Token | None:
        """The verb's subject, inherited through conj/xcomp/advcl (``…, adding that``); a word
        inside quote marks is what was said, never who said it (``"Ready?" asked Ann``)."""
        seen = 0
        cur = verb
        while seen < 4:
            for c in parsed.children[cur.i]:
                if parsed.tokens[c].dep in _SUBJ and not _inside_quote_marks(parsed, parsed.tokens[c]):
                    return parsed.tokens[c]
            if cur.dep in ("conj", "xcomp", "advcl") and cur.head != cur.i:
                cur = parsed.tokens[cur.head]
                seen += 1
                continue
            return None
        return None

    @staticmethod
    def _clause(parsed: ParsedText, head: Token) -> list[int]:
        """The content clause: ``head``'s subtree without a trailing clause set off by a comma,
        semicolon or dash ("…, though she noted …", "…; they only learned …", "… ― as was true")."""
        toks = parsed.tokens
        sub = parsed.subtree(head.i)
        drop: set[int] = set()
        for c in parsed.children[head.i]:
            child = toks[c]
            if c < head.i or child.dep not in ("advcl", "conj", "parataxis"):
                continue
            first = parsed.subtree(c)[0]
            prev = toks[first - 1] if first > 0 else None
            if prev is not None and prev.text in _BREAKS | {","} and (child.dep != "conj" or prev.text in _BREAKS):
                drop.update(parsed.subtree(c))
        # everything after a semicolon or a free-standing dash that follows the head
        for k in sub:
            spaced = parsed.text[toks[k].start - 1 : toks[k].start].isspace()
            if k > head.i and toks[k].text in _BREAKS and (spaced or toks[k].text == ";"):
                drop.update(j for j in sub if j >= k)
                break
        return [k for k in sub if k not in drop]

    @staticmethod
    def _could_speak(subj: Token | None) -> bool:
        """A subject that can call for something: a name, a pronoun or a plural of people."""
        return subj is not None and (subj.pos in ("PRON", "PROPN") or bool(subj.ent) or subj.tag == "NNS")

    def _mention_span(self, parsed: ParsedText, head: Token, exclude: set[int]) -> Span | None:
        idx = [k for k in parsed.subtree(head.i) if k not in exclude]
        # keep the run containing the head (drop a relative clause cut off by the verb)
        run = [head.i]
        s = set(idx)
        while run[0] - 1 in s:
            run.insert(0, run[0] - 1)
        while run[-1] + 1 in s:
            run.append(run[-1] + 1)
        toks = parsed.tokens
        # a dateline or aside before a dash belongs to no mention: "BRUSSELS (Wire) - The diplomat"
        starts_sentence = run[0] == parsed.sents[toks[run[0]].sent][0]
        cuts = [
            k for k in run[:-1]
            if toks[k].text in _DASHES and (k < head.i or starts_sentence)
            and parsed.text[toks[k].start - 1 : toks[k].start].isspace()  # a dash, not "pro-Trump"
        ]
        if cuts:
            run = [k for k in run if k > cuts[-1]]
        while len(run) > 1 and (toks[run[-1]].text in _EDGE_PUNCT or toks[run[-1]].dep == "cc"):
            run.pop()
        while len(run) > 1 and (toks[run[0]].text in _EDGE_PUNCT or toks[run[0]].dep == "cc"):
            run.pop(0)
        if toks[run[0]].text in _EDGE_PUNCT:
            return None
        return toks[run[0]].start, toks[run[-1]].end

    def _cue_span(self, parsed: ParsedText, verb: Token, extra: list[int]) -> Span:
        idx = [verb.i] + [c for c in parsed.children[verb.i] if parsed.tokens[c].dep == "prt"] + extra
        toks = parsed.tokens
        return toks[min(idx)].start, toks[max(idx)].end

    # -- step 2: attributions from the parse ---------------------------------------------------
    def _verb_attributions(self, parsed: ParsedText) -> list[_Attr]:
        toks = parsed.tokens
        out: list[_Attr] = []
        for t in toks:
            if t.lemma == "accord" and t.text.lower() == "according":
                a = self._according_to(parsed, t)
                if a:
                    out.append(a)
                continue
            if t.pos not in ("VERB", "AUX") or not (is_speech_verb(t.lemma) or t.lemma in PREP_CUES):
                continue
            kids = [toks[c] for c in parsed.children[t.i]]
            if any(k.dep == "aux" and k.lemma in _UNREALISED for k in kids):
                continue  # "would propose changes", "to say": not (yet) said
            comp = [c for c in kids if c.dep in ("ccomp", "parataxis") and c.i != t.i]
            extra: list[int] = []
            if not comp and t.lemma in PREP_CUES:
                for c in kids:
                    if c.dep == "prep" and c.text.lower() in PREP_CUES[t.lemma]:
                        objs = [toks[g] for g in parsed.children[c.i] if toks[g].dep == "pobj"]
                        if objs:
                            # "called on Russia to stop": the object and its infinitive
                            comp = objs + [k for k in kids if k.dep == "xcomp"]
                            extra = [c.i]
            if not comp and not is_speech_verb(t.lemma):
                continue
            if not comp and t.lemma in OBJECT_CONTENT_VERBS:
                comp = [c for c in kids if c.dep == "dobj"]
            inverted = False
            if not comp and t.dep in ("parataxis", "ccomp") and t.head != t.i and t.i > t.head:
                # "The plan is dead, the official said." parsed with the cue under the content
                comp = [toks[t.head]]
                inverted = True
            if not comp:
                continue
            subj = self._subject(parsed, t)
            if subj is None and all(c.i < t.i for c in comp):
                subj = self._inverted_subject(parsed, t)  # '"Where were you?" asked Ann.'
            if extra and not self._could_speak(subj):
                continue  # "the plan calls for ...": a document, not a speaker
            cue_span = self._cue_span(parsed, t, extra)
            exclude = {t.i, *extra}
            if subj is not None:
                exclude.update(parsed.subtree(subj.i))
            content_idx: list[int] = []
            for c in comp:
                if inverted:
                    sub = [k for k in parsed.subtree(c.i) if k not in set(parsed.subtree(t.i))]
                else:
                    sub = self._clause(parsed, c)
                content_idx.extend(k for k in sub if k not in exclude)
            content = self._span_of(parsed, content_idx)
            if not content:
                continue
            source = self._mention_span(parsed, subj, {t.i}) if subj is not None else None
            out.append(_Attr(cue_span, t.lemma, source, content))
        return out

    def _according_to(self, parsed: ParsedText, t: Token) -> _Attr | None:
        toks = parsed.tokens
        to = [toks[c] for c in parsed.children[t.i] if toks[c].text.lower() == "to"]
        if not to and t.i + 1 < len(toks) and toks[t.i + 1].text.lower() == "to":
            to = [toks[t.i + 1]]
        if not to:
            return None
        objs = [toks[c] for c in parsed.children[to[0].i] if toks[c].dep == "pobj"]
        if not objs:
            return None
        phrase = set(parsed.subtree(t.i)) | set(parsed.subtree(to[0].i))
        # the content is the clause the phrase attaches to, else the rest of the sentence
        head = toks[t.head]
        if head.i == t.i or head.i in phrase:
            s0, s1 = parsed.sents[t.sent]
            idx = [k for k in range(s0, s1) if k not in phrase]
        else:
            root = head
            while root.dep not in ("ROOT",) and root.head != root.i and root.dep != "ccomp":
                root = toks[root.head]
            idx = [k for k in parsed.subtree(root.i) if k not in phrase]
        content = self._span_of(parsed, idx)
        if not content:
            return None
        source = self._mention_span(parsed, objs[0], set())
        return _Attr((t.start, to[0].end), "according to", source, content)

    # -- step 3: merge with quote marks ----------------------------------------------------------
    @staticmethod
    def _outside_chars(text: str, span: Span, inside: list[QuotedSpan]) -> int:
        mask = [True] * (span[1] - span[0])
        for q in inside:
            for k in range(max(q.start, span[0]), min(q.end, span[1])):
                mask[k - span[0]] = False
        return sum(
            1 for k, keep in enumerate(mask) if keep and text[span[0] + k].isalnum()
        )

    def _classify(self, text: str, attr: _Attr, quoted: list[QuotedSpan], used: set[int]) -> None:
        new_content: list[Span] = []
        kinds = set()
        for span in attr.content:
            hits = [j for j, q in enumerate(quoted) if q.start < span[1] and span[0] < q.end]
            if not hits:
                new_content.append(span)
                kinds.add("indirect")
                continue
            qs = [quoted[j] for j in hits]
            outside = self._outside_chars(text, span, qs)
            if outside <= 2:
                # the complement is the quote itself: a direct quote, marks included
                for j in hits:
                    new_content.append((quoted[j].start, quoted[j].end))
                    used.add(j)
                kinds.add("direct")
            else:
                a = min(span[0], *(q.start for q in qs))
                b = max(span[1], *(q.end for q in qs))
                new_content.append((a, b))
                used.update(hits)
                kinds.add("mixed")
        attr.content = sorted(set(new_content))
        attr.kind = "mixed" if "mixed" in kinds or len(kinds) > 1 else kinds.pop()

    # -- step 4: quotes without a cue of their own ----------------------------------------------
    def _lead_in_or_trailer(self, parsed: ParsedText, q: QuotedSpan) -> _Attr | None:
        text = parsed.text
        toks = parsed.tokens
        para_start = text.rfind("\n", 0, q.start) + 1
        para_end = text.find("\n", q.end)
        para_end = len(text) if para_end < 0 else para_end
        after = text[q.end : para_end]
        m = _DASH_TRAILER.match(after)
        if m and m.end() < len(after):
            first = parsed.token_at(q.end + m.end())
            if first is not None and toks[first].pos in ("PROPN", "NOUN", "PRON"):
                src = self._mention_span(parsed, toks[toks[first].head] if toks[toks[first].head].pos == "PROPN" else toks[first], set())
                if src is not None and src[0] < toks[first].start:
                    # a dash glued to the quote ('…."― Jane Doe') can make the parse hang the
                    # whole quote under the name: take the words after the dash instead
                    src = self._trailing_words(parsed, first, para_end)
                if src and src[0] >= q.end:
                    dash = (q.end + m.start(1), q.end + m.end(1))  # the dash is the cue, as in PolNeAR
                    return _Attr(dash, None, src, [(q.start, q.end)], "direct")
        # trailer: a speech verb in the same sentence right after the quote (", she said")
        first = parsed.token_at(q.end)
        if first is not None and toks[first].start < para_end:
            sent = toks[first].sent
            for t in toks[first : first + 12]:
                if t.sent != sent or t.start >= para_end or text[t.start] in _QUOTE_CHARS:
                    break
                if t.pos in ("VERB", "AUX") and is_speech_verb(t.lemma):
                    subj = self._subject(parsed, t) or self._inverted_subject(parsed, t)
                    src = self._mention_span(parsed, subj, {t.i}) if subj is not None else None
                    return _Attr(self._cue_span(parsed, t, []), t.lemma, src, [(q.start, q.end)], "direct")
        # lead-in: "Name said:" / "She told reporters," right before the quote, or a colon
        # lead-in ending the previous paragraph
        before = text[para_start : q.start]
        lead_end = para_start + len(before.rstrip()) if before.strip() else len(text[:para_start].rstrip())
        if lead_end > 0 and text[lead_end - 1] in ":,":
            last = parsed.token_at(lead_end - 1)
            if last is not None:
                s0 = parsed.sents[toks[last].sent][0]
                for t in reversed(toks[max(s0, last - 15) : last + 1]):
                    if t.pos in ("VERB", "AUX") and is_speech_verb(t.lemma):
                        subj = self._subject(parsed, t)
                        src = self._mention_span(parsed, subj, {t.i}) if subj is not None else None
                        if src is not None:
                            return _Attr(self._cue_span(parsed, t, []), t.lemma, src, [(q.start, q.end)], "direct")
                        break
        return None

    @staticmethod
    def _inverted_subject(parsed: ParsedText, verb: Token) -> Token | None:
        """The speaker after an inverted trailer verb ('"Ready?" asked Ann.', '…," said Mr.
        Smith'), which the parse may take for an object: a name or a subject pronoun right
        after the verb (the head of the name when it continues), never an addressee ("him")."""
        toks = parsed.tokens
        k = verb.i + 1
        if k >= len(toks) or toks[k].sent != verb.sent or _inside_quote_marks(parsed, toks[k]):
            return None
        tok = toks[k]
        if tok.pos == "PRON":
            return tok if tok.text.lower() in ("he", "she", "they", "i", "we") else None
        if tok.pos != "PROPN":
            return None
        head = toks[tok.head]
        return head if head.pos == "PROPN" and head.i > verb.i else tok

    @staticmethod
    def _trailing_words(parsed: ParsedText, first: int, end: int) -> Span | None:
        """The run of words from token ``first`` up to ``end``, a verb or punctuation that ends a
        name ("Jane Doe, a reader in Ohio" -> "Jane Doe")."""
        toks = parsed.tokens
        last = None
        for t in toks[first:]:
            if t.start >= end or t.pos in ("VERB", "AUX", "PUNCT") or t.text in _EDGE_PUNCT:
                break
            last = t
        return (toks[first].start, last.end) if last is not None else None

    def predict(self, parsed: ParsedText) -> list[RawQuote]:
        text = parsed.text
        quoted = find_quoted_spans(text)
        turns = _transcript_turns(text)
        if turns:
            # quote marks opening transcript paragraphs pair up across turns: not quotes
            quoted = [q for q in quoted if not any(q.start < b and a < q.end for (a, b), _ in turns)]
        attrs = self._verb_attributions(parsed)
        # a verb of saying inside a quote is the speaker's own words ("Who would have believed
        # that ...," Trump said), never the attribution of that quote
        attrs = [a for a in attrs if a.cue is None or not any(q.start < a.cue[0] < q.end for q in quoted)]
        used: set[int] = set()
        for a in attrs:
            self._classify(text, a, quoted, used)
        for j, q in enumerate(quoted):
            if j in used:
                continue
            found = self._lead_in_or_trailer(parsed, q)
            if found is not None:
                attrs.append(found)
                used.add(j)
        attrs += [t for _, t in turns]
        attrs.sort(key=lambda a: a.content[0])
        # continuations: an unattributed quote in the same paragraph as an attributed direct
        # quote, or a quote paragraph right after one, carries on the same speaker
        for j, q in enumerate(quoted):
            if j in used:
                continue
            prev = self._previous_direct(text, q, attrs)
            if prev is None:
                continue
            words = len(text[q.start : q.end].split())
            if words < self.config.min_continuation_words:
                continue
            attrs.append(_Attr(prev.cue, prev.cue_lemma, prev.source, [(q.start, q.end)], "direct", True))
            attrs.sort(key=lambda a: a.content[0])
            used.add(j)
        out = [
            RawQuote(tuple(a.content), a.kind, a.cue, a.source, a.cue_lemma, a.continued)
            for a in attrs
            if a.content
        ]
        out.sort(key=lambda r: (r.spans[0], r.spans[-1]))
        return out

    @staticmethod
    def _previous_direct(text: str, q: QuotedSpan, attrs: list[_Attr]) -> _Attr | None:
        prior = [a for a in attrs if a.content[-1][1] <= q.start]
        if not prior:
            return None
        prev = max(prior, key=lambda a: a.content[-1][1])
        if prev.kind not in ("direct", "mixed"):
            return None
        between = text[prev.content[-1][1] : q.start]
        para_start = text.rfind("\n", 0, q.start) + 1
        same_para = "\n" not in between
        # a quote paragraph: nothing but the quote (and punctuation) on its paragraph
        line_end = text.find("\n", q.end)
        rest = text[q.end : len(text) if line_end < 0 else line_end]
        own_para = not text[para_start : q.start].strip() and not any(c.isalnum() for c in rest)
        next_para = own_para and starts_next_paragraph(text, prev.content[-1][1], q.start)
        return prev if same_para or next_para else None
