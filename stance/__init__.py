"""stance: what was said in a news article, who said it, and for or against what.

>>> import stance
>>> nlp = stance.load()
>>> doc = nlp('"It is a good plan," the official said.')
>>> doc.quotes[0].speaker.type.value
'anonymous'
"""

from stance.aggregate import speaker_stances
from stance.display.html import render
from stance.document import Document, Mention, Quote, QuoteKind, Speaker, SpeakerType, StanceScore
from stance.errors import (
    DocumentTooLargeError,
    ModelLoadError,
    StanceError,
    StanceModelUnavailableError,
)
from stance.pipeline import Pipeline, PipelineConfig, load

__version__ = "0.1.0"

__all__ = [
    "Document",
    "DocumentTooLargeError",
    "Mention",
    "ModelLoadError",
    "Pipeline",
    "PipelineConfig",
    "Quote",
    "QuoteKind",
    "Speaker",
    "SpeakerType",
    "StanceError",
    "StanceModelUnavailableError",
    "StanceScore",
    "__version__",
    "load",
    "render",
    "speaker_stances",
]
