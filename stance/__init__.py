"""stance: what was said in a news article, who said it, and for or against what.

>>> import stance
>>> nlp = stance.load()
>>> doc = nlp('"It is a good plan," the official said.')
>>> doc.quotes[0].speaker.type.value
'anonymous'
"""

from stance._columns import stance_column
from stance._version import __version__
from stance.aggregate import speaker_stances
from stance.attribution import ResolverConfig
from stance.display.html import render
from stance.document import (
    Document,
    Mention,
    Quote,
    QuoteKind,
    Speaker,
    SpeakerType,
    StanceLabel,
    StanceScore,
)
from stance.errors import (
    DocumentTimeoutError,
    DocumentTooLargeError,
    ModelLoadError,
    StanceError,
    StanceModelUnavailableError,
)
from stance.identity import corpus_speakers
from stance.pipeline import Pipeline, PipelineConfig, load
from stance.quotes import ExtractorConfig

__all__ = [
    "corpus_speakers",
    "stance_column",
    "Document",
    "DocumentTimeoutError",
    "DocumentTooLargeError",
    "ExtractorConfig",
    "Mention",
    "ModelLoadError",
    "Pipeline",
    "PipelineConfig",
    "Quote",
    "QuoteKind",
    "ResolverConfig",
    "Speaker",
    "SpeakerType",
    "StanceError",
    "StanceLabel",
    "StanceModelUnavailableError",
    "StanceScore",
    "__version__",
    "load",
    "render",
    "speaker_stances",
]
