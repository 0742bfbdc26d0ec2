"""One speaker across articles (stance.identity): linked by name, conservatively."""

from __future__ import annotations

import pandas as pd
import pytest

from stance.evaluation.identity import pairwise
from stance.identity import corpus_speakers, name_key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Kaja Kallas", "kaja kallas"),
        ("  Sen.  Kaja KALLAS ", "kaja kallas"),
        ("President Barack Obama", "barack obama"),
        ("The Kremlin", "kremlin"),
        ("Mr. O\u2019Neill", "o'neill"),
        ("Zdenka Hrubešová", "zdenka hrubešová"),
        ("President", "president"),  # a title alone is left as it is
    ],
)
def test_name_key(name: str, key: str) -> None:
    assert name_key(name) == key


def _ids(rows: list[tuple[str, str, str]]) -> list[str]:
    frame = pd.DataFrame(rows, columns=["doc", "speaker", "speaker_type"])
    return list(corpus_speakers(frame)["corpus_speaker_id"])


@pytest.mark.parametrize(
    ("rows", "same", "different"),
    [
        # a surname alone joins the one person of that surname; titles are set aside
        ([("a", "Kaja Vrtačnik", "person"), ("b", "Vrtačnik", "person"), ("c", "Ms. Kaja Vrtačnik", "person")],
         [(0, 1), (0, 2)], []),
        # two people share the surname: the surname alone stays apart from both
        ([("a", "Bill Clinton", "person"), ("b", "Hillary Clinton", "person"), ("c", "Clinton", "person")],
         [], [(0, 1), (0, 2), (1, 2)]),
        # a middle name or initial joins the first-and-last form
        ([("a", "Hillary Rodham Clinton", "person"), ("b", "Hillary Clinton", "person"), ("c", "Clinton", "person")],
         [(0, 1), (1, 2)], []),
        # two different middle initials: not one person
        ([("a", "John A. Smith", "person"), ("b", "John B. Smith", "person"), ("c", "John Smith", "person")],
         [], [(0, 1), (0, 2), (1, 2)]),
        # organisations by name; types kept apart
        ([("a", "The Kremlin", "organization"), ("b", "Kremlin", "organization"), ("c", "Kremlin", "media")],
         [(0, 1)], [(1, 2)]),
        # anonymous and unknown speakers never leave their document
        ([("a", "a senior source", "anonymous"), ("b", "a senior source", "anonymous"), ("a", "a senior source", "anonymous")],
         [(0, 2)], [(0, 1)]),
        ([("a", "unknown", "unknown"), ("b", "unknown", "unknown")], [], [(0, 1)]),
        # a surname does not join an organisation's name
        ([("a", "Baek", "person"), ("b", "Baek Industries", "organization")], [], [(0, 1)]),
    ],
)
def test_corpus_speaker_links(rows: list, same: list, different: list) -> None:
    ids = _ids(rows)
    for i, j in same:
        assert ids[i] == ids[j], (rows[i], rows[j], ids)
    for i, j in different:
        assert ids[i] != ids[j], (rows[i], rows[j], ids)


def test_corpus_speaker_is_shown_by_its_plain_name_and_the_input_is_untouched() -> None:
    frame = pd.DataFrame({"doc": ["a", "b", "b", "c"], "speaker": ["Sen. Kaja Kallas", "Kallas", "Kallas", "Kaja Kallas"],
                          "speaker_type": ["person"] * 4})
    out = corpus_speakers(frame)
    assert set(out["corpus_speaker"]) == {"Kaja Kallas"} and list(frame.columns) == ["doc", "speaker", "speaker_type"]
    assert list(out["corpus_speaker_id"].unique()) == ["person:kaja-kallas"]
    with pytest.raises(KeyError, match="speaker"):
        corpus_speakers(frame.drop(columns="speaker"))


def test_pairwise_counts_only_pairs_across_documents() -> None:
    gold = ["A", "A", "A", "B"]
    docs = ["d1", "d1", "d2", "d2"]
    # gold cross-doc pairs: (0,2), (1,2); predicted: everything one cluster -> pairs (0,2),(0,3),(1,2),(1,3)
    r = pairwise(gold, ["x"] * 4, docs)
    assert (r["gold_pairs"], r["predicted_pairs"]) == (2, 4) and r["precision"] == 0.5 and r["recall"] == 1.0
    assert pairwise(gold, gold, docs)["f1"] == 1.0
    assert pairwise(gold, ["p", "q", "r", "s"], docs)["f1"] == 0.0


def test_speaker_stances_counts_one_speaker_across_articles() -> None:
    import stance

    q = pd.DataFrame({
        "doc": ["a", "b", "c", "c", "d"],
        "speaker": ["Kaja Kallas", "Kallas", "Bill Clinton", "Hillary Clinton", "Clinton"],
        "speaker_type": ["person"] * 5,
        "text": ["t1", "t2", "t3", "t4", "t5"],
        "stance_the_plan": ["against", "against", "favor", "favor", "neutral"],
        "stance_the_plan_score": [0.9, 0.7, 0.8, 0.6, 0.9],
    })
    rows = stance.speaker_stances(q).set_index("speaker")
    assert rows.loc["Kaja Kallas", "n_quotes"] == 2 and rows.loc["Kaja Kallas", "n_docs"] == 2
    assert "Kallas" not in rows.index
    # "Clinton" alone could be either Clinton: its own row
    assert {"Bill Clinton", "Hillary Clinton", "Clinton"} <= set(rows.index)


def test_without_speaker_types_nothing_is_linked_across_documents() -> None:
    import stance

    q = pd.DataFrame({"doc": ["a", "b"], "speaker": ["Kaja Kallas", "Kaja Kallas"], "text": ["t1", "t2"],
                      "stance_x": ["favor", "favor"]})
    ids = list(corpus_speakers(q)["corpus_speaker_id"])
    assert ids[0] != ids[1]  # "unknown" speakers stay in their document
    rows = stance.speaker_stances(q)
    assert list(rows["speaker_type"]) == ["unknown", "unknown"] and list(rows["n_quotes"]) == [1, 1]


@pytest.mark.parametrize(
    ("texts", "same"),
    [
        # one invented person named with and without a title in two articles: one speaker_id
        (["Ms. Zorika Vantanen said the plan was dead.", "Zorika Vantanen said the plan was dead."], True),
        (["Sen. Oluwaseun Adebanjo-Kraal said the deal was bad.", "Oluwaseun Adebanjo-Kraal said the deal was bad."], True),
        # two different people: two ids
        (["Zorika Vantanen said the plan was dead.", "Mirela Vantanen said the plan was dead."], False),
        # the same words for an anonymous source in two articles: never one speaker
        (["A senior official said the plan was dead.", "A senior official said the plan was dead."], False),
    ],
)
def test_records_speaker_id_is_the_same_across_documents_for_one_name(nlp: object, texts: list[str], same: bool) -> None:
    recs = [d.to_records()[0] for d in nlp.pipe(texts, ids=["a", "b"])]  # type: ignore[attr-defined]
    assert all(r["speaker_id"].startswith(f"{r['speaker_type']}:") for r in recs)
    assert (recs[0]["speaker_id"] == recs[1]["speaker_id"]) is same, recs


def test_corpus_speaker_id_equals_speaker_id_where_no_name_is_linked(nlp: object) -> None:
    texts = ["Zorika Vantanen said the plan was dead. A senior official said it was alive.",
             "Ms. Vantanen said the plan was dead.", "Mirela Oduya said the plan was fine."]
    frame = pd.concat([d.to_pandas() for d in nlp.pipe(texts, ids=["a", "b", "c"])])  # type: ignore[attr-defined]
    out = corpus_speakers(frame)
    linked = out["speaker"] != out["corpus_speaker"]
    assert list(out.loc[linked, "speaker"]) == ["Ms. Vantanen"]  # the lone surname joins the full name
    assert (out.loc[~linked, "corpus_speaker_id"] == out.loc[~linked, "speaker_id"]).all()
    assert out["corpus_speaker_id"].nunique() == 3
