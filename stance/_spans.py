"""The hand-over between stages: what the quote stage found, before speakers are resolved."""

from __future__ import annotations

from dataclasses import dataclass

Span = tuple[int, int]


def blank_span(text: str, span: Span) -> bool:
    """Whether ``text[span]`` holds no letter or digit (a source there names nobody).

    >>> blank_span("said  . Jane", (4, 7)), blank_span("said  . Jane", (8, 12))
    (True, False)
    """
    return not any(ch.isalnum() for ch in text[span[0] : span[1]])


def starts_next_paragraph(text: str, end: int, start: int) -> bool:
    r"""Whether ``text[start:]`` begins the paragraph right after the one ``text[:end]`` ends in
    (a line break, then nothing but blank lines).

    >>> t = '"A," she said.\n\n"B."'
    >>> starts_next_paragraph(t, t.index("said") + 5, t.index('"B')), starts_next_paragraph(t, 2, 5)
    (True, False)
    """
    between = text[end:start]
    cut = between.find("\n")
    return cut >= 0 and not between[cut:].strip()


@dataclass(frozen=True)
class RawQuote:
    """One statement found in the text.

    ``spans`` are the contiguous content fragments (a quote split by its attribution has two);
    ``source`` is the speaker mention, ``cue`` the attribution cue (both ``None`` when absent);
    ``continued`` marks a quote with no attribution of its own that carries on an earlier one
    (a quote paragraph after the speaker's first words): it shares that quote's cue and source.
    """

    spans: tuple[Span, ...]
    kind: str
    cue: Span | None = None
    source: Span | None = None
    cue_lemma: str | None = None
    continued: bool = False

    @property
    def start(self) -> int:
        return self.spans[0][0]
