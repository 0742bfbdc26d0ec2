"""The default extractor: tagger relations combined with the direct-quote rules."""

from __future__ import annotations

import pytest

import stance
import stance.errors
from stance._nlp import ParsedText, load_spacy
from stance.data.polnear import Attribution
from stance.quotes import RuleExtractor
from stance.quotes.hybrid import HybridConfig, HybridExtractor

TEXT = '"We will support Kyiv, whatever it costs us," Jane Doe said. The Kremlin said it had nothing to say.'


class FakeTagger:
    """Stands in for the trained tagger: returns fixed relations (character offsets into TEXT)."""

    def __init__(self, relations: list[Attribution]) -> None:
        self.relations = relations

    def predict(self, texts: list[str], batch_size: int | None = None) -> list[list[Attribution]]:
        return [self.relations for _ in texts]


def span(s: str, text: str = TEXT) -> tuple[int, int]:
    """Offsets of the first occurrence of ``s`` (``"said it"[:4]`` style slices pick a word in context)."""
    i = text.index(s)
    return i, i + len(s)


def combine(relations: list[Attribution], text: str = TEXT, **cfg: bool) -> list[tuple[list[str], str, str | None, str | None, bool]]:
    parsed = ParsedText.from_text(text, load_spacy())
    ex = HybridExtractor(FakeTagger(relations), RuleExtractor(), HybridConfig(**cfg))  # type: ignore[arg-type]
    return [
        ([text[a:b] for a, b in r.spans], r.kind, text[r.cue[0] : r.cue[1]] if r.cue else None,
         text[r.source[0] : r.source[1]] if r.source else None, r.continued)
        for r in ex.predict_batch([parsed])[0]
    ]


CASES = [
    # the tagger cut the quote: widened to the whole quoted span, marks included
    (
        [Attribution(source=(span("Jane Doe"),), cue=(span("said"),), content=(span("We will support Kyiv"),))],
        {},
        ['"We will support Kyiv, whatever it costs us,"'],
        "direct",
    ),
    # without widening the tagger's boundaries stand (and the fragment is indirect: no marks)
    (
        [Attribution(source=(span("Jane Doe"),), cue=(span("said"),), content=(span("We will support Kyiv"),))],
        {"widen_to_quotes": False, "add_rule_quotes": False},
        ["We will support Kyiv"],
        "indirect",
    ),
    # indirect content from the tagger; the quote it missed comes from the rules
    (
        [Attribution(source=(span("The Kremlin"),), cue=(span("said it")[0:1] + (span("said it")[0] + 4,),), content=(span("it had nothing to say"),))],
        {},
        ['"We will support Kyiv, whatever it costs us,"', "it had nothing to say"],
        None,
    ),
    # a source and a cue without content: the cue's complement in the parse, widened to its quote
    (
        [Attribution(source=(span("Jane Doe"),), cue=(span("said"),), content=())],
        {"add_rule_quotes": False},
        ['"We will support Kyiv, whatever it costs us,"'],
        "direct",
    ),
    # ... unless that is switched off: relations without content are not quotes
    (
        [Attribution(source=(span("Jane Doe"),), cue=(span("said"),), content=())],
        {"add_rule_quotes": False, "content_from_parse": False},
        [],
        None,
    ),
    # a cue alone is not a quote
    ([Attribution(cue=(span("said"),))], {"add_rule_quotes": False}, [], None),
]


@pytest.mark.parametrize(("relations", "cfg", "texts", "kind"), CASES)
def test_combine(relations: list[Attribution], cfg: dict[str, bool], texts: list[str], kind: str | None) -> None:
    got = combine(relations, **cfg)
    assert [t for r in got for t in r[0]] == texts
    if kind is not None:
        assert got[0][1] == kind


def test_widened_quote_takes_rule_source_when_tagger_has_none() -> None:
    rel = Attribution(source=(), cue=(), content=(span("whatever it costs us"),))
    (row,) = [r for r in combine([rel], add_rule_quotes=False)]
    assert row[3] == "Jane Doe" and row[2] == "said"


def test_sourceless_quote_continues_previous_speaker() -> None:
    text = '"We are ready," Jane Doe said.\n\n"We have been ready for a long time."'
    rels = [
        Attribution(source=(span("Jane Doe", text),), cue=(span("said", text),), content=(span('"We are ready,"', text),)),
        Attribution(content=(span('"We have been ready for a long time."', text),)),
    ]
    rows = combine(rels, text=text, add_rule_quotes=False, widen_to_quotes=False)
    assert rows[1][3] == "Jane Doe" and rows[1][4] is True


def test_pipeline_with_a_saved_tagger(tiny_tagger_dir: str) -> None:
    nlp = stance.load(quote_model=tiny_tagger_dir)
    assert "tagger" in repr(nlp)
    texts = [TEXT, "", "No statement here at all.", '"Quote," she said.\n\n"More quote here for sure."']
    docs = list(nlp.pipe(texts, batch_size=2))
    for text, doc in zip(texts, docs, strict=True):
        for q in doc.quotes:
            assert text[q.start : q.end] == q.text and q.speaker in doc.speakers
    # batching never changes results, also with the tagger
    assert [d.to_records() for d in docs] == [nlp(t).to_records() for t in texts]


def test_missing_model_directory_is_a_clear_error(tmp_path: object) -> None:
    with pytest.raises(FileNotFoundError, match="quote_model") as err:
        stance.load(quote_model="/no/such/model")
    assert "'default', 'accurate'" in str(err.value)  # the error names the shipped models


def test_shipped_quote_model_names() -> None:
    from stance.pipeline import _SHIPPED

    # every name resolves to a shipped directory with a tagger, a linker and a model card
    for name in ("default", "accurate", "fast"):
        path = _SHIPPED["quote_model"][name]
        assert {"config.json", "tagger.safetensors", "model_card.md", "linker.json"} <= {p.name for p in path.iterdir()}
    # the default is the accurate (MPNet) tagger; "fast" is the other one
    assert _SHIPPED["quote_model"]["default"] == _SHIPPED["quote_model"]["accurate"]
    assert _SHIPPED["quote_model"]["fast"] != _SHIPPED["quote_model"]["accurate"]
    assert stance.PipelineConfig().quote_model == "default"
    assert stance.load(quote_model="accurate").config.quote_model == "accurate"  # lazy: nothing loaded yet


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("weights", "checksum mismatch"),
        ("version", "format_version"),
        ("no_sha", "records no sha256"),
    ],
)
def test_damaged_or_foreign_model_is_refused(tiny_tagger_dir: str, tmp_path: object, damage: str, message: str) -> None:
    import json
    import shutil
    from pathlib import Path

    copy = Path(str(tmp_path)) / "model"
    shutil.copytree(tiny_tagger_dir, copy)
    cfg = json.loads((copy / "config.json").read_text(encoding="utf-8"))
    if damage == "weights":
        with (copy / cfg["weights_file"]).open("r+b") as fh:
            fh.seek(200)
            fh.write(b"\x00\x01\x02")
    elif damage == "version":
        cfg["format_version"] = 99
    else:
        cfg.pop("weights_sha256")
    (copy / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    with pytest.raises(stance.errors.ModelLoadError, match=message):
        stance.load(quote_model=str(copy))("Jane Doe said the plan was dead.")


def test_content_in_another_paragraph_than_its_cue_is_dropped() -> None:
    text = "Talks went on all night.\n\nThe Kremlin said it had nothing to say."
    rel = Attribution(source=(span("The Kremlin", text),), cue=(span("said", text),),
                      content=(span("Talks went on all night", text), span("it had nothing to say", text)))
    assert [r[0] for r in combine([rel], text=text, add_rule_quotes=False)] == [["it had nothing to say"]]


@pytest.mark.parametrize(
    ("cue", "with_source", "kept"),
    [
        # "Critics called the draft a capitulation" states the critics' view (PolNeAR annotates it)
        ("called", True, True), ("has called", True, True), ("called for", True, True), ("said", True, True),
        # "called" with nobody calling names something ("a group called …"): not a statement
        ("called", False, False), ("said", False, True),
    ],
)
def test_calling_something_a_name(cue: str, with_source: bool, kept: bool) -> None:
    text = f'Critics {cue} the draft a "capitulation" in all but name.'
    source = (span("Critics", text),) if with_source else ()
    rel = Attribution(source=source, cue=(span(cue, text),), content=(span('the draft a "capitulation" in all but name', text),))
    assert bool(combine([rel], text=text, add_rule_quotes=False)) is kept



DASH_TEXT = (
    'Readers wrote in.\n\n“The plan is a trap for all of us.” ― Ana Ruiz\n'
    '“We want peace and nothing else, now and forever.”― Tom Berg.\n'
)
SECOND_DASH = (DASH_TEXT.rindex("―"), DASH_TEXT.rindex("―") + 1)


@pytest.mark.parametrize(
    "relation",
    [
        # the tagger hung the first trailer's name on the second quote and found no cue: the
        # rules' dash trailer ("… ― Name") wins
        Attribution(source=(span("Ana Ruiz", DASH_TEXT),), content=(span("We want peace", DASH_TEXT),)),
        # a tagger cue in another paragraph loses to the trailer in the quote's own
        Attribution(source=(span("Readers", DASH_TEXT),), cue=(span("wrote", DASH_TEXT),),
                    content=(span("“We want peace", DASH_TEXT),)),
        # a tagger relation with its cue beside the quote keeps its own attribution
        Attribution(source=(span("Tom Berg", DASH_TEXT),), cue=(SECOND_DASH,), content=(span("We want peace", DASH_TEXT),)),
    ],
)
def test_rule_trailer_beats_a_cueless_or_distant_tagger_attribution(relation: Attribution) -> None:
    rows = {r[0][0][:10]: r for r in combine([relation], text=DASH_TEXT)}
    assert (rows["“We want p"][3], rows["“We want p"][2]) == ("Tom Berg", "―")
    assert rows["“The plan "][3] == "Ana Ruiz"


def test_tagger_relation_with_a_cue_beside_the_quote_is_not_overruled() -> None:
    text = '“We want peace and nothing else,” the minister told Ana Ruiz. ― Tom Berg'
    rel = Attribution(source=(span("the minister", text),), cue=(span("told", text),), content=(span("We want peace", text),))
    (row,) = combine([rel], text=text, add_rule_quotes=False)
    assert (row[3], row[2]) == ("the minister", "told")


def test_split_off_quote_leaves_the_relations_other_fragments_alone() -> None:
    rel = Attribution(source=(span("Readers", DASH_TEXT),), cue=(span("wrote", DASH_TEXT),),
                      content=(span("in", DASH_TEXT), span("“We want peace", DASH_TEXT)))
    rows = combine([rel], text=DASH_TEXT, add_rule_quotes=False)
    by_text = {r[0][0][:10]: (r[3], r[2]) for r in rows}
    # the quote goes whole to its trailer's speaker even with add_rule_quotes off; the other
    # fragment keeps the relation's source and cue
    assert by_text["“We want p"] == ("Tom Berg", "―")
    assert by_text["in"] == ("Readers", "wrote")
    assert "“The plan " not in by_text  # in no relation, and rule quotes are not added


def test_transcript_turns_replace_the_taggers_reading_of_them() -> None:
    text = ('Partial transcript:\n\n"WALLACE: Will she be there tomorrow?\n\n"(CROSSTALK.)\n\n'
            '"PENCE: She will not be attending the debate."\n')
    rels = [
        # the tagger took the label in and linked the turn to the next speaker
        Attribution(source=(span("PENCE", text),), cue=(span(":", text[30:])[0] + 30, span(":", text[30:])[1] + 30),
                    content=(span('"WALLACE: Will she be there tomorrow?', text),)),
        # a stray quote mark is no content
        Attribution(source=(span("PENCE", text),), content=((text.index('"(CROSS'), text.index('"(CROSS') + 1),)),
    ]
    rows = combine(rels, text=text, add_rule_quotes=False)
    assert [(r[0], r[2], r[3]) for r in rows] == [
        (["Will she be there tomorrow?"], ":", "WALLACE"), (["She will not be attending the debate."], ":", "PENCE"),
    ]


BLOCK = (
    'The paper reports:\n\n"Her doctors were worried. She was not.\n\n'
    '\u201cIt never crossed my mind,\u201d she said later, and went home."\n\nThe rest is news.'
)


@pytest.mark.parametrize(
    ("relations", "want"),
    [
        # an attribution inside a block quotation is nested: its content is not widened to the
        # whole multi-paragraph quote
        (
            [Attribution(source=(span("she", BLOCK),), cue=(span("said later", BLOCK)[0:1] + (span("said later", BLOCK)[0] + 4,),),
                         content=(span("\u201cIt never crossed my mind,\u201d", BLOCK),))],
            ("\u201cIt never crossed my mind,\u201d", "said", "she"),
        ),
        # a piece of the block quote attributed from outside it is widened to the whole quote
        (
            [Attribution(source=(span("The paper", BLOCK),), cue=(span("reports:", BLOCK),),
                         content=(span('"Her doctors were worried', BLOCK),))],
            (BLOCK[span('"Her doctors', BLOCK)[0] : span('home."', BLOCK)[1]], "reports:", "The paper"),
        ),
    ],
)
def test_nested_attribution_in_a_block_quote(relations: list[Attribution], want: tuple[str, str, str]) -> None:
    rows = combine(relations, BLOCK)
    assert (rows[0][0][0], rows[0][2], rows[0][3]) == want


def test_rules_attribution_keeps_the_taggers_boundaries() -> None:
    """A colon lead-in in its own paragraph: the rules attribute the quote, but where the tagger
    found the same cue and source, its spans stand (PolNeAR's cue is "said:", colon included)."""
    text = 'He said:\n\n"We have a situation in our inner cities, and it is bad."\n\nThen he left.'
    rel = Attribution(source=(span("He", text),), cue=(span("said:", text),), content=(span("\"We have a situation", text),))
    rows = combine([rel], text)
    assert rows[0][0] == ['"We have a situation in our inner cities, and it is bad."']
    assert (rows[0][2], rows[0][3]) == ("said:", "He")


@pytest.mark.parametrize(
    ("quoted", "is_title"),
    [
        ('"Face the Nation,"', True),
        ("'Coal Isn't the Villain.'", True),
        ('"Commander-in-Chief Forum"', True),
        ("''Larry King Now''", True),
        ('"We will not accept this,"', False),  # a statement: lower-case words
        ('"No,"', False),  # one capitalised word may be a statement
        ('"Nothing About Ukraine Without Ukraine Is Acceptable To Us Today"', False),  # over 8 words
        ('"2024"', False),
    ],
)
def test_titles_in_quote_marks(quoted: str, is_title: bool) -> None:
    from stance._spans import RawQuote
    from stance.quotes.hybrid import _is_title

    text = f"In an interview on {quoted} he spoke."
    assert _is_title(text, RawQuote((span(quoted, text),), "direct", None, None, None)) is is_title


def test_a_title_the_tagger_ignored_is_not_added_as_a_quote() -> None:
    text = 'In an interview on CBS\'s "Face the Nation," House Speaker Paul Ryan said the unrest must end.'
    rel = Attribution(source=(span("House Speaker Paul Ryan", text),), cue=(span("said", text),),
                      content=(span("the unrest must end", text),))
    assert [r[0] for r in combine([rel], text)] == [["the unrest must end"]]
    # a statement in quote marks that the tagger missed is still added from the rules
    text2 = 'Ryan said "we will not accept this." The talks went on.'
    assert ['"we will not accept this."'] in [r[0] for r in combine([], text2)]
