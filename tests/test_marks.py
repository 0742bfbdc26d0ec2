"""Quote-mark pairing: every style of mark, apostrophes, odd counts; never raises."""

from __future__ import annotations

import pytest

from stance.quotes._marks import find_quoted_spans

CASES = [
    ('He said "no." Then: \u201cyes\u201d.', ['"no."', "\u201cyes\u201d"]),
    ("\u201eJa\u201c, sagte er.", ["\u201eJa\u201c"]),
    ("\u201eJa\u201d, sagte er.", ["\u201eJa\u201d"]),
    ("Il a dit \u00abOui\u00bb et \u00bbDa\u00ab.", ["\u00abOui\u00bb", "\u00bbDa\u00ab"]),
    ("He didn't say 'hello there' in the '90s.", ["'hello there'"]),
    ("\u2018Single curly\u2019 marks, Kyiv\u2019s view.", ["\u2018Single curly\u2019"]),
    ("Kyiv's officials' statement isn't out.", []),
    ('"First paragraph.\n\n"Second paragraph," she said.', ['"First paragraph.\n\n"Second paragraph,"']),
    ("\u201cFirst.\n\n\u201cSecond.\n\n\u201cThird,\u201d he said.", ["\u201cFirst.\n\n\u201cSecond.\n\n\u201cThird,\u201d"]),
    ('She said: "one\n\ntwo" then left.', ['"one\n\ntwo"']),
    ("\u00bb bullet one\n\u00bb bullet two", []),
    ('""=', []),
    ('a "b', []),
    ('"unclosed\n\nnext paragraph has no close', []),
    ('He said "yes and then "no" twice.', ['"yes and then "no"']),  # odd count: the inner opener is skipped
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_pairs(text: str, expected: list[str]) -> None:
    assert [text[s.start : s.end] for s in find_quoted_spans(text)] == expected


@pytest.mark.parametrize("text", ['"' * 1001, "'" * 999, "\u201c\u201d" * 500 + "\u201e", "\u00bb\u00ab" * 300, '"\n' * 500])
def test_degenerate_input_is_linear_and_safe(text: str) -> None:
    spans = find_quoted_spans(text)
    assert all(0 <= s.start < s.end <= len(text) for s in spans)
