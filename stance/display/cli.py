"""``stance render FILE [--target TEXT ...] [-o out.html]``: an article as a self-contained HTML page.

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
        description="Analyse FILE (text, HTML or JSONL; several documents go on one page) and "
        "write a self-contained HTML page: quotes coloured by canonical speaker, cues and "
        "speaker mentions marked, a legend with quote counts. No scripts, no network.",
    )
    r.add_argument("path", metavar="FILE", help="article file (text, HTML, JSONL) or - for stdin")
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


def run(args: argparse.Namespace) -> int:
    """Analyse ``args.path`` and write the HTML page; returns the exit code.

    Documents that cannot be read or analysed are reported on stderr, one line each, and left
    out of the page (exit code 1); when none is left, no page is written.
    """
    import stance
    from stance.display.html import render_page
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
        for item in read_inputs([args.path]):
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
