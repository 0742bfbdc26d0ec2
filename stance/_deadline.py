"""A cooperative time budget for the analysis of a document (``PipelineConfig.doc_timeout``).

:func:`budget` opens a deadline for the code run inside it (held in a :mod:`contextvars`
variable, so each thread, and each task, has its own); :func:`check` raises
:class:`~stance.errors.DocumentTimeoutError` once that deadline has passed. Nothing is
interrupted from outside: the pipeline calls :func:`check` between its stages and inside its
longer loops (the tagger's window batches, the resolver's quotes, the stance classifier's
batches), so a document over its budget is stopped at the next such point. A single call that
never reaches one (one spaCy parse of a long text, one transformer forward pass) runs to its
end first. :func:`check` costs one context-variable read and, under a deadline, one clock read.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from stance.errors import DocumentTimeoutError

__all__ = ["budget", "check"]

#: the clock deadlines are read on (a module attribute, so tests can drive it)
_clock = time.monotonic


class _Deadline:
    __slots__ = ("at", "seconds", "what")

    def __init__(self, seconds: float, what: str) -> None:
        self.seconds, self.what = seconds, what
        self.at = _clock() + seconds


_CURRENT: ContextVar[_Deadline | None] = ContextVar("stance_deadline", default=None)


@contextmanager
def budget(seconds: float | None, what: str = "the document") -> Iterator[None]:
    """Run the body under a deadline ``seconds`` from now (``None``: no deadline; an enclosing
    one is lifted for the body). ``what`` names what is timed in the error message."""
    token = _CURRENT.set(_Deadline(seconds, what) if seconds is not None else None)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def check() -> None:
    """Raise :class:`~stance.errors.DocumentTimeoutError` if the current deadline has passed."""
    deadline = _CURRENT.get()
    if deadline is not None and _clock() > deadline.at:
        raise DocumentTimeoutError(
            f"{deadline.what} ran over its time budget of {deadline.seconds:g} s (doc_timeout); "
            "raise it with stance.load(doc_timeout=...) (or --doc-timeout), or split the document"
        )
