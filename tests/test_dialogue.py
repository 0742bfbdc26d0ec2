"""Turn-taking in fiction (``dialogue=True``): unattributed quote paragraphs alternate speakers."""

from __future__ import annotations

import pytest

import stance
from stance._spans import RawQuote
from stance.quotes._dialogue import alternate_turns

EXCHANGE = (
    '"Where have you been all day?" asked Ann.\n\n"At the station, waiting," said Bob.\n\n'
    '"All night long, at the station?"\n\n"All night. The train was very late."\n\n"I do not believe you at all."'
)
READY = '"Are you ready now?" asked Ann.\n\n"Yes, I am ready," said Bob.\n\n'


@pytest.fixture(scope="module")
def news() -> stance.Pipeline:
    return stance.load()


@pytest.fixture(scope="module")
def fiction() -> stance.Pipeline:
    return stance.load(dialogue=True)


@pytest.mark.parametrize(
    ("text", "as_news", "as_fiction"),
    [
        # a two-person exchange: news carries the last speaker on, fiction alternates
        (EXCHANGE, ["Ann", "Bob", "Bob", "Bob", "Bob"], ["Ann", "Bob", "Ann", "Bob", "Ann"]),
        # a quote attributed on its own paragraph keeps its speaker, and the turns go on from it
        (READY + '"Then go right now," said Ann.\n\n"But where should I go?"', ["Ann", "Bob", "Ann", "Ann"],
         ["Ann", "Bob", "Ann", "Bob"]),
        # narration on the quote's paragraph: not a bare turn, left as it is
        (READY + 'He looked away. "We should go now, before dark."', ["Ann", "Bob", "Bob"], ["Ann", "Bob", "Bob"]),
        # one speaker twice in a row is no exchange: the speaker carries on
        ('"It is very late now," said Bob.\n\n"Very late indeed," said Bob.\n\n"We should all go home now."',
         ["Bob", "Bob", "Bob"], ["Bob", "Bob", "Bob"]),
        # a paragraph of narration between the turns breaks the exchange
        (READY + 'The rain kept on.\n\n"We should go now, before dark."', ["Ann", "Bob", "Bob"], ["Ann", "Bob", "Bob"]),
    ],
)
def test_turns(news: stance.Pipeline, fiction: stance.Pipeline, text: str, as_news: list[str], as_fiction: list[str]) -> None:
    assert [q.speaker.name for q in news(text).quotes] == as_news
    assert [q.speaker.name for q in fiction(text).quotes] == as_fiction
    assert [q.text for q in fiction(text).quotes] == [q.text for q in news(text).quotes]


def test_a_quoted_word_is_not_the_speaker(nlp: stance.Pipeline) -> None:
    """The rules took "Ready" (inside the quote marks) as the subject of "asked"."""
    assert [q.speaker.name for q in nlp('"Ready?" asked Ann.\n\n"Yes," said Bob.').quotes] == ["Ann", "Bob"]


def test_alternate_turns_splits_a_quote_over_paragraphs() -> None:
    text = '"Hello," said Ann.\n\n"Hi," said Bob.\n\n"Well?"\n\n"Well what?"'

    def at(s: str) -> tuple[int, int]:
        return text.index(s), text.index(s) + len(s)

    # one relation holding the last three paragraphs (as the tagger's linker may group them)
    quotes = [
        RawQuote((at('"Hello,"'),), "direct", at("said"), at("Ann")),
        RawQuote((at('"Hi,"'), at('"Well?"'), at('"Well what?"')), "direct", (at("Bob")[0] - 5, at("Bob")[0] - 1), at("Bob")),
    ]
    out = alternate_turns(text, quotes)
    assert [text[q.spans[0][0] : q.spans[-1][1]] for q in out] == ['"Hello,"', '"Hi,"', '"Well?"', '"Well what?"']
    assert [text[q.source[0] : q.source[1]] for q in out if q.source] == ["Ann", "Bob", "Ann", "Bob"]
    assert [q.continued for q in out] == [False, False, True, True]


def test_alternate_turns_leaves_news_and_empty_input_alone() -> None:
    assert alternate_turns("", []) == []
    text = 'Jane Doe said the plan was dead. "We will not sign," she added.'
    quotes = [RawQuote(((text.index('"'), len(text) - len(" she added.")),), "direct", None, (0, 8))]
    assert alternate_turns(text, quotes) == quotes


def test_hard_wrapped_fiction_is_read_by_paragraph(news: stance.Pipeline, fiction: stance.Pipeline) -> None:
    text = (
        '"I have not seen the house since the\nwinter, and I do not wish to," said Ann.\n\n'
        '"You will see it tomorrow, whether you\nwish it or not," said Bob.\n\n'
        '"Then I shall close my eyes all the way\nthere and back again."\n'
    )
    doc = fiction(text)
    assert [q.speaker.name for q in doc.quotes] == ["Ann", "Bob", "Ann"]
    assert all(text[q.start : q.end] == q.text for q in doc.quotes)  # offsets index the original text
    assert doc.quotes[0].text == '"I have not seen the house since the\nwinter, and I do not wish to,"'
    assert len(news(text).quotes) >= 3  # news mode reads the same text line by line


@pytest.mark.parametrize(
    ("text", "unwrapped"),
    [
        ("a\nb\n\nc\nd", "a b\n\nc d"),
        ("a\nb", "a\nb"),  # no blank line: paragraphs are lines
        ("x" * 150 + "\ny\n\nz", "x" * 150 + "\ny\n\nz"),  # long lines: not hard-wrapped
        ("", ""),
    ],
)
def test_unwrap_lines(text: str, unwrapped: str) -> None:
    from stance.quotes._dialogue import unwrap_lines

    assert unwrap_lines(text) == unwrapped and len(unwrap_lines(text)) == len(text)
