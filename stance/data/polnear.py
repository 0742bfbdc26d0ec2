"""Reader for PolNeAR-format attribution data (brat standoff).

Layout: ``DIR/SPLIT/text/<article>.txt`` and ``DIR/SPLIT/attributions/<article>_<annotator>.ann``.
Where an article has several annotator files, the first in sorted order is used, so every
run scores against the same single annotation (PolNeAR dev has two such articles).
Fragments of one role separated only by whitespace are joined (see :func:`_merge_adjacent`).
"""

from __future__ import annotations

import csv
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

Span = tuple[int, int]

ROLES = ("source", "cue", "content")


def default_data_dir() -> Path:
    """``$STANCE_DATA/polnear`` if set, else ``../shared/data/polnear`` from the working directory."""
    root = os.environ.get("STANCE_DATA")
    if root:
        return Path(root) / "polnear"
    return Path("..") / "shared" / "data" / "polnear"


@dataclass(frozen=True)
class Attribution:
    """One attribution relation; each role is a tuple of contiguous fragments (discontinuous spans)."""

    source: tuple[Span, ...] = ()
    cue: tuple[Span, ...] = ()
    content: tuple[Span, ...] = ()

    def role(self, name: str) -> tuple[Span, ...]:
        return tuple(getattr(self, name))


@dataclass(frozen=True)
class PolnearArticle:
    id: str
    text: str
    attributions: tuple[Attribution, ...] = ()
    annotator: str | None = None
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def publisher(self) -> str:
        return self.meta.get("publisher") or self.id.split("_", 1)[0]


def _parse_spans(spec: str) -> tuple[Span, ...]:
    spans = []
    for part in spec.split(";"):
        a, b = part.split()
        spans.append((int(a), int(b)))
    return tuple(spans)


def _trim(text: str, span: Span) -> Span | None:
    a, b = span
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return (a, b) if a < b else None


def _merge_adjacent(text: str, frags: list[Span]) -> tuple[Span, ...]:
    """Join fragments of one role separated only by whitespace (a quote the annotation split at
    its sentence breaks), as CofeNet's BIO copy of PolNeAR does: one span, not one per sentence.

    >>> _merge_adjacent("A. B. C", [(0, 2), (3, 5), (6, 7)])
    ((0, 7),)
    >>> _merge_adjacent("A, he said. B", [(0, 2), (12, 13)])
    ((0, 2), (12, 13))
    """
    merged: list[Span] = []
    for a, b in sorted(frags):
        if merged and not text[merged[-1][1] : a].strip():
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return tuple(merged)


def parse_ann(ann: str, text: str) -> tuple[Attribution, ...]:
    """Parse brat standoff into attribution relations (fragments whitespace-trimmed)."""
    spans: dict[str, tuple[str, tuple[Span, ...]]] = {}
    events: list[dict[str, list[str]]] = []
    for line in ann.splitlines():
        if line.startswith("T"):
            parts = line.split("\t")
            if len(parts) < 2:
                continue
            label, _, spec = parts[1].partition(" ")
            try:
                frags = _parse_spans(spec)
            except ValueError:
                logger.warning("skipping malformed brat line %r", line[:80])
                continue
            spans[parts[0]] = (label, frags)
        elif line.startswith("E"):
            parts = line.split("\t")
            if len(parts) < 2:
                continue
            args: dict[str, list[str]] = {}
            for arg in parts[1].split():
                role, _, ref = arg.partition(":")
                args.setdefault(role.rstrip("0123456789").lower(), []).append(ref)
            events.append(args)
    out = []
    for ev in events:
        roles: dict[str, list[Span]] = {r: [] for r in ROLES}
        for role in ROLES:
            for ref in ev.get(role, []):
                if ref in spans:
                    for frag in spans[ref][1]:
                        t = _trim(text, frag)
                        if t:
                            roles[role].append(t)
        if roles["content"] or roles["cue"]:
            out.append(Attribution(*(_merge_adjacent(text, roles[r]) for r in ROLES)))
    return tuple(out)


def _read_meta(root: Path) -> dict[str, dict[str, str]]:
    path = root / "metadata.tsv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as fh:
        return {row["filename"]: row for row in csv.DictReader(fh, delimiter="\t")}


def read_polnear(data_dir: str | os.PathLike[str] | None = None, split: str = "dev") -> list[PolnearArticle]:
    """Read one split of PolNeAR-format data, sorted by article id.

    >>> read_polnear("/nonexistent", "dev")
    Traceback (most recent call last):
    ...
    FileNotFoundError: no PolNeAR split 'dev' at /nonexistent/dev (expected dev/text/*.txt and dev/attributions/*.ann)
    """
    root = Path(data_dir) if data_dir is not None else default_data_dir()
    split_dir = root / split
    if not (split_dir / "text").is_dir():
        raise FileNotFoundError(
            f"no PolNeAR split {split!r} at {split_dir} "
            f"(expected {split}/text/*.txt and {split}/attributions/*.ann)"
        )
    meta = _read_meta(root)
    anns: dict[str, list[Path]] = {}
    for p in sorted((split_dir / "attributions").glob("*.ann")):
        article, _, _annot = p.stem.rpartition("_")
        anns.setdefault(article, []).append(p)
    articles = []
    for txt in sorted((split_dir / "text").glob("*.txt")):
        text = txt.read_text(encoding="utf-8")
        files = anns.get(txt.stem, [])
        attributions: tuple[Attribution, ...] = ()
        annotator = None
        if files:
            attributions = parse_ann(files[0].read_text(encoding="utf-8"), text)
            annotator = files[0].stem.rpartition("_")[2]
        articles.append(
            PolnearArticle(txt.stem, text, attributions, annotator, dict(meta.get(txt.stem, {})))
        )
    return articles
