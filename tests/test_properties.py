"""Property tests over the whole pipeline on generated text: no exception, no hang, invariants hold."""

from __future__ import annotations

import os
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stance

QUOTE_MARKS = list("\"'\u201c\u201d\u201e\u201f\u2018\u2019\u201a\u00ab\u00bb\u2039\u203a`")
PIECES = [
    '"We will not give up," she said.',
    "Jane Doe said the plan was dead.",
    "according to a senior source familiar with the matter",
    "The official added that talks would continue.",
    "\u201cIt is over,\u201d he told reporters. \u201cDone.\u201d",
    "Axios reported that",
    "\n\n",
    "\n",
    " \u2014 ",
    ": ",
]
ODD_CHARS = st.sampled_from(
    ["\x00", "\ud800", "\udcff", "\u200f", "\u202e", "\u0301", "\U0001f600", "\u05e9", "\u0645", "\t", "\r", "\ufeff", "\u2028"]
)
FRAGMENT = st.one_of(
    st.sampled_from(PIECES),
    st.sampled_from(QUOTE_MARKS),
    ODD_CHARS,
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from(QUOTE_MARKS + [" ", "a", ".", ",", "\n"]), max_size=30),
)
TEXTS = st.lists(FRAGMENT, max_size=40).map("".join)

PER_DOCUMENT_SECONDS = 10.0
#: a longer fuzz campaign: STANCE_FUZZ_EXAMPLES=3000 pytest tests/test_properties.py -k generated
FUZZ_EXAMPLES = int(os.environ.get("STANCE_FUZZ_EXAMPLES", "120"))
_nlp = stance.load(quote_model=None)  # the rules; the tagger has tests of its own


def check_invariants(text: str, doc: stance.Document) -> None:
    spans = []
    for q in doc.quotes:
        assert 0 <= q.start < q.end <= len(text)
        assert text[q.start : q.end] == q.text
        if q.mention is not None:
            assert text[q.mention.start : q.mention.end] == q.mention.text
        if q.cue_start is not None:
            assert q.cue_end is not None and text[q.cue_start : q.cue_end] == q.cue
        assert q.speaker in doc.speakers
        spans.append((q.start, q.end))
    assert spans == sorted(spans)
    for s in doc.speakers:
        for m in s.mentions:
            assert 0 <= m.start < m.end <= len(text) and text[m.start : m.end] == m.text
        assert s.n_quotes == sum(1 for q in doc.quotes if q.speaker.id == s.id)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=FUZZ_EXAMPLES <= 120)
@given(TEXTS)
def test_generated_text(text: str) -> None:
    t0 = time.perf_counter()
    doc = _nlp(text)
    assert time.perf_counter() - t0 < PER_DOCUMENT_SECONDS
    check_invariants(text, doc)
    assert _nlp(text).to_records() == doc.to_records()  # same output on a second run


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.lists(TEXTS, min_size=1, max_size=8), st.integers(min_value=1, max_value=9))
def test_batch_size_never_changes_results(texts: list[str], batch_size: int) -> None:
    alone = [_nlp(t).to_records() for t in texts]
    assert [d.to_records() for d in _nlp.pipe(texts, batch_size=batch_size)] == alone


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(st.integers(min_value=500, max_value=3000), st.sampled_from(PIECES))
def test_thousands_of_paragraphs(n: int, piece: str) -> None:
    text = "\n\n".join([piece] * n)
    t0 = time.perf_counter()
    doc = _nlp(text)
    assert time.perf_counter() - t0 < 60
    check_invariants(text, doc)
