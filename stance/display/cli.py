"""``stance render FILE [--target TEXT ...] [--records RECORDS.jsonl] [-o out.html]``: articles as a
self-contained HTML page, analysed now or drawn from records saved by ``stance analyze``.

Wired into :mod:`stance.cli` with :func:`add_parser` and :func:`run`. Exit codes as there:
0 success, 1 the input or the analysis failed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the ``render`` sub-command on an ``argparse`` sub-parsers object."""
    r = subparsers.add_parser(
        "render",
        help="write an article as HTML with its quotes highlighted by speaker",
        description="Analyse FILE (text, HTML, JSONL, CSV, TSV or Parquet; several documents go on one "
        "page) and write a self-contained HTML page: quotes coloured by canonical speaker, cues and "
        "speaker mentions marked, a legend with quote counts. No scripts, no network. With --records, "
        "nothing is analysed: the page shows the records a `stance analyze` run saved (JSONL) on the "
        "articles of FILE, matched by document id.",
    )
    r.add_argument("path", metavar="FILE", help="article file (text, HTML, JSONL, CSV, TSV, Parquet) or - for stdin")
    r.add_argument("--records", metavar="RECORDS.jsonl", default=None,
                   help="draw these saved quote records (stance analyze's JSONL output) instead of analysing; "
                   "no model is loaded. Records must fit the article texts (same FILE, same --text-column)")
    r.add_argument("--text-column", "--text-field", default="text", metavar="NAME",
                   help="the text field of JSONL/CSV/TSV/Parquet rows, as for stance analyze (default: text)")
    r.add_argument("--id-column", "--id-field", default="id", metavar="NAME",
                   help="the id field of rows, as for stance analyze (default: id)")
    r.add_argument(
        "--target", action="append", default=[], metavar="TEXT", help="stance target (repeatable)"
    )
    r.add_argument(
        "-o", "--output", metavar="OUT.html", help="write the page here (default: stdout)"
    )
    r.add_argument("--title", default=None, help="page title (default: the file name)")
    for name in ("quote", "stance"):
        r.add_argument(f"--{name}-model", default="default", metavar="DIR|default|accurate|fast|none" if name == "quote" else "DIR|default|none",
                       help=f"the {name} model, as for stance analyze")
    return r


def _fail(message: object) -> int:
    text = " ".join(str(message).split())
    sys.stderr.write(f"stance: error: {text}\n")
    return 1


def _read_records(path: str) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """Quote records by document id from a JSONL file of ``stance analyze`` output, and the number
    of error records in it (documents that were not analysed)."""
    import json

    by_doc: dict[str, list[dict[str, Any]]] = {}
    errors = 0
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as err:
                hint = " (save records as JSONL: stance analyze --format jsonl, the default)" if n == 1 else ""
                raise ValueError(f"{path}:{n}: not a JSON record: {err.msg}{hint}") from None
            if not isinstance(rec, dict) or "doc" not in rec:
                raise ValueError(f"{path}:{n}: not a quote record (no 'doc' field)")
            if "error" in rec and "start" not in rec:
                errors += 1
                continue
            by_doc.setdefault(str(rec["doc"]), []).append(rec)
    return by_doc, errors


def _render_records(args: argparse.Namespace) -> int:
    """``--records``: documents rebuilt from saved records on their articles' texts, no analysis."""
    from stance.document import Document
    from stance.io import read_inputs

    if args.target:
        return _fail("--target needs an analysis; with --records the page shows the stance the records hold")
    try:
        by_doc, n_errors = _read_records(args.records)
    except (OSError, ValueError, UnicodeDecodeError) as err:
        return _fail(err)
    docs, failed, seen = [], 0, set()
    try:
        for item in read_inputs([args.path], text_column=args.text_column, id_column=args.id_column):
            if item.error:
                failed += _fail(item.error)
                continue
            seen.add(item.id)
            try:
                docs.append(Document.from_records(item.text, by_doc.get(item.id, []), id=item.id))
            except ValueError as err:
                failed += _fail(err)
    except OSError as err:
        return _fail(err)
    unmatched = sorted(set(by_doc) - seen)
    if unmatched:
        shown = ", ".join(map(repr, unmatched[:3])) + (" ..." if len(unmatched) > 3 else "")
        failed += _fail(f"{len(unmatched)} document(s) in {args.records} are not in {args.path}: {shown} "
                        "(analysed from another file, or with another --id-column?)")
    if n_errors:
        sys.stderr.write(f"stance: {n_errors} error record(s) in {args.records}: those documents were not analysed\n")
    if not docs or (by_doc and not set(by_doc) & seen):
        return 1  # nothing to draw, or no record matched: a page without its quotes would mislead
    return _write_page(args, docs, failed)


def _write_page(args: argparse.Namespace, docs: list[Any], failed: int) -> int:
    from stance.display.html import render_page

    title = (
        args.title
        if args.title is not None
        else (Path(args.path).name if args.path != "-" else "stance")
    )
    page = render_page(docs, title=title)
    if args.output:
        try:
            Path(args.output).write_text(page, encoding="utf-8")
        except OSError as err:
            return _fail(f"cannot write {args.output}: {err.strerror or err}")
    else:
        sys.stdout.write(page)
    return 1 if failed else 0


def run(args: argparse.Namespace) -> int:
    """Analyse ``args.path`` (or, with ``--records``, draw saved records on it) and write the HTML
    page; returns the exit code.

    Documents that cannot be read or analysed are reported on stderr, one line each, and left
    out of the page (exit code 1); when none is left, no page is written.
    """
    if args.records is not None:
        return _render_records(args)
    import stance
    from stance.errors import StanceError
    from stance.io import read_inputs

    try:
        nlp = stance.load(quote_model=args.quote_model, stance_model=args.stance_model)  # accepts none/rules
    except (FileNotFoundError, ValueError) as err:
        return _fail(err)
    targets = list(args.target) or None
    docs = []
    failed = 0
    try:
        if targets:
            nlp("", targets=targets)  # fail before reading any input: no made-up labels
        for item in read_inputs([args.path], text_column=args.text_column, id_column=args.id_column):
            error = getattr(item, "error", None)
            if error:
                kind, sep, message = str(error).partition(": ")
                failed += _fail(message if sep and kind.endswith("Error") else error)
                continue
            try:
                docs.append(nlp(item.text, targets=targets, id=item.id))
            except stance.StanceModelUnavailableError:
                raise
            except StanceError as err:
                failed += _fail(f"{item.id}: {err}")
    except stance.StanceModelUnavailableError as err:
        return _fail(err)
    except (StanceError, OSError) as err:
        return _fail(err)
    if failed and not docs:
        return 1
    return _write_page(args, docs, failed)
