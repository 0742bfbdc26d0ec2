"""Bad input: a clear error or a documented result, never a crash, hang or silent truncation."""

from __future__ import annotations

import pytest

import stance

ODD = [
    "",
    " \n\t ",
    '""=',
    '"' * 501,
    "\u201c\u201c\u201c unbalanced \u201d",
    "\x00\x01 nul bytes \x00",
    "emoji \U0001f600 \"quoted \U0001f4a5,\" she said.",
    "RTL \u05e9\u05dc\u05d5\u05dd \"\u0645\u0631\u062d\u0628\u0627,\" she said.",
    "combining e\u0301\u0301\u0301 marks",
    "lone surrogate \udcff from bad decoding",
    "\u00bb bullet\n\u00bb bullet\n\u00bb bullet",
    "x" * 30_000,  # one very long line with no spaces
    ("word " * 20_000),
    "\n".join(f'"Paragraph {i}," he said.' for i in range(400)),
]


@pytest.mark.parametrize("text", ODD, ids=range(len(ODD)))
def test_odd_text_never_crashes(nlp: stance.Pipeline, text: str) -> None:
    doc = nlp(text)
    for q in doc.quotes:
        assert text[q.start : q.end] == q.text and q.start < q.end
        assert q.speaker in doc.speakers


def test_many_paragraphs_are_all_read(nlp: stance.Pipeline) -> None:
    text = "\n".join(f'"Paragraph number {i} is here," he said.' for i in range(400))
    assert len(nlp(text).quotes) == 400  # nothing silently dropped


def test_document_over_the_limit_is_refused_quickly() -> None:
    small = stance.load(max_chars=1000)
    with pytest.raises(stance.DocumentTooLargeError, match="max_chars"):
        small("a" * 1001)
    big = "Jane Doe said the plan was dead. " * 160_000  # ~5 MB
    with pytest.raises(stance.DocumentTooLargeError, match="5,280,000 characters"):
        stance.load()(big)


def test_long_document_keeps_offsets(nlp: stance.Pipeline) -> None:
    para = 'Filler text about the weather in the city. "The plan is dead," Jane Doe said.\n\n'
    text = para * 600  # ~50 KB, several parse chunks
    doc = nlp(text)
    assert len(doc.quotes) == 600
    assert all(text[q.start : q.end] == '"The plan is dead,"' for q in doc.quotes)


@pytest.mark.slow
def test_five_megabyte_document_with_raised_limit() -> None:
    big = "Jane Doe said the plan was dead. " * 160_000
    doc = stance.load(max_chars=6_000_000, quote_model=None)(big)
    assert len(doc.quotes) == 160_000


def test_blank_source_span_is_dropped() -> None:
    """A source of only spaces or punctuation (the rules produced one on a novel) is no mention."""
    from stance._spans import RawQuote
    from stance.pipeline import _without_blank_source

    text = '"Go," said  . Then Jane said no.'
    rq = RawQuote(((0, 5),), "direct", (6, 10), (10, 12), "say")
    assert _without_blank_source(text, rq).source is None
    named = RawQuote(((0, 5),), "direct", (6, 10), (20, 24), "say")
    assert _without_blank_source(text, named) == named
