"""A learned mention ranker for pronoun speakers ("..., he said"): which earlier person is "he"?

:class:`MentionRanker` scores (pronoun, candidate antecedent) pairs from a handful of features
that exist in novels and in news alike, all read from the text and its spaCy parse:

* how far back the candidate was last mentioned (characters, sentences, how many other
  candidates were mentioned since), whether it is in the pronoun's sentence;
* the grammatical role of its nearest mention (subject, object) and whether any mention in the
  window is a subject; how often it is mentioned; whether its mentions are inside quotations;
* whether it is already a speaker (a quote source) and whether it spoke the previous quote;
* gender agreement as the text evidences it (honorifics, he/she after the name, pronouns
  already linked to it), never from lists of first names.

The model is a linear scorer or a tiny MLP (a few hundred parameters) trained on PDNC novels by
:mod:`stance.attribution.train_ranker`; the artefact is ``config.json`` + ``ranker.safetensors``
with the weights' sha256, checked on load (never pickle).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance._nlp import ParsedText
from stance._serialization import read_verified_config, sha256_file
from stance._spans import Span
from stance._version import __version__
from stance.errors import ModelLoadError

__all__ = [
    "FEATURES",
    "Candidate",
    "MentionRanker",
    "candidate_features",
    "pronoun_candidates",
]

LIBRARY_VERSION = __version__
FORMAT_VERSION = 1
WEIGHTS_NAME = "ranker.safetensors"
CONFIG_NAME = "config.json"

#: feature names, in the order of :func:`candidate_features`'s vector
FEATURES: tuple[str, ...] = (
    "log_char_distance",  # log1p(characters from the nearest mention's end to the pronoun / 100)
    "sentence_distance",  # sentences back to the nearest mention (capped at 10) / 10
    "same_sentence",  # nearest mention in the pronoun's sentence
    "log_candidates_between",  # log1p(other candidates mentioned after this one's nearest mention)
    "nearest",  # the most recently mentioned candidate
    "subject",  # nearest mention is a grammatical subject (nsubj/nsubjpass)
    "object",  # nearest mention is an object (dobj/pobj/dative/iobj)
    "possessive",  # nearest mention is a possessor ("Doe's")
    "any_subject",  # some mention in the window (outside quotes) is a subject
    "log_mentions",  # log1p(mentions in the window)
    "in_quote",  # nearest mention inside a quotation
    "all_in_quote",  # every mention in the window inside quotations
    "is_source",  # already a speaker (the source of an earlier quote)
    "rule_choice",  # the rule resolver's choice for this pronoun (stacking: the ranker may overrule it)
    "named",  # has a proper name (a named speaker or a person entity), not only a descriptor
    "prev_speaker",  # the speaker of the previous attributed quote
    "gender_agree",  # text-evidenced gender equals the pronoun's
    "gender_clash",  # text-evidenced gender differs from the pronoun's
)
_SUBJ = {"nsubj", "nsubjpass"}
_OBJ = {"dobj", "pobj", "dative", "iobj", "obj"}


@dataclass
class Candidate:
    """One possible antecedent: an existing speaker cluster (``key`` its id) or a person named in
    the window who is no speaker yet (``key`` the entity span)."""

    key: object
    mentions: list[Span]
    gender: str | None = None
    is_source: bool = False
    prev_speaker: bool = False
    named: bool = False
    rule_choice: bool = False
    name: str = ""
    features: list[float] = field(default_factory=list)


def _in(pos: int, spans: Sequence[Span]) -> bool:
    return any(a <= pos < b for a, b in spans)


def _head_dep(parsed: ParsedText, span: Span) -> str:
    toks = parsed.tokens_in(*span)
    if not toks:
        return ""
    ids = {t.i for t in toks}
    head = next((t for t in toks if t.head not in ids or t.head == t.i), toks[-1])
    return head.dep


def candidate_features(
    parsed: ParsedText, pronoun: Span, gender: str | None, cand: Candidate, others: Sequence[Candidate],
    quoted: Sequence[Span],
) -> list[float]:
    """The feature vector (see :data:`FEATURES`) of ``cand`` as antecedent of the pronoun at
    ``pronoun``; ``others`` are the competing candidates (for "how many were mentioned since")."""
    ms = sorted(m for m in cand.mentions if m[1] <= pronoun[0] or m[0] < pronoun[0])
    if not ms:
        raise ValueError("a candidate needs a mention before the pronoun")
    last = max(ms, key=lambda m: m[1])
    dist = max(0, pronoun[0] - last[1])
    p_tok, m_tok = parsed.token_at(pronoun[0]), parsed.token_at(last[0])
    toks = parsed.tokens
    p_sent = toks[p_tok].sent if p_tok is not None else len(parsed.sents)
    m_sent = toks[m_tok].sent if m_tok is not None else p_sent
    sent_dist = min(10, max(0, p_sent - m_sent))
    between = sum(
        1 for o in others
        if o is not cand and any(last[1] <= m[0] and m[1] <= pronoun[0] for m in o.mentions)
    )
    dep = _head_dep(parsed, last)
    outside = [m for m in ms if not _in(m[0], quoted)]
    any_subj = any(_head_dep(parsed, m) in _SUBJ for m in outside)
    in_q = _in(last[0], quoted)
    g = cand.gender
    return [
        math.log1p(dist / 100.0),
        sent_dist / 10.0,
        float(sent_dist == 0),
        math.log1p(between),
        float(between == 0),
        float(dep in _SUBJ),
        float(dep in _OBJ),
        float(dep == "poss"),
        float(any_subj),
        math.log1p(len(ms)),
        float(in_q),
        float(not outside),
        float(cand.is_source),
        float(cand.rule_choice),
        float(cand.named),
        float(cand.prev_speaker),
        float(gender is not None and g is not None and g == gender),
        float(gender is not None and g is not None and g != gender),
    ]


def _same_person(a: str, b: str, same_name: Callable[[str, str], bool]) -> bool:
    """Names of one person: the resolver's rule, or the same first and last name ("Loretta E. Lynch",
    "Loretta Lynch")."""
    if same_name(a, b):
        return True
    ta, tb = a.lower().split(), b.lower().split()
    if not ta or not tb:
        return False
    return ta[-1] == tb[-1] and len(ta[-1]) > 2 and ta[0] == tb[0]


def pronoun_candidates(
    parsed: ParsedText,
    clusters: Sequence[Any],
    pronoun: Span,
    gender: str | None,
    quoted: Sequence[Span],
    window: int,
    genders: dict[str, str],
    prev_cluster: int | None,
    clean: Callable[[str], str],
    same_name: Callable[[str, str], bool],
    rule_key: int | str | None = None,
    is_person: Callable[[tuple[int, int, str]], bool] | None = None,
) -> list[Candidate]:
    """The candidates the rules consider for a singular person pronoun, with their features:
    person/anonymous singular speaker clusters mentioned in the ``window`` characters before it,
    and persons named there who are no speaker yet (grouped by name). ``rule_key`` marks the
    rules' choice: a cluster id, or the name of a person the rules would make a speaker.
    ``is_person`` says which entities are persons (default: spaCy's PERSON label); the resolver
    passes its own test, which also takes a known person's surname tagged as an organisation, so
    that the rules' choice is always among the candidates."""
    from stance.document import SpeakerType

    lo = pronoun[0] - window
    person = is_person or (lambda e: e[2] == "PERSON")
    ents = [e for e in parsed.ents if person(e) and lo <= e[0] and e[1] <= pronoun[0]]
    out: list[Candidate] = []
    taken: set[tuple[int, int, str]] = set()
    for c in clusters:
        named_match = [e for e in ents if c.named and _same_person(c.name, clean(parsed.text[e[0] : e[1]]), same_name)]
        if c.named:
            taken.update(named_match)
        if c.type not in (SpeakerType.PERSON, SpeakerType.ANONYMOUS) or c.number == "pl" or getattr(c, "author", False):
            continue
        ms = [m for m in c.mentions if lo <= m[0] and m[1] <= pronoun[0] and not (m[0] <= pronoun[0] < m[1])]
        ms += [(e[0], e[1]) for e in named_match]
        ms = sorted(set(ms))
        if not ms:
            continue
        out.append(Candidate(c.id, ms, c.gender, is_source=True, prev_speaker=c.id == prev_cluster,
                             named=bool(c.named), name=c.name))
    groups: list[tuple[str, list[tuple[int, int, str]]]] = []
    for e in ents:
        if e in taken:
            continue
        name = clean(parsed.text[e[0] : e[1]])
        if not name:
            continue
        grp = next((g for g in groups if _same_person(g[0], name, same_name)), None)
        if grp is None:
            groups.append((name, [e]))
        else:
            grp[1].append(e)
    for _name, es in groups:
        full = max((clean(parsed.text[a:b]) for a, b, _ in es), key=len)
        g = genders.get(full.lower().split()[-1]) if full else None
        out.append(Candidate(es[-1], [(a, b) for a, b, _ in es], g, named=True, name=full))
    for cand in out:
        if isinstance(rule_key, int):
            cand.rule_choice = cand.key == rule_key
        elif isinstance(rule_key, str) and not isinstance(cand.key, int):
            cand.rule_choice = _same_person(cand.name, rule_key, same_name)
    for cand in out:
        cand.features = candidate_features(parsed, pronoun, gender, cand, out, quoted)
    return out


class MentionRanker:
    """Scores candidate antecedents: ``score(features) -> list[float]`` (higher is better).

    ``hidden == 0`` is a linear scorer ``w·x``; otherwise ``w2·tanh(W1 x + b1)``. Features are
    standardised with the training ``mean``/``std`` stored with the weights.
    """

    def __init__(
        self, weights: dict[str, Any], features: Sequence[str] = FEATURES, hidden: int = 0,
        meta: dict[str, Any] | None = None,
    ) -> None:
        import torch

        self.features = tuple(features)
        if self.features != FEATURES:
            raise ModelLoadError(
                f"ranker features {list(self.features)} differ from this version's {list(FEATURES)}; retrain it"
            )
        self.hidden = int(hidden)
        self.meta = dict(meta or {})
        n = len(self.features)
        w = {k: torch.as_tensor(v, dtype=torch.float32).detach().clone() for k, v in weights.items()}
        w.setdefault("mean", torch.zeros(n))
        w.setdefault("std", torch.ones(n))
        expected: dict[str, tuple[int, ...]] = {"mean": (n,), "std": (n,)}
        if self.hidden:
            expected.update({"w1": (self.hidden, n), "b1": (self.hidden,), "w2": (self.hidden,)})
        else:
            expected["w"] = (n,)
        for k, shape in expected.items():
            if k not in w or tuple(w[k].shape) != shape:
                got = tuple(w[k].shape) if k in w else None
                raise ModelLoadError(f"ranker weight {k!r} has shape {got}, expected {shape}")
        self.weights = {k: w[k] for k in expected}

    def forward(self, x: Any) -> Any:
        """Scores of a ``(..., features)`` tensor (differentiable, used in training)."""
        import torch

        w = self.weights
        z = (x - w["mean"]) / w["std"]
        if self.hidden:
            return torch.tanh(z @ w["w1"].T + w["b1"]) @ w["w2"]
        return z @ w["w"]

    def score(self, features: Sequence[Sequence[float]]) -> list[float]:
        import torch

        if not features:
            return []
        with torch.no_grad():
            out = self.forward(torch.tensor([list(f) for f in features], dtype=torch.float32))
        return [float(v) for v in out]

    @property
    def n_parameters(self) -> int:
        return sum(int(v.numel()) for k, v in self.weights.items() if k not in ("mean", "std"))

    def save_pretrained(self, path: str | Path) -> Path:
        from safetensors.torch import save_file

        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in self.weights.items()}, str(out / WEIGHTS_NAME))
        config = {
            "model_type": "stance-speaker-ranker",
            "library_version": LIBRARY_VERSION,
            "format_version": FORMAT_VERSION,
            "features": list(self.features),
            "hidden": self.hidden,
            "n_parameters": self.n_parameters,
            "weights": WEIGHTS_NAME,
            "weights_sha256": sha256_file(out / WEIGHTS_NAME),
            **{k: v for k, v in self.meta.items() if k not in ("features", "hidden", "weights_sha256")},
        }
        (out / CONFIG_NAME).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        return out

    @classmethod
    def from_pretrained(cls, path: str | Path) -> MentionRanker:
        from safetensors.torch import load_file

        config, weights = read_verified_config(path, CONFIG_NAME, WEIGHTS_NAME, FORMAT_VERSION, "speaker-ranker")
        meta = {k: v for k, v in config.items() if k not in ("features", "hidden")}
        return cls(load_file(str(weights)), config.get("features", []), int(config.get("hidden", 0)), meta)
