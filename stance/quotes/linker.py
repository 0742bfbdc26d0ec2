"""Which cue does each content and source fragment belong to? A learned relation linker.

The attribution tagger finds role fragments (source, cue, content) but not which ones form a
relation. Linking each fragment to the *nearest* cue by characters goes wrong exactly where news
is hardest: indirect speech that ends next to the following sentence's cue ("Trump said [that
Clinton backed the deal]. Clinton now says …"), a second speaker in the same paragraph, "…,"
the source added. :class:`RelationLinker` scores, for every content or source fragment, each
cue within reach and a "no cue" option, from features read off the text and its spaCy parse:

* position: before/after the cue, characters and tokens apart, sentences apart, a paragraph
  break between, how many other cues and same-role fragments lie between, nearness rank;
* syntax: the cue governs the fragment (the cue's head is an ancestor of the fragment's head,
  or the fragment hangs directly off the cue), the fragment's dependency label;
* surface: quote marks at the fragment's ends, what separates fragment and cue (",", a quote
  mark, "that"), whether the cue is only punctuation.

Each role has a tiny MLP (a few hundred parameters) trained with a softmax over the candidates
of each gold fragment in PolNeAR ``train`` (:mod:`stance.quotes.train_linker`). Decoding:
content takes its best candidate; sources are assigned greedily, one per cue, best score first.
The artefact is ``linker.json`` + ``linker.safetensors`` beside the tagger's weights, with the
weights' sha256 checked on load (never pickle).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stance._nlp import ParsedText
from stance._serialization import read_verified_config, sha256_file
from stance._spans import Span
from stance._version import __version__
from stance.data.polnear import ROLES, Attribution
from stance.errors import ModelLoadError
from stance.quotes._marks import ALL_MARKS
from stance.quotes._relations import RelationGroups, span_gap

__all__ = ["FEATURES", "LINKED_ROLES", "LinkerCandidate", "RelationLinker", "link_candidates"]

FORMAT_VERSION = 1
WEIGHTS_NAME = "linker.safetensors"
CONFIG_NAME = "linker.json"
#: the roles linked to cues (cues are the relations' anchors)
LINKED_ROLES: tuple[str, ...] = ("content", "source")
_DEPS = ("nsubj", "nsubjpass", "ccomp", "dobj", "pobj", "xcomp", "advcl", "conj", "ROOT", "parataxis", "appos")

#: feature names, in vector order; pair features are zero for the "no cue" candidate
FEATURES: tuple[str, ...] = (
    "null",  # the "no cue" candidate
    # fragment only
    "frag_log_len",
    "frag_opens_quote",
    "frag_closes_quote",
    "frag_starts_paragraph",
    "frag_log_cues_in_reach",
    *(f"frag_dep_{d}" for d in _DEPS),
    # fragment and cue
    "before",  # the fragment ends before the cue starts
    "after",  # the fragment starts after the cue ends
    "overlap",
    "log_char_gap",
    "log_token_gap",
    "same_sentence",  # the cue's sentence is one the fragment covers
    "one_sentence_apart",
    "far_sentences",
    "paragraph_break",
    "log_cues_between",
    "no_cue_between",
    "no_same_role_between",
    "nearest",
    "second_nearest",
    "cue_governs",  # the cue's head token is an ancestor of the fragment's head
    "hangs_off_cue",  # the fragment's head is attached directly to a cue token
    "governs_cue",  # the fragment's head is an ancestor of the cue's head
    "sep_comma_only",  # only punctuation/space between (", " or ",\" ")
    "sep_has_quote_mark",
    "sep_that",  # "said that …"
    "cue_punctuation",  # the cue is a colon or dash
    "cue_verb",
)
_N_FRAG = 5 + len(_DEPS)
_MARKS_RE = re.compile("[" + re.escape("".join(sorted(ALL_MARKS))) + "]")
_THAT_RE = re.compile(r"\bthat\s*$")


@dataclass(frozen=True)
class LinkerCandidate:
    """One option for a fragment: a cue span, or ``None`` for "no cue"."""

    cue: Span | None
    features: tuple[float, ...]


def _head_token(parsed: ParsedText, span: Span) -> int | None:
    toks = parsed.tokens_in(*span)
    if not toks:
        return None
    idx = {t.i for t in toks}
    for t in toks:
        if t.head == t.i or t.head not in idx:
            return t.i
    return toks[0].i


def _ancestors(parsed: ParsedText, i: int, limit: int = 40) -> set[int]:
    out: set[int] = set()
    toks = parsed.tokens
    while limit and toks[i].head != i:
        i = toks[i].head
        if i in out:
            break
        out.add(i)
        limit -= 1
    return out


class _DocIndex:
    """Per-document lookups shared by all candidate features."""

    def __init__(self, parsed: ParsedText, spans: Sequence[tuple[str, int, int]]) -> None:
        self.parsed = parsed
        self.text = parsed.text
        self.by_role: dict[str, list[Span]] = {r: sorted((a, b) for role, a, b in spans if role == r) for r in ROLES}
        self._head: dict[Span, int | None] = {}

    def head(self, span: Span) -> int | None:
        if span not in self._head:
            self._head[span] = _head_token(self.parsed, span)
        return self._head[span]

    def sent(self, pos: int) -> int:
        t = self.parsed.token_at(pos)
        if t is None:
            return self.parsed.tokens[-1].sent + 1 if self.parsed.tokens else 0
        return self.parsed.tokens[t].sent

    def between(self, spans: list[Span], lo: int, hi: int, skip: Span | None = None) -> int:
        return sum(1 for s in spans if s != skip and lo <= s[0] and s[1] <= hi)


def _fragment_features(ix: _DocIndex, frag: Span, n_cues: int) -> list[float]:
    text = ix.text
    a, b = frag
    head = ix.head(frag)
    dep = ix.parsed.tokens[head].dep if head is not None else ""
    line_start = text.rfind("\n", 0, a) + 1
    return [
        math.log1p((b - a) / 20),
        float(text[a] in ALL_MARKS),
        float(text[b - 1] in ALL_MARKS),
        float(not text[line_start:a].strip()),
        math.log1p(n_cues),
        *(float(dep == d) for d in _DEPS),
    ]


def _pair_features(ix: _DocIndex, role: str, frag: Span, cue: Span, rank: int) -> list[float]:
    text, parsed = ix.text, ix.parsed
    before, after = frag[1] <= cue[0], frag[0] >= cue[1]
    lo, hi = (frag[1], cue[0]) if before else (cue[1], frag[0]) if after else (0, 0)
    gap = max(0, hi - lo)
    sep = text[lo:hi] if gap else ""
    t_lo, t_hi = parsed.token_at(lo), parsed.token_at(hi)
    token_gap = (t_hi - t_lo) if (gap and t_lo is not None and t_hi is not None) else 0
    s_cue = ix.sent(cue[0])
    s_first, s_last = ix.sent(frag[0]), ix.sent(max(frag[0], frag[1] - 1))
    sent_dist = 0 if s_first <= s_cue <= s_last else min(abs(s_cue - s_first), abs(s_cue - s_last))
    cues_between = ix.between(ix.by_role["cue"], lo, hi) if gap else 0
    same_between = ix.between(ix.by_role[role], lo, hi, skip=frag) if gap else 0
    fh, ch = ix.head(frag), ix.head(cue)
    governs = hangs = governed = False
    if fh is not None and ch is not None:
        cue_tokens = {t.i for t in parsed.tokens_in(*cue)}
        frag_anc = _ancestors(parsed, fh)
        governs = bool(cue_tokens & frag_anc) or ch in frag_anc
        hangs = parsed.tokens[fh].head in cue_tokens
        governed = fh in _ancestors(parsed, ch)
    cue_text = text[cue[0] : cue[1]]
    cue_head = parsed.tokens[ch] if ch is not None else None
    return [
        float(before),
        float(after),
        float(not before and not after),
        math.log1p(gap / 10),
        math.log1p(token_gap),
        float(sent_dist == 0),
        float(sent_dist == 1),
        float(sent_dist >= 2),
        float("\n" in sep),
        math.log1p(cues_between),
        float(cues_between == 0),
        float(same_between == 0),
        float(rank == 0),
        float(rank == 1),
        float(governs),
        float(hangs),
        float(governed),
        float(bool(gap) and len(sep) <= 4 and not any(ch.isalnum() for ch in sep)),
        float(bool(_MARKS_RE.search(sep))),
        float(bool(_THAT_RE.search(sep[-16:]))),
        float(not any(ch.isalnum() for ch in cue_text)),
        float(cue_head is not None and cue_head.pos in ("VERB", "AUX")),
    ]


def link_candidates(
    ix: _DocIndex, role: str, frag: Span, window: int
) -> list[LinkerCandidate]:
    """The "no cue" option and every cue within ``window`` characters of ``frag``, with features."""
    cues = [c for c in ix.by_role["cue"] if span_gap(c, frag) <= window and c != frag]
    frag_f = _fragment_features(ix, frag, len(cues))
    zeros = [0.0] * (len(FEATURES) - 1 - _N_FRAG)
    out = [LinkerCandidate(None, tuple([1.0, *frag_f, *zeros]))]
    order = sorted(cues, key=lambda c: (span_gap(c, frag), c))
    for rank, c in enumerate(order):
        out.append(LinkerCandidate(c, tuple([0.0, *frag_f, *_pair_features(ix, role, frag, c, rank)])))
    return out


class RelationLinker:
    """Groups tagger fragments into relations (see the module docstring).

    ``weights`` holds, per linked role, ``{role}.mean``/``{role}.std`` (feature standardisation)
    and ``{role}.w1``/``{role}.b1``/``{role}.w2`` (``score = w2·tanh(W1 z + b1)``).
    """

    def __init__(
        self, weights: dict[str, Any], hidden: int, window: int = 600,
        features: Sequence[str] = FEATURES, meta: dict[str, Any] | None = None,
    ) -> None:
        import torch

        if tuple(features) != FEATURES:
            raise ModelLoadError(
                f"linker features {list(features)[:5]}… differ from this version's; retrain the linker"
            )
        if hidden <= 0 or window <= 0:
            raise ValueError("RelationLinker needs hidden > 0 and window > 0")
        self.hidden, self.window = int(hidden), int(window)
        self.meta = dict(meta or {})
        n = len(FEATURES)
        shapes = {"mean": (n,), "std": (n,), "w1": (self.hidden, n), "b1": (self.hidden,), "w2": (self.hidden,)}
        self.weights: dict[str, Any] = {}
        for role in LINKED_ROLES:
            for k, shape in shapes.items():
                key = f"{role}.{k}"
                if key not in weights or tuple(weights[key].shape) != shape:
                    got = tuple(weights[key].shape) if key in weights else None
                    raise ModelLoadError(f"linker weight {key!r} has shape {got}, expected {shape}")
                self.weights[key] = torch.as_tensor(weights[key], dtype=torch.float32).detach().clone()

    # -- scoring -------------------------------------------------------------------------------
    def forward(self, role: str, x: Any) -> Any:
        """Scores of a ``(n, features)`` tensor for ``role`` (differentiable, used in training)."""
        import torch

        w = {k: self.weights[f"{role}.{k}"] for k in ("mean", "std", "w1", "b1", "w2")}
        z = (x - w["mean"]) / w["std"]
        return torch.tanh(z @ w["w1"].T + w["b1"]) @ w["w2"]

    def score(self, role: str, candidates: Sequence[LinkerCandidate]) -> list[float]:
        return self.score_many(role, [candidates])[0]

    def score_many(self, role: str, groups: Sequence[Sequence[LinkerCandidate]]) -> list[list[float]]:
        """Scores of several candidate lists in one forward pass."""
        import torch

        flat = [c.features for g in groups for c in g]
        if not flat:
            return [[] for _ in groups]
        with torch.inference_mode():
            out = self.forward(role, torch.tensor(flat, dtype=torch.float32)).tolist()
        res, k = [], 0
        for g in groups:
            res.append(out[k : k + len(g)])
            k += len(g)
        return res

    # -- decoding ------------------------------------------------------------------------------
    def link(self, parsed: ParsedText, spans: Sequence[tuple[str, int, int]]) -> list[Attribution]:
        """Relations from ``(role, start, end)`` fragments of one document."""
        ix = _DocIndex(parsed, spans)
        rg = RelationGroups()
        add = rg.add

        for c in ix.by_role["cue"]:
            add(("cue", c), "cue", c)
        contents = ix.by_role["content"]
        groups_c = [link_candidates(ix, "content", frag, self.window) for frag in contents]
        for frag, cands, scores in zip(contents, groups_c, self.score_many("content", groups_c), strict=True):
            best = cands[max(range(len(cands)), key=lambda k: (scores[k], -k))]
            add(("cue", best.cue) if best.cue is not None else ("content", frag), "content", frag)
        # sources: one per cue, the most confident links first
        pairs: list[tuple[float, int, Span, Span]] = []
        sources = ix.by_role["source"]
        groups_s = [link_candidates(ix, "source", frag, self.window) for frag in sources]
        for n, (frag, cands, scores) in enumerate(zip(sources, groups_s, self.score_many("source", groups_s), strict=True)):
            null = scores[0]
            for cand, sc in zip(cands[1:], scores[1:], strict=True):
                if sc > null and cand.cue is not None:
                    pairs.append((sc - null, n, frag, cand.cue))
        placed: set[Span] = set()
        taken: set[Span] = set()
        for _, _, frag, cue in sorted(pairs, key=lambda p: (-p[0], p[1], p[3])):
            if frag in placed or cue in taken:
                continue
            add(("cue", cue), "source", frag)
            placed.add(frag)
            taken.add(cue)
        content_keys = [k for k in rg.order if k[0] == "content"]
        for frag in ix.by_role["source"]:
            if frag in placed:
                continue
            near = [k for k in content_keys if span_gap(k[1], frag) <= self.window and not rg.groups[k]["source"]]
            if near:
                add(min(near, key=lambda k: (span_gap(k[1], frag), k[1])), "source", frag)
            else:
                add(("source", frag), "source", frag)
        return rg.relations()

    __call__ = link

    # -- files ---------------------------------------------------------------------------------
    @property
    def n_parameters(self) -> int:
        return sum(int(v.numel()) for k, v in self.weights.items() if not k.endswith((".mean", ".std")))

    def save_pretrained(self, path: str | Path) -> Path:
        from safetensors.torch import save_file

        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in self.weights.items()}, str(out / WEIGHTS_NAME))
        config = {
            **{k: v for k, v in self.meta.items() if k not in ("features", "hidden", "window", "weights_sha256")},
            "model_type": "stance-relation-linker",
            "library_version": __version__,
            "format_version": FORMAT_VERSION,
            "features": list(FEATURES),
            "hidden": self.hidden,
            "window": self.window,
            "n_parameters": self.n_parameters,
            "weights": WEIGHTS_NAME,
            "weights_sha256": sha256_file(out / WEIGHTS_NAME),
        }
        (out / CONFIG_NAME).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return out

    @classmethod
    def from_pretrained(cls, path: str | Path) -> RelationLinker:
        from safetensors.torch import load_file

        config, weights = read_verified_config(path, CONFIG_NAME, WEIGHTS_NAME, FORMAT_VERSION, "relation-linker")
        meta = {k: v for k, v in config.items() if k not in ("features", "hidden", "window")}
        return cls(load_file(str(weights)), int(config.get("hidden", 0)), int(config.get("window", 600)),
                   config.get("features", []), meta)

    @staticmethod
    def exists(path: str | Path) -> bool:
        """Whether ``path`` holds a saved linker."""
        return (Path(path) / CONFIG_NAME).is_file()

