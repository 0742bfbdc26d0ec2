"""Reading articles (plain text, HTML, JSONL, CSV, TSV, Parquet; files, directories, stdin) and
writing quote records.

Decoding is never silent about loss: bytes are read as UTF-8 (a BOM is dropped); bytes that
are not valid UTF-8 are read as Windows-1252 (Latin-1 for the five bytes it leaves
undefined) and a warning is logged. HTML is reduced to its visible text with the standard
library's parser: scripts, styles and templates are dropped, nothing is executed or fetched,
and block elements become paragraph breaks. Offsets in the output refer to that text.

Row inputs (JSONL, CSV, TSV, Parquet) give one document per row: the text from one field or
column, the id from another (else ``path:line``, or ``path:row`` for Parquet), and every other
field in :attr:`InputDocument.meta`, as JSON values. CSV and TSV are streamed row by row (one
header row; quoted fields may hold newlines and fields up to 2**31 - 1 characters); Parquet is
read in batches of rows with pyarrow.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import logging
import math
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any

from stance.document import RECORD_FIELDS

logger = logging.getLogger(__name__)

__all__ = [
    "InputDocument", "RecordWriter", "decode_bytes", "html_to_text", "may_carry_fields", "read_inputs",
    "write_records",
]

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t"}  # the delimiter of each
PARQUET_SUFFIXES = {".parquet"}
READ_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | {".json"} | set(TABLE_SUFFIXES) | PARQUET_SUFFIXES

#: the largest ``csv.field_size_limit`` every platform accepts (a C long on Windows); the default,
#: 131,072 characters, is shorter than some articles
CSV_FIELD_LIMIT = 2**31 - 1
_PARQUET_BATCH = 256  # rows decoded at a time


@dataclass(frozen=True)
class InputDocument:
    """One article read from an input; ``error`` is set (and ``text`` empty) when it could not be read.

    ``meta``: the other fields of the input row (JSONL, CSV, TSV, Parquet) as JSON values; empty
    for a whole file.
    """

    id: str
    text: str
    error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def decode_bytes(data: bytes, *, source: str = "input") -> str:
    """Decode article bytes: UTF-8 first, else Windows-1252/Latin-1 with a logged warning.

    >>> decode_bytes("Kyiv’s".encode("utf-8"))
    'Kyiv’s'
    >>> decode_bytes(b"caf\\xe9")
    'café'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        logger.warning("%s is not valid UTF-8 (%s); decoding it as Windows-1252", source, err.reason)
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_SKIP = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
    "blockquote", "section", "article", "header", "footer", "figure", "figcaption", "pre", "hr",
    "title", "dd", "dt", "main", "aside", "nav",
}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one paragraph per block element; scripts and styles dropped.

    >>> html_to_text('<p>"Yes," she said.</p><script>alert(1)</script><p>B &amp; C</p>')
    '"Yes," she said.\\n\\nB & C'
    """
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    raw = "".join(parser.parts)
    paragraphs = [" ".join(p.split()) for p in raw.split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def _looks_like_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or "<body" in head


def _json_value(value: Any) -> Any:
    """``value`` as a JSON value: NaN and infinities become ``None``, dates ISO strings, numpy
    scalars Python numbers, bytes text (UTF-8, else hex) and anything else its ``str``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.hex()
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _json_value(value.item())
    return str(value)


def _row_document(row: dict[str, Any], where: str, text_column: str, id_column: str, noun: str) -> InputDocument:
    """One document from an input row: its text, its id (else ``where``) and the other fields as ``meta``.

    A row without the text field is an error naming the fields it has; a null text is an empty
    document; a text that is not a string (or bytes) is an error.
    """
    raw_id = row.get(id_column)
    doc_id = where if raw_id is None or raw_id == "" else str(raw_id)
    meta = {str(k): _json_value(v) for k, v in row.items() if k != text_column and k != id_column}
    if text_column not in row:
        present = ", ".join(repr(str(k)) for k in row) or "none"
        wanted = f"a string field {text_column!r}" if noun == "field" else f"a column {text_column!r}"
        return InputDocument(doc_id, "", f"InputError: {where}: needs {wanted} for the text; the {noun}s present are {present}", meta)
    text = row[text_column]
    if text is None:
        text = ""
    elif isinstance(text, bytes):
        text = decode_bytes(text, source=where)
    elif not isinstance(text, str):
        return InputDocument(doc_id, "", f"InputError: {where}: {noun} {text_column!r} holds {type(text).__name__}, not text", meta)
    return InputDocument(doc_id, text, None, meta)


def _jsonl_records(text: str, name: str, text_column: str, id_column: str) -> Iterator[InputDocument]:
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            yield _failed(where, f"not valid JSON ({err.msg}); each line must be an object like {{\"id\": ..., \"text\": ...}}")
            continue
        if not isinstance(obj, dict):
            yield _failed(where, f"each JSONL line must be an object with a string field {text_column!r}")
            continue
        yield _row_document(obj, where, text_column, id_column, "field")


def _failed(doc_id: str, message: str) -> InputDocument:
    return InputDocument(doc_id, "", f"InputError: {doc_id}: {message}")


def _decoded_lines(fh: IO[bytes], name: str) -> Iterator[str]:
    """The lines of a binary file as text, each with its line end: UTF-8 (a BOM dropped), a line
    that is not valid UTF-8 as Windows-1252/Latin-1 (logged once per file)."""
    warned = False
    for lineno, raw in enumerate(fh, 1):
        if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            if not warned:
                logger.warning("%s:%d is not valid UTF-8 (%s); decoding such lines as Windows-1252", name, lineno, err.reason)
                warned = True
            try:
                line = raw.decode("cp1252")
            except UnicodeDecodeError:
                line = raw.decode("latin-1")
        yield line


def _duplicates(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    repeated: set[str] = set()
    for n in names:
        (repeated if n in seen else seen).add(n)
    return sorted(repeated)


def _table_records(path: Path, delimiter: str, text_column: str, id_column: str) -> Iterator[InputDocument]:
    """One document per row of a CSV or TSV file (with a header row), read row by row.

    Row ids default to ``path:line`` (the line the row starts on; the header is line 1). A row
    with more or fewer fields than the header is an error for that row; malformed quoting ends
    the file with an error (the rows before it stand).
    """
    name, kind = str(path), "TSV" if delimiter == "\t" else "CSV"
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        fh = path.open("rb")
    except OSError as err:
        yield _failed(name, f"cannot be read ({err.strerror})")
        return
    with fh:
        head = fh.read(8192)
        fh.seek(0)
        lines: Iterable[str]
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # e.g. Excel's "Unicode text"
            lines = io.TextIOWrapper(fh, encoding="utf-16", errors="replace", newline="")
        elif b"\x00" in head:
            yield _failed(name, f"looks like a binary file (NUL bytes), not {kind}")
            return
        else:
            lines = _decoded_lines(fh, name)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        line = 1  # the line the next row starts on
        try:
            header = next(reader, None)
            while header == []:  # blank lines before the header
                line = reader.line_num + 1
                header = next(reader, None)
            if header is None:
                logger.warning("%s is empty: no header row, no documents", name)
                return
            if dup := _duplicates(header):
                yield _failed(name, f"the header names {', '.join(map(repr, dup))} more than once")
                return
            line = reader.line_num + 1
            n_rows = 0
            for row in reader:
                where = f"{name}:{line}"
                line = reader.line_num + 1
                if not row:
                    continue  # a blank line
                n_rows += 1
                if len(row) != len(header):
                    yield _failed(where, f"{kind} row has {len(row)} fields but the header has {len(header)}")
                    continue
                yield _row_document(dict(zip(header, row, strict=True)), where, text_column, id_column, "column")
            if not n_rows:
                logger.warning("%s has a header and no rows: no documents", name)
        except csv.Error as err:
            yield _failed(f"{name}:{line}", f"malformed {kind} ({err}); the rest of the file is not read")


def _parquet_records(path: Path, text_column: str, id_column: str) -> Iterator[InputDocument]:
    """One document per row of a Parquet file, decoded a batch of rows at a time (pyarrow).
    Row ids default to ``path:N``, N counting rows from 1."""
    name = str(path)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        yield _failed(name, "reading Parquet needs pyarrow; install it with: pip install pyarrow")
        return
    row_number = 0
    try:
        parquet = pq.ParquetFile(path)
        if dup := _duplicates(parquet.schema_arrow.names):
            yield _failed(name, f"the file names the columns {', '.join(map(repr, dup))} more than once")
            return
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH):
            for row in batch.to_pylist():
                row_number += 1
                yield _row_document(row, f"{name}:{row_number}", text_column, id_column, "column")
    except (OSError, ValueError, pa.ArrowException) as err:
        where = name if not row_number else f"{name}:{row_number + 1}"
        yield _failed(where, f"not a readable Parquet file ({str(err).splitlines()[0] if str(err) else type(err).__name__})")


def _is_jsonl(text: str) -> bool:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not first.lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def _from_bytes(data: bytes, name: str, suffix: str, text_column: str = "text", id_column: str = "id") -> Iterator[InputDocument]:
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        yield _failed(name, "looks like a binary file (NUL bytes); stance reads plain text, HTML, JSONL, CSV, TSV "
                      "or Parquet (.parquet)")
        return
    text = decode_bytes(data, source=name)
    if suffix in JSONL_SUFFIXES or (suffix not in HTML_SUFFIXES and _is_jsonl(text)):
        yield from _jsonl_records(text, name, text_column, id_column)
    elif suffix in HTML_SUFFIXES or _looks_like_html(text):
        yield InputDocument(name, html_to_text(text))
    else:
        yield InputDocument(name, text)


def _directory_files(path: Path, *, log: bool = True) -> Iterator[Path]:
    """The files of a directory that :func:`read_inputs` reads, recursively, sorted."""
    for f in sorted(f for f in path.rglob("*") if f.is_file() and not f.name.startswith(".")):
        if f.suffix.lower() in READ_SUFFIXES:
            yield f
        elif log:
            logger.info("skipping %s (not text, HTML, JSONL, CSV, TSV or Parquet)", f)


def read_inputs(
    paths: Iterable[str], *, stdin: IO[bytes] | None = None, text_column: str = "text", id_column: str = "id"
) -> Iterator[InputDocument]:
    """Articles from files, directories (recursively, sorted) or ``-`` (standard input), lazily.

    Formats by suffix, else by content: ``.jsonl`` (one object a line), ``.csv`` and ``.tsv``
    (a header row, then one article a row), ``.parquet`` (one article a row; needs pyarrow),
    ``.html``/``.htm``, anything else plain text. In a row, the text is the ``text_column``
    field and the id the ``id_column`` field (else ``path:line``; ``path:row`` for Parquet);
    every other field goes into :attr:`InputDocument.meta`. Whole files have their path as id.
    What cannot be read — a missing path, a binary file, a malformed JSONL line or CSV, a row
    without the text field — is yielded as an :class:`InputDocument` with ``error`` set,
    never skipped; a row whose text is empty or null is an empty document.
    """
    for p in paths:
        if p == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from _from_bytes(stream.read(), "<stdin>", "", text_column, id_column)
            continue
        path = Path(p)
        if path.is_dir():
            for f in _directory_files(path):
                yield from _read_file(f, text_column, id_column)
        elif path.is_file():
            yield from _read_file(path, text_column, id_column)
        else:
            yield _failed(p, "no such file or directory")


def _read_file(path: Path, text_column: str = "text", id_column: str = "id") -> Iterator[InputDocument]:
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        yield from _table_records(path, TABLE_SUFFIXES[suffix], text_column, id_column)
        return
    if suffix in PARQUET_SUFFIXES:
        yield from _parquet_records(path, text_column, id_column)
        return
    try:
        data = path.read_bytes()
    except OSError as err:
        yield _failed(str(path), f"cannot be read ({err.strerror})")
        return
    yield from _from_bytes(data, str(path), suffix, text_column, id_column)


def _may_be_rows(path: Path) -> bool:
    """Whether :func:`read_inputs` may read ``path`` as rows (JSONL, CSV, TSV, Parquet): by
    suffix, else whether it starts like JSONL (a ``{``, or a UTF-16 BOM) — never a miss."""
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES or suffix in TABLE_SUFFIXES or suffix in PARQUET_SUFFIXES:
        return True
    if suffix in HTML_SUFFIXES:
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"{") or (not head and path.stat().st_size > 4096)


def may_carry_fields(paths: Iterable[str]) -> bool:
    """Whether any input in ``paths`` may be read as rows whose other fields go into
    :attr:`InputDocument.meta` (so a CSV of records needs a ``meta`` column); reads at most the
    first 4 KiB of each file that is neither rows by its suffix nor HTML. ``-`` (stdin) may be JSONL."""
    for p in paths:
        path = Path(p)
        if p == "-" or (path.is_file() and _may_be_rows(path)):
            return True
        if path.is_dir() and any(_may_be_rows(f) for f in _directory_files(path, log=False)):
            return True
    return False


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    row = dict(record)
    row["stance"] = json.dumps(row["stance"], ensure_ascii=False)
    return row


class RecordWriter:
    """Writes quote records as ``jsonl``, ``csv`` or an aligned ``table``, incrementally.

    ``header=False`` continues an existing file (a resumed run) without a second header. A
    record's ``meta`` (the other fields of its input row) is written as a ``"meta"`` object after
    the record fields in JSONL (only when there is one), as a last ``meta`` column holding that
    object as JSON in CSV when ``meta=True`` (empty for a record without), and not in a table.
    """

    TABLE = (("doc", 18), ("speaker", 22), ("speaker_type", 12), ("kind", 8), ("cue", 12), ("text", 60))

    def __init__(self, fmt: str, out: IO[str], *, header: bool = True, meta: bool = False) -> None:
        if fmt not in ("jsonl", "csv", "table"):
            raise ValueError(f"unknown format {fmt!r}; use jsonl, csv or table")
        self.fmt, self.out, self.header, self.meta = fmt, out, header, meta
        fields = list(RECORD_FIELDS) + (["meta"] if meta else [])
        self._csv = csv.DictWriter(out, fieldnames=fields, lineterminator="\n") if fmt == "csv" else None

    def _write_header(self) -> None:
        self.header = False
        if self._csv is not None:
            self._csv.writeheader()
        elif self.fmt == "table":
            self.out.write("  ".join(name.ljust(w) for name, w in self.TABLE).rstrip() + "\n")

    def write(self, records: Iterable[dict[str, Any]]) -> int:
        if self.header:
            self._write_header()
        n = 0
        for r in records:
            row = {k: r[k] for k in RECORD_FIELDS}
            meta = r.get("meta")
            if self.fmt == "jsonl":
                if meta:
                    row["meta"] = meta
                self.out.write(json.dumps(row, ensure_ascii=False) + "\n")
            elif self._csv is not None:
                if self.meta:
                    row["meta"] = json.dumps(meta, ensure_ascii=False) if meta else ""
                elif meta:
                    raise ValueError("a record carries input fields (meta) but this CSV has no meta column")
                self._csv.writerow(_flat(row))
            else:
                cells = []
                for name, w in self.TABLE:
                    v = " ".join(str(row[name] if row[name] is not None else "-").split())
                    cells.append((v[: w - 1] + "\u2026" if len(v) > w else v).ljust(w))
                self.out.write("  ".join(cells).rstrip() + "\n")
            n += 1
        return n


def write_records(records: Iterable[dict[str, Any]], fmt: str, out: IO[str], *, meta: bool = False) -> int:
    """Write quote records as ``jsonl``, ``csv`` or an aligned ``table``; returns the number written
    (``meta``: give a CSV its ``meta`` column, see :class:`RecordWriter`)."""
    return RecordWriter(fmt, out, meta=meta).write(records)
