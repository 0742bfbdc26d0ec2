"""Train the pronoun resolver (:class:`~stance.attribution.pronoun_model.PronounModel`).

``python -m stance.attribution.train_pronoun --gap ../shared/data/gap --gum ../shared/data/gum --output stance/models/pronoun-resolver``

Training pairs: GAP's training split (the authors' "development" file; candidates A and B) and
person pronouns of GUM's training documents (every genre but Reddit, whose text is blanked;
candidates: the persons mentioned by name or description in the window before the pronoun, the
pronoun's own chain positive). Loss: cross-entropy of a softmax over the candidates and "none of
them" (GAP rows where neither A nor B is the antecedent). Selection data, never trained on: GAP validation and GUM dev.
Reported: GAP test (F1 over the A/B decisions, masculine and feminine F1 and their ratio, the
official measure), GUM test (share of pronouns whose best-scored candidate is its antecedent).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from pathlib import Path
from typing import Any

from stance.attribution.pronoun_model import (
    PronounExample,
    PronounModel,
    PronounModelConfig,
    best_candidate,
)

logger = logging.getLogger(__name__)

_FEMININE = {"she", "her", "hers", "herself"}


def gap_scores(model: PronounModel, root: Path, split: str) -> dict[str, Any]:
    """GAP's measure on ``split``: F1 of the coreference decisions (A and B of every row), overall
    and by the pronoun's gender, and the bias ratio feminine / masculine F1. A candidate is
    predicted coreferent when it is the best-scored one and scores above "none of them"."""
    from stance.data.gap import gap_examples

    rows = gap_examples(root, split)
    scores = model.score([(e.text, e.pronoun, e.candidates) for e in rows], batch_size=32)
    counts = {"all": [0, 0, 0], "m": [0, 0, 0], "f": [0, 0, 0]}  # tp, fp, fn
    for e, sc in zip(rows, scores, strict=True):
        g = "f" if e.text[e.pronoun[0] : e.pronoun[1]].lower() in _FEMININE else "m"
        best = best_candidate(sc)
        for j in range(2):
            pred, gold = best == j, bool(e.labels[j])
            for key in ("all", g):
                c = counts[key]
                c[0] += pred and gold
                c[1] += pred and not gold
                c[2] += gold and not pred

    def f1(c: list[int]) -> float:
        return 2 * c[0] / max(1, 2 * c[0] + c[1] + c[2])

    out = {"n": len(rows), "f1": round(100 * f1(counts["all"]), 1), "f1_masculine": round(100 * f1(counts["m"]), 1),
           "f1_feminine": round(100 * f1(counts["f"]), 1)}
    out["bias_feminine_over_masculine"] = round(out["f1_feminine"] / max(1e-9, out["f1_masculine"]), 3)
    return out


def ranking_accuracy(model: PronounModel, examples: list[PronounExample], allow_none: bool = False) -> float:
    """Share of anaphors whose best-scored candidate is an antecedent; with ``allow_none``, "none
    of them" (no candidate above logit 0) is a prediction too, right when no candidate is."""
    scores = model.score([(e.text, e.pronoun, e.candidates) for e in examples], batch_size=32)
    ok = 0
    for e, sc in zip(examples, scores, strict=True):
        if allow_none:
            best = best_candidate(sc)
            ok += (best is None and not any(e.labels)) or (best is not None and e.labels[best] == 1)
            continue
        best = best_candidate(sc, none=float("-inf"))  # the best candidate read, "none" not an option
        ok += best is not None and e.labels[best] == 1
    return ok / max(1, len(examples))


def listwise_loss(logits: Any, present: Any, labels: Any) -> Any:
    """Cross-entropy of a softmax over "none of them" (logit 0) and the present candidates: the
    target is the present antecedents (log of their summed probability), or none when no
    antecedent is present."""
    import torch

    neg = torch.finfo(logits.dtype).min / 2
    z = torch.where(present, logits, torch.full_like(logits, neg))
    z = torch.cat([torch.zeros_like(z[:, :1]), z], 1)
    pos = present & labels.bool()
    target = torch.cat([~pos.any(1, keepdim=True), pos], 1)
    gold = torch.logsumexp(torch.where(target, z, torch.full_like(z, neg)), 1)
    return (torch.logsumexp(z, 1) - gold).mean()


def train(
    model: PronounModel, examples: list[PronounExample], epochs: float, lr: float, batch_size: int,
    seed: int, time_budget: float | None = None,
) -> dict[str, Any]:
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    params = [p for p in model.net.parameters() if p.requires_grad]
    head = [p for n, p in model.net.named_parameters() if n.startswith("head.")]
    body = [p for n, p in model.net.named_parameters() if p.requires_grad and not n.startswith("head.")]
    opt = torch.optim.AdamW([{"params": body, "lr": lr}, {"params": head, "lr": 10 * lr}], weight_decay=0.01)
    steps = max(1, int(len(examples) * epochs / batch_size))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) * max(0.0, (steps - s) / steps))
    model.net.train()
    t0, step, seen = time.time(), 0, 0.0
    order: list[int] = []
    while step < steps:
        if not order:
            order = list(range(len(examples)))
            rng.shuffle(order)
        batch = [examples[i] for i in order[:batch_size]]
        order = order[batch_size:]
        enc = model.encode([(e.text, e.pronoun, e.candidates) for e in batch])
        k = enc["c_mask"].shape[1]
        labels = torch.tensor([e.labels + [0] * (k - len(e.labels)) for e in batch])
        loss = listwise_loss(model.forward(enc), enc["c_mask"].any(-1), labels)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        step += 1
        value = float(loss.detach())
        seen = 0.98 * seen + 0.02 * value if step > 1 else value
        if step % 50 == 0:
            logger.info("step %d/%d loss %.3f %.0fs", step, steps, seen, time.time() - t0)
        if time_budget is not None and time.time() - t0 > time_budget:
            logger.warning("time budget reached at step %d of %d", step, steps)
            break
    model.net.eval()
    return {"steps": step, "planned_steps": steps, "seconds": round(time.time() - t0), "final_loss": round(seen, 4)}


def pdnc_examples(root: Path, per_novel: int, seed: int, cache: Path | None = None) -> list[PronounExample]:
    """He/she quote speakers of the PDNC novels the speaker ranker trains on (never its held-out
    novels), with the candidates the resolver gives the ranker (see
    :mod:`stance.attribution.train_ranker`)."""
    from stance.attribution.resolver import ResolverConfig
    from stance.attribution.train_ranker import _parse, _Recorder, load_novel, make_chunks
    from stance.data.pdnc import HELD_OUT

    rng = random.Random(seed)
    names = sorted(p.name for p in root.iterdir() if (p / "quotation_info.csv").is_file() and p.name not in HELD_OUT)
    out: list[PronounExample] = []
    for n in names:
        novel = load_novel(root, n)
        chunks = make_chunks(novel, per_novel, rng)
        _parse(chunks, cache)
        for ch in chunks:
            assert ch.parsed is not None
            rec = _Recorder(ResolverConfig(ranker=None), ch, novel.aliases)
            rec.predict(ch.parsed, ch.quotes)
            out.extend(e for e in rec.pronoun_examples if any(e.labels) and len(e.labels) > 1)
        logger.info("PDNC %s: %d pronouns so far", n, len(out))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--gap", required=True, type=Path)
    ap.add_argument("--gum", type=Path, default=None)
    ap.add_argument("--output", required=True, type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--max-length", type=int, default=192)
    ap.add_argument("--gum-cap", type=int, default=0, help="at most this many GUM training pronouns (0 = all)")
    ap.add_argument("--gum-nominal", action="store_true", help="also train on GUM's definite nominal anaphors")
    ap.add_argument("--pdnc", type=Path, default=None, help="also train on PDNC he/she quote speakers (ranker's training novels)")
    ap.add_argument("--pdnc-per-novel", type=int, default=100)
    ap.add_argument("--pdnc-cache", type=Path, default=None, help="JSON cache of the PDNC window parses")
    ap.add_argument("--init", type=Path, default=None, help="start from a saved pronoun model (a second stage)")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--time-budget", type=float, default=None, help="stop training after this many seconds")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    import torch

    from stance.data.gap import gap_examples

    if args.threads:
        torch.set_num_threads(args.threads)
    t0 = time.time()
    rng = random.Random(args.seed)
    train_ex = gap_examples(args.gap, "train")
    counts = {"gap/train": len(train_ex)}
    gum_dev: list[PronounExample] = []
    gum_test: list[PronounExample] = []
    if args.gum is not None:
        from stance.data.gum import gum_anaphor_examples, gum_pronoun_examples

        read = gum_anaphor_examples if args.gum_nominal else gum_pronoun_examples
        gum_train = read(args.gum, "train")
        if args.gum_cap and len(gum_train) > args.gum_cap:
            gum_train = rng.sample(gum_train, args.gum_cap)
        for e in gum_train:
            counts[f"{e.source}/train"] = counts.get(f"{e.source}/train", 0) + 1
        train_ex += gum_train
        gum_dev, gum_test = gum_anaphor_examples(args.gum, "dev"), gum_anaphor_examples(args.gum, "test")
    if args.pdnc is not None:
        pdnc = pdnc_examples(args.pdnc, args.pdnc_per_novel, args.seed, args.pdnc_cache)
        rng.shuffle(pdnc)
        counts["pdnc/train"] = len(pdnc)
        train_ex += pdnc
    logger.info("training pronouns %s", counts)
    model = PronounModel.from_pretrained(args.init) if args.init else PronounModel(PronounModelConfig(max_length=args.max_length))
    info = train(model, train_ex, args.epochs, args.lr, args.batch_size, args.seed, args.time_budget)
    model.config = PronounModelConfig(
        max_length=args.max_length,
        extra={"trained_on": counts, "epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size,
               "seed": args.seed, "init": str(args.init) if args.init else None, **info},
    )
    out = model.save_pretrained(args.output)
    report: dict[str, Any] = {"training": {**info, "pronouns": counts}}
    report["gap_validation"] = gap_scores(model, args.gap, "validation")
    for name, exs in (("gum_dev", gum_dev), ("gum_test", gum_test)):
        for kind in ("gum", "gum-nominal"):
            part = [e for e in exs if e.source == kind]
            if part:
                nominal = kind == "gum-nominal"
                report[f"{name}_{'nominal' if nominal else 'pronoun'}"] = {
                    "accuracy": round(100 * ranking_accuracy(model, part, allow_none=nominal), 1), "n": len(part)}
    report["gap_test"] = gap_scores(model, args.gap, "test")
    report["seconds"] = round(time.time() - t0)
    report["versions"] = {"torch": torch.__version__}
    (out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
    logger.info("%s", json.dumps(report))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
