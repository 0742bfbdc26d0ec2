"""Pairing quote marks into quoted spans: linear time, never raises, tolerant of odd counts.

Handles straight, curly, low-9 (German/Polish ``„…“``), guillemets in both directions
(``«…»``, ``»…«``), single marks (``‘…’``, ``'…'``) told apart from apostrophes
(``didn't``, ``Kyiv's``, ``'90s``), ``»`` used as a bullet, and quotes that run over several
paragraphs (each paragraph re-opens with a mark, only the last one closes; or no re-opening
and the close comes in the next paragraph).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOUBLE_OPEN = {"\u201c": "\u201d", "\u201e": "\u201c", "\u00ab": "\u00bb", "\u2039": "\u203a"}
DOUBLE_CLOSE = {"\u201d", "\u00bb", "\u203a"}
SINGLE_OPEN = {"\u2018": "\u2019", "\u201a": "\u2018"}
ALL_MARKS = set('"\'') | set(DOUBLE_OPEN) | DOUBLE_CLOSE | set(SINGLE_OPEN) | {"\u2019", "\u00ab"}

#: a quote open longer than this (characters) without closing is abandoned, not swallowed
MAX_QUOTE_CHARS = 12_000
#: paragraphs a single quote may run over
MAX_QUOTE_PARAGRAPHS = 12

_OPEN_CONTEXT = set(" \t\n\r([{\u2014\u2013-/:;\u00a0") | {""}
_CLOSE_FOLLOW = set(" \t\n\r)]}.,;:!?\u2014\u2013-/\u00a0") | {""}


@dataclass(frozen=True)
class QuotedSpan:
    """``text[start:end]`` runs from the opening mark to the closing mark, both included."""

    start: int
    end: int
    mark: str
    paragraphs: int = 1

    @property
    def inner(self) -> tuple[int, int]:
        return self.start + 1, self.end - 1


def _prev(text: str, i: int) -> str:
    return text[i - 1] if i > 0 else ""


def _next(text: str, i: int) -> str:
    return text[i + 1] if i + 1 < len(text) else ""


def _is_apostrophe(text: str, i: int) -> bool:
    """A single mark used as an apostrophe: letter on both sides, or an elided year/word ('90s, 'em)."""
    p, n = _prev(text, i), _next(text, i)
    if p.isalnum() and n.isalnum():
        return True
    if (p == "" or p.isspace()) and re.match(r"\d\ds\b|em\b|til\b|cause\b|n\b", text[i + 1 : i + 6]):
        return True
    return False


def _left_flanking(text: str, i: int) -> bool:
    p, n = _prev(text, i), _next(text, i)
    return (p in _OPEN_CONTEXT or p in ALL_MARKS or not p.strip()) and n != "" and not n.isspace()


def _right_flanking(text: str, i: int) -> bool:
    p, n = _prev(text, i), _next(text, i)
    return p != "" and not p.isspace() and (n in _CLOSE_FOLLOW or n in ALL_MARKS or not n.strip())


def _paragraph_starts(text: str) -> list[int]:
    starts = [0]
    for m in re.finditer(r"\n", text):
        starts.append(m.end())
    return starts


def _is_bullet(text: str, i: int) -> bool:
    line_start = text.rfind("\n", 0, i) + 1
    return text[line_start:i].strip() == "" and _next(text, i) in (" ", "\t")


def find_quoted_spans(text: str) -> list[QuotedSpan]:
    """All top-level quoted spans (see :func:`_find`); two apostrophes ``''`` (as in NYT text)
    are one double mark.

    >>> t = "He said ''we won,'' and left."
    >>> [t[s.start:s.end] for s in find_quoted_spans(t)]
    ["''we won,''"]
    """
    if "''" not in text:
        return _find(text)
    # a same-length copy in which each '' is a straight double mark and a neutral character
    norm = text.replace("''", '"\u2060')
    spans = []
    for s in _find(norm):
        end = s.end + 1 if norm[s.end - 1] == '"' and norm[s.end : s.end + 1] == "\u2060" else s.end
        spans.append(QuotedSpan(s.start, end, text[s.start], s.paragraphs))
    return spans


def _find(text: str) -> list[QuotedSpan]:
    """All top-level quoted spans, sorted by start. Quotes nested inside a double quote are part of it.

    >>> [text[s.start:s.end] for text in ['He said "no." Then: \u201cyes\u201d.'] for s in find_quoted_spans(text)]
    ['"no."', '\u201cyes\u201d']
    >>> find_quoted_spans('Kyiv\\'s "odd') == []
    True
    """
    spans: list[QuotedSpan] = []
    n = len(text)
    i = 0
    open_at = -1  # index of the pending opening mark
    open_mark = ""
    expect_close: set[str] = set()
    paragraphs = 1
    single = False
    while i < n:
        ch = text[i]
        if ch == "\n" and open_at >= 0:
            # paragraph break inside an open quote: continue only if the quote resumes
            j = i
            while j < n and text[j] in " \t\r\n\u00a0":
                j += 1
            resumes = j < n and (text[j] == open_mark or text[j] in DOUBLE_OPEN or text[j] == '"')
            if single or paragraphs >= MAX_QUOTE_PARAGRAPHS:
                resumes = False
            if not resumes and not single:
                # no re-opening mark: continue if the next paragraph closes before it opens again
                k = text.find("\n", j)
                nxt = text[j : n if k < 0 else k]
                close_pos = min((nxt.find(c) for c in expect_close if c in nxt), default=-1)
                resumes = close_pos > 0 and paragraphs < MAX_QUOTE_PARAGRAPHS and _right_flanking(text, j + close_pos)
                if resumes:
                    paragraphs += 1
                    i = j
                    continue
            if resumes and text[j] in expect_close | {open_mark} | set(DOUBLE_OPEN):
                paragraphs += 1
                i = j + 1  # skip the re-opening mark
                continue
            open_at = -1
            i = j
            continue
        if open_at >= 0:
            if ch in expect_close and (ch not in "'\u2019" or not _is_apostrophe(text, i)):
                if ch in "\"'\u2019" and not _right_flanking(text, i) and _left_flanking(text, i):
                    # a mark that looks like an opener inside an open quote of the same kind: odd count
                    if i - open_at > MAX_QUOTE_CHARS:
                        open_at = -1
                    i += 1
                    continue
                spans.append(QuotedSpan(open_at, i + 1, open_mark, paragraphs))
                open_at = -1
            elif i - open_at > MAX_QUOTE_CHARS:
                open_at = -1  # abandoned: scanning goes on from here, never backwards (linear time)
            i += 1
            continue
        # nothing open: look for an opener
        if ch in DOUBLE_OPEN and (ch != "\u2039" or _left_flanking(text, i)):
            open_at, open_mark, single = i, ch, False
            expect_close = {DOUBLE_OPEN[ch]} | ({"\u201d"} if ch == "\u201e" else set())
            paragraphs = 1
        elif ch == "\u00bb" and not _is_bullet(text, i) and _left_flanking(text, i):
            open_at, open_mark, single, expect_close, paragraphs = i, ch, False, {"\u00ab"}, 1
        elif ch == '"' and _left_flanking(text, i):
            open_at, open_mark, single, expect_close, paragraphs = i, ch, False, {'"'}, 1
        elif ch in SINGLE_OPEN and _left_flanking(text, i):
            open_at, open_mark, single, paragraphs = i, ch, True, 1
            expect_close = {SINGLE_OPEN[ch], "\u2019"}
        elif ch == "'" and _left_flanking(text, i) and not _is_apostrophe(text, i):
            open_at, open_mark, single, expect_close, paragraphs = i, ch, True, {"'"}, 1
        i += 1
    return [s for s in spans if any(c.isalnum() for c in text[s.start + 1 : s.end - 1])]


_KIND_MARKS = set("\"'\u201c\u201d\u201e\u2018\u2019\u201a\u00ab\u00bb\u2039\u203a")


def content_kind(text: str) -> str:
    """The kind of a content span from its marks: ``direct``, ``mixed`` or ``indirect``.

    >>> content_kind('"We will win,"'), content_kind('the plan was "dead"'), content_kind("it's over")
    ('direct', 'mixed', 'indirect')
    """
    t = text.strip()
    if len(t) > 1 and t[0] in _KIND_MARKS and (t[-1] in _KIND_MARKS or t[-2] in _KIND_MARKS):
        return "direct"
    for k, ch in enumerate(t):
        if ch in _KIND_MARKS:
            prev = t[k - 1] if k else " "
            nxt = t[k + 1] if k + 1 < len(t) else " "
            if not (prev.isalnum() and nxt.isalnum()):
                return "mixed"
    return "indirect"
