"""GAP (Webster et al., 2018): gendered ambiguous pronouns in Wikipedia text.

Each row has a pronoun and two person names (A, B) with their offsets and whether the pronoun
refers to each. :func:`gap_examples` turns a split's TSV into
:class:`~stance.attribution.pronoun_model.PronounExample` rows (candidates A and B; every exact
occurrence of a name before the pronoun is a mention of it), and :func:`read_gap` gives the raw
rows for scoring with the official measure (F1 over the A/B coreference decisions).
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path
from typing import Any

from stance.attribution.pronoun_model import PronounExample

__all__ = ["GAP_FILES", "gap_examples", "read_gap"]

#: GAP's files by split: the authors' "development" is the training split
GAP_FILES = {"train": "gap-development.tsv", "validation": "gap-validation.tsv", "test": "gap-test.tsv"}


def read_gap(root: str | os.PathLike[str], split: str) -> list[dict[str, Any]]:
    """Rows of a GAP split (``train``, ``validation``, ``test``) with integer offsets and boolean labels."""
    if split not in GAP_FILES:
        raise ValueError(f"GAP split must be one of {sorted(GAP_FILES)}, got {split!r}")
    path = Path(root) / GAP_FILES[split]
    if not path.is_file():
        raise FileNotFoundError(f"GAP file not found: {path}")
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            rows.append({
                "id": r["ID"], "text": r["Text"], "pronoun": r["Pronoun"], "pronoun_offset": int(r["Pronoun-offset"]),
                "a": r["A"], "a_offset": int(r["A-offset"]), "a_coref": r["A-coref"].upper() == "TRUE",
                "b": r["B"], "b_offset": int(r["B-offset"]), "b_coref": r["B-coref"].upper() == "TRUE",
            })
    return rows


def _mentions(text: str, name: str, offset: int, before: int) -> list[tuple[int, int]]:
    spans = {(offset, offset + len(name))}
    for m in re.finditer(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text[:before]):
        spans.add((m.start(), m.end()))
    return sorted(s for s in spans if s[1] <= before or s[0] == offset)


def gap_examples(root: str | os.PathLike[str], split: str) -> list[PronounExample]:
    """One example per GAP row: the pronoun and the candidates A and B (labels from A-/B-coref)."""
    out = []
    for r in read_gap(root, split):
        p = (r["pronoun_offset"], r["pronoun_offset"] + len(r["pronoun"]))
        cands = [_mentions(r["text"], r["a"], r["a_offset"], p[0]), _mentions(r["text"], r["b"], r["b_offset"], p[0])]
        out.append(PronounExample(
            r["text"], p, cands, [r["a"], r["b"]], [int(r["a_coref"]), int(r["b_coref"])], source="gap", doc_id=r["id"],
        ))
    return out
