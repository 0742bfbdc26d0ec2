"""Long, unattended runs: stream inputs through the pipeline in batches, account for every
document, checkpoint after each batch, and resume after an interruption with exactly the
output an uninterrupted run writes.

The checkpoint is a sidecar file ``<output>.progress`` (JSON lines): a header naming the
inputs and format, then after each batch the number of inputs done and the byte size of the
output (and errors) file at that point. Resuming truncates the output to the last checkpoint
(dropping a batch that was half written when the process died) and skips the inputs done.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import IO, Any

from stance.io import InputDocument, RecordWriter, read_inputs
from stance.pipeline import Pipeline

logger = logging.getLogger(__name__)

PROGRESS_VERSION = 1


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


def _batches(items: Iterator[InputDocument], size: int) -> Iterator[list[InputDocument]]:
    while batch := list(islice(items, size)):
        yield batch


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
) -> RunSummary:
    """Analyse every input in ``paths``; write quote records to ``out`` and one error record
    (``{"doc", "error", "message"}``) per failed document to ``errors_out``.

    Without ``keep_going`` the run stops after the batch holding the first failure. With
    ``output_path`` a checkpoint is kept beside it and ``resume=True`` continues from it.
    """
    summary = RunSummary()
    progress = None
    skip = 0
    header = True
    if output_path is not None:
        progress = _Progress(
            output_path + ".progress",
            {"version": PROGRESS_VERSION, "paths": list(paths), "format": fmt, "targets": list(targets or [])},
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
    writer = RecordWriter(fmt, out, header=header)
    inputs = islice(read_inputs(paths), skip, None)
    for batch in _batches(inputs, batch_size):
        readable = [d for d in batch if d.error is None]
        docs = iter(nlp.pipe([d.text for d in readable], ids=[d.id for d in readable],
                             batch_size=batch_size, errors="skip", targets=targets))
        records: list[dict[str, Any]] = []
        failures: list[dict[str, Any]] = []
        for item in batch:
            summary.n_docs += 1
            if item.error is not None:
                kind, _, message = item.error.partition(": ")
                failures.append({"doc": item.id, "error": kind, "message": message})
                continue
            doc = next(docs)
            err = doc.error_record()
            if err is not None:
                failures.append(err)
            else:
                records.extend(doc.to_records())
        summary.n_failed += len(failures)
        summary.n_ok += len(batch) - len(failures)
        summary.n_quotes += writer.write(records)
        for f in failures:
            errors_out.write(json.dumps(f, ensure_ascii=False) + "\n")
        out.flush()
        errors_out.flush()
        if progress is not None:
            os.fsync(out.fileno())
            progress.checkpoint({
                "n_inputs": summary.n_docs, "out_offset": out.tell(),
                "err_offset": errors_out.tell() if errors_path is not None else 0,
                "n_ok": summary.n_ok, "n_failed": summary.n_failed, "n_quotes": summary.n_quotes,
            })
        if failures and not keep_going:
            summary.stopped_early = True
            break
    return summary
