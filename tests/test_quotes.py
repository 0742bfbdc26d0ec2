"""Table-driven span tests: (text, expected (quote, kind, speaker, speaker type) rows).

Expected rows are what the article says; each case was written for these tests.
"""

from __future__ import annotations

import pytest

import stance
from tests.conftest import rows

DIRECT = [
    ('"We will not give up," Jane Doe said.', [('"We will not give up,"', "direct", "Jane Doe", "person")]),
    ("\u201cWe will not give up,\u201d said Jane Doe.", [("\u201cWe will not give up,\u201d", "direct", "Jane Doe", "person")]),
    ("Jane Doe said: \u201eWe will not give up.\u201c", [("\u201eWe will not give up.\u201c", "direct", "Jane Doe", "person")]),
    ("Jane Doe told reporters: \u00abWe will not give up.\u00bb", [("\u00abWe will not give up.\u00bb", "direct", "Jane Doe", "person")]),
    ("'We will not give up,' Jane Doe said.", [("'We will not give up,'", "direct", "Jane Doe", "person")]),
    # split by the attribution: two spans, one speaker (documented: one Quote per span)
    (
        '"We are ready," Jane Doe said. "But not at any price."',
        [('"We are ready,"', "direct", "Jane Doe", "person"), ('"But not at any price."', "direct", "Jane Doe", "person")],
    ),
    # over several paragraphs: only the last one closes
    (
        'Jane Doe spoke at length.\n\n"The first part of what I want to say is this.\n\n"And the second part is that,'
        ' too," Doe said.',
        [('"The first part of what I want to say is this.\n\n"And the second part is that, too,"', "direct", "Jane Doe", "person")],
    ),
    # a colon lead-in on the line before
    ("Jane Doe said:\n\n\"Nothing has been agreed and nothing will be.\"", [('"Nothing has been agreed and nothing will be."', "direct", "Jane Doe", "person")]),
    # an inverted trailer the parse reads as an object ("asked Ann"); an addressee is no speaker
    ('"Where have you been all day?" asked Ann.', [('"Where have you been all day?"', "direct", "Ann", "person")]),
    ('"Where have you been all day?" asked him.', [('"Where have you been all day?"', "direct", "unknown", "unknown")]),
    # transcript turns: a speaker label in capitals opens each paragraph
    ('"WALLACE: Will she be there tomorrow?\n\n"PENCE: She will not be attending the debate."',
     [("Will she be there tomorrow?", "direct", "WALLACE", "person"), ("She will not be attending the debate.", "direct", "PENCE", "person")]),
    # ... but not newsroom labels, nor a single labelled paragraph
    ("UPDATE: The talks resumed on Monday.\n\nUPDATE: They ended without a deal.", []),
    ("WALLACE: Will she be there tomorrow night?", []),
    # a dash trailer
    ('"Peace is possible." \u2014 Jane Doe', [('"Peace is possible."', "direct", "Jane Doe", "person")]),
    # ... glued to the closing mark, ending in a full stop (the parse may hang the quote under the name)
    ('Readers wrote in.\n\n\u201cWe want peace and nothing else, now and forever.\u201d\u2015 Tom Berg.\n',
     [("\u201cWe want peace and nothing else, now and forever.\u201d", "direct", "Tom Berg", "person")]),
    # a quote paragraph continuing the previous speaker
    (
        '"We are ready," Jane Doe said.\n\n"We have been ready for a long time and we will stay ready."',
        [('"We are ready,"', "direct", "Jane Doe", "person"), ('"We have been ready for a long time and we will stay ready."', "direct", "Jane Doe", "person")],
    ),
]

INDIRECT = [
    ("Jane Doe said the plan was dead.", [("the plan was dead", "indirect", "Jane Doe", "person")]),
    ("The plan is dead, Jane Doe said on Monday.", [("The plan is dead", "indirect", "Jane Doe", "person")]),
    ("Jane Doe told reporters that talks would resume.", [("that talks would resume", "indirect", "Jane Doe", "person")]),
    ("Axios reported that a deal was close.", [("that a deal was close", "indirect", "Axios", "media")]),
    ("The Kremlin said it had nothing to say.", [("it had nothing to say", "indirect", "Kremlin", "organization")]),
    ("Talks have stalled, according to Jane Doe.", [("Talks have stalled", "indirect", "Jane Doe", "person")]),
    ("Jane Doe denied that she had met him.", [("that she had met him", "indirect", "Jane Doe", "person")]),
    ("Protesters demanded that the minister resign.", [("that the minister resign", "indirect", "Protesters", "group")]),
    ("Jane Doe warned the talks could collapse.", [("the talks could collapse", "indirect", "Jane Doe", "person")]),
]

MIXED = [
    (
        'The plan calls for the "recognition of new borders," a senior source familiar with the matter said.',
        [('The plan calls for the "recognition of new borders,"', "mixed", "a senior source familiar with the matter", "anonymous")],
    ),
    ('Jane Doe said the plan was "a step towards peace."', [('the plan was "a step towards peace."', "mixed", "Jane Doe", "person")]),
]

NEGATIVES = [
    'Trump called him a "dictator" in a speech on Friday.',
    "Related article: 'Some Headline About Talks': what we know.",
    'The film "Peace in Our Time" opens on Friday.',
    "Photo: Jane Doe/Reuters",
    "By Jane Doe and John Roe, Reuters",
    "Reporting by Jane Doe; Editing by John Roe",
    'The so-called "peace plan" has 28 points.',
    "The talks in Geneva ended without a deal.",
    "",
    "   \n\n  ",
]


@pytest.mark.parametrize(("text", "expected"), DIRECT + INDIRECT + MIXED)
def test_quotes(nlp: stance.Pipeline, text: str, expected: list[tuple[str, str, str, str]]) -> None:
    assert rows(nlp(text)) == expected


@pytest.mark.parametrize("text", NEGATIVES)
def test_no_statement_no_quote(nlp: stance.Pipeline, text: str) -> None:
    assert nlp(text).quotes == ()


def test_nested_attribution(nlp: stance.Pipeline) -> None:
    doc = nlp("Russia has demanded a ceasefire, according to Jane Doe.")
    found = {(q.text, q.speaker.name, q.cue) for q in doc.quotes}
    assert ("Russia has demanded a ceasefire", "Jane Doe", "according to") in found
    assert ("a ceasefire", "Russia", "demanded") in found


CUES = [
    ("Jane Doe said the plan was dead.", "said"),
    ("Jane Doe told reporters that talks would resume.", "told"),
    ("Talks have stalled, according to Jane Doe.", "according to"),
    ("Jane Doe called for an immediate ceasefire.", "called for"),
    ('"We are ready," she added.', "added"),
    ('"We are ready," she insisted.', "insisted"),
    ('"We are ready," she grumbled.', "grumbled"),
    ('"We are ready," she sighed.', "sighed"),
    ("Jane Doe warned that the talks could collapse.", "warned"),
    ('"We are ready," Jane Doe told reporters.', "told"),
]


@pytest.mark.parametrize(("text", "cue"), CUES)
def test_cue(nlp: stance.Pipeline, text: str, cue: str) -> None:
    doc = nlp(text)
    assert [q.cue for q in doc.quotes] == [cue]
    q = doc.quotes[0]
    assert q.cue_start is not None and q.cue_end is not None and text[q.cue_start : q.cue_end] == cue


def test_offsets_always_slice_the_input(nlp: stance.Pipeline) -> None:
    text = "\n\n".join(t for t, _ in DIRECT + INDIRECT + MIXED) + "\n\n" + "\n\n".join(NEGATIVES)
    doc = nlp(text)
    assert len(doc.quotes) >= len(DIRECT + INDIRECT + MIXED)
    for q in doc.quotes:
        assert text[q.start : q.end] == q.text
        if q.mention is not None:
            assert text[q.mention.start : q.mention.end] == q.mention.text
    assert [(q.start, q.end) for q in doc.quotes] == sorted((q.start, q.end) for q in doc.quotes)
