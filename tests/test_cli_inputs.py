"""`stance analyze` on row inputs (JSONL, CSV, TSV, Parquet): text and id columns, metadata
passed through to quote and error records, bad rows and bad files, and resume with metadata."""

from __future__ import annotations

import csv
import datetime
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stance import runner
from stance.cli import main
from stance.document import RECORD_FIELDS
from stance.io import may_carry_fields, read_inputs

ARTICLE = '"We will not give up," Jane Doe said. The Kremlin said it had nothing to say.'
SHORT = '"No deal," Bob Smith said.'
QUOTES = {ARTICLE: ['"We will not give up,"', "it had nothing to say"], SHORT: ['"No deal,"']}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``stance analyze`` with the rules alone, in one process: exact and fast."""
    rc = main(["analyze", *args, "--quote-model", "none", "--stance-model", "none", "--parse-processes", "1"])
    out, err = capsys.readouterr()
    return rc, out, err


def _records(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def _by_doc(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        found.setdefault(r["doc"], []).append(r)
    return found


# Writers of one table, each as its format stores it: CSV and TSV hold strings only (an absent
# value is an empty cell); JSONL and Parquet keep numbers (and leave an absent id out or null).


def _write_delimited(path: Path, rows: list[dict[str, Any]], delimiter: str) -> None:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, delimiter=delimiter, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps({k: v for k, v in row.items() if v is not None}) + "\n" for row in rows),
                    encoding="utf-8")


def _write_parquet(path: Path, rows: list[dict[str, Any]]) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=1)  # several row groups


WRITERS: dict[str, tuple[str, Callable[[Path, list[dict[str, Any]]], None]]] = {
    "csv": (".csv", lambda p, rows: _write_delimited(p, rows, ",")),
    "tsv": (".tsv", lambda p, rows: _write_delimited(p, rows, "\t")),
    "jsonl": (".jsonl", _write_jsonl),
    "parquet": (".parquet", _write_parquet),
}


@pytest.mark.parametrize(
    ("fmt", "second_id", "words"),
    [
        ("csv", "{path}:3", "14"),  # the line the row starts on (the header is line 1)
        ("tsv", "{path}:3", "14"),
        ("jsonl", "{path}:2", 14),  # as JSONL ids always were: the line
        ("parquet", "{path}:2", 14),  # the row, counted from 1
    ],
)
@pytest.mark.parametrize("options", [("--text-column", "--id-column"), ("--text-field", "--id-field")])
def test_rows_with_custom_columns_and_metadata(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str, second_id: str, words: Any, options: tuple[str, str]
) -> None:
    suffix, write = WRITERS[fmt]
    path = tmp_path / f"articles{suffix}"
    rows = [
        {"key": "a1", "body": ARTICLE, "outlet": "BBC", "words": 14},
        {"key": None, "body": SHORT, "outlet": "CNN", "words": 14},
    ]
    write(path, rows)
    rc, out, err = run(capsys, str(path), options[0], "body", options[1], "key")
    assert rc == 0, err
    docs = _by_doc(_records(out))
    assert list(docs) == ["a1", second_id.format(path=path)]
    for (doc_id, recs), text, outlet in zip(docs.items(), (ARTICLE, SHORT), ("BBC", "CNN"), strict=True):
        assert [r["text"] for r in recs] == QUOTES[text], doc_id
        assert all(text[r["start"] : r["end"]] == r["text"] for r in recs)
        assert all(list(r) == [*RECORD_FIELDS, "meta"] for r in recs)
        assert all(r["meta"] == {"outlet": outlet, "words": words} for r in recs)
    assert "2 documents, 2 ok, 0 failed, 3 quotes" in err


def test_default_columns_id_from_column_and_default_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.csv"
    path.write_text(f'id,text\nx-7,"{SHORT.replace(chr(34), 2 * chr(34))}"\n,"{SHORT.replace(chr(34), 2 * chr(34))}"\n',
                    encoding="utf-8")
    rc, out, _ = run(capsys, str(path))
    assert rc == 0
    recs = _records(out)
    assert [r["doc"] for r in recs] == ["x-7", f"{path}:3"]
    assert all(list(r) == list(RECORD_FIELDS) for r in recs)  # nothing else in the row: no meta


def test_parquet_values_stay_json_types(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.parquet"
    _write_parquet(path, [{
        "id": 7, "text": SHORT, "date": datetime.date(2024, 1, 2), "score": float("nan"), "ok": True,
        "tags": ["a", "b"], "at": datetime.datetime(2024, 1, 2, 3, 4, 5),
    }])
    rc, out, _ = run(capsys, str(path))
    assert rc == 0
    (rec,) = _records(out)
    assert rec["doc"] == "7"
    assert rec["meta"] == {"date": "2024-01-02", "score": None, "ok": True, "tags": ["a", "b"], "at": "2024-01-02T03:04:05"}


def test_jsonl_metadata_round_trips_json_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meta = {"outlet": "BBC", "n": 3, "share": 0.5, "flag": False, "none": None, "nested": {"a": [1, "x"]}}
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "j1", "text": SHORT, **meta}) + "\n" + '{"id": "j2", "text": "x", "bad": NaN}\n',
                    encoding="utf-8")
    rc, out, _ = run(capsys, str(path))
    assert rc == 0
    (rec,) = _records(out)
    assert rec["meta"] == meta
    errors_path = tmp_path / "err.jsonl"
    path.write_text('{"id": "j2", "body": "x", "bad": NaN}\n', encoding="utf-8")
    assert run(capsys, str(path), "--errors", str(errors_path))[0] == 1
    (failure,) = _records(errors_path.read_text(encoding="utf-8"))
    assert failure["meta"] == {"body": "x", "bad": None}  # JSON has no NaN


def test_csv_output_has_a_meta_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "a.csv"
    _write_delimited(table, [{"id": "a1", "text": ARTICLE, "outlet": "BBC", "date": "2024-01-02"}], ",")
    plain = tmp_path / "b.txt"
    plain.write_text(SHORT, encoding="utf-8")
    rc, out, _ = run(capsys, str(table), str(plain), "--format", "csv")
    assert rc == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == [*RECORD_FIELDS, "meta"]
    assert [(r["doc"], r["meta"] and json.loads(r["meta"])) for r in rows] == [
        ("a1", {"outlet": "BBC", "date": "2024-01-02"}), ("a1", {"outlet": "BBC", "date": "2024-01-02"}),
        (str(plain), ""),
    ]
    rc, out, _ = run(capsys, str(plain), "--format", "csv")  # no input with fields: the columns as before
    assert rc == 0 and out.splitlines()[0].split(",") == list(RECORD_FIELDS)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("plain.txt", "Just text.", False),
        ("page.html", "<p>{not rows}</p>", False),
        ("rows.txt", '\ufeff  {"id": 1, "text": "t"}\n', True),  # read as JSONL by its content
        ("table.csv", "id,text\n", True),
        ("table.parquet", "", True),
    ],
)
def test_may_carry_fields(tmp_path: Path, name: str, content: str, expected: bool) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    assert may_carry_fields([str(tmp_path / name)]) is expected
    assert may_carry_fields([str(tmp_path)]) is expected  # the same, found in a directory


def test_missing_text_column_is_an_error_record_per_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.csv"
    _write_delimited(path, [{"id": "a1", "body": SHORT, "outlet": "BBC"}, {"id": "a2", "body": SHORT, "outlet": "CNN"}], ",")
    errors = tmp_path / "err.jsonl"
    rc, out, err = run(capsys, str(path), "--keep-going", "--errors", str(errors))
    assert rc == 1 and out == ""
    failures = _records(errors.read_text(encoding="utf-8"))
    assert [(f["doc"], f["error"]) for f in failures] == [("a1", "InputError"), ("a2", "InputError")]
    assert "'text'" in failures[0]["message"] and "'id', 'body', 'outlet'" in failures[0]["message"]
    assert f"{path}:2" in failures[0]["message"]
    assert failures[1]["meta"] == {"body": SHORT, "outlet": "CNN"}
    assert "2 documents, 0 ok, 2 failed" in err


def test_a_failed_document_keeps_its_metadata(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.csv"
    _write_delimited(path, [{"id": "long", "text": ARTICLE, "outlet": "BBC"}, {"id": "short", "text": SHORT, "outlet": "CNN"}], ",")
    errors = tmp_path / "err.jsonl"
    rc, out, _ = run(capsys, str(path), "--max-chars", "40", "--keep-going", "--errors", str(errors))
    assert rc == 1 and [r["meta"] for r in _records(out)] == [{"outlet": "CNN"}]
    (failure,) = _records(errors.read_text(encoding="utf-8"))
    assert (failure["doc"], failure["error"], failure["meta"]) == ("long", "DocumentTooLargeError", {"outlet": "BBC"})


def test_missing_text_field_in_one_jsonl_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "ok", "body": SHORT}) + "\n" + json.dumps({"id": "bad", "title": "T"}) + "\n",
                    encoding="utf-8")
    rc, out, err = run(capsys, str(path), "--text-field", "body", "--keep-going")
    assert rc == 1
    assert [r["doc"] for r in _records(out)] == ["ok"]
    (failure,) = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert failure["doc"] == "bad" and "'body'" in failure["message"] and "'id', 'title'" in failure["message"]
    assert failure["meta"] == {"title": "T"}


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_empty_or_null_text_is_an_empty_document(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    suffix, write = WRITERS[fmt]
    path = tmp_path / f"a{suffix}"
    rows: list[dict[str, Any]] = [{"id": "e", "text": "", "n": "1"}, {"id": "z", "text": None, "n": "2"}]
    if fmt == "csv":
        rows = rows[:1]  # a CSV cannot tell null from empty
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")  # with "text": null
    else:
        write(path, rows)
    rc, out, err = run(capsys, str(path))
    assert rc == 0 and out == ""
    assert f"{len(rows)} document{'s' if len(rows) > 1 else ''}, {len(rows)} ok, 0 failed, 0 quotes" in err


def test_header_only_csv_gives_no_documents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,text,outlet\n", encoding="utf-8")
    rc, out, err = run(capsys, str(path))
    assert (rc, out) == (0, "")
    assert "0 documents, 0 ok, 0 failed, 0 quotes" in err and "no rows" in caplog.text


def test_csv_field_with_newlines_quotes_and_over_the_default_size_limit(tmp_path: Path) -> None:
    long_text = ARTICLE + "\n\n" + "x" * 200_000 + '\n"Quoted, with ""marks""," he said.'
    path = tmp_path / "a.csv"
    _write_delimited(path, [{"id": "big", "text": long_text, "note": 'a "b",\nc'}, {"id": "next", "text": SHORT}], ",")
    limit = csv.field_size_limit(131_072)  # the default, whatever an earlier test set
    try:
        docs = list(read_inputs([str(path)]))
    finally:
        csv.field_size_limit(max(limit, csv.field_size_limit()))
    assert [(d.id, d.text, d.error, d.meta) for d in docs] == [
        ("big", long_text, None, {"note": 'a "b",\nc'}), ("next", SHORT, None, {"note": ""}),
    ]


def test_embedded_newlines_keep_offsets_and_line_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = 'First paragraph.\n\n"We will not give up," Jane Doe said.\r\n"Never," she said.'
    path = tmp_path / "a.csv"
    _write_delimited(path, [{"text": text}, {"text": SHORT}], ",")
    rc, out, _ = run(capsys, str(path))
    assert rc == 0
    recs = _records(out)
    assert [r["text"] for r in recs] == ['"We will not give up,"', '"Never,"', '"No deal,"']
    assert all(text[r["start"] : r["end"]] == r["text"] for r in recs[:2])
    assert [r["doc"] for r in recs] == [f"{path}:2"] * 2 + [f"{path}:6"]  # the first row is lines 2-5


@pytest.mark.parametrize(
    ("content", "message", "ok"),
    [
        ('id,text\n1,"Bob said no."\n2,"never closed\n', "bad.csv:3: malformed CSV (unexpected end of data)", 1),
        ('id,text\n1,"Bob said no."\n2,"x"y\n3,"Bob said no."\n', "bad.csv:3: malformed CSV", 1),
        ("id,text\n1,a,b\n2,text\n", "bad.csv:2: CSV row has 3 fields but the header has 2", 1),
        ("id,text,id\n1,a,b\n", "the header names 'id' more than once", 0),
        ("id,text\n1,a\x00b\n", "binary file", 0),
    ],
    ids=["unterminated", "junk-after-quote", "field-count", "duplicate-header", "binary"],
)
def test_malformed_csv_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str, ok: int
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    rc, _, err = run(capsys, str(path), "--keep-going")
    assert rc == 1 and message in err and "Traceback" not in err
    assert f", {ok} ok, 1 failed" in err


def test_utf16_tsv_with_bom(tmp_path: Path) -> None:
    """Excel's "Unicode text" export: UTF-16 with a BOM, tab-separated."""
    path = tmp_path / "a.tsv"
    path.write_bytes("id\ttext\toutlet\r\nu1\tKyiv\u2019s mayor spoke.\tBBC\r\n".encode("utf-16"))
    assert [(d.id, d.text, d.meta) for d in read_inputs([str(path)])] == [("u1", "Kyiv\u2019s mayor spoke.", {"outlet": "BBC"})]


def test_unreadable_parquet_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(b"not parquet at all")
    rc, _, err = run(capsys, str(path))
    assert rc == 1 and "not a readable Parquet file" in err and "Traceback" not in err


def test_parquet_without_pyarrow_says_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.parquet"
    path.write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    rc, _, err = run(capsys, str(path))
    assert rc == 1 and "pip install pyarrow" in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if "pyarrow" in line]) == 1


def test_directories_read_row_files(tmp_path: Path) -> None:
    _write_delimited(tmp_path / "a.csv", [{"id": "c1", "text": "one"}], ",")
    _write_delimited(tmp_path / "b.tsv", [{"id": "t1", "text": "two", "src": "x"}], "\t")
    _write_parquet(tmp_path / "c.parquet", [{"id": "p1", "text": "three"}])
    (tmp_path / "d.txt").write_text("four", encoding="utf-8")
    docs = list(read_inputs([str(tmp_path)]))
    assert [(d.id, d.text, d.meta) for d in docs] == [
        ("c1", "one", {}), ("t1", "two", {"src": "x"}), ("p1", "three", {}), (str(tmp_path / "d.txt"), "four", {}),
    ]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_resume_with_metadata_gives_identical_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    src = tmp_path / "in.csv"
    _write_delimited(src, [{"key": f"d{i}", "body": ARTICLE if i % 2 else SHORT, "outlet": f"o{i}"} for i in range(7)], ",")
    args = [str(src), "--text-column", "body", "--id-column", "key", "--format", fmt, "--batch-size", "2"]
    full, part = tmp_path / f"full.{fmt}", tmp_path / f"part.{fmt}"
    assert run(capsys, *args, "-o", str(full))[0] == 0

    write_batch, calls = runner._write_batch, []

    def interrupted(*a: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # after two batches (four documents) are written and checkpointed
        return write_batch(*a)

    monkeypatch.setattr(runner, "_write_batch", interrupted)
    rc, _, err = run(capsys, *args, "-o", str(part))
    assert rc == 130 and "--resume" in err
    monkeypatch.setattr(runner, "_write_batch", write_batch)
    with part.open("a", encoding="utf-8") as fh:
        fh.write('{"doc": "half a batch written when the process died' + " ..." * 10_000)
    rc, _, err = run(capsys, *args, "-o", str(part), "--resume", "--text-column", "text")
    assert rc == 1 and "other inputs or settings" in err  # a checkpoint of other columns is refused
    rc, _, err = run(capsys, *args, "-o", str(part), "--resume")
    assert rc == 0, err
    assert part.read_bytes() == full.read_bytes()
    assert "7 documents, 7 ok, 0 failed, 10 quotes" in err
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(full.read_text(encoding="utf-8"))))
        assert [json.loads(r["meta"]) for r in rows][-1] == {"outlet": "o6"}
    else:
        assert _records(full.read_text(encoding="utf-8"))[-1]["meta"] == {"outlet": "o6"}
