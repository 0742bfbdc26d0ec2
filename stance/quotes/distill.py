"""Distilling the attribution tagger: a teacher's per-token label distributions as soft targets.

The accurate tagger (MPNet) is slow on CPUs without bf16; a small student (MiniLM) trained to
reproduce its distributions, over PolNeAR ``train`` and over news text that has no gold spans,
is the way to its accuracy at the student's speed (issue #22). The two models tokenise
differently, so the teacher's distributions are stored per *teacher* word piece with character
offsets and projected onto the student's word pieces when training starts
(:func:`project_soft_labels`).

Labelling is the expensive half and is cached on disk, one ``.npz`` shard per batch of documents
plus ``index.json`` (document id, sha256 of its text, shard), so an interrupted run resumes::

    python -m stance.quotes.distill --teacher stance/models/attribution-tagger-mpnet \\
        --polnear ../shared/data/polnear --fnc1 ../shared/data --fnc1-bodies 400 --output out/teacher

``stance.quotes.train_tagger --teacher-cache out/teacher`` then trains a student on it. Only
PolNeAR ``train`` and FNC-1 ``train`` bodies are ever labelled: PolNeAR ``dev`` selects the
student, and its ``test`` is held out.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

#: version of the on-disk cache layout
CACHE_FORMAT = 1
INDEX_FILE = "index.json"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unlabelled_news(data_dir: str | os.PathLike[str], n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` FNC-1 *train* article bodies drawn at random (``seed``), as ``("fnc1:<Body ID>",
    text)``: news text with quotes and no attribution gold, for the teacher to label."""
    from stance.data.stance_sets import read_fnc1_bodies

    if n <= 0:
        return []
    bodies = read_fnc1_bodies(data_dir, "train")
    ids = sorted(bodies, key=lambda k: (len(k), k))  # numeric ids in numeric order
    picked = sorted(random.Random(seed).sample(ids, min(n, len(ids))), key=lambda k: (len(k), k))
    return [(f"fnc1:{k}", bodies[k]) for k in picked if bodies[k].strip()]


def read_index(cache_dir: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(cache_dir) / INDEX_FILE
    if not path.is_file():
        return {"format": CACHE_FORMAT, "teacher": None, "docs": {}}
    index = json.loads(path.read_text(encoding="utf-8"))
    if index.get("format") != CACHE_FORMAT:
        raise ValueError(f"{path}: teacher cache format {index.get('format')!r}, this version reads {CACHE_FORMAT}")
    return index


def label_with_teacher(
    teacher: Any, docs: Sequence[tuple[str, str]], cache_dir: str | os.PathLike[str], *, teacher_id: str = "",
    shard_size: int = 32, batch_size: int | None = None,
) -> dict[str, Any]:
    """Score ``docs`` (``(id, text)``) with ``teacher`` (an :class:`AttributionTagger`) and add
    its per-token log-probabilities and offsets to the cache in ``cache_dir``; documents already
    there with the same text are skipped. ``teacher_id`` (e.g. the sha256 of its weights) must
    match the one the cache was started with. Returns the index."""
    out = Path(cache_dir)
    out.mkdir(parents=True, exist_ok=True)
    index = read_index(out)
    who = {"id": teacher_id, "encoder": str(teacher.config.encoder), "labels": list(teacher.config.labels)}
    if index["teacher"] is None:
        index["teacher"] = who
    elif index["teacher"] != who:
        raise ValueError(f"{out} holds another teacher's labels ({index['teacher']}); use a new directory")
    todo = [(d, t) for d, t in docs if index["docs"].get(d, {}).get("sha256") != _sha(t)]
    logger.info("teacher labels: %d of %d documents to score", len(todo), len(docs))
    # a new number for every shard written: a re-scored document points to its new shard, and
    # the shards of earlier runs (some rows perhaps no longer referenced) are never overwritten
    shard = 1 + max((int(v["shard"]) for v in index["docs"].values()), default=-1)
    t0 = time.time()
    for s in range(0, len(todo), shard_size):
        part = todo[s : s + shard_size]
        scored = teacher.token_scores([t for _, t in part], batch_size=batch_size)
        arrays: dict[str, Any] = {}
        for k, ((doc_id, text), sc) in enumerate(zip(part, scored, strict=True)):
            arrays[f"offsets_{k}"] = np.asarray(sc["offsets"], dtype=np.int32)
            arrays[f"logp_{k}"] = np.asarray(sc["scores"], dtype=np.float16)
            index["docs"][doc_id] = {"shard": shard, "row": k, "sha256": _sha(text)}
        np.savez(out / f"shard-{shard:05d}.npz", **arrays)
        shard += 1
        (out / INDEX_FILE).write_text(json.dumps(index, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        logger.info("teacher labels: %d / %d documents (%.0f s)", s + len(part), len(todo), time.time() - t0)
    return index


def read_teacher_labels(cache_dir: str | os.PathLike[str], docs: Sequence[tuple[str, str]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The cached ``(offsets, log-probabilities)`` of each of ``docs``, in order; a document
    missing from the cache, or cached with another text, is an error."""
    out = Path(cache_dir)
    index = read_index(out)
    shards: dict[int, Any] = {}
    result = []
    for doc_id, text in docs:
        entry = index["docs"].get(doc_id)
        if entry is None or entry["sha256"] != _sha(text):
            raise KeyError(f"{doc_id}: not in the teacher cache {out} (or its text changed); label it first")
        if entry["shard"] not in shards:
            shards[entry["shard"]] = np.load(out / f"shard-{entry['shard']:05d}.npz", allow_pickle=False)
        z = shards[entry["shard"]]
        result.append((z[f"offsets_{entry['row']}"].astype(np.int64), z[f"logp_{entry['row']}"].astype(np.float32)))
    return result


def project_soft_labels(
    teacher_offsets: np.ndarray, teacher_logp: np.ndarray, student_offsets: np.ndarray,
    labels: Sequence[str], temperature: float = 1.0,
) -> np.ndarray:
    """The teacher's label distribution for each student word piece, ``(len(student_offsets),
    len(labels))``.

    A student piece takes the distribution of the teacher piece its first character falls in
    (softened by ``temperature``). Where it continues that teacher piece (it starts inside it, or
    the piece before it maps to the same teacher piece), the probability of ``B-role`` moves to
    ``I-role``: a span begins only once. A piece that starts in a gap between teacher pieces
    takes the next teacher piece's distribution.

    >>> labs = ["O", "B-source", "I-source"]
    >>> t_off = np.array([[0, 5], [6, 11]])       # "Alice Smith": two teacher pieces
    >>> t_lp = np.log(np.array([[0.1, 0.9, 0.0], [0.1, 0.0, 0.9]]) + 1e-9)
    >>> s_off = np.array([[0, 3], [3, 5], [6, 11]])  # the student splits "Alice" in two
    >>> project_soft_labels(t_off, t_lp, s_off, labs).astype(float).round(2).tolist()
    [[0.1, 0.9, 0.0], [0.1, 0.0, 0.9], [0.1, 0.0, 0.9]]
    """
    n_s = len(student_offsets)
    k = len(labels)
    if n_s == 0:
        return np.zeros((0, k), dtype=np.float32)
    if len(teacher_offsets) == 0:
        out = np.zeros((n_s, k), dtype=np.float32)
        out[:, list(labels).index("O")] = 1.0
        return out
    starts, ends = teacher_offsets[:, 0], teacher_offsets[:, 1]
    a = student_offsets[:, 0]
    j = np.clip(np.searchsorted(starts, a, side="right") - 1, 0, len(starts) - 1)
    gap = (a >= ends[j]) & (j + 1 < len(starts))
    j = np.where(gap, j + 1, j)
    z = teacher_logp[j].astype(np.float64) / max(float(temperature), 1e-6)
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    cont = a > starts[j]
    cont[1:] |= j[1:] == j[:-1]
    for bi, lab in enumerate(labels):
        if lab.startswith("B-") and f"I-{lab[2:]}" in labels:
            ii = list(labels).index(f"I-{lab[2:]}")
            p[cont, ii] += p[cont, bi]
            p[cont, bi] = 0.0
    return p.astype(np.float32)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Label news text with the teacher tagger for distillation (cached, resumable).")
    ap.add_argument("--teacher", required=True, help="the teacher tagger's directory (e.g. stance/models/attribution-tagger-mpnet)")
    ap.add_argument("--polnear", required=True, help="PolNeAR directory: its train split is labelled")
    ap.add_argument("--fnc1", default=None, help="the data directory holding fnc1/ (its train bodies are unlabelled news)")
    ap.add_argument("--fnc1-bodies", type=int, default=0,
                    help="how many FNC-1 train bodies to label (a sample drawn with seed 0, as the trainer draws it)")
    ap.add_argument("--output", required=True, help="the cache directory")
    ap.add_argument("--precision", default="float32", choices=["float32", "bfloat16", "int8"],
                    help="the teacher's precision (int8: ONNX Runtime, CPU only, the same dev F1 as float32)")
    ap.add_argument("--device", default="cpu", help="cpu, cuda, or auto (a GPU where there is one)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=None)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    import torch

    from stance._encoder import resolve_device
    from stance.data.polnear import read_polnear
    from stance.quotes.tagger import AttributionTagger

    if args.threads:
        torch.set_num_threads(args.threads)
    teacher = AttributionTagger.from_pretrained(args.teacher).merge_adapters().to(resolve_device(args.device))
    meta = json.loads((Path(args.teacher) / "config.json").read_text(encoding="utf-8"))
    if args.precision == "int8":
        teacher.quantize_int8(release=True)
    else:
        teacher.precision = args.precision
    docs = [(f"polnear:{a.id}", a.text) for a in read_polnear(args.polnear, "train")]
    if args.fnc1_bodies:
        if not args.fnc1:
            ap.error("--fnc1-bodies needs --fnc1")
        docs += unlabelled_news(args.fnc1, args.fnc1_bodies)
    label_with_teacher(teacher, docs, args.output, teacher_id=str(meta.get("weights_sha256", "")), batch_size=args.batch_size)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
