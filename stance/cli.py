"""Command line: ``stance analyze``, ``stance score``, ``stance evaluate``, ``stance train`` and
``stance render`` (also ``python -m stance``).

Exit codes: 0 success, 1 a document or input failed, 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from stance._encoder import PRECISIONS
from stance.errors import StanceError
from stance.pipeline import NO_MODEL

logger = logging.getLogger("stance.cli")


def _parser() -> argparse.ArgumentParser:
    from stance import __version__

    p = argparse.ArgumentParser(
        prog="stance",
        description="Who said what in news articles, and for or against what.",
    )
    p.add_argument("--version", action="version", version=f"stance {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress and warnings to stderr")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser(
        "analyze", help="find quotes and speakers in articles; one record per quote",
        description="Find quotes and speakers in articles; one record per quote. A .jsonl, .csv, .tsv or "
        ".parquet file holds one article a row: the text from --text-column, the id from --id-column (else "
        "FILE:LINE, FILE:ROW for Parquet), and every other field of the row (outlet, date, url, ...) copied into "
        "each quote record of that article and its error record: as a \"meta\" object in JSONL, as a last "
        "\"meta\" column holding that object as JSON in CSV (when an input may have such fields), not in a table.",
    )
    a.add_argument("paths", nargs="+", metavar="PATH",
                   help="files, directories or - for stdin (text, HTML, JSONL, CSV, TSV, Parquet)")
    a.add_argument("--format", choices=["jsonl", "csv", "table"], default="jsonl")
    a.add_argument("--text-column", "--text-field", default="text", metavar="NAME",
                   help="the field or column holding an article's text in JSONL, CSV, TSV and Parquet (default: text)")
    a.add_argument("--id-column", "--id-field", default="id", metavar="NAME",
                   help="the field or column holding an article's id (default: id; a row without one: FILE:LINE)")
    a.add_argument("--target", action="append", default=[], metavar="TEXT", help="stance target (repeatable)")
    a.add_argument("-o", "--output", help="write records here instead of stdout")
    a.add_argument("--max-chars", type=int, default=None, help="refuse documents longer than this")
    a.add_argument("--quote-model", default="default", metavar="DIR|default|accurate|fast|none",
                   help="attribution tagger: the shipped MPNet one (default = accurate; needs the MPNet parts), "
                   "the shipped MiniLM one (fast: about half the time, less exact), a saved model directory, "
                   "or none (rules only)")
    a.add_argument("--stance-model", default="default", metavar="DIR|default|news|benchmarks|none",
                   help="stance classifier used with --target: the shipped news model (default = news), the first "
                   "model trained on tweets and comments (benchmarks), a saved directory, or none")
    _screen_option(a)
    _speaker_model_option(a)
    a.add_argument("--batch-size", type=int, default=16)
    a.add_argument("--doc-timeout", type=float, default=None, metavar="SECONDS",
                   help="time budget per document: one over it becomes a DocumentTimeoutError record (checked "
                   "between the pipeline's stages and inside its loops, so a single spaCy parse runs to its end; "
                   "default: no limit)")
    a.add_argument("--dialogue", action="store_true",
                   help="fiction: an unattributed quote paragraph is the other person's turn (default: news)")
    a.add_argument("--parse-processes", type=int, default=None, metavar="N",
                   help="spaCy worker processes (default: 2 on a machine with 2 or more cores, else 1; same output)")
    _precision_option(a)
    _device_option(a)
    a.add_argument("--errors", metavar="FILE", help="write error records here instead of stderr")
    a.add_argument("--keep-going", action="store_true", help="analyse every document even after a failure")
    a.add_argument("--resume", action="store_true", help="continue an interrupted run writing to the same -o FILE")
    a.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="a documents/s bar on stderr (default: when stderr is a terminal)")

    sc = sub.add_parser(
        "score", help="stance for a table of (text, target) pairs: the same rows back, with pred_* columns added"
    )
    sc.add_argument("path", metavar="PATH", help="a .csv, .tsv or .jsonl file of pairs, or - for JSONL on stdin")
    sc.add_argument("--text-column", default="text")
    sc.add_argument("--target-column", default="target")
    sc.add_argument("--context-column", default=None)
    sc.add_argument("--speaker-column", default=None,
                    help="the speaker's name, for a stance model trained with a speaker marker (the shipped "
                         "ones have none)")
    sc.add_argument("--format", choices=["jsonl", "csv"], default=None, help="output format (default: the input's)")
    sc.add_argument("-o", "--output", help="write the table here instead of stdout")
    sc.add_argument("--stance-model", default="default", metavar="DIR|default", help="the shipped classifier or a saved one")
    sc.add_argument("--batch-size", type=int, default=32)
    _screen_option(sc)
    _precision_option(sc)
    _device_option(sc)

    lk = sub.add_parser(
        "link-speakers", help="link speaker_id across the documents of analyze's records (a lone surname to the "
        "one full name it stands for)",
        description="Read the quote records of a whole corpus (JSONL or CSV, as analyze writes them) and write "
        "them back with speaker_id linked across documents: \"Kallas\" in one article gets the id of the one "
        "\"Kaja Kallas\" of the corpus (two people sharing the surname leave it apart). Every other field is "
        "unchanged; anonymous and unknown speakers keep their per-document id.",
    )
    lk.add_argument("path", metavar="PATH", help="a .jsonl or .csv file of quote records, or - for JSONL on stdin")
    lk.add_argument("-o", "--output", help="write the records here instead of stdout")

    e = sub.add_parser("evaluate", help="score against labelled data")
    esub = e.add_subparsers(dest="task", required=True)
    ea = esub.add_parser("attribution", help="source/cue/content span F1 on PolNeAR-format data")
    ea.add_argument("--data", default=None, help="PolNeAR-format directory (default: $STANCE_DATA/polnear or ../shared/data/polnear)")
    ea.add_argument("--split", default="dev")
    ea.add_argument("--format", choices=["json", "table"], default="table")
    ea.add_argument("--limit", type=int, default=None, help="only the first N articles")
    ea.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for 95%% intervals (0: none)")
    ea.add_argument("--quote-model", default="default", metavar="DIR|default|accurate|fast|none", help="as for analyze")
    _precision_option(ea, default="float32")  # the same figures on any hardware
    es = esub.add_parser("speakers", help="canonical-speaker accuracy on a speaker gold set over PolNeAR-format data")
    es.add_argument("--data", default=None, help="PolNeAR-format directory (default: $STANCE_DATA/polnear or ../shared/data/polnear)")
    es.add_argument("--split", default=None, help="PolNeAR split (default: the gold set's; dev for a gold file)")
    es.add_argument("--gold", default="dev", metavar="FILE|dev|heldout|anonymity|anonymity-heldout",
                    help="speaker gold: a JSONL file or a shipped set: dev (default), heldout (blind, 21 train "
                    "articles), anonymity or anonymity-heldout (anonymous sources only)")
    es.add_argument("--format", choices=["json", "table"], default="table")
    es.add_argument("--bootstrap", type=int, default=1000)
    es.add_argument("--quote-model", default="default", metavar="DIR|default|accurate|fast|none", help="as for analyze")
    _speaker_model_option(es)
    es.add_argument("--pdnc", default=None, metavar="DIR",
                    help="instead: quote-speaker accuracy on PDNC novels under DIR (BookNLP's measure)")
    es.add_argument("--novels", nargs="+", default=None,
                    help="with --pdnc: the novels to score (default: the six held out from the ranker's training)")
    es.add_argument("--dialogue", action="store_true",
                    help="fiction's turn-taking: an unattributed quote paragraph is the other person's turn")
    _precision_option(es, default="float32")  # the same figures on any hardware

    eid = esub.add_parser("identity", help="cross-document speaker identity (corpus speakers) on the dev speaker gold")
    eid.add_argument("--data", default=None, help="PolNeAR-format directory (default: $STANCE_DATA/polnear or ../shared/data/polnear)")
    eid.add_argument("--quote-model", default="none", metavar="DIR|default|accurate|fast|none",
                     help="as for analyze (default: none, the rules: identity is scored on the sources found)")

    est = esub.add_parser("stance", help="stance on news quotes (our PolNeAR gold) and the benchmarks: SemEval-2016, "
                          "VAST, FNC-1, Emergent, RUW, GWSD")
    est.add_argument("--dataset", required=True, choices=["news", "semeval", "vast", "fnc1", "emergent", "ruw", "gwsd"])
    est.add_argument("--data", default=None, help="data root holding the dataset folders (default: $STANCE_DATA or ../shared/data)")
    est.add_argument("--split", default=None, help="split name (default: the benchmark's test split; val for RUW)")
    est.add_argument("--model", default="default", metavar="DIR|default|zero-shot",
                     help="the shipped classifier, a saved one, or the untrained zero-shot baseline")
    est.add_argument("--format", choices=["json", "table"], default="table")
    est.add_argument("--bootstrap", type=int, default=1000)
    est.add_argument("--relatedness", choices=["learned", "tfidf"], default="learned",
                     help="FNC-1 only: how related pairs are told from unrelated ones (default: learned)")
    est.add_argument("--news-inputs", choices=["full", "speaker", "quote", "source"], default="full",
                     help="news only: what the model reads — speaker, quote and paragraph (full), speaker and quote, "
                     "the quote alone, or the source as written ('she') in place of the canonical speaker")
    est.add_argument("--gold", default=None, help="news only: a news-stance gold JSONL (default: the shipped dev set)")
    _screen_option(est)
    _precision_option(est, default="float32")  # the same figures on any hardware

    t = sub.add_parser(
        "train", help="reproduce a shipped model (arguments after the task go to its trainer; see TASK --help)",
        add_help=False,
    )
    t.add_argument("-h", "--help", action="help", help="show this help (TASK --help: the trainer's options)")
    t.add_argument("task", choices=sorted(_TRAINERS), help="which model to train")
    t.add_argument("args", nargs=argparse.REMAINDER, help="the trainer's own options")

    from stance.display.cli import add_parser as add_render_parser

    add_render_parser(sub)
    return p


def _precision_option(parser: argparse.ArgumentParser, default: str = "auto") -> None:
    parser.add_argument(
        "--precision", choices=list(PRECISIONS), default=default,
        help=f"model arithmetic: auto (bfloat16 on CPUs with AMX and bf16 GPUs, else float32), float32, "
             f"bfloat16, int8 (CPU: the quote tagger in int8 through ONNX Runtime, needs "
             f"pip install 'stance-news[onnx]') (default: {default})",
    )
    parser.add_argument(
        "--low-memory", action=argparse.BooleanOptionalAction, default=True,
        help="on the CPU in float32, keep the models' weights in float16 and widen each for its product: "
             "about 390 MB less at peak, the same speed and figures (default: on; --no-low-memory keeps "
             "float32 weights, the model cards' exact arithmetic)",
    )


def _device_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--device", default="cpu", metavar="cpu|cuda|auto",
        help="where the models run: cpu (default), cuda or cuda:N (an error when there is no such GPU), "
             "or auto (the GPU where there is one, else the CPU)",
    )


def _speaker_model_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--speaker-model", default="default", metavar="DIR|default|news|novels|none",
                        help="pronoun ranker for he/she speakers: the shipped learned one (default: news; with "
                        "--dialogue the novels one replaces it), news (trained on news and novels), novels (on "
                        "novels alone), a saved directory, or none (the resolver's rules alone)")
    parser.add_argument("--pronoun-model", default=None, metavar="DIR",
                        help="a pronoun model trained with `stance train pronouns` whose logit is added to the "
                        "ranker's score for he/she speakers (default: none)")
    parser.add_argument("--pronoun-weight", type=float, default=1.0, metavar="W",
                        help="with --pronoun-model: the weight of its logit (default 1.0)")
    parser.add_argument("--anonymous", choices=("unnamed", "marked"), default="unnamed",
                        help="which unnamed sources are typed anonymous: unnamed (default: unnamed individuals "
                        "and officials, singular or plural, as the README's convention says) or marked (only "
                        "informants and sources whose anonymity the text states, the convention of earlier versions)")


def resolver_config(
    value: str, pronoun_model: str | None = None, pronoun_weight: float = 1.0, anonymous: str = "unnamed",
) -> Any:
    """The resolver settings for ``--speaker-model``, ``--pronoun-model``, ``--pronoun-weight``
    and ``--anonymous`` values (``default`` is the news ranker;
    :class:`~stance.pipeline.PipelineConfig` puts the novels one in its place under ``--dialogue``)."""
    from stance.attribution.resolver import ResolverConfig
    from stance.pipeline import SPEAKER_MODELS

    return ResolverConfig(
        ranker=SPEAKER_MODELS.get("news" if value == "default" else value) or model_option(value),
        pronoun_model=pronoun_model, pronoun_weight=pronoun_weight, anonymous=anonymous,
    )


def _screen_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stance-screen", action=argparse.BooleanOptionalAction, default=True,
                        help="let the stance model's screen (the news model has one) settle the clearly neutral "
                        "pairs, so only the others are read by the full model (default: on; --no-stance-screen "
                        "reads every pair with the full model)")


def model_option(value: str) -> str | None:
    """A ``--*-model`` value: ``none``/``rules`` mean no model, anything else is passed on."""
    return None if value.lower() in NO_MODEL else value


def _open(path: str, resume: bool) -> IO[str]:
    mode = "r+" if resume and os.path.exists(path) else "w"
    return open(path, mode, encoding="utf-8")  # noqa: SIM115 - closed by the caller


def _analyze(args: argparse.Namespace) -> int:
    import stance
    from stance.runner import analyze_files

    config: dict[str, Any] = {
        "quote_model": model_option(args.quote_model), "stance_model": model_option(args.stance_model),
        "stance_screen": args.stance_screen, "precision": args.precision, "low_memory": args.low_memory, "dialogue": args.dialogue, "resolver": resolver_config(args.speaker_model, args.pronoun_model, args.pronoun_weight, args.anonymous),
        "device": args.device,
        "parse_processes": args.parse_processes or min(2, os.cpu_count() or 1),
    }
    if config["parse_processes"] > 1:
        config["prefetch"] = False  # the parse workers already use every core
    if args.max_chars is not None:
        config["max_chars"] = args.max_chars
    if args.doc_timeout is not None:
        config["doc_timeout"] = args.doc_timeout
    nlp = stance.load(**config)
    targets = args.target or None
    if targets:
        # fail before reading any input: no made-up labels
        nlp("", targets=targets)
    if args.resume and not args.output:
        raise ValueError("--resume needs -o/--output: the checkpoint lives beside the output file")
    out = _open(args.output, args.resume) if args.output else sys.stdout
    errors_out = _open(args.errors, args.resume) if args.errors else sys.stderr
    try:
        summary = analyze_files(
            nlp, args.paths, out=out, errors_out=errors_out, fmt=args.format,
            batch_size=args.batch_size, keep_going=args.keep_going, output_path=args.output,
            errors_path=args.errors, resume=args.resume, targets=targets, show_progress=args.progress,
            text_column=args.text_column, id_column=args.id_column,
        )
    except KeyboardInterrupt:
        sys.stderr.write("stance: interrupted; rerun with --resume (and the same -o) to continue\n")
        return 130
    finally:
        for fh in (out, errors_out):
            if fh not in (sys.stdout, sys.stderr):
                fh.close()
    sys.stderr.write(f"stance: {summary.line()}" + (" (stopped at the first failure; --keep-going to continue)" if summary.stopped_early else "") + "\n")
    return 1 if summary.n_failed else 0


def _evaluate_stance(args: argparse.Namespace) -> int:
    import stance
    from stance.evaluation.stance_eval import StanceEvaluator, ZeroShotBaseline

    if args.model == "zero-shot":
        classifier: Any = ZeroShotBaseline()
    else:
        classifier = stance.load(stance_model=args.model, stance_screen=args.stance_screen, precision=args.precision,
                                 low_memory=args.low_memory).stance
    evaluator = StanceEvaluator(args.dataset, args.data, args.split, n_boot=args.bootstrap, relatedness=args.relatedness,
                                gold=args.gold, inputs=args.news_inputs)
    result = evaluator(classifier)
    counts = getattr(classifier, "screen_counts", {}) if getattr(classifier, "screen", None) is not None else {}
    if counts.get("pairs"):
        # the share of pairs the screen passed on to the full model (the rest it settled as neutral)
        result["screen_escalated"] = counts["escalated"] / counts["pairs"]
    if args.format == "json":
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return 0
    sys.stdout.write(f"{args.dataset} {result['split']}: n={result['n']}  primary metric: {result['primary_metric']}\n")
    for key, value in result.items():
        if key in ("fnc_score", "fnc_max_score"):  # points, not a share
            sys.stdout.write(f"  {key:<28} {value:8.1f}\n")
        elif isinstance(value, float):
            lo_hi = result.get("ci", {}).get(key)
            ci = f"  ({100 * lo_hi[0]:.1f}-{100 * lo_hi[1]:.1f})" if lo_hi else ""
            sys.stdout.write(f"  {key:<28} {100 * value:6.1f}{ci}\n")
    for label, value in result.get("per_class_f1", {}).items():
        lo_hi = result.get("ci", {}).get(f"f1_{label}")
        ci = f"  ({100 * lo_hi[0]:.1f}-{100 * lo_hi[1]:.1f})" if lo_hi else ""
        sys.stdout.write(f"  {'f1_' + label:<28} {100 * value:6.1f}{ci}\n")
    if args.dataset == "news":
        sys.stdout.write("confusion (rows gold, columns predicted):\n" + evaluator.confusion().to_string() + "\n")
    return 0


def _evaluate_pdnc(args: argparse.Namespace, nlp: Any) -> int:
    from stance.data.pdnc import HELD_OUT
    from stance.evaluation.pdnc import TYPES, PdncEvaluator

    result = PdncEvaluator(args.pdnc, args.novels or HELD_OUT, bootstrap=args.bootstrap)(nlp)
    if args.format == "json":
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return 0
    sys.stdout.write(f"PDNC {len(result['novels'])} novels: {result['n']} gold quotations\n")
    for suffix, label in (("", "all"), *((f"_{t.lower()}", t) for t in TYPES)):
        _write_accuracy_row(result, suffix, f"{label:<10}", 6)
    return 0


def _write_accuracy_row(result: dict[str, Any], suffix: str, label: str, n_width: int) -> None:
    """One line of a :func:`~stance.evaluation.metrics.detection_accuracy` result: the count, the
    accuracy end to end with its interval, the share detected and the accuracy on detected."""
    lo, hi = result[f"accuracy{suffix}_ci"]
    sys.stdout.write(
        f"{label} n={result[f'n{suffix}']:<{n_width}} accuracy {100 * result[f'accuracy{suffix}']:5.1f} "
        f"({100 * lo:.1f}-{100 * hi:.1f})  detected {100 * result[f'coverage{suffix}']:5.1f}%  "
        f"accuracy on detected {100 * result[f'accuracy{suffix}_detected']:5.1f}\n"
    )


def _evaluate(args: argparse.Namespace) -> int:
    import stance

    if args.task == "stance":
        return _evaluate_stance(args)
    if args.task == "identity":
        from stance.evaluation.identity import evaluate as evaluate_identity

        result = evaluate_identity(args.data, model_option(args.quote_model))
        for name in ("corpus_speakers", "speaker_id", "names_as_written"):
            result[name] = {k: round(100 * v, 1) if isinstance(v, float) else v for k, v in result[name].items()}
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
        return 0
    nlp = stance.load(
        quote_model=model_option(args.quote_model), precision=args.precision, low_memory=args.low_memory,
        dialogue=getattr(args, "dialogue", False),
        resolver=resolver_config(
            getattr(args, "speaker_model", "default"), getattr(args, "pronoun_model", None),
            getattr(args, "pronoun_weight", 1.0), getattr(args, "anonymous", "unnamed"),
        ),
    )

    if args.task == "speakers" and args.pdnc:
        return _evaluate_pdnc(args, nlp)
    if args.task == "speakers":
        from stance.evaluation.speakers import GOLD_SETS, SpeakerEvaluator

        gold, split = GOLD_SETS.get(args.gold, (Path(args.gold), "dev"))
        args.split = args.split or split
        result = SpeakerEvaluator(args.data, args.split, gold=gold, bootstrap=args.bootstrap)(nlp)
        if args.format == "json":
            sys.stdout.write(json.dumps(result, indent=2) + "\n")
            return 0
        sys.stdout.write(f"speaker gold {args.split}: {result['n']} sources\n")
        for group in ("pronoun_descriptor", "pronoun", "descriptor", "named"):
            _write_accuracy_row(result, f"_{group}", f"{group:<19}", 5)
        sys.stdout.write(
            f"anonymous P/R/F1 {100 * result['anonymous_precision']:.1f}/{100 * result['anonymous_recall']:.1f}/"
            f"{100 * result['anonymous_f1']:.1f}   speaker-type macro-F1 {100 * result['type_macro_f1']:.1f}\n"
        )
        return 0
    from stance.evaluation import AttributionEvaluator

    ev = AttributionEvaluator(args.data, args.split, limit=args.limit, bootstrap=args.bootstrap)
    result = ev(nlp)
    if args.format == "json":
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        sys.stdout.write(f"PolNeAR-format {args.split}: {result['n_docs']} documents\n")
        sys.stdout.write(f"{'role':<8} {'exact P':>8} {'exact R':>8} {'exact F1':>9} {'overlap F1':>11}\n")
        for role in ("source", "cue", "content"):
            sys.stdout.write(
                f"{role:<8} {100 * result[f'{role}_exact_precision']:8.1f} "
                f"{100 * result[f'{role}_exact_recall']:8.1f} {100 * result[f'{role}_exact_f1']:9.1f} "
                f"{100 * result[f'{role}_overlap_f1']:11.1f}\n"
            )
    return 0


#: the trainer module of each ``stance train TASK`` (each has a ``main(argv) -> int``)
_TRAINERS = {
    "attribution": "stance.quotes.train_tagger",
    "linker": "stance.quotes.train_linker",
    "pronouns": "stance.attribution.train_pronoun",
    "speakers": "stance.attribution.train_ranker",
    "stance": "stance.targets.train",
    "teacher-labels": "stance.quotes.distill",
}


def _train(args: argparse.Namespace) -> int:
    import importlib

    module = importlib.import_module(_TRAINERS[args.task])
    return int(module.main(args.args))


def _read_table(path: str) -> tuple[Any, str]:
    """A pairs table and its kind (``csv`` or ``jsonl``) from a file name or ``-`` (stdin, JSONL)."""
    import pandas as pd

    if path == "-":
        return pd.read_json(sys.stdin, lines=True, dtype=False), "jsonl"
    low = path.lower()
    if low.endswith((".jsonl", ".json", ".ndjson")):
        return pd.read_json(path, lines=True, dtype=False), "jsonl"
    if low.endswith((".csv", ".tsv", ".txt")):
        return pd.read_csv(path, sep="\t" if low.endswith(".tsv") else ",", dtype=str, keep_default_na=False), "csv"
    raise ValueError(f"{path}: give a .csv, .tsv or .jsonl file of pairs (or - for JSONL on stdin)")


def _score(args: argparse.Namespace) -> int:
    import stance

    frame, kind = _read_table(args.path)
    if args.stance_model.lower() in ("none", "rules"):
        raise ValueError("stance score needs a stance model: --stance-model default or a saved directory")
    nlp = stance.load(quote_model=None, stance_model=args.stance_model, stance_screen=args.stance_screen,
                      precision=args.precision, low_memory=args.low_memory, device=args.device)
    out = nlp.stance.predict_frame(
        frame, text_column=args.text_column, target_column=args.target_column,
        context_column=args.context_column, speaker_column=args.speaker_column, batch_size=args.batch_size,
    )
    fmt = args.format or kind
    text = out.to_csv(index=False) if fmt == "csv" else out.to_json(orient="records", lines=True, force_ascii=False)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


def _link_speakers(args: argparse.Namespace) -> int:
    import csv

    from stance.identity import link_records

    is_csv = args.path.lower().endswith((".csv", ".tsv"))
    delimiter = "\t" if args.path.lower().endswith(".tsv") else ","
    if args.path == "-":
        lines = sys.stdin.read().splitlines()
    else:
        with open(args.path, encoding="utf-8", newline="") as fh:
            lines = fh.read().splitlines()
    if is_csv:
        reader = csv.DictReader(lines, delimiter=delimiter)
        records: list[dict[str, Any]] = [dict(r) for r in reader]
        fields = list(reader.fieldnames or [])
        if "speaker_id" not in fields:
            raise ValueError(f"{args.path}: no speaker_id column (records of a stance analyze with the speaker_id field)")
    else:
        records = []
        for n, line in enumerate(lines, 1):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise ValueError(f"{args.path}:{n}: not a JSON record ({err.msg})") from None
    linked = link_records(records)
    out = open(args.output, "w", encoding="utf-8", newline="") if args.output else sys.stdout  # noqa: SIM115
    try:
        if is_csv:
            writer = csv.DictWriter(out, fieldnames=fields, delimiter=delimiter)
            writer.writeheader()
            writer.writerows(linked)
        else:
            out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in linked)
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def _error(err: BaseException) -> None:
    sys.stderr.write(f"stance: error: {err}\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="stance: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        if args.command == "analyze":
            return _analyze(args)
        if args.command == "train":
            return _train(args)
        if args.command == "score":
            return _score(args)
        if args.command == "link-speakers":
            return _link_speakers(args)
        if args.command == "render":
            from stance.display.cli import run as render_run

            return render_run(args)
        return _evaluate(args)
    except (StanceError, FileNotFoundError, TypeError, ValueError, KeyError) as err:
        _error(err)
        return 1
    except BrokenPipeError:  # e.g. `stance analyze ... | head`
        return 0
