"""Reading articles (plain text, HTML, JSONL; files, directories, stdin) and writing quote records.

Decoding is never silent about loss: bytes are read as UTF-8 (a BOM is dropped); bytes that
are not valid UTF-8 are read as Windows-1252 (Latin-1 for the five bytes it leaves
undefined) and a warning is logged. HTML is reduced to its visible text with the standard
library's parser: scripts, styles and templates are dropped, nothing is executed or fetched,
and block elements become paragraph breaks. Offsets in the output refer to that text.
"""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any

from stance.document import RECORD_FIELDS

logger = logging.getLogger(__name__)

__all__ = ["InputDocument", "RecordWriter", "decode_bytes", "html_to_text", "read_inputs", "write_records"]

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}


@dataclass(frozen=True)
class InputDocument:
    """One article read from an input; ``error`` is set (and ``text`` empty) when it could not be read."""

    id: str
    text: str
    error: str | None = None


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


def _jsonl_records(text: str, name: str) -> Iterator[InputDocument]:
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            yield _failed(where, f"not valid JSON ({err.msg}); each line must be an object like {{\"id\": ..., \"text\": ...}}")
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            yield _failed(where, "each JSONL line needs a string field 'text'")
            continue
        doc_id = obj.get("id")
        yield InputDocument(str(doc_id) if doc_id is not None else where, obj["text"])


def _failed(doc_id: str, message: str) -> InputDocument:
    return InputDocument(doc_id, "", f"InputError: {doc_id}: {message}")


def _is_jsonl(text: str) -> bool:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not first.lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def _from_bytes(data: bytes, name: str, suffix: str) -> Iterator[InputDocument]:
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        yield _failed(name, "looks like a binary file (NUL bytes); stance reads plain text, HTML or JSONL")
        return
    text = decode_bytes(data, source=name)
    if suffix in JSONL_SUFFIXES or (suffix not in HTML_SUFFIXES and _is_jsonl(text)):
        yield from _jsonl_records(text, name)
    elif suffix in HTML_SUFFIXES or _looks_like_html(text):
        yield InputDocument(name, html_to_text(text))
    else:
        yield InputDocument(name, text)


def read_inputs(paths: Iterable[str], *, stdin: IO[bytes] | None = None) -> Iterator[InputDocument]:
    """Articles from files, directories (recursively, sorted) or ``-`` (standard input), lazily.

    Formats by suffix, else by content: ``.jsonl`` (one ``{"id", "text"}`` object a line),
    ``.html``/``.htm``, anything else plain text. Document ids are file paths (or JSONL ids,
    else ``path:line``). What cannot be read — a missing path, a binary file, a malformed
    JSONL line — is yielded as an :class:`InputDocument` with ``error`` set, never skipped.
    """
    for p in paths:
        if p == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            yield from _from_bytes(stream.read(), "<stdin>", "")
            continue
        path = Path(p)
        if path.is_dir():
            files = sorted(f for f in path.rglob("*") if f.is_file() and not f.name.startswith("."))
            for f in files:
                if f.suffix.lower() in TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | {".json"}:
                    yield from _read_file(f)
                else:
                    logger.info("skipping %s (not .txt, .html or .jsonl)", f)
        elif path.is_file():
            yield from _read_file(path)
        else:
            yield _failed(p, "no such file or directory")


def _read_file(path: Path) -> Iterator[InputDocument]:
    try:
        data = path.read_bytes()
    except OSError as err:
        yield _failed(str(path), f"cannot be read ({err.strerror})")
        return
    yield from _from_bytes(data, str(path), path.suffix.lower())


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    row = dict(record)
    row["stance"] = json.dumps(row["stance"], ensure_ascii=False)
    return row


class RecordWriter:
    """Writes quote records as ``jsonl``, ``csv`` or an aligned ``table``, incrementally.

    ``header=False`` continues an existing file (a resumed run) without a second header.
    """

    TABLE = (("doc", 18), ("speaker", 22), ("speaker_type", 12), ("kind", 8), ("cue", 12), ("text", 60))

    def __init__(self, fmt: str, out: IO[str], *, header: bool = True) -> None:
        if fmt not in ("jsonl", "csv", "table"):
            raise ValueError(f"unknown format {fmt!r}; use jsonl, csv or table")
        self.fmt, self.out, self.header = fmt, out, header
        self._csv = csv.DictWriter(out, fieldnames=list(RECORD_FIELDS), lineterminator="\n") if fmt == "csv" else None

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
            if self.fmt == "jsonl":
                self.out.write(json.dumps(row, ensure_ascii=False) + "\n")
            elif self._csv is not None:
                self._csv.writerow(_flat(row))
            else:
                cells = []
                for name, w in self.TABLE:
                    v = " ".join(str(row[name] if row[name] is not None else "-").split())
                    cells.append((v[: w - 1] + "\u2026" if len(v) > w else v).ljust(w))
                self.out.write("  ".join(cells).rstrip() + "\n")
            n += 1
        return n


def write_records(records: Iterable[dict[str, Any]], fmt: str, out: IO[str]) -> int:
    """Write quote records as ``jsonl``, ``csv`` or an aligned ``table``; returns the number written."""
    return RecordWriter(fmt, out).write(records)
