"""Scale-out: analyse a Spark (or Dask) DataFrame of articles, one pipeline per worker process.

>>> from pyspark.sql import SparkSession                        # doctest: +SKIP
>>> from stance.spark import analyze_spark, split_errors         # doctest: +SKIP
>>> spark = SparkSession.builder.master("local[2]").getOrCreate()  # doctest: +SKIP
>>> articles = spark.read.json("articles.jsonl")                # columns id, text  # doctest: +SKIP
>>> quotes = analyze_spark(articles, targets=["the peace plan"])  # doctest: +SKIP
>>> quotes.write.parquet("quotes.parquet")                       # doctest: +SKIP

:func:`analyze_spark` runs the pipeline with ``DataFrame.mapInPandas``: every Python worker
process loads the pipeline once (a module-level cache keyed by the pipeline options) and keeps
it for every task it runs. The result has one row per quote and exactly the columns of the CLI
records (:data:`stance.document.RECORD_FIELDS`), with the same values:

========================  =========================================================================
column                    Spark type
========================  =========================================================================
``doc``                   the type of the id column (the input's id value, unchanged)
``text``, ``kind``,       ``string`` (``cue``, ``mention`` null where the record has ``None``)
``cue``, ``speaker``,
``speaker_type``,
``mention``
``start``, ``end``,       ``bigint`` (``mention_start``/``mention_end`` null without a mention);
``mention_start``,        offsets index the article as a Python ``str`` (code points)
``mention_end``
``stance``                ``map<string, struct<label: string, score: double>>``, ``{target:
                          {label, score}}``, empty without targets — the record's ``stance``
                          object, lossless (the score is the same float64)
========================  =========================================================================

``row.asDict(recursive=True)`` of a result row equals ``Quote.to_dict(doc=id)`` of the same
quote from ``stance.load(...).pipe(...)`` in one process.

No document is lost silently: with ``errors="raise"`` (default) a document that cannot be
analysed fails the Spark job with a message naming it; with ``errors="skip"`` the result has
two more columns, ``error`` and ``message``, null on quote rows, and each failed document is
one row with ``doc``, ``error`` and ``message`` set (the CLI's error record,
:meth:`~stance.document.Document.error_record`) — :func:`split_errors` separates the two.
A document with no quotes (an empty text, a null text) gives no row, as in the CLI.

:func:`analyze_partition` is the same logic on pandas frames (``Iterator[pd.DataFrame] ->
Iterator[pd.DataFrame]``), for Dask (``ddf.map_partitions(lambda f: pd.concat(
analyze_partition([f])))``) or any other engine. ``pyspark`` is an optional dependency
(``pip install 'stance-news[spark]'``); ``import stance`` never imports it. The ``stance`` package
(and its models) must be installed on every worker; model directories given as options must
exist on the driver and on the workers.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import threading
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from stance.document import RECORD_FIELDS, Document
from stance.errors import StanceError, StanceModelUnavailableError
from stance.pipeline import Pipeline, PipelineConfig, _check_targets, config_from_options

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pyspark.sql import DataFrame as SparkDataFrame

logger = logging.getLogger(__name__)

__all__ = [
    "ERROR_FIELDS",
    "DocumentFailedError",
    "analyze_partition",
    "analyze_spark",
    "local_session",
    "result_schema",
    "split_errors",
]

#: the two columns added by ``errors="skip"``: the error record's ``error`` and ``message``
ERROR_FIELDS: tuple[str, ...] = ("error", "message")

_INT_FIELDS = ("start", "end", "mention_start", "mention_end")
_SPARK_HINT = "stance.spark needs pyspark; install it with: pip install 'stance-news[spark]'"

#: one pipeline per worker process and set of options: {pickled PipelineConfig: Pipeline}
_PIPELINES: dict[bytes, Pipeline] = {}
_LOCK = threading.Lock()


class DocumentFailedError(StanceError):
    """A document could not be analysed and ``errors="raise"`` was asked for."""


def _pipeline(config: PipelineConfig, threads: int | None, needs_torch: bool) -> Pipeline:
    """The cached pipeline for ``config`` in this process (made on first use)."""
    if threads is not None and (needs_torch or "torch" in sys.modules):
        import torch

        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
    try:
        key = pickle.dumps(config)
    except Exception:  # an unpicklable option: fall back to its repr
        key = repr(config).encode()
    with _LOCK:
        nlp = _PIPELINES.get(key)
        if nlp is None:
            logger.info("loading the stance pipeline in process %d: %r", os.getpid(), config)
            nlp = Pipeline(config)
            _PIPELINES[key] = nlp
    return nlp


def _config(pipeline_kwargs: dict[str, Any]) -> PipelineConfig:
    return config_from_options({"progress": False, **pipeline_kwargs})


#: the names these functions had before they matched ``Pipeline.__call__`` (still accepted, with a warning)
_OLD_NAMES = {"text_col": "text_column", "id_col": "id_column"}


def _renamed(pipeline_kwargs: dict[str, Any], columns: dict[str, str], errors: str) -> tuple[dict[str, str], str]:
    """Take ``text_col=``/``id_col=``/``errors="keep"`` (the old spellings) out of the options."""
    for old, new in _OLD_NAMES.items():
        if old in pipeline_kwargs:
            warnings.warn(f"{old}= is now {new}= (as in Pipeline.__call__)", DeprecationWarning, stacklevel=3)
            columns[new] = pipeline_kwargs.pop(old)
    if errors == "keep":
        warnings.warn('errors="keep" is now errors="skip" (as in Pipeline.pipe)', DeprecationWarning, stacklevel=3)
        errors = "skip"
    return columns, errors


def _check_options(text_column: str, id_column: str, targets: object, threads: int | None,
                   errors: str, batch_size: int, config: PipelineConfig) -> list[str]:
    if not isinstance(text_column, str) or not isinstance(id_column, str):
        raise TypeError("text_column and id_column must be column names (str)")
    if errors not in ("raise", "skip"):
        raise ValueError(f"errors must be 'raise' or 'skip', got {errors!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads_per_worker must be a positive int or None, got {threads!r}")
    wanted = _check_targets(targets)
    if wanted and config.stance_model is None:
        raise StanceModelUnavailableError(
            "stance toward targets needs a stance model and stance_model=None was given; "
            "run without targets or pass stance_model='default' or a saved directory"
        )
    return wanted


def analyze_partition(
    frames: Iterable[pd.DataFrame],
    *,
    text_column: str = "text",
    id_column: str = "id",
    targets: Sequence[str] | None = None,
    errors: str = "raise",
    batch_size: int = 16,
    threads_per_worker: int | None = 1,
    **pipeline_kwargs: Any,
) -> Iterator[pd.DataFrame]:
    """Analyse pandas frames of articles; yields frames of quote records (what Spark runs per task).

    Each input frame needs the columns ``text_column`` (``str``, ``bytes`` — decoded as the
    pipeline decodes bytes — or null, read as an empty text) and ``id_column`` (any value; it is
    the ``doc`` of the output, unchanged). Yields frames with the columns
    :data:`~stance.document.RECORD_FIELDS` (plus :data:`ERROR_FIELDS` with
    ``errors="skip"``), one row per quote in input order and text order: ``start``/``end``/
    ``mention_start``/``mention_end`` as nullable ``Int64``, the others ``object`` (strings,
    ``None``, the id values), ``stance`` as ``{target: {"label",
    "score"}}`` dicts. Frames with no rows are not yielded.

    The pipeline (``stance.load(**pipeline_kwargs)``, progress bars off) is loaded once per
    process and options, and torch is set to ``threads_per_worker`` threads (``None``: leave
    it). ``errors``: ``"raise"`` raises :class:`DocumentFailedError` naming the first document
    that cannot be analysed; ``"skip"`` gives it one row with ``error`` and ``message``.
    """
    import pandas as pd

    cols, errors = _renamed(pipeline_kwargs, {"text_column": text_column, "id_column": id_column}, errors)
    text_column, id_column = cols["text_column"], cols["id_column"]
    config = _config(pipeline_kwargs)
    wanted = _check_options(text_column, id_column, targets, threads_per_worker, errors, batch_size, config)
    nlp = _pipeline(config, threads_per_worker, config.quote_model is not None or bool(wanted))
    columns = list(RECORD_FIELDS) + (list(ERROR_FIELDS) if errors == "skip" else [])
    for frame in frames:
        for name in (text_column, id_column):
            if name not in frame.columns:
                raise KeyError(f"no column {name!r} in the input (columns: {list(frame.columns)}); "
                               f"pass text_column=/id_column=")
        keys = list(frame[id_column])
        texts = ["" if _is_null(t) else t for t in frame[text_column]]
        docs = nlp.pipe(texts, batch_size=batch_size, targets=wanted or None,
                        ids=[str(k) for k in keys], errors="skip")
        rows: list[dict[str, Any]] = []
        for key, doc in zip(keys, docs, strict=True):
            rows.extend(_rows(doc, key, errors))
        if rows:
            # object columns: pandas 3's Arrow-backed strings reach Spark as chunked arrays it rejects
            out = pd.DataFrame(rows, columns=columns, dtype=object)
            for name in _INT_FIELDS:
                out[name] = out[name].astype("Int64")
            yield out


def _is_null(value: Any) -> bool:
    if value is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(value)) if not isinstance(value, (str, bytes)) else False
    except (TypeError, ValueError):
        return False


def _rows(doc: Document, key: Any, errors: str) -> list[dict[str, Any]]:
    if doc.error is not None:
        if errors == "raise":
            raise DocumentFailedError(f"document {key!r} could not be analysed: {doc.error} "
                                      "(pass errors='skip' to get it as an error row instead)")
        record = doc.error_record() or {}
        logger.warning("document %r could not be analysed: %s", key, doc.error)
        row: dict[str, Any] = dict.fromkeys(RECORD_FIELDS)  # None, never NaN, in the quote columns
        row.update(doc=key, error=record.get("error"), message=record.get("message"))
        return [row]
    rows = []
    extra = dict.fromkeys(ERROR_FIELDS) if errors == "skip" else {}
    for q in doc.quotes:
        row = q.to_dict(doc=key)
        rows.append({**row, **extra})
    return rows


def _import_pyspark() -> Any:
    try:
        import pyspark.sql.types as T
    except ImportError:
        raise ImportError(_SPARK_HINT) from None
    return T


def result_schema(id_type: Any = None, *, errors: str = "raise") -> Any:
    """The Spark schema of :func:`analyze_spark`'s result (``id_type``: the id column's type,
    default ``string``)."""
    T = _import_pyspark()
    stance_type = T.MapType(
        T.StringType(),
        T.StructType([T.StructField("label", T.StringType(), False),
                      T.StructField("score", T.DoubleType(), False)]),
        valueContainsNull=False,
    )
    types: dict[str, Any] = {name: T.StringType() for name in RECORD_FIELDS}
    types.update({name: T.LongType() for name in _INT_FIELDS})
    types["doc"] = id_type if id_type is not None else T.StringType()
    types["stance"] = stance_type
    fields = [T.StructField(name, types[name], True) for name in RECORD_FIELDS]
    if errors == "skip":
        fields += [T.StructField(name, T.StringType(), True) for name in ERROR_FIELDS]
    return T.StructType(fields)


def analyze_spark(
    df: SparkDataFrame,
    *,
    text_column: str = "text",
    id_column: str = "id",
    targets: Sequence[str] | None = None,
    errors: str = "raise",
    batch_size: int = 16,
    threads_per_worker: int | None = 1,
    **pipeline_kwargs: Any,
) -> SparkDataFrame:
    """One row per quote of every article in a Spark DataFrame (lazy, like any transformation).

    ``df`` needs a ``text_column`` column (``string``, or ``binary`` decoded as the pipeline
    decodes bytes; null reads as an empty text) and an ``id_column`` column (any type, best unique:
    it becomes ``doc``, so the result joins back to ``df`` on ``doc == id``). The columns of the
    result are :data:`~stance.document.RECORD_FIELDS` typed as :func:`result_schema` says
    (``stance`` is a ``map<string, struct<label, score>>``), plus ``error``/``message`` with
    ``errors="skip"`` (see :func:`split_errors`); ``errors="raise"`` fails the job on the first
    document that cannot be analysed.

    ``targets``, ``batch_size`` and ``**pipeline_kwargs`` (the options of :func:`stance.load`,
    e.g. ``quote_model=None``) are those of the single-process pipeline and give the same
    records. Each Python worker loads the pipeline once and runs torch with
    ``threads_per_worker`` threads (keep ``cores per executor × threads_per_worker`` at most the
    cores it has). Options are checked here, on the driver, before any job runs.
    """
    T = _import_pyspark()
    cols, errors = _renamed(pipeline_kwargs, {"text_column": text_column, "id_column": id_column}, errors)
    text_column, id_column = cols["text_column"], cols["id_column"]
    config = _config(pipeline_kwargs)
    wanted = _check_options(text_column, id_column, targets, threads_per_worker, errors, batch_size, config)
    names = df.schema.names
    for name in (text_column, id_column):
        if name not in names:
            raise KeyError(f"no column {name!r} in the DataFrame (columns: {names}); pass text_column=/id_column=")
    text_type = df.schema[text_column].dataType
    if not isinstance(text_type, (T.StringType, T.BinaryType)):
        raise TypeError(f"column {text_column!r} must be string or binary, not {text_type.simpleString()}")
    schema = result_schema(df.schema[id_column].dataType, errors=errors)
    options = dict(pipeline_kwargs)

    def run(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        yield from analyze_partition(
            frames, text_column=text_column, id_column=id_column, targets=wanted or None, errors=errors,
            batch_size=batch_size, threads_per_worker=threads_per_worker, **options,
        )

    return df.select(id_column, text_column).mapInPandas(run, schema)


def local_session(workers: int = 2, app_name: str = "stance", *, jvm_log: str | None = "auto") -> Any:
    """A Spark session in local mode with ``workers`` worker threads, for trying
    :func:`analyze_spark` on one machine: loopback only, no web UI or console progress bar,
    ``max(2, workers)`` shuffle partitions, and Python workers running this interpreter
    (where ``stance`` is installed) unless ``PYSPARK_PYTHON`` says otherwise.

    ``jvm_log``: where the Java side's own output goes when this call starts it — ``"auto"``
    (default: ``stance-spark-<pid>.log`` in the temporary directory, its path logged at INFO), a
    file path, or ``None`` (the process's stderr, as Spark does:
    start-up banners and warnings in a notebook's output). Errors still reach Python as
    exceptions either way.
    """
    _import_pyspark()
    import tempfile

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = (
        SparkSession.builder.master(f"local[{workers}]").appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(max(2, workers)))
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
    )  # fmt: skip
    path = None
    if jvm_log is not None and SparkSession.getActiveSession() is None:
        path = jvm_log if jvm_log != "auto" else os.path.join(tempfile.gettempdir(), f"stance-spark-{os.getpid()}.log")
        sys.stderr.flush()
        saved = os.dup(2)
        with open(path, "ab") as log:
            os.dup2(log.fileno(), 2)  # the JVM started now inherits the log file as its stderr
            try:
                session = builder.getOrCreate()
            finally:
                os.dup2(saved, 2)
                os.close(saved)
        logger.info("Spark's Java output goes to %s", path)
    else:
        session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def split_errors(result: SparkDataFrame) -> tuple[SparkDataFrame, SparkDataFrame]:
    """``(quotes, errors)`` from a result of ``analyze_spark(..., errors="skip")``: the quote
    rows with the :data:`~stance.document.RECORD_FIELDS` columns, and one ``(doc, error,
    message)`` row per failed document. Both are computed from ``result``: persist it first
    (``result.persist()``) to run the pipeline once when both are used.
    """
    _import_pyspark()
    missing = [name for name in ERROR_FIELDS if name not in result.schema.names]
    if missing:
        raise ValueError("split_errors needs the result of analyze_spark(..., errors='skip')")
    quotes = result.where(result["error"].isNull()).select(*RECORD_FIELDS)
    failed = result.where(result["error"].isNotNull()).select("doc", *ERROR_FIELDS)
    return quotes, failed
