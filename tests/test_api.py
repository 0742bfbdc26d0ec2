"""The public surface: names, input types decide output shape, result types, errors."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import stance
from stance.document import RECORD_FIELDS

TEXT = '"We will not give up," Jane Doe said. The Kremlin said it had nothing to say.'


@pytest.mark.parametrize("name", stance.__all__)
def test_public_names_import(name: str) -> None:
    assert getattr(stance, name) is not None


def test_str_gives_document(nlp: stance.Pipeline) -> None:
    doc = nlp(TEXT)
    assert isinstance(doc, stance.Document)
    assert [q.kind for q in doc.quotes] == ["direct", "indirect"]
    assert doc.quotes[0].kind is stance.QuoteKind.DIRECT
    assert len(doc) == 2 and list(doc) == list(doc.quotes)


def test_results_are_frozen(nlp: stance.Pipeline) -> None:
    q = nlp(TEXT).quotes[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.text = "x"  # type: ignore[misc]


def test_list_gives_list_and_pipe_is_lazy(nlp: stance.Pipeline) -> None:
    docs = nlp([TEXT, "", "No quotes here."])
    assert [len(d) for d in docs] == [2, 0, 0]
    gen = nlp.pipe(iter([TEXT] * 3), batch_size=2)
    assert not isinstance(gen, list)
    assert [len(d) for d in gen] == [2, 2, 2]


def test_batching_does_not_change_results(nlp: stance.Pipeline) -> None:
    texts = [TEXT, "Jane Doe said the plan was dead.", "", TEXT.upper()]
    one = [d.to_records() for d in nlp.pipe(texts, batch_size=1)]
    many = [d.to_records() for d in nlp.pipe(texts, batch_size=64)]
    assert one == many


def test_to_pandas_one_row_per_quote(nlp: stance.Pipeline) -> None:
    frame = nlp(TEXT, id="a1").to_pandas()
    assert len(frame) == 2
    assert list(frame.columns[: len(RECORD_FIELDS) - 1]) == [f for f in RECORD_FIELDS if f != "stance"]
    assert set(frame["doc"]) == {"a1"}
    empty = nlp("").to_pandas()
    assert len(empty) == 0 and "speaker" in empty.columns


def test_dataframe_in_dataframe_out(nlp: stance.Pipeline) -> None:
    df = pd.DataFrame({"body": [TEXT, "Nothing said.", None]}, index=["x", "y", "z"])
    out = nlp(df, text_column="body")
    assert list(out["doc"]) == ["x", "x"]
    assert list(df.columns) == ["body"]  # the user's frame is untouched
    out2 = nlp(df.assign(uid=[7, 8, 9]), text_column="body", id_column="uid")
    assert set(out2["doc"]) == {7}
    with pytest.raises(KeyError, match="text_column"):
        nlp(df)


def test_dataset_in_dataset_out(nlp: stance.Pipeline) -> None:
    from datasets import Dataset

    ds = Dataset.from_dict({"body": [TEXT, "Nothing said.", None], "uid": [7, 8, 9], "other": [1, 2, 3]})
    out = nlp(ds, text_column="body", id_column="uid")
    assert isinstance(out, Dataset)
    assert out["doc"] == [7, 7] and out["speaker"] == nlp(TEXT).to_pandas()["speaker"].tolist()
    assert ds.column_names == ["body", "uid", "other"]  # the user's dataset is untouched
    assert nlp(ds, text_column="body")["doc"] == [0, 0]
    with pytest.raises(KeyError, match="no column 'text'"):
        nlp(ds)
    with pytest.raises(TypeError, match="datasets.Dataset"):
        nlp(3.5)


def test_record_fields_are_the_contract(nlp: stance.Pipeline) -> None:
    rec = nlp(TEXT, id="d").to_records()[0]
    assert tuple(rec) == RECORD_FIELDS
    assert rec["stance"] == {}
    assert rec["mention"] == "Jane Doe" and TEXT[rec["mention_start"] : rec["mention_end"]] == "Jane Doe"


def test_targets_fail_clearly_without_stance_model(nlp: stance.Pipeline) -> None:
    no_model = stance.load(quote_model=None, stance_model=None)
    with pytest.raises(stance.StanceModelUnavailableError, match="stance model"):
        no_model(TEXT, targets=["the plan"])
    with pytest.raises(stance.StanceModelUnavailableError, match="stance model"):
        list(no_model.pipe([TEXT], targets="the plan"))
    with pytest.raises(TypeError, match="targets"):
        nlp(TEXT, targets=[3])  # type: ignore[list-item]


@pytest.mark.parametrize("bad", [3, None, 1.5, {"text": "x"}])
def test_wrong_input_type(nlp: stance.Pipeline, bad: object) -> None:
    with pytest.raises(TypeError, match="str"):
        nlp(bad)


def test_bytes_are_decoded(nlp: stance.Pipeline) -> None:
    doc = nlp('"Caf\xe9 owners are angry," Jane Doe said.'.encode("cp1252"))
    assert doc.quotes[0].text == '"Caf\xe9 owners are angry,"'


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        stance.load(max_chars=-1)
    with pytest.raises(TypeError, match="unknown option"):
        stance.load(colour="red")


def test_enums_accept_plain_strings() -> None:
    s = stance.Speaker(0, "X", "anonymous")
    assert s.type is stance.SpeakerType.ANONYMOUS and s.type == "anonymous"
    with pytest.raises(ValueError, match="valid SpeakerType"):
        stance.Speaker(0, "X", "alien")
