"""Reader for GUM (Georgetown University Multilayer corpus) coreference, as person-pronoun examples.

GUM ships one CoNLL-U file per document under ``ROOT/dep/`` with the CorefUD entity layer in
MISC (``Entity=``, bracket notation): a mention opens with ``(GRP-etype-...`` (the fields are
declared by ``# global.Entity``) and closes with ``GRP)`` on its last token; a one-token mention
is ``(GRP-...)``; several brackets can sit on one token with no delimiter between them
(``(14-abstract-...(15-abstract-...-sgl)``, ``9)50)``). ``ROOT/splits.md`` lists the official
train / dev / test / test2 partition (test2 = the GENTLE documents). The Reddit documents have
their word forms blanked to underscores, so they are always skipped.

:func:`gum_pronoun_examples` turns each third-person singular personal pronoun (``he``, ``she``,
``him``, ...) that is a one-token person mention into a :class:`PronounExample`: a window of text
ending with the pronoun's sentence, the person entities with a non-pronominal mention in the
window before the pronoun as candidates, and which of them is the pronoun's antecedent.
:func:`gum_anaphor_examples` adds nominal anaphors (definite or demonstrative descriptions of a
person or organization, e.g. *the official*, *the company*), with the entities of the same type
as candidates; a description whose entity is not mentioned earlier in the window (discourse-new)
gets all labels 0.

Pure Python; the whole train split is read in a few seconds.
"""

from __future__ import annotations

import bisect
import logging
import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from stance._spans import Span
from stance.attribution.pronoun_model import PronounExample

logger = logging.getLogger(__name__)


SPLITS = ("train", "dev", "test", "test2")

#: lower-cased forms of the pronouns turned into examples
PERSON_PRONOUNS = frozenset({"he", "him", "his", "himself", "she", "her", "hers", "herself"})

#: at most this many candidates per example (the most recently mentioned ones)
MAX_CANDIDATES = 6

#: lower-cased first tokens that make a NOUN-headed mention a nominal anaphor
DEFINITE_DETERMINERS = frozenset({"the", "this", "that", "these", "those"})

#: entity types whose definite descriptions become nominal anaphor examples
NOMINAL_ETYPES = frozenset({"person", "organization"})

#: nominal anaphors longer than this many tokens are skipped
MAX_NOMINAL_TOKENS = 8

# an opener ``(GRP-fields`` optionally closed at once by ``)``, or a closer ``GRP)``
_BRACKET = re.compile(r"\((\d+)-([^()]*)(\))?|(\d+)\)")
_SPLIT_ITEM = re.compile(r"^\s*\*\s+(\S+)")
_SPLIT_HEAD = re.compile(r"^##\s+(\S+)")


@dataclass
class _Token:
    form: str
    upos: str
    head: int  # sentence-level head id (0 = root, -1 = unknown)
    start: int
    end: int


@dataclass
class _Mention:
    entity: str
    etype: str
    start: int  # char offsets in the document text
    end: int
    tokens: list[int] = field(default_factory=list)  # document-level token indices

    # filled in by _finish_mentions
    pronominal: bool = False
    proper: bool = False
    head: int = -1  # document-level index of the syntactic head token (-1 = none found)


@dataclass
class _Document:
    doc_id: str
    text: str
    tokens: list[_Token]
    token_ids: list[tuple[int, int]]  # (sentence index, id in sentence) per token
    sentences: list[Span]  # char span of each sentence
    token_sentence: list[int]  # sentence index per token
    mentions: list[_Mention]
    sentence_starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sentence_starts = [s for s, _ in self.sentences]


def genre_of(doc_id: str) -> str:
    """``GUM_news_iodine`` -> ``news``; ``GENTLE_poetry_raven`` -> ``poetry``."""
    parts = doc_id.split("_")
    return parts[1] if len(parts) > 1 else ""


def _is_reddit(doc_id: str) -> bool:
    return doc_id.startswith("GUM_reddit_")


def _read_splits(root: Path) -> dict[str, list[str]]:
    path = root / "splits.md"
    if not path.is_file():
        raise FileNotFoundError(f"no GUM splits.md under {root}")
    splits: dict[str, list[str]] = {}
    current: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        head = _SPLIT_HEAD.match(line)
        if head:
            current = head.group(1).lower()
            splits.setdefault(current, [])
            continue
        item = _SPLIT_ITEM.match(line)
        if item and current is not None:
            splits[current].append(item.group(1))
    return splits


def gum_documents(root: str | os.PathLike[str], split: str) -> list[str]:
    """Document names of ``split`` (train / dev / test / test2) as listed in ``splits.md``, Reddit excluded."""
    if split not in SPLITS:
        raise ValueError(f"unknown GUM split {split!r}; expected one of {', '.join(SPLITS)}")
    names = _read_splits(Path(root)).get(split, [])
    return [n for n in names if not _is_reddit(n)]


def _conllu_path(root: Path, doc_id: str) -> Path:
    for cand in (root / "dep" / f"{doc_id}.conllu", root / f"{doc_id}.conllu"):
        if cand.is_file():
            return cand
    raise FileNotFoundError(f"no CoNLL-U file for GUM document {doc_id!r} under {root}")


def _misc(value: str) -> dict[str, str]:
    if value == "_":
        return {}
    out: dict[str, str] = {}
    for item in value.split("|"):
        key, sep, val = item.partition("=")
        if sep:
            out[key] = val
    return out


def parse_entity(value: str) -> list[tuple[str, str, str, bool]]:
    """The brackets of one ``Entity=`` value, in order.

    Each item is ``(kind, entity, etype, closes)``: ``kind`` is ``"open"`` (with ``closes`` true
    for a one-token mention ``(GRP-...)``) or ``"close"`` (``GRP)``, etype empty).
    """
    out: list[tuple[str, str, str, bool]] = []
    for m in _BRACKET.finditer(value):
        if m.group(1) is not None:
            fields = m.group(2).split("-")
            etype = fields[0] if fields else ""
            out.append(("open", m.group(1), etype, m.group(3) is not None))
        else:
            out.append(("close", m.group(4), "", True))
    return out


def _split_parts(form: str, span: Span, parts: list[str]) -> list[Span]:
    """Char spans of a multi-word token's parts: aligned inside ``form`` where they concatenate to it."""
    if "".join(parts) != form:
        return [span] * len(parts)
    out: list[Span] = []
    pos = span[0]
    for part in parts:
        out.append((pos, pos + len(part)))
        pos += len(part)
    return out


def _parse_document(doc_id: str, content: str) -> _Document:
    pieces: list[str] = []
    length = 0
    tokens: list[_Token] = []
    token_ids: list[tuple[int, int]] = []
    token_sentence: list[int] = []
    sentences: list[Span] = []
    mentions: list[_Mention] = []
    open_stack: list[_Mention] = []  # innermost last
    newpar = False
    space_pending = ""  # separator owed before the next surface token
    part_spans: dict[int, Span] = {}  # id -> char span, for the parts of multi-word tokens
    sent_start_tok = 0

    def emit(form: str, space_after: bool) -> Span:
        nonlocal length, space_pending, newpar
        if length:
            sep = "\n" if newpar else space_pending
            pieces.append(sep)
            length += len(sep)
        newpar = False
        start = length
        pieces.append(form)
        length += len(form)
        space_pending = " " if space_after else ""
        return start, length

    lines = content.splitlines()
    lines.append("")
    for n, line in enumerate(lines):
        if not line.strip():
            if len(tokens) > sent_start_tok:
                sentences.append((tokens[sent_start_tok].start, tokens[-1].end))
            sent_start_tok = len(tokens)
            part_spans = {}
            continue
        if line.startswith("#"):
            if line.startswith("# newpar") and not line.startswith("# newpar_block"):
                newpar = True
            continue
        cols = line.split("\t")
        if len(cols) != 10:
            logger.warning("%s: malformed CoNLL-U line %d", doc_id, n + 1)
            continue
        tid, form, upos, head, misc_s = cols[0], cols[1], cols[3], cols[6], cols[9]
        if "." in tid:  # empty node: no surface text
            continue
        misc = _misc(misc_s)
        if "-" in tid:  # multi-word token: its FORM is the surface text, the parts carry the rest
            first, last = (int(x) for x in tid.split("-"))
            span = emit(form, misc.get("SpaceAfter") != "No")
            parts = []
            for follow in lines[n + 1 : n + 1 + (last - first + 1)]:
                fc = follow.split("\t")
                parts.append(fc[1] if len(fc) == 10 else "")
            for k, part_span in enumerate(_split_parts(form, span, parts)):
                part_spans[first + k] = part_span
            continue
        idx = int(tid)
        if idx in part_spans:
            start, end = part_spans.pop(idx)
        else:
            start, end = emit(form, misc.get("SpaceAfter") != "No")
        tokens.append(_Token(form, upos, int(head) if head.isdigit() else -1, start, end))
        token_ids.append((len(sentences), idx))
        token_sentence.append(len(sentences))
        ti = len(tokens) - 1
        for m in open_stack:
            m.tokens.append(ti)
        for kind, ent, etype, closes in parse_entity(misc.get("Entity", "")):
            if kind == "open":
                mention = _Mention(ent, etype, start, end, [ti])
                if closes:
                    mentions.append(mention)
                else:
                    open_stack.append(mention)
                continue
            for k in range(len(open_stack) - 1, -1, -1):
                if open_stack[k].entity == ent:
                    mention = open_stack.pop(k)
                    mention.end = end
                    mentions.append(mention)
                    break
            else:
                logger.warning("%s: closer %s) without an open mention", doc_id, ent)
    for m in open_stack:
        logger.warning("%s: mention of entity %s never closed", doc_id, m.entity)
    doc = _Document(doc_id, "".join(pieces), tokens, token_ids, sentences, token_sentence, mentions)
    _finish_mentions(doc)
    return doc


def _finish_mentions(doc: _Document) -> None:
    for m in doc.mentions:
        toks = [doc.tokens[i] for i in m.tokens]
        m.pronominal = all(t.upos == "PRON" for t in toks)
        ids = {doc.token_ids[i] for i in m.tokens}
        heads = [
            i for i, t in zip(m.tokens, toks, strict=True)
            if (doc.token_ids[i][0], t.head) not in ids
        ]
        m.head = heads[0] if heads else -1
        m.proper = bool(heads) and doc.tokens[heads[0]].upos == "PROPN"
    doc.mentions.sort(key=lambda m: (m.start, -m.end, m.tokens[0]))


def _read_document(root: Path, doc_id: str) -> _Document:
    content = _conllu_path(root, doc_id).read_text(encoding="utf-8")
    return _parse_document(doc_id, content)


def _is_blanked(doc: _Document) -> bool:
    forms = [t.form for t in doc.tokens]
    return bool(forms) and all(set(f) <= {"_"} for f in forms)


def _mention_text(text: str, span: Span) -> str:
    return " ".join(text[span[0] : span[1]].split())


def _is_person_pronoun(doc: _Document, m: _Mention) -> bool:
    if m.etype != "person" or len(m.tokens) != 1:
        return False
    tok = doc.tokens[m.tokens[0]]
    return tok.upos == "PRON" and tok.form.lower() in PERSON_PRONOUNS


def _is_nominal_anaphor(doc: _Document, m: _Mention) -> bool:
    """A person / organization mention headed by a common noun and opened by a definite article
    or demonstrative (*the official*, *these officials*), at most :data:`MAX_NOMINAL_TOKENS` long."""
    if m.etype not in NOMINAL_ETYPES or not 2 <= len(m.tokens) <= MAX_NOMINAL_TOKENS or m.head < 0:
        return False
    if doc.tokens[m.head].upos != "NOUN":
        return False
    return doc.tokens[m.tokens[0]].form.lower() in DEFINITE_DETERMINERS


def _window(
    doc: _Document, first: int, last: int, window_chars: int, after_chars: int
) -> Span:
    """Char span of the window around the anaphor whose tokens run from ``first`` to ``last``.

    It starts at the first sentence start at or after ``anaphor_start - window_chars`` (or, when
    the anaphor's own sentence starts before that, at the first token starting there) and ends at
    the last token ending by ``min(end of the anaphor's sentence, anaphor_end + after_chars)``.
    """
    tok = doc.tokens[first]
    sent = doc.token_sentence[first]
    lower = tok.start - window_chars
    sent_starts = doc.sentence_starts
    i = bisect.bisect_left(sent_starts, lower)
    if i <= sent:
        start = sent_starts[i]
    else:
        start = tok.start
        for t in reversed(doc.tokens[:first]):
            if t.start < lower:
                break
            start = min(start, t.start)
    last_tok = doc.tokens[last]
    last_sent = doc.token_sentence[last]
    limit = min(doc.sentences[last_sent][1], last_tok.end + after_chars)
    end = last_tok.end
    for j in range(last + 1, len(doc.tokens)):
        t = doc.tokens[j]
        if doc.token_sentence[j] != last_sent or t.end > limit:
            break
        end = max(end, t.end)
    return start, end


def _example(
    doc: _Document,
    genre: str,
    anaphor: _Mention,
    starts: list[int],
    window_chars: int,
    after_chars: int,
    source: str,
    min_candidates: int,
    allow_new: bool,
) -> PronounExample | None:
    """The example of ``anaphor``, its candidates being the entities of its etype with a
    non-pronominal mention in the window before it; ``None`` when it is not kept.

    Kept when there are at least ``min_candidates`` candidates and the anaphor's entity is among
    the :data:`MAX_CANDIDATES` most recent ones, or (``allow_new``) has no such earlier mention at
    all: then every label is 0.
    """
    ps, pe = anaphor.start, anaphor.end
    ws, we = _window(doc, anaphor.tokens[0], anaphor.tokens[-1], window_chars, after_chars)
    mentions = doc.mentions  # sorted by start; ``starts`` are their start offsets
    by_entity: dict[str, list[_Mention]] = {}
    for m in mentions[bisect.bisect_left(starts, ws) : bisect.bisect_left(starts, ps)]:
        if m.end <= ps and m.etype == anaphor.etype and not m.pronominal:
            by_entity.setdefault(m.entity, []).append(m)
    new = anaphor.entity not in by_entity
    if len(by_entity) < min_candidates or (new and not allow_new):
        return None
    recent = sorted(
        by_entity, key=lambda e: max((m.end, m.start) for m in by_entity[e]), reverse=True
    )[:MAX_CANDIDATES]
    if not new and anaphor.entity not in recent:
        return None
    ordered = sorted(recent, key=lambda e: (by_entity[e][0].start, by_entity[e][0].end))
    candidates: list[list[Span]] = []
    names: list[str] = []
    for e in ordered:
        ms = by_entity[e]
        candidates.append([(m.start - ws, m.end - ws) for m in ms])
        pool = [m for m in ms if m.proper] or ms
        best = max(pool, key=lambda m: (m.end - m.start, -m.start))
        names.append(_mention_text(doc.text, (best.start, best.end)))
    return PronounExample(
        text=doc.text[ws:we],
        pronoun=(ps - ws, pe - ws),
        candidates=candidates,
        names=names,
        labels=[int(e == anaphor.entity) for e in ordered],
        source=source,
        doc_id=doc.doc_id,
        genre=genre,
    )


def _doc_examples(
    doc: _Document, genre: str, window_chars: int, after_chars: int, nominal: bool = False
) -> list[PronounExample]:
    """Person-pronoun examples of ``doc`` and, with ``nominal``, its nominal anaphor examples,
    in text order of the anaphors."""
    examples: list[PronounExample] = []
    starts = [m.start for m in doc.mentions]
    for m in doc.mentions:
        ex: PronounExample | None = None
        if _is_person_pronoun(doc, m):
            ex = _example(
                doc, genre, m, starts, window_chars, after_chars, "gum", 2, allow_new=False
            )
        elif nominal and _is_nominal_anaphor(doc, m):
            ex = _example(
                doc, genre, m, starts, window_chars, after_chars, "gum-nominal", 1, allow_new=True
            )
        if ex is not None:
            examples.append(ex)
    return examples


def _split_documents(
    root: Path, split: str, genres: set[str] | None
) -> list[tuple[_Document, str]]:
    out: list[tuple[_Document, str]] = []
    for doc_id in gum_documents(root, split):
        genre = genre_of(doc_id)
        if genres is not None and genre not in genres:
            continue
        doc = _read_document(root, doc_id)
        if _is_blanked(doc):
            logger.warning("GUM document %s has blanked text; skipped", doc_id)
            continue
        out.append((doc, genre))
    return out


def gum_pronoun_examples(
    root: str | os.PathLike[str],
    split: str,
    window_chars: int = 1200,
    after_chars: int = 150,
    genres: set[str] | None = None,
) -> list[PronounExample]:
    """Person-pronoun resolution examples from the GUM documents of ``split``.

    A pronoun is a one-token ``person`` mention whose token is a PRON in :data:`PERSON_PRONOUNS`.
    Its candidates are the person entities with a non-pronominal mention (not all PRON tokens)
    lying inside the window before the pronoun; at most :data:`MAX_CANDIDATES`, the most recently
    mentioned, in order of first mention. An example is kept when the pronoun's own entity is
    among them and there are at least two. ``genres`` (e.g. ``{"news", "bio"}``) keeps only those
    documents. Reddit documents (blanked text) are skipped. Order: documents as in ``splits.md``,
    pronouns in text order.
    """
    if window_chars <= 0 or after_chars < 0:
        raise ValueError("window_chars must be positive and after_chars non-negative")
    out: list[PronounExample] = []
    for doc, genre in _split_documents(Path(root), split, genres):
        out.extend(_doc_examples(doc, genre, window_chars, after_chars))
    return out


def gum_anaphor_examples(
    root: str | os.PathLike[str],
    split: str,
    window_chars: int = 1200,
    after_chars: int = 150,
    genres: set[str] | None = None,
    new_ratio: float = 0.5,
    seed: int = 0,
) -> list[PronounExample]:
    """The person-pronoun examples of :func:`gum_pronoun_examples` (source ``"gum"``) plus nominal
    anaphor examples (source ``"gum-nominal"``), in document order, anaphors in text order.

    A nominal anaphor is a ``person`` or ``organization`` mention of at most
    :data:`MAX_NOMINAL_TOKENS` tokens whose syntactic head (its first token whose HEAD lies outside
    it) is a NOUN and whose first token is in :data:`DEFINITE_DETERMINERS` (*the official*, *the
    company*, *these officials*). Its candidates are the entities of the same etype with a
    non-pronominal mention lying in the window (as for pronouns) before it; at most
    :data:`MAX_CANDIDATES`, the most recently mentioned, in order of first mention; at least one.
    When its own entity is among them, that candidate is labelled 1; when the entity has no such
    earlier mention (a discourse-new description, or its antecedent is out of the window) all
    labels are 0; when it has one but not among the candidates kept, the example is dropped. The
    all-zero examples are subsampled (``random.Random(seed)``) to at most ``new_ratio`` times the
    number of positive nominal examples of the split.
    """
    if window_chars <= 0 or after_chars < 0:
        raise ValueError("window_chars must be positive and after_chars non-negative")
    if new_ratio < 0:
        raise ValueError("new_ratio must be non-negative")
    out: list[PronounExample] = []
    for doc, genre in _split_documents(Path(root), split, genres):
        out.extend(_doc_examples(doc, genre, window_chars, after_chars, nominal=True))
    new = [i for i, ex in enumerate(out) if ex.source == "gum-nominal" and not any(ex.labels)]
    positive = sum(1 for ex in out if ex.source == "gum-nominal" and any(ex.labels))
    keep = min(len(new), int(new_ratio * positive))
    drop = set(new) - set(random.Random(seed).sample(new, keep))
    return [ex for i, ex in enumerate(out) if i not in drop]
