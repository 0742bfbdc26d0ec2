"""Relations under construction: the bookkeeping shared by the tagger's distance grouping and the
learned relation linker (which fragment joins which relation; the relations in text order)."""

from __future__ import annotations

from typing import Any

from stance._spans import Span
from stance.data.polnear import ROLES, Attribution


def span_gap(x: Span, y: Span) -> int:
    """Characters between two spans (0 when they touch or overlap).

    >>> span_gap((0, 3), (5, 9)), span_gap((5, 9), (0, 3)), span_gap((0, 5), (3, 9))
    (2, 2, 0)
    """
    return max(0, max(x[0], y[0]) - min(x[1], y[1]))


class RelationGroups:
    """Role fragments grouped under keys (a cue, or a lone fragment), in the order keys appear."""

    def __init__(self) -> None:
        self.groups: dict[Any, dict[str, list[Span]]] = {}
        self.order: list[Any] = []

    def add(self, key: Any, role: str, frag: Span) -> None:
        if key not in self.groups:
            self.groups[key] = {r: [] for r in ROLES}
            self.order.append(key)
        self.groups[key][role].append(frag)

    def relations(self) -> list[Attribution]:
        """One relation per key, fragments sorted, relations ordered by their first offset."""
        rels = [Attribution(*(tuple(sorted(set(self.groups[k][r]))) for r in ROLES)) for k in self.order]
        rels.sort(key=lambda r: min(a for role in ROLES for a, _ in r.role(role)))
        return rels
