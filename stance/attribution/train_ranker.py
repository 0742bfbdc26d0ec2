"""Train the pronoun speaker ranker (:class:`~stance.attribution.ranker.MentionRanker`) on PDNC
novels and, optionally, news pronouns labelled in PolNeAR articles (``--news-gold``).

``python -m stance.attribution.train_ranker --pdnc ../shared/data/pdnc --output DIR --seed 0 [--news-gold SPLIT:PATH ...]``

Examples are PDNC's *Anaphoric* quotes whose referring expression is "he"/"she" ("said he").
For each, a window of the novel (about 2,000 characters before the pronoun, paragraph-aligned;
nearby examples share a window) is parsed with spaCy and run through the rule resolver as if
it were a news article, with the gold quotes of the window as its quotes and their referring
expressions as sources. At each example pronoun the candidates are exactly the ones the
resolver's ranker hook scores (speaker clusters and persons named in the window, see
:func:`~stance.attribution.ranker.pronoun_candidates`); a candidate is positive when it is the
gold speaker (names matched to PDNC's ``character_info`` aliases, an unnamed cluster by the gold
speakers of its quotes). Character genders from ``character_info`` are never features.

News examples (:func:`collect_news`): labelled PolNeAR articles run through the default
pipeline with a recording resolver; at each "he"/"she" source whose gold speaker is labelled, a
candidate is positive when one of its mentions is the gold antecedent or its name is the gold
name. Each weighs ``--news-weight`` times a novel's pronoun. The held-out train-article speaker
sets are refused.

Whole novels are held out (:data:`HELD_OUT`); on them the script reports the accuracy of the
pronoun's speaker for the rules and for the ranker, both run end to end through the resolver.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from stance._nlp import ParsedText, Token, load_spacy
from stance._spans import RawQuote, Span
from stance.attribution.pronoun_model import PronounExample
from stance.attribution.ranker import (
    FEATURES,
    LIBRARY_VERSION,
    Candidate,
    MentionRanker,
)
from stance.attribution.resolver import Cluster, ResolverConfig, RuleResolver
from stance.data.pdnc import HELD_OUT, character_of, read_novel

logger = logging.getLogger(__name__)

#: novels used to pick the model variant (linear vs MLP, epochs) — part of training data otherwise
VALIDATION = ("HowardsEnd", "TheGambler", "AnneOfGreenGables")
CONTEXT = 2000
MAX_CHUNK = 5000
_PRONOUN = re.compile(r"\b(he|she)\b", re.I)
_VERBS = frozenset(
    "said says say cried asked replied answered added continued began exclaimed returned whispered "
    "shouted observed remarked went on and then had has was is murmured called interrupted resumed "
    "rejoined thought".split()
)


@dataclass
class Novel:
    name: str
    text: str
    quotes: list[dict[str, Any]]  # sorted: spans, source, speaker, target (bool)
    aliases: dict[str, set[str]]  # character main name -> lower-cased aliases


@dataclass
class Chunk:
    novel: str
    offset: int
    text: str
    quotes: list[RawQuote]
    speakers: list[str]
    targets: set[int]  # indices into quotes
    parsed: ParsedText | None = None


@dataclass
class Example:
    novel: str
    gold: str
    features: list[list[float]]
    labels: list[bool]
    rule_correct: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


def _flex(s: str) -> str:
    """A regex for ``s`` tolerant of line breaks, dropped periods ("Mr Knightley") and
    apostrophes ("Woodhouses")."""
    parts = []
    for w in s.split():
        w = w.rstrip(".")
        core = re.escape(w[:-1]) + "['\u2019]?s" if len(w) > 2 and w.endswith("s") else re.escape(w)
        parts.append(core + r"\.?")
    return r"[\s,]+".join(parts)


def _strip_verbs(text: str, start: int) -> Span | None:
    words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"[\w.'\u2019-]+", text)]

    def verbish(w: str) -> bool:
        lw = w.lower().strip(".")
        return w[:1].islower() and (lw in _VERBS or lw.endswith(("ed", "ly")))

    while words and verbish(words[0][2]):
        words.pop(0)
    while words and verbish(words[-1][2]):
        words.pop()
    if not words:
        return None
    return (start + words[0][0], start + words[-1][1])


def load_novel(root: Path, name: str) -> Novel:
    novel = read_novel(root, name)
    text, aliases = novel.text, novel.aliases
    rows: list[dict[str, Any]] = [
        {"spans": list(q.spans), "speaker": q.speaker, "type": q.type, "ref": q.ref} for q in novel.quotes
    ]
    rows.sort(key=lambda r: r["spans"][0][0])
    for k, r in enumerate(rows):
        r["source"], r["target"] = None, False
        if not r["ref"].strip():
            continue
        qs, qe = r["spans"][0][0], r["spans"][-1][1]
        lo = max(rows[k - 1]["spans"][-1][1] if k else 0, qs - 400)
        hi = min(rows[k + 1]["spans"][0][0] if k + 1 < len(rows) else len(text), qe + 400)
        best: tuple[int, int, int] | None = None
        for m in re.finditer(_flex(r["ref"]), text[lo:hi]):
            a, b = lo + m.start(), lo + m.end()
            if any(a < e and s < b for s, e in r["spans"]):
                continue
            dist = min(abs(a - e) if a >= e else abs(s - b) for s, e in r["spans"])
            if best is None or dist < best[0]:
                best = (dist, a, b)
        if best is None:
            continue
        _, a, b = best
        seg = text[a:b]
        pm = _PRONOUN.search(seg)
        if r["type"] == "Anaphoric" and pm is not None and len(seg.split()) <= 4:
            r["source"], r["target"] = (a + pm.start(), a + pm.end()), True
            continue
        found = None
        for al in sorted(aliases.get(r["speaker"], ()), key=len, reverse=True):
            m2 = re.search(_flex(al), seg, re.I)
            if m2 is not None:
                found = (a + m2.start(), a + m2.end())
                break
        r["source"] = found or _strip_verbs(seg, a)
    return Novel(name, text, rows, aliases)


def make_chunks(novel: Novel, max_targets: int | None, rng: random.Random) -> list[Chunk]:
    text = novel.text
    targets = [k for k, r in enumerate(novel.quotes) if r["target"]]
    if max_targets is not None and len(targets) > max_targets:
        targets = sorted(rng.sample(targets, max_targets))
    spans: list[list[int]] = []  # [start, end, target indices...]
    for k in targets:
        r = novel.quotes[k]
        p = r["source"][0]
        ws = max(0, p - CONTEXT)
        nl = text.find("\n", ws, p)
        ws = nl + 1 if nl >= 0 and ws > 0 else ws
        end = max(r["spans"][-1][1], r["source"][1])
        nl = text.find("\n", end, end + 300)
        end = nl if nl >= 0 else min(len(text), end + 300)
        if spans and ws < spans[-1][1] and end - spans[-1][0] <= MAX_CHUNK:
            spans[-1][1] = max(spans[-1][1], end)
            spans[-1].append(k)
        else:
            spans.append([ws, end, k])
    chunks = []
    for s, e, *ks in spans:
        quotes: list[RawQuote] = []
        speakers: list[str] = []
        tset: set[int] = set()
        for k, r in enumerate(novel.quotes):
            if r["spans"][0][0] < s or r["spans"][-1][1] > e:
                continue
            src = r["source"]
            if src is not None and not (s <= src[0] and src[1] <= e):
                src = None
            if k in ks:
                tset.add(len(quotes))
            quotes.append(RawQuote(
                tuple((a - s, b - s) for a, b in r["spans"]), "direct",
                source=(src[0] - s, src[1] - s) if src else None,
            ))
            speakers.append(r["speaker"])
        chunks.append(Chunk(novel.name, s, text[s:e], quotes, speakers, tset))
    return chunks


def draw_novels(
    root: Path, seed: int, max_train: int | None = 150, max_eval: int | None = 200,
) -> tuple[dict[str, Novel], list[Chunk], list[Chunk], list[Chunk]]:
    """PDNC's novels and their example windows, drawn in one seeded pass over the novels in name
    order: ``(novels, train, validation, held-out)`` windows, at most ``max_train`` example
    pronouns a training or validation novel and ``max_eval`` a held-out one (the shipped
    rankers' draw with the defaults and seed 0). Not parsed yet (:func:`_parse`)."""
    rng = random.Random(seed)
    names = sorted(p.name for p in root.iterdir() if (p / "quotation_info.csv").is_file())
    novels = {n: load_novel(root, n) for n in names}
    train: list[Chunk] = []
    val: list[Chunk] = []
    test: list[Chunk] = []
    for n in names:
        if n in HELD_OUT:
            test += make_chunks(novels[n], max_eval, rng)
        elif n in VALIDATION:
            val += make_chunks(novels[n], max_train, rng)
        else:
            train += make_chunks(novels[n], max_train, rng)
    return novels, train, val, test


class _Recorder(RuleResolver):
    """The resolver, recording at each example pronoun its candidates, their labels and whether
    the resolver's own choice (rules or ranker) was the gold speaker."""

    def __init__(self, config: ResolverConfig, chunk: Chunk, aliases: dict[str, set[str]]) -> None:
        super().__init__(config)
        self.chunk, self.aliases = chunk, aliases
        self.by_source = {q.source: k for k, q in enumerate(chunk.quotes) if q.source is not None}
        self.examples: list[Example] = []
        #: the same pronouns as text, pronoun span and candidates' mentions (for the pronoun model)
        self.pronoun_examples: list[PronounExample] = []

    def _identity(self, c: Cluster) -> str | None:
        if c.named:
            who = character_of(c.name, self.aliases)
            if who is not None:
                return who
        golds = Counter(self.chunk.speakers[i] for i, k in enumerate(self._assigned) if k == c.id)
        return golds.most_common(1)[0][0] if golds else None

    def _pronoun_antecedent(
        self, parsed: ParsedText, clusters: list[Cluster], span: Span, info: dict[str, object], quoted: list[Span],
    ) -> Cluster | None:
        k = self.by_source.get(span)
        if k is None or k not in self.chunk.targets or info["gender"] not in ("m", "f"):
            return super()._pronoun_antecedent(parsed, clusters, span, info, quoted)
        gold = self.chunk.speakers[k]
        cands: list[Candidate] = self._pronoun_candidates(parsed, clusters, span, info, quoted)
        labels = []
        for c in cands:
            who = self._identity(clusters[c.key]) if isinstance(c.key, int) else character_of(c.name, self.aliases)
            labels.append(who == gold)
        choice = super()._pronoun_antecedent(parsed, clusters, span, info, quoted)
        ok = choice is not None and self._identity(choice) == gold
        self.examples.append(Example(self.chunk.novel, gold, [c.features for c in cands], labels, ok))
        self.pronoun_examples.append(PronounExample(
            parsed.text, span, [list(c.mentions) for c in cands], [c.name for c in cands], [int(v) for v in labels],
            source="pdnc", doc_id=self.chunk.novel,
        ))
        return choice


def collect(chunks: list[Chunk], novels: dict[str, Novel], config: ResolverConfig) -> list[Example]:
    out: list[Example] = []
    for ch in chunks:
        assert ch.parsed is not None
        rec = _Recorder(config, ch, novels[ch.novel].aliases)
        rec.predict(ch.parsed, ch.quotes)
        out.extend(rec.examples)
    return out


def train(
    examples: list[Example], hidden: int, epochs: int, seed: int, lr: float = 0.05, l2: float = 1e-3,
    drop: tuple[str, ...] = (), weights: list[float] | None = None,
) -> MentionRanker:
    """Listwise training: maximise the probability (softmax over a pronoun's candidates) of its
    gold candidates; pronouns whose gold speaker is no candidate are skipped. Features in
    ``drop`` are switched off (their weights fixed at zero). ``weights`` (one per example,
    default 1) weight each pronoun's loss and the feature standardisation: news pronouns weigh
    more than the novels' when both are used."""
    import torch

    if weights is not None and len(weights) != len(examples):
        raise ValueError(f"{len(weights)} weights for {len(examples)} examples")
    torch.manual_seed(seed)
    n = len(FEATURES)
    keep = torch.tensor([f not in drop for f in FEATURES], dtype=torch.float32)
    idx = [i for i, e in enumerate(examples) if any(e.labels) and len(e.labels) > 1]
    if not idx:
        raise ValueError("no example has its gold speaker among two or more candidates")
    usable = [examples[i] for i in idx]
    wts = torch.tensor([1.0 if weights is None else float(weights[i]) for i in idx])
    # candidates padded to one (pronouns, candidates, features) tensor; ``mask`` marks real ones
    k_max = max(len(e.labels) for e in usable)
    x = torch.zeros(len(usable), k_max, n)
    mask = torch.zeros(len(usable), k_max, dtype=torch.bool)
    gold = torch.zeros(len(usable), k_max, dtype=torch.bool)
    for i, e in enumerate(usable):
        k = len(e.labels)
        x[i, :k] = torch.tensor(e.features, dtype=torch.float32)
        mask[i, :k] = True
        gold[i, :k] = torch.tensor(e.labels, dtype=torch.bool)
    x = x * keep
    cand_w = wts[:, None].expand(-1, k_max)[mask][:, None]  # each candidate counts with its pronoun's weight
    flat = x[mask]
    mean = (flat * cand_w).sum(0) / cand_w.sum()
    std = (((flat - mean) ** 2 * cand_w).sum(0) / cand_w.sum()).sqrt().clamp_min(1e-3)
    mean, std = mean * keep, torch.where(keep > 0, std, torch.ones(n))
    if hidden:
        params = {"w1": torch.randn(hidden, n) * (1 / math.sqrt(n)), "b1": torch.zeros(hidden),
                  "w2": torch.randn(hidden) * (1 / math.sqrt(hidden))}
    else:
        params = {"w": torch.zeros(n)}
    for p in params.values():
        p.requires_grad_(True)
    model = MentionRanker({**params, "mean": mean, "std": std}, FEATURES, hidden)
    model.weights.update(params)
    opt = torch.optim.Adam(list(params.values()), lr=lr)
    rng = random.Random(seed)
    order = list(range(len(usable)))
    for _ in range(epochs):
        rng.shuffle(order)
        for b in range(0, len(order), 64):
            bi = torch.tensor(order[b : b + 64])
            s = model.forward(x[bi])
            per = torch.logsumexp(s.masked_fill(~mask[bi], -1e9), 1) - torch.logsumexp(s.masked_fill(~gold[bi], -1e9), 1)
            loss = (per * wts[bi]).sum() / wts[bi].sum() + l2 * sum((p**2).sum() for p in params.values())
            opt.zero_grad()
            loss.backward()
            opt.step()
    final = {k: v.detach().clone() for k, v in model.weights.items()}
    if hidden:
        final["w1"] = final["w1"] * keep
    else:
        final["w"] = final["w"] * keep
    return MentionRanker(final, FEATURES, hidden)


#: the train-article speaker sets kept for evaluation: their articles are never training data
HELD_OUT_GOLD = ("polnear_train_speakers_heldout.jsonl", "polnear_train_anonymity_heldout.jsonl")


def read_news_labels(spec: str) -> tuple[str, list[dict[str, Any]]]:
    """``"SPLIT:PATH"`` -> the PolNeAR split and the pronoun rows of a speaker gold file (rows
    with ``doc``, ``source_start``/``source_end``, ``speaker`` and ``antecedent_start``/``_end``,
    the format of ``stance/evaluation/gold``)."""
    split, sep, path = spec.partition(":")
    if not sep or split not in ("train", "dev"):
        raise ValueError(f"--news-gold wants SPLIT:PATH with SPLIT train or dev (PolNeAR test is held out), got {spec!r}")
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return split, [r for r in rows if r.get("form", "pronoun") == "pronoun"]


def held_out_docs() -> set[str]:
    """Articles of the held-out train-article gold sets (refused as training data)."""
    from stance.evaluation.speakers import DEFAULT_GOLD

    out: set[str] = set()
    for name in HELD_OUT_GOLD:
        path = DEFAULT_GOLD.parent / name
        if path.is_file():
            out |= {json.loads(line)["doc"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    return out


class _NewsRecorder(RuleResolver):
    """The resolver, recording at each "he"/"she" source the candidates the ranker scores (their
    names, mentions and features); its own choices are the rules' (as for the novels), so the
    examples do not depend on which ranker is installed."""

    def __init__(self, config: ResolverConfig, sink: list[dict[str, Any]]) -> None:
        super().__init__(config)
        self.sink = sink

    def _pronoun_antecedent(
        self, parsed: ParsedText, clusters: list[Cluster], span: Span, info: dict[str, object], quoted: list[Span],
    ) -> Cluster | None:
        if info["gender"] in ("m", "f") and info["number"] == "sg":
            cands = self._pronoun_candidates(parsed, clusters, span, info, quoted)
            self.sink.append({
                "text": parsed.text, "span": span, "names": [c.name for c in cands],
                "mentions": [list(c.mentions) + (list(clusters[c.key].mentions) if isinstance(c.key, int) else [])
                             for c in cands],
                "features": [c.features for c in cands],
            })
        return super()._pronoun_antecedent(parsed, clusters, span, info, quoted)


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def label_news(records: list[dict[str, Any]], rows_by_text: dict[str, list[dict[str, Any]]], split: str) -> list[Example]:
    """Ranker examples from recorded candidates and gold rows: a candidate is positive when one
    of its mentions overlaps the gold antecedent or (a named speaker) its name is the gold name.
    Rows without an antecedent, or whose speaker is "unknown", are skipped."""
    from stance.evaluation.speakers import _same_name

    out: list[Example] = []
    for r in records:
        span = tuple(r["span"])
        g = next((g for g in rows_by_text.get(r["text"], [])
                  if _overlaps((g["source_start"], g["source_end"]), span)), None)
        if g is None or g.get("antecedent_start") is None or g["speaker"] in ("unknown", "not anonymous"):
            continue
        ante = (g["antecedent_start"], g["antecedent_end"])
        named = g["speaker"] != "anonymous" and not str(g["speaker"]).startswith("unnamed")
        labels = [
            any(_overlaps(tuple(m), ante) for m in ms) or (named and bool(name) and _same_name(name, g["speaker"]))
            for name, ms in zip(r["names"], r["mentions"], strict=True)
        ]
        out.append(Example(g["doc"], str(g["speaker"]), r["features"], labels, meta={"split": split, "span": list(span)}))
    return out


def collect_news(
    specs: list[tuple[str, list[dict[str, Any]]]], data_dir: str | Path | None = None, pipeline: Any = None,
) -> list[Example]:
    """Ranker examples from news: each ``(split, rows)`` names PolNeAR articles and their gold
    pronoun speakers. The articles run through ``pipeline`` (default: ``stance.load(precision=
    "float32")``, the default tagger, as at inference) with a recording resolver, so the
    candidates and features are the ones the ranker meets in use (the speakers of earlier quotes
    are the rules' choices, as for the novels). Articles of the held-out sets
    (:data:`HELD_OUT_GOLD`) are refused."""
    from stance.data.polnear import read_polnear

    banned = held_out_docs()
    for _, rows in specs:
        leak = sorted({r["doc"] for r in rows} & banned)
        if leak:
            raise ValueError(f"{len(leak)} article(s) of a held-out speaker set in the training labels, e.g. {leak[0]}")
    if pipeline is None:
        import stance

        pipeline = stance.load(precision="float32")
    out: list[Example] = []
    for split, rows in specs:
        arts = {a.id: a for a in read_polnear(data_dir, split)}
        missing = sorted({r["doc"] for r in rows} - set(arts))
        if missing:
            raise ValueError(f"{len(missing)} labelled article(s) not in PolNeAR {split}, e.g. {missing[0]}")
        by_text: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_text.setdefault(arts[r["doc"]].text, []).append(r)
        sink: list[dict[str, Any]] = []
        base = pipeline.resolver
        recorder = _NewsRecorder(replace(base.config, ranker=None, pronoun_model=None), sink)
        pipeline.resolver = recorder
        try:
            for _ in pipeline.pipe(list(by_text)):
                pass
        finally:
            pipeline.resolver = base
        ex = label_news(sink, by_text, split)
        logger.info("news %s: %d he/she sources recorded, %d labelled, gold among candidates in %d",
                    split, len(sink), len(ex), sum(any(e.labels) for e in ex))
        out += ex
    return out


def rerank_accuracy(model: MentionRanker, examples: list[Example]) -> float:
    """Share of pronouns whose top-scored candidate is gold (no candidate: wrong)."""
    ok = 0
    for e in examples:
        if e.features:
            s = model.score(e.features)
            ok += e.labels[max(range(len(s)), key=lambda k: s[k])]
    return ok / max(1, len(examples))


def end_to_end(chunks: list[Chunk], novels: dict[str, Novel], ranker_dir: str | None) -> dict[str, Any]:
    """Accuracy of the pronoun's speaker, the resolver run through each window (rules or ranker)."""
    ex = collect(chunks, novels, ResolverConfig(ranker=ranker_dir))
    per: dict[str, list[int]] = {}
    for e in ex:
        per.setdefault(e.novel, []).append(int(e.rule_correct))
    allv = [v for vs in per.values() for v in vs]
    return {
        "n": len(allv),
        "accuracy": round(100 * sum(allv) / max(1, len(allv)), 1),
        "gold_in_candidates": round(100 * sum(any(e.labels) for e in ex) / max(1, len(ex)), 1),
        "per_novel": {k: round(100 * sum(v) / len(v), 1) for k, v in sorted(per.items())},
    }


def _parse(chunks: list[Chunk], cache: Path | None = None) -> None:
    """Parse the windows (spaCy), reusing a JSON cache of earlier parses when given."""
    stored: dict[str, Any] = {}
    if cache is not None and cache.is_file():
        stored = json.loads(cache.read_text())
    key = [f"{c.novel}:{c.offset}:{len(c.text)}" for c in chunks]
    todo = [c for c, k in zip(chunks, key, strict=True) if k not in stored]
    if todo:
        docs = ParsedText.from_texts([c.text for c in todo], load_spacy())
        for c, p in zip(todo, docs, strict=True):
            stored[f"{c.novel}:{c.offset}:{len(c.text)}"] = [
                [list(t) for t in p.tokens], [list(e) for e in p.ents], [list(s) for s in p.sents]]
        if cache is not None:
            cache.write_text(json.dumps(stored))
    for c, k in zip(chunks, key, strict=True):
        toks, ents, sents = stored[k]
        tokens = [Token(*t) for t in toks]
        children: list[list[int]] = [[] for _ in tokens]
        for t in tokens:
            if t.head != t.i:
                children[t.head].append(t.i)
        c.parsed = ParsedText(c.text, tokens, [tuple(e) for e in ents], [tuple(s) for s in sents], children)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pdnc", required=True, type=Path)
    ap.add_argument("--output", required=True, type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-train-per-novel", type=int, default=150)
    ap.add_argument("--max-eval-per-novel", type=int, default=200)
    ap.add_argument("--hidden", type=int, nargs="*", default=[0, 8])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--drop", nargs="*", default=[], choices=FEATURES, help="features to switch off")
    ap.add_argument("--cache", type=Path, default=None, help="JSON cache of the window parses (optional)")
    ap.add_argument("--news-gold", action="append", default=[], metavar="SPLIT:PATH",
                    help="news pronoun labels to train on as well (PolNeAR train or dev; repeatable), e.g. "
                    "train:stance/evaluation/gold/polnear_train_pronoun_speakers.jsonl")
    ap.add_argument("--news-weight", type=float, default=30.0,
                    help="weight of a news pronoun against a novel's in the loss (default 30)")
    ap.add_argument("--polnear", type=Path, default=None, help="PolNeAR directory (default: ../shared/data/polnear)")
    args = ap.parse_args(argv)
    if args.news_weight <= 0:
        ap.error("--news-weight must be positive")
    news_specs = [read_news_labels(spec) for spec in args.news_gold]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    import torch

    torch.set_num_threads(1)
    t0 = time.time()
    novels, train_chunks, val_chunks, test_chunks = draw_novels(
        args.pdnc, args.seed, args.max_train_per_novel, args.max_eval_per_novel
    )
    all_chunks = train_chunks + val_chunks + test_chunks
    logger.info("%d windows, %d characters to parse", len(all_chunks), sum(len(c.text) for c in all_chunks))
    _parse(all_chunks, args.cache)
    logger.info("parsed in %.0fs", time.time() - t0)
    rules = ResolverConfig(ranker=None)
    tr, va = collect(train_chunks, novels, rules), collect(val_chunks, novels, rules)
    logger.info("train %d pronouns, validation %d", len(tr), len(va))
    best: tuple[float, int, MentionRanker] | None = None
    selection = {}
    for h in args.hidden:
        m = train(tr, h, args.epochs, args.seed, drop=tuple(args.drop))
        acc = rerank_accuracy(m, va)
        selection[f"hidden={h}"] = round(100 * acc, 1)
        logger.info("hidden=%d validation rerank accuracy %.1f", h, 100 * acc)
        if best is None or acc > best[0] + 0.005:
            best = (acc, h, m)
    assert best is not None
    _, hidden, _ = best
    # final model: train + validation novels (+ news pronouns, weighted up)
    news = collect_news(news_specs, args.polnear) if news_specs else []
    weights = [1.0] * len(tr + va) + [args.news_weight] * len(news)
    final = train(tr + va + news, hidden, args.epochs, args.seed, drop=tuple(args.drop), weights=weights)
    trained_on = "PDNC (Vishnubhotla et al., LREC 2022), anaphoric he/she quotes"
    if news:
        trained_on += f"; PolNeAR news he/she sources ({', '.join(spec for spec in args.news_gold)})"
    final.meta = {
        "library_version": LIBRARY_VERSION,
        "seed": args.seed,
        "trained_on": trained_on,
        "n_news_pronouns": len(news),
        "news_weight": args.news_weight if news else None,
        "held_out_novels": list(HELD_OUT),
        "validation_novels": list(VALIDATION),
        "n_train_pronouns": len(tr) + len(va),
        "epochs": args.epochs,
        "dropped_features": list(args.drop),
        "selection_validation_rerank_accuracy": selection,
    }
    out = final.save_pretrained(args.output)
    rules_res = end_to_end(test_chunks, novels, None)
    ranker_res = end_to_end(test_chunks, novels, str(out))
    report = {
        "held_out_rules": rules_res, "held_out_ranker": ranker_res, "hidden": hidden,
        "validation_rerank_accuracy": selection, "n_parameters": final.n_parameters,
        "train_pronouns": len(tr) + len(va), "news_pronouns": len(news), "seconds": round(time.time() - t0),
    }
    (args.output / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))  # noqa: T201
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
