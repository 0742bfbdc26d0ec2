"""GUM reader: CoNLL-U text reconstruction, CorefUD entity brackets, person-pronoun and nominal
anaphor examples.

Uses a tiny hand-written corpus under tmp_path; no real GUM data needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stance.data.gum import (
    PronounExample,
    genre_of,
    gum_anaphor_examples,
    gum_documents,
    gum_pronoun_examples,
    parse_entity,
)

HEADER = "# global.Entity = GRP-etype-infstat-salience-centering-minspan-link-identity"


def tok(tid: str, form: str, upos: str = "NOUN", head: str = "0", misc: str = "_") -> str:
    return "\t".join([tid, form, form.lower(), upos, "_", "_", head, "dep", "_", misc])


def mwt(tid: str, form: str) -> str:
    return "\t".join([tid, form] + ["_"] * 8)


def empty(tid: str, form: str) -> str:
    return "\t".join([tid, form, form, "VERB", "_", "_", "_", "_", "3:conj", "CopyOf=3"])


def per(grp: int, rest: str = "new-nnnnn-cf1-1-coref") -> str:
    return f"({grp}-person-{rest}"


# "Professor Cres Eastman met Mary Smith's brother. He thanked her.\nLater, Tom said he was tired."
NEWS = "\n".join(
    [
        "# newdoc id = GUM_news_test",
        HEADER,
        "# newpar",
        "# sent_id = GUM_news_test-1",
        "# text = Professor Cres Eastman met Mary Smith's brother.",
        tok("1", "Professor", "PROPN", "3", "Entity=" + per(1, "new-nnnnn-cf1-1,2,3-coref-Creswell_Eastman")),
        tok("2", "Cres", "PROPN", "3"),
        tok("3", "Eastman", "PROPN", "4", "Entity=1)"),
        tok("4", "met", "VERB", "0"),
        # two openers on one token with no delimiter: brother (3) contains Mary Smith (2)
        tok("5", "Mary", "PROPN", "8", "Entity=" + per(3) + per(2)),
        empty("5.1", "met"),
        mwt("6-7", "Smith's"),
        tok("6", "Smith", "PROPN", "5", "Entity=2)"),
        tok("7", "'s", "PART", "5"),
        tok("8", "brother", "NOUN", "4", "Entity=3)|SpaceAfter=No"),
        tok("9", ".", "PUNCT", "4"),
        "",
        "# sent_id = GUM_news_test-2",
        "# text = He thanked her.",
        tok("1", "He", "PRON", "2", "Entity=" + per(1, "giv:act-nnnnn-cf1-1-ana") + ")"),
        tok("2", "thanked", "VERB", "0"),
        tok("3", "her", "PRON", "2", "Entity=" + per(2, "giv:act-nnnnn-cf2-1-ana") + ")|SpaceAfter=No"),
        tok("4", ".", "PUNCT", "2"),
        "",
        "# newpar",
        "# sent_id = GUM_news_test-3",
        "# text = Later, Tom said he was tired.",
        tok("1", "Later", "ADV", "3", "SpaceAfter=No"),
        tok("2", ",", "PUNCT", "1"),
        tok("3", "Tom", "PROPN", "4", "Entity=" + per(4) + ")"),
        tok("4", "said", "VERB", "0"),
        tok("5", "he", "PRON", "7", "Entity=" + per(4, "giv:act-nnnnn-cf1-1-ana") + ")"),
        tok("6", "was", "AUX", "7"),
        tok("7", "tired", "ADJ", "4", "SpaceAfter=No"),
        tok("8", ".", "PUNCT", "4"),
        "",
    ]
)

NEWS_TEXT = "Professor Cres Eastman met Mary Smith's brother. He thanked her.\nLater, Tom said he was tired."

NAMES = ["Ann", "Bob", "Cid", "Dan", "Eve", "Fay", "Gus"]


def crowd(doc_id: str, gold: int) -> str:
    """Seven people named one per sentence, then "He" referring to the ``gold``-th of them."""
    lines = [f"# newdoc id = {doc_id}", HEADER]
    for k, name in enumerate(NAMES, start=1):
        lines += [
            f"# sent_id = {doc_id}-{k}",
            tok("1", name, "PROPN", "2", "Entity=" + per(k) + ")"),
            tok("2", "came", "VERB", "0", "SpaceAfter=No"),
            tok("3", ".", "PUNCT", "2"),
            "",
        ]
    lines += [
        f"# sent_id = {doc_id}-8",
        tok("1", "He", "PRON", "2", "Entity=" + per(gold, "giv:inact-nnnnn-cf1-1-ana") + ")"),
        tok("2", "left", "VERB", "0"),
        "",
    ]
    return "\n".join(lines)


# blanked like the real Reddit files; would break offsets if it were read
REDDIT = "\n".join(
    [
        "# newdoc id = GUM_reddit_test",
        HEADER,
        "# sent_id = GUM_reddit_test-1",
        tok("1", "___", "PROPN", "2", "Entity=" + per(1) + ")"),
        tok("2", "____", "VERB", "0"),
        tok("3", "___", "PROPN", "2", "Entity=" + per(2) + ")"),
        tok("4", "__", "PRON", "2", "Entity=" + per(1, "giv:act-nnnnn-cf1-1-ana") + ")"),
        "",
    ]
)

SPLITS = """# Splits

Some prose.

## dev

  * GUM_news_test
  * GUM_reddit_test

## test

  * GUM_bio_crowd
  * GUM_fiction_crowd

## train

  * GUM_news_test
"""


@pytest.fixture()
def gum_root(tmp_path: Path) -> Path:
    dep = tmp_path / "dep"
    dep.mkdir()
    (tmp_path / "splits.md").write_text(SPLITS, encoding="utf-8")
    (dep / "GUM_news_test.conllu").write_text(NEWS, encoding="utf-8")
    (dep / "GUM_reddit_test.conllu").write_text(REDDIT, encoding="utf-8")
    (dep / "GUM_bio_crowd.conllu").write_text(crowd("GUM_bio_crowd", gold=1), encoding="utf-8")
    (dep / "GUM_fiction_crowd.conllu").write_text(crowd("GUM_fiction_crowd", gold=7), encoding="utf-8")
    return tmp_path


def spans_text(ex: PronounExample) -> list[list[str]]:
    return [[ex.text[a:b] for a, b in cand] for cand in ex.candidates]


def test_parse_entity_brackets() -> None:
    assert parse_entity("9)50)") == [("close", "9", "", True), ("close", "50", "", True)]
    assert parse_entity(
        "(14-abstract-new-nnnnn-cf1-1,3,5,7-coref(15-abstract-new-ssnnn-cf3-1,2-sgl-Old_English"
    ) == [("open", "14", "abstract", False), ("open", "15", "abstract", False)]
    assert parse_entity("(29-abstract-new-nnnnn-cf21-1,3-sgl(30-person-new-nnnnn-cf22-1-sgl)") == [
        ("open", "29", "abstract", False),
        ("open", "30", "person", True),
    ]
    # identity ending in digits, then a closer of another entity
    assert parse_entity("(5-event-new-nnnnn-cf1-1-coref-Apollo_11)4)") == [
        ("open", "5", "event", True),
        ("close", "4", "", True),
    ]
    assert parse_entity("") == []


def test_documents_and_genres(gum_root: Path) -> None:
    assert gum_documents(gum_root, "dev") == ["GUM_news_test"]  # Reddit excluded
    assert gum_documents(gum_root, "test") == ["GUM_bio_crowd", "GUM_fiction_crowd"]
    assert gum_documents(gum_root, "test2") == []
    with pytest.raises(ValueError):
        gum_documents(gum_root, "validation")
    assert genre_of("GUM_news_iodine") == "news"
    assert genre_of("GENTLE_poetry_raven") == "poetry"


def test_examples_offsets_nesting_and_mwt(gum_root: Path) -> None:
    exs = gum_pronoun_examples(gum_root, "dev")
    assert [ex.text[slice(*ex.pronoun)] for ex in exs] == ["He", "her", "he"]
    he, her, he2 = exs
    assert all(ex.source == "gum" and ex.doc_id == "GUM_news_test" and ex.genre == "news" for ex in exs)

    # window = whole sentences up to the end of the pronoun's sentence
    assert he.text == "Professor Cres Eastman met Mary Smith's brother. He thanked her."
    assert spans_text(he) == [["Professor Cres Eastman"], ["Mary Smith"], ["Mary Smith's brother"]]
    assert he.names == ["Professor Cres Eastman", "Mary Smith", "Mary Smith's brother"]
    assert he.labels == [1, 0, 0]
    assert her.text == he.text and her.labels == [0, 1, 0]

    # a newline between paragraphs; pronominal mentions (He, her) are not candidate mentions
    assert he2.text == NEWS_TEXT
    assert spans_text(he2)[-1] == ["Tom"]
    assert he2.labels == [0, 0, 0, 1]
    assert he2.names[-1] == "Tom"


def test_after_chars_and_window_chars(gum_root: Path) -> None:
    he = gum_pronoun_examples(gum_root, "dev", after_chars=3)[0]
    assert he.text.endswith("brother. He")  # cut at a token boundary after the pronoun
    # a small window starts at the pronoun's sentence: no candidate left, nothing kept
    assert gum_pronoun_examples(gum_root, "dev", window_chars=20) == []


def test_candidate_cap(gum_root: Path) -> None:
    exs = gum_pronoun_examples(gum_root, "test")
    # GUM_bio_crowd: the gold (Ann) is the 7th most recent person -> dropped
    assert [ex.doc_id for ex in exs] == ["GUM_fiction_crowd"]
    (ex,) = exs
    assert ex.genre == "fiction"
    assert ex.names == NAMES[1:]  # the six most recently mentioned, in text order
    assert ex.labels == [0, 0, 0, 0, 0, 1]
    assert ex.text[slice(*ex.pronoun)] == "He"
    assert gum_pronoun_examples(gum_root, "test", genres={"bio"}) == []


def test_train_reads_same_doc(gum_root: Path) -> None:
    assert len(gum_pronoun_examples(gum_root, "train")) == 3
    assert gum_pronoun_examples(gum_root, "train", genres={"fiction"}) == []


def org(grp: int, rest: str = "new-nnnnn-cf1-1-coref") -> str:
    return f"({grp}-organization-{rest}"


# "Senator John Kerry met a spokesman of Acme Corp. The senator praised the company at the White
# House. The official said this. He left."
NOMINAL = "\n".join(
    [
        "# newdoc id = GUM_news_nominal",
        HEADER,
        "# sent_id = GUM_news_nominal-1",
        tok("1", "Senator", "PROPN", "3", "Entity=" + per(1)),
        tok("2", "John", "PROPN", "3"),
        tok("3", "Kerry", "PROPN", "4", "Entity=1)"),
        tok("4", "met", "VERB", "0"),
        # indefinite: a mention, but not an anaphor; it contains an organization
        tok("5", "a", "DET", "6", "Entity=" + per(2)),
        tok("6", "spokesman", "NOUN", "4"),
        tok("7", "of", "ADP", "9"),
        tok("8", "Acme", "PROPN", "9", "Entity=" + org(3)),
        tok("9", "Corp", "PROPN", "6", "Entity=3)2)|SpaceAfter=No"),
        tok("10", ".", "PUNCT", "4"),
        "",
        "# sent_id = GUM_news_nominal-2",
        tok("1", "The", "DET", "2", "Entity=" + per(1, "giv:act-nnnnn-cf1-2-coref")),
        tok("2", "senator", "NOUN", "3", "Entity=1)"),
        tok("3", "praised", "VERB", "0"),
        tok("4", "the", "DET", "5", "Entity=" + org(3, "giv:act-nnnnn-cf2-2-coref")),
        tok("5", "company", "NOUN", "3", "Entity=3)"),
        tok("6", "at", "ADP", "9"),
        # PROPN-headed: not an anaphor
        tok("7", "the", "DET", "9", "Entity=" + org(4, "new-nnnnn-cf3-2,3-sgl")),
        tok("8", "White", "PROPN", "9"),
        tok("9", "House", "PROPN", "3", "Entity=4)|SpaceAfter=No"),
        tok("10", ".", "PUNCT", "3"),
        "",
        "# sent_id = GUM_news_nominal-3",
        # discourse-new definite description
        tok("1", "The", "DET", "2", "Entity=" + per(5, "new-nnnnn-cf1-2-sgl")),
        tok("2", "official", "NOUN", "3", "Entity=5)"),
        tok("3", "said", "VERB", "0"),
        tok("4", "this", "PRON", "3", "SpaceAfter=No"),
        tok("5", ".", "PUNCT", "3"),
        "",
        "# sent_id = GUM_news_nominal-4",
        tok("1", "He", "PRON", "2", "Entity=" + per(1, "giv:act-nnnnn-cf1-1-ana") + ")"),
        tok("2", "left", "VERB", "0", "SpaceAfter=No"),
        tok("3", ".", "PUNCT", "2"),
        "",
    ]
)


def crowd_nominal(doc_id: str, gold: int) -> str:
    """Seven people named one per sentence, then "The man" of entity ``gold`` (8 = someone new)."""
    lines = crowd(doc_id, gold).split("\n")
    cut = lines.index(f"# sent_id = {doc_id}-8")
    lines = lines[:cut] + [
        f"# sent_id = {doc_id}-8",
        tok("1", "The", "DET", "2", "Entity=" + per(gold, "giv:inact-nnnnn-cf1-2-coref")),
        tok("2", "man", "NOUN", "3", "Entity=" + f"{gold})"),
        tok("3", "left", "VERB", "0"),
        "",
    ]
    return "\n".join(lines)


NOMINAL_SPLITS = """## dev

  * GUM_bio_near
  * GUM_bio_new

## test

  * GUM_bio_far

## train

  * GUM_news_nominal
"""


@pytest.fixture()
def nominal_root(tmp_path: Path) -> Path:
    dep = tmp_path / "dep"
    dep.mkdir()
    (tmp_path / "splits.md").write_text(NOMINAL_SPLITS, encoding="utf-8")
    (dep / "GUM_news_nominal.conllu").write_text(NOMINAL, encoding="utf-8")
    for doc_id, gold in (("GUM_bio_near", 7), ("GUM_bio_new", 8), ("GUM_bio_far", 1)):
        (dep / f"{doc_id}.conllu").write_text(crowd_nominal(doc_id, gold), encoding="utf-8")
    return tmp_path


def test_nominal_anaphors(nominal_root: Path) -> None:
    exs = gum_anaphor_examples(nominal_root, "train")
    # "a spokesman ..." (indefinite) and "the White House" (PROPN head) are no anaphors
    assert [(ex.text[slice(*ex.pronoun)], ex.source) for ex in exs] == [
        ("The senator", "gum-nominal"),
        ("the company", "gum-nominal"),
        ("The official", "gum-nominal"),
        ("He", "gum"),
    ]
    senator, company, official, he = exs
    assert all(ex.doc_id == "GUM_news_nominal" and ex.genre == "news" for ex in exs)

    # a person description referring back to a named person; persons only as candidates
    assert senator.text == (
        "Senator John Kerry met a spokesman of Acme Corp. The senator praised the company at the White House."
    )
    assert spans_text(senator) == [["Senator John Kerry"], ["a spokesman of Acme Corp"]]
    assert senator.names == ["Senator John Kerry", "a spokesman of Acme Corp"]
    assert senator.labels == [1, 0]

    # an organization description: organizations only, and only those mentioned before it
    assert company.text == senator.text
    assert spans_text(company) == [["Acme Corp"]]
    assert company.names == ["Acme Corp"]
    assert company.labels == [1]

    # a discourse-new description: all labels 0
    assert official.text.endswith("White House. The official said this.")
    assert spans_text(official) == [["Senator John Kerry", "The senator"], ["a spokesman of Acme Corp"]]
    assert official.labels == [0, 0]

    # pronoun examples as in gum_pronoun_examples; nominal mentions count as candidate mentions
    assert [he] == gum_pronoun_examples(nominal_root, "train")
    assert spans_text(he)[0] == ["Senator John Kerry", "The senator"]
    assert he.names == ["Senator John Kerry", "a spokesman of Acme Corp", "The official"]
    assert he.labels == [1, 0, 0]


def test_nominal_new_subsampling(nominal_root: Path) -> None:
    # 2 positive nominal examples: new_ratio 0.5 keeps 1 new one, 0.4 none
    texts = [ex.text[slice(*ex.pronoun)] for ex in gum_anaphor_examples(nominal_root, "train", new_ratio=0.4)]
    assert texts == ["The senator", "the company", "He"]
    with pytest.raises(ValueError):
        gum_anaphor_examples(nominal_root, "train", new_ratio=-1)

    # dev: "The man" = the most recent person (positive), then a new man (all zero)
    exs = gum_anaphor_examples(nominal_root, "dev", new_ratio=1.0)
    assert [(ex.doc_id, ex.labels) for ex in exs] == [
        ("GUM_bio_near", [0, 0, 0, 0, 0, 1]),
        ("GUM_bio_new", [0, 0, 0, 0, 0, 0]),
    ]
    near, new = exs
    assert near.names == NAMES[1:] and new.names == NAMES[1:]  # capped at the six most recent
    assert near.text[slice(*near.pronoun)] == "The man"
    assert gum_anaphor_examples(nominal_root, "dev") == [near]  # 0.5 x 1 positive -> no new one
    assert gum_anaphor_examples(nominal_root, "dev", new_ratio=1.0, seed=5) == exs

    # its antecedent mentioned in the window but not among the six most recent: dropped
    assert gum_anaphor_examples(nominal_root, "test", new_ratio=10.0) == []
