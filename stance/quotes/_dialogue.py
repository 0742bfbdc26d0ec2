"""Turn-taking in dialogue (fiction): an unattributed quote paragraph is the other person's turn.

News continues a speaker across quote paragraphs ("…," she said. / "…"): the default. In a
novel's dialogue a new quote paragraph with no attribution of its own is usually the *next
turn*: the person who spoke two turns before speaks again (A, B, A, B …). :func:`alternate_turns`
rewrites the quotes that a pipeline run with ``dialogue=True`` found accordingly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from stance._spans import RawQuote, starts_next_paragraph
from stance.quotes._marks import content_kind

_WRAP = re.compile(r"(?<=[^\n])\n(?=[ \t]*[^\s])")


def unwrap_lines(text: str, max_line: int = 100) -> str:
    r"""A hard-wrapped text (paragraphs between blank lines, short lines) with each line break
    inside a paragraph turned into a space; the same length, so offsets still hold. Any other
    text comes back as it is.

    >>> unwrap_lines('"Poor Mr. and Miss\nWoodhouse," said Emma.\n\n"Yes."\nShe smiled.')
    '"Poor Mr. and Miss Woodhouse," said Emma.\n\n"Yes." She smiled.'
    >>> unwrap_lines("One paragraph.\nAnother paragraph.")  # no blank lines: not hard-wrapped
    'One paragraph.\nAnother paragraph.'
    """
    if "\n\n" not in text:
        return text
    lengths = sorted(len(line) for line in text.split("\n") if line.strip())
    if len(lengths) < 2 or lengths[(9 * len(lengths)) // 10] > max_line:
        return text
    return _WRAP.sub(" ", text)


def _paragraph(text: str, pos: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return start, len(text) if end < 0 else end


def _own_paragraph(text: str, rq: RawQuote) -> bool:
    """Nothing but the quote (and punctuation) on its paragraph: no attribution, no narration."""
    start, end = _paragraph(text, rq.spans[0][0])
    if rq.spans[-1][1] > end:
        return False
    rest = text[start : rq.spans[0][0]] + text[rq.spans[-1][1] : end]
    return not any(c.isalnum() for c in rest)


def _next_paragraph(text: str, a: RawQuote, b: RawQuote) -> bool:
    """``b`` starts the paragraph right after the one ``a`` ends in (blank lines aside)."""
    return starts_next_paragraph(text, a.spans[-1][1], b.spans[0][0])


def _speaker_key(text: str, rq: RawQuote) -> str | None:
    return " ".join(text[rq.source[0] : rq.source[1]].lower().split()) if rq.source else None


def _by_paragraph(text: str, rq: RawQuote) -> list[RawQuote]:
    """A quote whose fragments lie in several paragraphs, one quote per paragraph: the later
    ones carry on the first's speaker (so that each can be a turn of its own)."""
    groups: list[list[tuple[int, int]]] = []
    for span in rq.spans:
        if groups and _paragraph(text, span[0]) == _paragraph(text, groups[-1][-1][0]):
            groups[-1].append(span)
        else:
            groups.append([span])
    if len(groups) == 1:
        return [rq]
    out = [replace(rq, spans=tuple(groups[0]))]
    for group in groups[1:]:
        kinds = {content_kind(text[a:b]) for a, b in group}
        kind = kinds.pop() if len(kinds) == 1 else "mixed"
        out.append(RawQuote(tuple(group), kind, rq.cue, rq.source, rq.cue_lemma, True))
    return out


def alternate_turns(text: str, quotes: Sequence[RawQuote]) -> list[RawQuote]:
    """Give each unattributed quote paragraph of a two-person exchange to the speaker of the turn
    before the previous one.

    A quote with fragments in several paragraphs is first cut into one quote per paragraph. A
    quote is a turn when it is a direct quote alone on its paragraph with no source of its own
    (or only one carried on from the previous quote), and the previous two quotes are the two
    paragraphs right before it, with different speakers. Anything else is left as it is.

    >>> t = '"Where?" asked Ann.\\n"Here," said Bob.\\n"Why?"\\n"Because."'
    >>> def at(s): return (t.index(s), t.index(s) + len(s))
    >>> qs = [RawQuote((at('"Where?"'),), "direct", at("asked"), at("Ann")),
    ...       RawQuote((at('"Here,"'),), "direct", at("said"), at("Bob")),
    ...       RawQuote((at('"Why?"'),), "direct", at("said"), at("Bob"), continued=True),
    ...       RawQuote((at('"Because."'),), "direct")]
    >>> [t[q.source[0]:q.source[1]] for q in alternate_turns(t, qs)]
    ['Ann', 'Bob', 'Ann', 'Bob']
    """
    units = [unit for rq in quotes for unit in _by_paragraph(text, rq)]
    out: list[RawQuote] = []
    for rq in sorted(units, key=lambda q: (q.spans[0], q.spans[-1])):
        if (
            len(out) >= 2
            and rq.kind == "direct"
            and (rq.source is None or rq.continued)
            and _own_paragraph(text, rq)
            and _next_paragraph(text, out[-1], rq)
            and _next_paragraph(text, out[-2], out[-1])
            and out[-2].source is not None
            and _speaker_key(text, out[-2]) != _speaker_key(text, out[-1])
        ):
            two_back = out[-2]
            rq = replace(rq, cue=two_back.cue, source=two_back.source, cue_lemma=two_back.cue_lemma, continued=True)
        out.append(rq)
    return out
