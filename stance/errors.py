"""Exceptions users can act on: each message says what to do."""

from __future__ import annotations

__all__ = [
    "StanceError", "DocumentTooLargeError", "DocumentTimeoutError", "StanceModelUnavailableError", "InputError", "ModelLoadError",
]


class StanceError(Exception):
    """Base class of the errors raised by ``stance``."""


class DocumentTooLargeError(StanceError, ValueError):
    """A document is longer than ``PipelineConfig.max_chars``."""


class DocumentTimeoutError(StanceError, TimeoutError):
    """A document ran over ``PipelineConfig.doc_timeout`` seconds of analysis. The budget is
    cooperative: it is checked between the pipeline's stages and inside its longer loops, so a
    document is stopped at the first check after its deadline, not at the deadline itself."""


class StanceModelUnavailableError(StanceError, RuntimeError):
    """Targets were given but no stance model is available."""


class InputError(StanceError, ValueError):
    """An input file or record cannot be read (malformed JSONL, missing ``text`` field, ...)."""


class ModelLoadError(StanceError, ValueError):
    """A saved model is missing, corrupted (checksum mismatch) or of an unsupported format version."""
