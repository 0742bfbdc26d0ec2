"""Reader for PDNC, the Project Dialogism Novel Corpus (quotations in novels with their speakers).

Layout: ``DIR/<Novel>/novel_text.txt``, ``quotation_info.csv`` (``quoteByteSpans``, ``speaker``,
``quoteType`` = Explicit / Anaphoric / Implicit, ``referringExpression``) and
``character_info.csv`` (``Main Name``, ``Aliases``). Quote spans are character offsets into the
text (the texts are ASCII).
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path

Span = tuple[int, int]

#: novels the speaker ranker never trains on; PDNC scores are reported on these
HELD_OUT = (
    "Emma", "PrideAndPrejudice", "TheSignOfTheFour", "ThePictureOfDorianGray", "TheAwakening", "DaisyMiller",
)


@dataclass(frozen=True)
class PdncQuote:
    spans: tuple[Span, ...]
    speaker: str
    type: str
    ref: str = ""


@dataclass
class PdncNovel:
    name: str
    text: str
    quotes: list[PdncQuote]
    #: character main name -> lower-cased aliases (the main name included)
    aliases: dict[str, set[str]] = field(default_factory=dict)


def novels(root: str | os.PathLike[str]) -> list[str]:
    """The novel folders under ``root`` (those with a ``quotation_info.csv``), sorted."""
    return sorted(p.name for p in Path(root).iterdir() if (p / "quotation_info.csv").is_file())


def read_novel(root: str | os.PathLike[str], name: str) -> PdncNovel:
    import pandas as pd

    d = Path(root) / name
    if not (d / "quotation_info.csv").is_file():
        raise FileNotFoundError(f"no PDNC novel {name!r} under {root} (expected {d / 'quotation_info.csv'})")
    text = (d / "novel_text.txt").read_text(encoding="utf-8")
    aliases: dict[str, set[str]] = {}
    for _, r in pd.read_csv(d / "character_info.csv").iterrows():
        names = {str(r["Main Name"])}
        try:
            names |= set(ast.literal_eval(str(r["Aliases"])))
        except (ValueError, SyntaxError):
            pass
        aliases[str(r["Main Name"])] = {" ".join(n.lower().split()) for n in names}
    quotes = []
    for _, r in pd.read_csv(d / "quotation_info.csv").iterrows():
        try:
            spans = tuple(tuple(s) for s in ast.literal_eval(str(r["quoteByteSpans"])))
        except (ValueError, SyntaxError):
            continue
        if spans:
            ref = r["referringExpression"] if isinstance(r["referringExpression"], str) else ""
            quotes.append(PdncQuote(spans, str(r["speaker"]), str(r["quoteType"]), ref))
    quotes.sort(key=lambda q: q.spans[0][0])
    return PdncNovel(name, text, quotes, aliases)


def character_of(name: str, aliases: dict[str, set[str]]) -> str | None:
    """The character a name refers to: exact alias, else the unique character with an alias
    that the name ends (or that ends the name).

    >>> al = {"Emma Woodhouse": {"emma", "emma woodhouse", "miss woodhouse"}, "Mr. Knightley": {"mr. knightley", "knightley"}}
    >>> character_of("Miss Woodhouse", al), character_of("Knightley", al), character_of("Harriet", al)
    ('Emma Woodhouse', 'Mr. Knightley', None)
    """
    low = " ".join(name.lower().split())
    if not low:
        return None
    exact = [c for c, al in aliases.items() if low in al]
    if len(exact) == 1:
        return exact[0]
    toks = low.split()
    hits = set()
    for c, al in aliases.items():
        for a in al:
            at = a.split()
            short, long_ = (toks, at) if len(toks) <= len(at) else (at, toks)
            if short == long_[-len(short):]:
                hits.add(c)
    return next(iter(hits)) if len(hits) == 1 else None
