"""Low-rank adapters (LoRA, Hu et al. 2022) for the linear layers of a frozen encoder.

A bigger base encoder (the PyPI all-mpnet-base-v2) cannot ship fine-tuned in 25 MB, but its
low-rank updates can: ``W x + (alpha / r) * B A x`` with ``A`` (r x in) and ``B`` (out x r)
trained, ``W`` frozen as in the base. At inference :func:`merge_lora` folds ``B A`` into ``W``
so the adapted encoder runs exactly as fast as the base. Plain PyTorch: ``peft`` is not
needed to train or to load these adapters.
"""

from __future__ import annotations

import math

import torch
from torch import nn

#: parameter names of the adapters (``...<linear>.lora_A`` / ``...<linear>.lora_B``)
LORA_PARAMS = ("lora_A", "lora_B")


class LoRALinear(nn.Module):
    """``base(x) + scale * (dropout(x) @ A.T @ B.T)``; ``B`` starts at zero, so training starts at the base."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float, dropout: float = 0.0) -> None:
        super().__init__()
        if rank < 1:
            raise ValueError(f"LoRA rank must be >= 1, got {rank}")
        self.base = base
        self.rank = rank
        self.scale = float(alpha) / rank
        self.lora_A = nn.Parameter(torch.empty(rank, base.in_features))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.dropout = nn.Dropout(dropout)
        self.merged = False

    @property
    def weight(self) -> torch.Tensor:  # modules that read ``.weight`` (dtype checks) still work
        return self.base.weight

    @property
    def bias(self) -> torch.Tensor | None:
        return self.base.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.base(x)
        if self.merged:
            return out
        return out + (self.dropout(x) @ self.lora_A.t().to(x.dtype)) @ (self.lora_B.t().to(x.dtype) * self.scale)

    @torch.no_grad()
    def merge(self) -> None:
        """Fold the adapter into the base weight (inference only; the adapter stays stored)."""
        if not self.merged:
            delta = (self.lora_B.float() @ self.lora_A.float()) * self.scale
            self.base.weight += delta.to(self.base.weight.dtype)
            self.merged = True


def add_lora(module: nn.Module, rank: int, alpha: float, dropout: float = 0.0) -> int:
    """Wrap every ``nn.Linear`` below ``module`` in a :class:`LoRALinear`; returns how many."""
    targets = [
        (parent, name, child)
        for parent in module.modules()
        for name, child in parent.named_children()
        if isinstance(child, nn.Linear) and not isinstance(parent, LoRALinear)
    ]
    for parent, name, child in targets:
        setattr(parent, name, LoRALinear(child, rank, alpha, dropout))
    return len(targets)


def merge_lora(module: nn.Module) -> int:
    """Merge every adapter below ``module`` into its base weight; returns how many."""
    n = 0
    for m in module.modules():
        if isinstance(m, LoRALinear) and not m.merged:
            m.merge()
            n += 1
    return n


def is_lora_param(name: str) -> bool:
    """Whether the parameter ``name`` belongs to an adapter."""
    return name.rsplit(".", 1)[-1] in LORA_PARAMS


def is_trained_param(name: str, prefixes: tuple[str, ...], *, adapters: bool, head: str) -> bool:
    """Whether a model's parameter ``name`` is trained and shipped: under one of ``prefixes`` (its
    fine-tuned top layers and its ``head``), and with ``adapters`` only the head's, the adapters'
    and the layer norms' (the top layers' own weights stay the base's)."""
    if not name.startswith(prefixes):
        return False
    if adapters and not name.startswith(head):
        return is_lora_param(name) or ".LayerNorm." in name
    return True


@torch.no_grad()
def int8_roundtrip_(module: nn.Module, group: int = 128, min_numel: int = 100_000) -> int:
    """Replace large 2-D weights by their int8 round trip, in place; returns how many.

    Each row is cut in groups of ``group`` values, each scaled by its largest magnitude / 127
    (the scale kept in float16) and rounded to an integer in [-127, 127]. This is how the base
    weights reached a lent GPU whose machine takes at most 64 MiB per call (all-mpnet-base-v2 is
    440 MB); ``stance train attribution --base-int8`` applies the same round trip on any
    device, so a CPU run starts from exactly the weights the GPU run saw. Inference uses the
    exact base.
    """
    n = 0
    for p in module.parameters():
        if p.ndim != 2 or p.shape[1] % group or p.numel() <= min_numel:
            continue
        g = p.detach().float().reshape(p.shape[0], -1, group)
        scale = g.abs().amax(-1, keepdim=True).clamp_min(1e-8) / 127
        q = torch.round(g / scale).clamp(-127, 127)
        p.copy_((q * scale.half().float()).reshape(p.shape).to(p.dtype))
        n += 1
    return n
