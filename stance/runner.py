"""Long, unattended runs: stream inputs through the pipeline, write each document's records as
soon as it (and every input before it) is done, account for every document, checkpoint at
document boundaries, and resume after an interruption with exactly the output an
uninterrupted run writes.

The checkpoint is a sidecar file ``<output>.progress`` (JSON lines): a header naming the
inputs and format, then at a document boundary the number of inputs done and the byte size of
the output (and errors) file at that point: after every ``batch_size`` documents or
:data:`CHECKPOINT_SECONDS`, whichever comes first, and at the end. Resuming truncates the
output to the last checkpoint (dropping what was written after it when the process died) and
skips the inputs done.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import IO, Any

from stance.document import Document
from stance.io import InputDocument, RecordWriter, may_carry_fields, read_inputs
from stance.pipeline import Pipeline

logger = logging.getLogger(__name__)

PROGRESS_VERSION = 1
#: at most this many seconds between checkpoints (at the next document boundary after it)
CHECKPOINT_SECONDS = 2.0


@dataclass
class RunSummary:
    n_docs: int = 0
    n_ok: int = 0
    n_failed: int = 0
    n_quotes: int = 0
    stopped_early: bool = False

    def line(self) -> str:
        def n(count: int, noun: str) -> str:
            return f"{count} {noun}{'' if count == 1 else 's'}"

        return f"{n(self.n_docs, 'document')}, {self.n_ok} ok, {self.n_failed} failed, {n(self.n_quotes, 'quote')}"


class _Progress:
    def __init__(self, path: str, header: dict[str, Any]) -> None:
        self.path, self.header = path, header

    def last(self) -> dict[str, Any] | None:
        """The last complete checkpoint, or ``None``; refuses a checkpoint of other inputs."""
        if not os.path.exists(self.path):
            return None
        with open(self.path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                break  # a line cut by a kill: everything before it is valid
        if not records:
            return None
        if records[0] != self.header:
            raise ValueError(
                f"{self.path} records a run over other inputs or settings ({records[0]}); "
                f"remove it or rerun without --resume"
            )
        return records[-1] if len(records) > 1 else {"n_inputs": 0, "out_offset": 0, "err_offset": 0,
                                                     "n_ok": 0, "n_failed": 0, "n_quotes": 0}

    def start(self) -> None:
        with open(self.path, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(self.header) + "\n")

    def checkpoint(self, state: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(state) + "\n")
            fh.flush()
            os.fsync(fh.fileno())


def analyze_files(
    nlp: Pipeline,
    paths: Sequence[str],
    *,
    out: IO[str],
    errors_out: IO[str],
    fmt: str = "jsonl",
    batch_size: int = 16,
    keep_going: bool = False,
    output_path: str | None = None,
    errors_path: str | None = None,
    resume: bool = False,
    targets: Sequence[str] | None = None,
    show_progress: bool | None = None,
    text_column: str = "text",
    id_column: str = "id",
) -> RunSummary:
    """Analyse every input in ``paths``; write quote records to ``out`` and one error record
    (``{"doc", "error", "message"}``) per failed document to ``errors_out``.

    Each document's records (or its error record) are written, and the files flushed, as soon
    as it and every input before it are done, in input order: a slow document holds back only
    the ones after it (see :data:`stance.pipeline.BIG_DOC_CHARS` for how a huge one is batched
    alone). An input that cannot be read is logged (``logging.warning``) when it is read and
    written as an error record in its place. Without ``keep_going`` the run stops after the
    first failed document. With ``output_path`` a checkpoint is kept beside it (at document
    boundaries, every ``batch_size`` documents or :data:`CHECKPOINT_SECONDS`, and at the end)
    and ``resume=True`` continues from it. Inputs are read lazily (at most two batches ahead
    of the output), so memory stays bounded however many there are. ``show_progress``: a documents bar on stderr (``None``: only when
    stderr is a terminal). ``text_column``/``id_column``: the text and id fields of row inputs
    (JSONL, CSV, TSV, Parquet); a row's other fields go, as ``"meta"``, into each of its quote
    records and its error record (see :class:`~stance.io.RecordWriter`).
    """
    # only names other than the defaults are passed on and checkpointed, so a checkpoint of an
    # earlier version, and a reader with read_inputs(paths)'s signature, still fit
    columns: dict[str, str] = {}
    if text_column != "text":
        columns["text_column"] = text_column
    if id_column != "id":
        columns["id_column"] = id_column
    summary = RunSummary()
    progress = None
    skip = 0
    header = True
    if output_path is not None:
        progress = _Progress(
            output_path + ".progress",
            {"version": PROGRESS_VERSION, "paths": list(paths), "format": fmt, "targets": list(targets or []),
             **({"columns": columns} if columns else {})},
        )
        state = progress.last() if resume else None
        if state is not None:
            skip = state["n_inputs"]
            summary = RunSummary(skip, state["n_ok"], state["n_failed"], state["n_quotes"])
            out.seek(state["out_offset"])
            out.truncate()
            if errors_path is not None:
                errors_out.seek(state["err_offset"])
                errors_out.truncate()
            header = state["out_offset"] == 0
            logger.info("resuming after %d documents", skip)
        else:
            if resume:
                logger.info("nothing to resume at %s; starting from the beginning", progress.path)
            progress.start()
    writer = RecordWriter(fmt, out, header=header, meta=fmt == "csv" and may_carry_fields(paths))
    reader = read_inputs(paths, text_column=text_column, id_column=id_column) if columns else read_inputs(paths)
    inputs = islice(reader, skip, None)
    # One pipe() stream over all readable inputs, so that parsing the next batch overlaps the
    # models on this one; ``pending`` holds, in order, every input the stream has read so far
    # (unreadable ones included), and is drained batch by batch for the checkpoints.
    pending: deque[InputDocument] = deque()
    current: list[str | None] = [None]

    def readable() -> Iterator[str]:
        for item in inputs:
            pending.append(item)
            if item.error is not None:
                logger.warning("input %s cannot be read: %s", item.id, item.error)
            else:
                current[0] = item.id
                yield item.text

    def ids() -> Iterator[str | None]:
        while True:
            yield current[0]

    docs = nlp.pipe(readable(), ids=ids(), batch_size=batch_size, errors="skip", targets=targets)
    held: deque[Document] = deque()  # a document analysed before the unreadable inputs ahead of it

    def next_pair() -> tuple[InputDocument, Document | None] | None:
        """The next input in order with its analysis (``None`` for an unreadable input)."""
        if not pending:
            held.extend(islice(docs, 1))  # reads inputs into ``pending`` up to that document
            if not pending:
                return None
        item = pending.popleft()
        if item.error is not None:
            return item, None
        if not held:
            held.append(next(docs))
        return item, held.popleft()

    bar = _progress_bar(show_progress, initial=skip)

    def checkpoint() -> None:
        if progress is not None:
            os.fsync(out.fileno())
            if errors_path is not None:
                os.fsync(errors_out.fileno())
            progress.checkpoint({
                "n_inputs": summary.n_docs, "out_offset": out.tell(),
                "err_offset": errors_out.tell() if errors_path is not None else 0,
                "n_ok": summary.n_ok, "n_failed": summary.n_failed, "n_quotes": summary.n_quotes,
            })

    since, last = 0, time.monotonic()  # documents written since the last checkpoint, and when
    try:
        while (pair := next_pair()) is not None:
            failures = _write_batch([pair], writer, errors_out, summary)
            out.flush()
            errors_out.flush()
            bar.update(1)
            since += 1
            if failures and not keep_going:
                summary.stopped_early = True
                break
            if since >= batch_size or time.monotonic() - last >= CHECKPOINT_SECONDS:
                checkpoint()
                since, last = 0, time.monotonic()
        if since:
            checkpoint()
    finally:
        docs.close()
        bar.close()
    return summary


def _write_batch(
    batch: list[tuple[InputDocument, Document | None]], writer: RecordWriter, errors_out: IO[str], summary: RunSummary
) -> list[dict[str, Any]]:
    """Write a batch's quote records and error records; update the summary; return the errors."""
    records: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for item, doc in batch:
        summary.n_docs += 1
        if doc is None:
            kind, _, message = (item.error or "").partition(": ")
            failures.append(_with_meta({"doc": item.id, "error": kind, "message": message}, item.meta))
            continue
        err = doc.error_record()
        if err is not None:
            failures.append(_with_meta(err, item.meta))
        else:
            records.extend(_with_meta(r, item.meta) for r in doc.to_records())
    summary.n_failed += len(failures)
    summary.n_ok += len(batch) - len(failures)
    summary.n_quotes += writer.write(records)
    for f in failures:
        errors_out.write(json.dumps(f, ensure_ascii=False) + "\n")
    return failures


def _with_meta(record: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """``record`` with the other fields of its input row as ``"meta"`` (none: unchanged)."""
    return {**record, "meta": meta} if meta else record


def _progress_bar(show: bool | None, initial: int) -> Any:
    """A documents bar on stderr (``show=None``: only when stderr is a terminal)."""
    from tqdm import tqdm

    if show is None:
        show = sys.stderr.isatty()
    return tqdm(initial=initial, disable=not show, desc="stance", unit="doc", file=sys.stderr)
