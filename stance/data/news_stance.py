"""News-quote stance: PolNeAR quotes paired with the targets their article is about.

The news-stance gold sets (``stance/evaluation/gold/polnear_*_stance*.jsonl``) store offsets
and labels only. This module holds the code that drew them, so that their making can be
checked and repeated:

* :data:`TARGETS`: a fixed catalogue of 2016 US-politics targets (people, parties, policies,
  organisations), each with the spellings that count as a mention of it.
* :func:`article_targets`: the targets an article is about (mentioned at least twice), most
  mentioned first; the two candidates and at least one other target where the article has one.
* :func:`quote_units`: one unit per gold PolNeAR attribution with a content span: content
  offsets, source and cue text, and the paragraph the content starts in.
* :func:`read_news_stance`: a gold file joined back to the article texts, as
  :class:`NewsStanceExample` rows (quote, target, speaker, paragraph context, label).

The model input is ``target [SEP] speaker: quote [SEP] context``, the context being the quote's
paragraph with the quote cut out (:func:`quote_context`; see :meth:`NewsStanceExample.as_pair`).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from stance.data.polnear import PolnearArticle, read_polnear

__all__ = [
    "TARGETS",
    "NewsStanceExample",
    "QuoteUnit",
    "article_targets",
    "paragraph_at",
    "quote_context",
    "quote_units",
    "read_news_stance",
    "annotation_sheet",
    "default_gold",
    "sample_units",
    "select_articles",
    "target_named",
]

# name -> (kind, mention patterns). Patterns are case-sensitive regular expressions on word
# boundaries; they decide which targets an article is *about*, never a label.
TARGETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Donald Trump": ("person", (r"Trump(?!-)",)),
    "Hillary Clinton": ("person", (r"(?<!Bill )(?<!Chelsea )Clinton(?! Foundation)",)),
    "Bernie Sanders": ("person", (r"Sanders",)),
    "Barack Obama": ("person", (r"Obama(?!care)",)),
    "Ted Cruz": ("person", (r"Cruz",)),
    "Marco Rubio": ("person", (r"Rubio",)),
    "Jeb Bush": ("person", (r"Jeb",)),
    "John Kasich": ("person", (r"Kasich",)),
    "Paul Ryan": ("person", (r"Paul Ryan", r"Speaker Ryan", r"Mr\. Ryan")),
    "Mike Pence": ("person", (r"Pence",)),
    "Tim Kaine": ("person", (r"Kaine",)),
    "James Comey": ("person", (r"Comey",)),
    "Gary Johnson": ("person", (r"Gary Johnson",)),
    "Vladimir Putin": ("person", (r"Putin",)),
    "the Republican Party": ("party", (r"Republican Party", r"GOP", r"RNC", r"Republicans")),
    "the Democratic Party": ("party", (r"Democratic Party", r"DNC", r"Democrats")),
    "the FBI": ("organisation", (r"FBI", r"F\.B\.I\.", r"Federal Bureau of Investigation")),
    "the news media": ("organisation", (r"[Mm]edia", r"[Jj]ournalists")),
    "the Clinton Foundation": ("organisation", (r"Clinton Foundation",)),
    "Wall Street": ("organisation", (r"Wall Street",)),
    "the NRA": ("organisation", (r"NRA", r"National Rifle Association")),
    "Planned Parenthood": ("organisation", (r"Planned Parenthood",)),
    "Obamacare": ("policy", (r"Obamacare", r"Affordable Care Act", r"ACA")),
    "the Iran nuclear deal": ("policy", (r"Iran deal", r"nuclear deal", r"Iran nuclear")),
    "building a wall on the Mexican border": ("policy", (r"border wall", r"build a wall", r"the wall", r"a wall")),
    "a ban on Muslims entering the US": ("policy", (r"Muslim ban", r"ban on Muslims", r"banning Muslims", r"Muslims from entering")),
    "the Trans-Pacific Partnership": ("policy", (r"Trans-Pacific Partnership", r"TPP")),
    "gun control": ("policy", (r"gun control", r"background checks", r"assault weapons")),
    "free trade agreements": ("policy", (r"NAFTA", r"trade deals?", r"free trade")),
    "abortion rights": ("policy", (r"abortion", r"Roe v\. Wade")),
    "immigration": ("policy", (r"immigration", r"immigrants", r"deport")),
}

CANDIDATES = ("Donald Trump", "Hillary Clinton")


def _count(text: str, patterns: Iterable[str]) -> int:
    return sum(len(re.findall(rf"\b{p}\b", text)) for p in patterns)


def article_targets(text: str, k: int = 3, min_mentions: int = 2) -> list[str]:
    """The targets ``text`` is about: up to ``k`` names of :data:`TARGETS` mentioned at least
    ``min_mentions`` times, most mentioned first, keeping a slot for a target other than the two
    candidates whenever one qualifies.

    >>> article_targets("Trump met Trump and Trump. Sanders spoke; Sanders left. Obamacare, Obamacare.", k=2)
    ['Donald Trump', 'Bernie Sanders']
    """
    counts = Counter({name: _count(text, pats) for name, (_, pats) in TARGETS.items()})
    ranked = [n for n, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])) if c >= min_mentions]
    chosen = ranked[:k]
    others = [n for n in ranked if n not in CANDIDATES]
    if others and not any(n not in CANDIDATES for n in chosen):
        chosen = chosen[: k - 1] + [others[0]]
    return chosen


_STOP_WORDS = frozenset("the a an of on to in and or for with from".split())


def target_named(text: str, target: str) -> bool:
    """Whether ``text`` names ``target``: one of its :data:`TARGETS` spellings, or (for a target
    outside the catalogue) one of its words of four letters or more, case-insensitively.

    >>> target_named("Trump said no.", "Donald Trump"), target_named("He said no.", "Donald Trump")
    (True, False)
    >>> target_named("The peace deal is dead.", "the US peace plan")
    True
    """
    if target in TARGETS:
        return _count(text, TARGETS[target][1]) > 0
    words = [w for w in re.findall(r"[A-Za-z][\w-]+", target) if len(w) >= 4 and w.lower() not in _STOP_WORDS]
    return any(re.search(rf"\b{re.escape(w)}\b", text, re.IGNORECASE) for w in words)


def paragraph_at(text: str, offset: int) -> tuple[int, int]:
    """The character span of the paragraph (text between blank lines, or single line breaks
    where the article has no blank lines) that holds ``offset``.

    >>> t = "One.\\n\\nTwo, he said.\\n\\nThree."
    >>> s = paragraph_at(t, t.index("he")); t[s[0]:s[1]]
    'Two, he said.'
    """
    sep = "\n\n" if "\n\n" in text else "\n"
    start = text.rfind(sep, 0, offset)
    start = 0 if start < 0 else start + len(sep)
    end = text.find(sep, offset)
    end = len(text) if end < 0 else end
    return start, end


def quote_context(text: str, start: int, end: int, max_chars: int = 400) -> str:
    r"""What the stance model reads around a quote: its paragraph with the quote itself cut out
    (the model reads the quote separately) and marked ``…``, at most ``max_chars // 2``
    characters on each side, whitespace collapsed. Empty when the paragraph is the quote alone.

    >>> t = 'Intro.\n\nThe minister rejected the plan. "No deal," she said.\n\nLater.'
    >>> quote_context(t, t.index("No deal"), t.index(',"'))
    'The minister rejected the plan. " … ," she said.'
    """
    pa, pb = paragraph_at(text, start)
    half = max(0, max_chars // 2)
    left = " ".join(text[pa:start][-half:].split()) if half else ""
    right = " ".join(text[end:max(end, pb)][:half].split()) if half else ""
    if not left and not right:
        return ""
    return f"{left} … {right}".strip()


@dataclass(frozen=True)
class QuoteUnit:
    """One gold attribution of a PolNeAR article, as an annotation unit."""

    doc: str
    content_start: int
    content_end: int
    content: str
    source: str
    cue: str
    paragraph: tuple[int, int]


def quote_units(article: PolnearArticle, max_chars: int = 1200) -> list[QuoteUnit]:
    """Every attribution of ``article`` with a content span (contents longer than ``max_chars``
    and exact duplicates are left out), sorted by offset."""
    units: dict[tuple[int, int], QuoteUnit] = {}
    for att in article.attributions:
        if not att.content:
            continue
        start, end = att.content[0][0], att.content[-1][1]
        if end - start > max_chars or (start, end) in units:
            continue
        text = article.text
        source = " ... ".join(text[a:b] for a, b in att.source)
        cue = " ... ".join(text[a:b] for a, b in att.cue)
        units[(start, end)] = QuoteUnit(
            article.id, start, end, " ... ".join(text[a:b] for a, b in att.content), source, cue, paragraph_at(text, start)
        )
    return [units[k] for k in sorted(units)]


@dataclass(frozen=True)
class NewsStanceExample:
    """A news quote with its speaker, paragraph and target, and its gold label."""

    doc: str
    quote: str
    target: str
    speaker: str
    context: str
    label: str
    content_start: int = 0
    content_end: int = 0
    #: the source span as the article writes it ("she", "the official"), "" when there is none
    source: str = ""

    def as_pair(self) -> tuple[str, str, str]:
        """(text, target, context) as the stance model reads them: the speaker leads the text."""
        text = f"{self.speaker}: {self.quote}" if self.speaker else self.quote
        return text, self.target, self.context


def _speaker_text(text: str, record: dict[str, object]) -> str:
    if record.get("speaker"):
        return str(record["speaker"])
    a, b = record.get("source_start"), record.get("source_end")
    if isinstance(a, int) and isinstance(b, int) and b > a:
        return text[a:b]
    return ""


def read_news_stance(
    gold: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    split: str | None = None,
    *,
    context: bool = True,
) -> list[NewsStanceExample]:
    """Join a news-stance gold file (JSONL of offsets and labels) to the PolNeAR texts.

    ``split`` defaults to the ``split`` field of the records. Records whose article is
    missing raise ``FileNotFoundError`` naming it, never a silent loss.
    """
    records = [json.loads(line) for line in Path(gold).read_text(encoding="utf-8").splitlines() if line.strip()]
    splits = {split} if split else {str(r.get("split", "dev")) for r in records}
    texts: dict[str, str] = {}
    for s in sorted(splits):
        texts.update({a.id: a.text for a in read_polnear(data_dir, s)})
    out = []
    for r in records:
        doc = str(r["doc"])
        if doc not in texts:
            raise FileNotFoundError(f"news-stance gold names article {doc!r}, absent from PolNeAR split(s) {sorted(splits)}")
        text = texts[doc]
        a, b = int(r["content_start"]), int(r["content_end"])
        ctx = quote_context(text, a, b) if context else ""
        sa, sb = r.get("source_start"), r.get("source_end")
        source = " ".join(text[sa:sb].split()) if isinstance(sa, int) and isinstance(sb, int) else ""
        out.append(NewsStanceExample(doc, text[a:b], str(r["target"]), _speaker_text(text, r), ctx, str(r["label"]), a, b, source))
    return out


def select_articles(articles: Sequence[PolnearArticle], n: int, seed: int, exclude: Iterable[str] = ()) -> list[PolnearArticle]:
    """``n`` articles drawn at random (``random.Random(seed)``) among those with at least five
    quote units and one target, balanced over publishers by drawing round-robin."""
    import random

    skip = set(exclude)
    rng = random.Random(seed)
    by_pub: dict[str, list[PolnearArticle]] = {}
    for a in articles:
        if a.id in skip or len(quote_units(a)) < 5 or not article_targets(a.text):
            continue
        by_pub.setdefault(a.publisher, []).append(a)
    for pool in by_pub.values():
        rng.shuffle(pool)
    chosen: list[PolnearArticle] = []
    pubs = sorted(by_pub)
    while len(chosen) < n and any(by_pub.values()):
        for p in pubs:
            if by_pub[p] and len(chosen) < n:
                chosen.append(by_pub[p].pop())
    return chosen


def sample_units(article: PolnearArticle, cap: int, seed: int) -> list[QuoteUnit]:
    """At most ``cap`` quote units of ``article``, drawn with ``random.Random(f"{seed}:{article.id}")``,
    in text order."""
    import random

    units = quote_units(article)
    if len(units) > cap:
        units = sorted(random.Random(f"{seed}:{article.id}").sample(units, cap), key=lambda u: u.content_start)
    return units


def annotation_sheet(article: PolnearArticle, units: Sequence[QuoteUnit], targets: Sequence[str]) -> str:
    """The text an annotator reads for one article: the full article, then its numbered quotes
    and the targets to label each of them for (see ``NEWS_STANCE_GUIDELINE.md``)."""
    lines = [f"## Article `{article.id}`", "", f"Targets: {', '.join(repr(t) for t in targets)}", "", "```text", article.text.strip(), "```", "", "Quotes:", ""]
    for i, u in enumerate(units):
        content = " ".join(u.content.split())
        lines.append(f"- q{i}: source: \"{' '.join(u.source.split()) or '(none)'}\" | cue: \"{' '.join(u.cue.split())}\" | content: \"{content}\"")
    lines.append("")
    return "\n".join(lines)


def default_gold(split: str) -> Path:
    """The shipped news-stance gold file of ``split`` (``"dev"`` or ``"train"``)."""
    if split not in ("dev", "train"):
        raise ValueError(f"news-stance gold exists for 'dev' and 'train', not {split!r}")
    return Path(__file__).resolve().parent.parent / "evaluation" / "gold" / f"polnear_{split}_stance.jsonl"
