"""Quote-speaker accuracy on PDNC-format novels, on a tiny novel written for these tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import stance
from stance.cli import main
from stance.data.pdnc import read_novel
from stance.evaluation.pdnc import PdncEvaluator

TEXT = (
    '"I will go to the city," said Ms. Jane Doe.\n\n'
    '"Stay here tonight," Mr. John Roe replied.\n\n'
    '"Why should I?" she asked.\n\n'
    "The city slept under the rain.\n"
)
QUOTES = [  # (quote text without marks, speaker, type)
    ("I will go to the city,", "Jane Doe", "Explicit"),
    ("Stay here tonight,", "John", "Explicit"),  # some novels give an alias, not the main name
    ("Why should I?", "Jane Doe", "Anaphoric"),
    ("The city slept under the rain", "Jane Doe", "Implicit"),  # no marks, no cue: not found
]


@pytest.fixture
def pdnc(tmp_path: Path) -> Path:
    d = tmp_path / "pdnc" / "Tiny"
    d.mkdir(parents=True)
    (d / "novel_text.txt").write_text(TEXT, encoding="utf-8")
    (d / "character_info.csv").write_text(
        'Main Name,Aliases\nJane Doe,"[\'Jane\', \'Ms. Doe\']"\nJohn Roe,"[\'John\', \'Mr. Roe\']"\n', encoding="utf-8"
    )
    rows = ["quoteID,quoteText,quoteByteSpans,speaker,quoteType,referringExpression"]
    for k, (q, who, typ) in enumerate(QUOTES):
        a = TEXT.index(q)
        rows.append(f'Q{k},"{q}","[[{a}, {a + len(q)}]]",{who},{typ},')
    (d / "quotation_info.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return tmp_path / "pdnc"


def test_reader(pdnc: Path) -> None:
    novel = read_novel(pdnc, "Tiny")
    assert [novel.text[q.spans[0][0] : q.spans[0][1]] for q in novel.quotes] == [q for q, _, _ in QUOTES]
    assert novel.aliases["Jane Doe"] == {"jane doe", "jane", "ms. doe"}
    with pytest.raises(FileNotFoundError, match="no PDNC novel"):
        read_novel(pdnc, "Missing")


def test_evaluator(pdnc: Path, nlp: stance.Pipeline) -> None:
    ev = PdncEvaluator(pdnc, ["Tiny"], bootstrap=20)
    result = ev(nlp)
    assert result["n"] == 4 and result["coverage"] == 0.75
    assert result["accuracy_detected"] == 1.0, ev.errors().to_dict("records")
    assert result["accuracy"] == 0.75 and result["accuracy_implicit"] == 0.0 and result["n_explicit"] == 2
    assert ev.errors()["error"].tolist() == ["not detected"]
    assert result["per_novel"] == {"Tiny": 0.75}
    # before any run (or with nothing wrong) the table is empty but keeps its columns
    assert PdncEvaluator(pdnc, ["Tiny"]).errors().columns.tolist() == ["novel", "type", "quote", "gold", "predicted", "error"]


def test_cli(pdnc: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["evaluate", "speakers", "--pdnc", str(pdnc), "--novels", "Tiny", "--quote-model", "none", "--bootstrap", "0"]
    assert main([*args, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy_anaphoric"] == 1.0
    assert main(args) == 0
    assert "PDNC 1 novels: 4 gold quotations" in capsys.readouterr().out
