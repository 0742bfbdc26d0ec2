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
from stance.errors import InputError

logger = logging.getLogger(__name__)

__all__ = ["InputDocument", "decode_bytes", "html_to_text", "read_inputs", "write_records"]

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}


@dataclass(frozen=True)
class InputDocument:
    id: str
    text: str


def decode_bytes(data: bytes, *, source: str = "input") -> str:
    """Decode article bytes: UTF-8 first, else Windows-1252/Latin-1 with a logged warning.

    >>> decode_bytes("Kyiv’s".encode("utf-8"))
    'Kyiv’s'
    >>> decode_bytes(b"caf\\xe9")
    'café'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
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
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{name}:{lineno}: not valid JSON ({err.msg}); each line must be an object like {{\"id\": ..., \"text\": ...}}") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise InputError(f"{name}:{lineno}: each JSONL line needs a string field 'text'")
        doc_id = obj.get("id")
        yield InputDocument(str(doc_id) if doc_id is not None else f"{name}:{lineno}", obj["text"])


def _is_jsonl(text: str) -> bool:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not first.lstrip().startswith("{"):
        return False
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def _from_bytes(data: bytes, name: str, suffix: str) -> Iterator[InputDocument]:
    text = decode_bytes(data, source=name)
    if suffix in JSONL_SUFFIXES or (suffix not in HTML_SUFFIXES and _is_jsonl(text)):
        yield from _jsonl_records(text, name)
    elif suffix in HTML_SUFFIXES or _looks_like_html(text):
        yield InputDocument(name, html_to_text(text))
    else:
        yield InputDocument(name, text)


def read_inputs(paths: Iterable[str], *, stdin: IO[bytes] | None = None) -> Iterator[InputDocument]:
    """Articles from files, directories (recursively, sorted) or ``-`` (standard input).

    Formats by suffix, else by content: ``.jsonl`` (one ``{"id", "text"}`` object a line),
    ``.html``/``.htm``, anything else plain text. Document ids are file paths (or JSONL ids).
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
                    yield from _from_bytes(f.read_bytes(), str(f), f.suffix.lower())
                else:
                    logger.info("skipping %s (not .txt, .html or .jsonl)", f)
        elif path.is_file():
            yield from _from_bytes(path.read_bytes(), str(path), path.suffix.lower())
        else:
            raise InputError(f"no such file or directory: {p}")


def _flat(record: dict[str, Any]) -> dict[str, Any]:
    row = dict(record)
    row["stance"] = json.dumps(row["stance"], ensure_ascii=False)
    return row


def write_records(records: Iterable[dict[str, Any]], fmt: str, out: IO[str]) -> int:
    """Write quote records as ``jsonl``, ``csv`` or an aligned ``table``; returns the number written."""
    n = 0
    if fmt == "jsonl":
        for r in records:
            out.write(json.dumps({k: r[k] for k in RECORD_FIELDS}, ensure_ascii=False) + "\n")
            n += 1
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(RECORD_FIELDS), lineterminator="\n")
        writer.writeheader()
        for r in records:
            writer.writerow(_flat({k: r[k] for k in RECORD_FIELDS}))
            n += 1
    elif fmt == "table":
        cols = [("doc", 18), ("speaker", 22), ("speaker_type", 12), ("kind", 8), ("cue", 12), ("text", 60)]
        out.write("  ".join(name.ljust(w) for name, w in cols).rstrip() + "\n")
        for r in records:
            cells = []
            for name, w in cols:
                v = " ".join(str(r[name] if r[name] is not None else "-").split())
                cells.append((v[: w - 1] + "\u2026" if len(v) > w else v).ljust(w))
            out.write("  ".join(cells).rstrip() + "\n")
            n += 1
    else:
        raise ValueError(f"unknown format {fmt!r}; use jsonl, csv or table")
    return n
