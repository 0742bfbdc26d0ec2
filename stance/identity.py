"""One speaker across articles: "Kallas", "Kaja Kallas" and "Mrs. Kaja Kallas" in different
documents of a corpus become one corpus speaker.

Within an article, the resolver already gives every quote its canonical speaker (the fullest
name the article uses). Across articles only the names are left, so :func:`corpus_speakers`
links them by name, conservatively:

* names are compared after Unicode normalisation, case folding, whitespace, a leading "the"
  and leading honorifics and titles ("Mr.", "Sen.", "President") are set aside;
* a person named by one word only ("Kallas") joins the person whose full name ends in that
  word, when exactly one such person is in the corpus (two people sharing a surname,
  "Bill Clinton" and "Hillary Clinton", leave "Clinton" on its own);
* a full name with a middle name or initial ("Hillary Rodham Clinton", "John F. Kelly") joins
  the first-and-last form ("Hillary Clinton") when that form is in the corpus and only one full
  name has that first and last word;
* organisations, media and groups are linked by their normalised name only; anonymous and
  unknown speakers never leave their document ("a senior source" in two articles is not one
  person).

The corpus speaker is shown by the form of its name that is the linked name itself (no title),
else the form most quoted in the corpus (ties: the longest). :func:`speaker_stances` aggregates over corpus speakers.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["CORPUS_COLUMNS", "corpus_speakers", "link_records", "name_key", "speaker_key"]

#: the two columns :func:`corpus_speakers` adds
CORPUS_COLUMNS = ("corpus_speaker", "corpus_speaker_id")
#: speaker types that never leave their document
PER_DOCUMENT_TYPES = ("anonymous", "unknown")
#: words set aside at the start of a name ("Sen. Ted Cruz", "President Obama", "the Kremlin")
_LEADING = frozenset(
    "the mr mrs ms miss dr prof sir dame lord lady rev sen senator rep representative gov governor "
    "president vice pres gen general col capt adm lt sgt judge justice mayor minister secretary "
    "chancellor premier king queen prince princess pope".split()
)
_NOT_NAME = re.compile(r"[^\w\s'\-]")


def name_key(name: str) -> str:
    """The name as compared across documents.

    >>> name_key("  Sen. Kaja  KALLAS "), name_key("The Kremlin"), name_key("President Obama")
    ('kaja kallas', 'kremlin', 'obama')
    """
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    words = _NOT_NAME.sub(" ", text.replace("\u2019", "'")).split()
    while len(words) > 1 and words[0].strip(".") in _LEADING:
        words = words[1:]
    return " ".join(words)


def _slug(kind: str, key: str) -> str:
    return f"{kind}:{key.replace(' ', '-')}" if key else f"{kind}:-"


def _local(kind: str, doc: object, index: object) -> str:
    """The suffix that keeps an anonymous or unknown speaker in its document (and apart from
    another one of the same words there, when its index in the document is known)."""
    if kind not in PER_DOCUMENT_TYPES:
        return ""
    missing = index is None or (isinstance(index, float) and index != index)
    return f"@{'' if doc is None else doc}" + ("" if missing else f"#{int(index)}")  # type: ignore[call-overload]


def speaker_key(name: str, kind: str, doc: object = None, index: int | None = None) -> str:
    """A speaker's id as one document knows it: ``"<type>:<name key>"`` (the same in every
    document that gives the same name, titles set aside), plus ``"@<doc>#<index>"`` for anonymous
    and unknown speakers, which never leave their document. This is the records'
    ``speaker_id``; :func:`corpus_speakers` links further over a whole corpus (a lone surname to
    the one full name it stands for).

    >>> speaker_key("Sen. Kaja Kallas", "person"), speaker_key("a senior source", "anonymous", "a1", 2)
    ('person:kaja-kallas', 'anonymous:a-senior-source@a1#2')
    """
    kind = str(kind)
    return _slug(kind, name_key(name)) + _local(kind, doc, index)


def corpus_speakers(quotes: pd.DataFrame) -> pd.DataFrame:
    """``quotes`` with two columns added: ``corpus_speaker`` (the speaker's name as the corpus
    shows it) and ``corpus_speaker_id`` (``"<type>:<name key>"``, plus ``"@<doc>"`` for anonymous
    and unknown speakers, and ``"#<speaker_index>"`` where the table has that column: then it equals
    :func:`speaker_key`, the records' ``speaker_id``, wherever no name is linked), the same for every quote of one speaker across the corpus. Needs
    ``speaker``; ``speaker_type`` (without it every speaker is ``unknown``, so nothing is linked)
    and ``doc`` are used when present. The
    input frame is not modified.

    >>> import pandas as pd
    >>> q = pd.DataFrame({"doc": ["a", "b", "c"], "speaker": ["Kaja Kallas", "Kallas", "Mrs. Kaja Kallas"],
    ...                   "speaker_type": ["person"] * 3})
    >>> corpus_speakers(q)["corpus_speaker"].tolist()
    ['Kaja Kallas', 'Kaja Kallas', 'Kaja Kallas']
    """
    if "speaker" not in quotes.columns:
        raise KeyError(f"the quotes table needs a 'speaker' column (columns: {list(quotes.columns)})")
    names = [str(s) for s in quotes["speaker"]]
    # without types a speaker is "unknown", as speaker_stances shows it: kept to its document
    kinds = [str(t) for t in quotes["speaker_type"]] if "speaker_type" in quotes.columns else ["unknown"] * len(names)
    docs = [str(d) for d in quotes["doc"]] if "doc" in quotes.columns else [""] * len(names)
    index = list(quotes["speaker_index"]) if "speaker_index" in quotes.columns else [None] * len(names)
    keys = [name_key(n) for n in names]
    people = {k for k, t in zip(keys, kinds, strict=True) if t == "person" and len(k.split()) >= 2}
    by_ends: dict[tuple[str, str], set[str]] = defaultdict(set)
    for k in people:
        words = k.split()
        by_ends[(words[0], words[-1])].add(k)
    canonical: dict[str, str] = {}
    for k in people:  # a middle name or initial joins the first-and-last form, when unambiguous
        words = k.split()
        short = f"{words[0]} {words[-1]}"
        one_long = by_ends[(words[0], words[-1])] - {short} == {k}
        canonical[k] = short if len(words) > 2 and short in people and one_long else k
    by_last: dict[str, set[str]] = defaultdict(set)
    for k, c in canonical.items():
        by_last[k.split()[-1]].add(c)

    def person(key: str) -> str:
        if key in canonical:
            return canonical[key]
        full = by_last.get(key, set()) if " " not in key else set()
        return next(iter(full)) if len(full) == 1 else key  # the surname of exactly one person

    ids, cluster_key = [], {}
    for key, kind, doc, at in zip(keys, kinds, docs, index, strict=True):
        linked = person(key) if kind == "person" else key
        ids.append(_slug(kind, linked) + _local(kind, doc, at))
        cluster_key[ids[-1]] = linked
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    for i, n in zip(ids, names, strict=True):
        forms[i][" ".join(n.split())] += 1
    # shown as the form that is the linked name itself (no title), else the most quoted, else the longest
    shown = {
        i: max(c.items(), key=lambda kv: (" ".join(kv[0].casefold().split()) == cluster_key[i], kv[1], len(kv[0])))[0]
        for i, c in forms.items()
    }
    out = quotes.copy()
    name_column, id_column = CORPUS_COLUMNS
    out[name_column] = [shown[i] for i in ids]
    out[id_column] = ids
    return out


def link_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Quote records (``stance analyze`` output, :meth:`Document.to_records`) of a whole corpus,
    with ``speaker_id`` linked across documents as :func:`corpus_speakers` links names: a lone
    "Kallas" gets the id of the one "Kaja Kallas" in the corpus. Anonymous and unknown speakers keep
    their per-document id; every other field, and any record without a ``speaker`` (an error
    record), is passed on unchanged. New dicts are returned; the input is not modified.

    >>> recs = [{"doc": "a", "speaker": "Kaja Kallas", "speaker_type": "person", "speaker_id": "person:kaja-kallas"},
    ...         {"doc": "b", "speaker": "Kallas", "speaker_type": "person", "speaker_id": "person:kallas"}]
    >>> [r["speaker_id"] for r in link_records(recs)]
    ['person:kaja-kallas', 'person:kaja-kallas']
    """
    import pandas as pd

    quotes = [i for i, r in enumerate(records) if r.get("speaker") is not None]
    frame = pd.DataFrame({
        "doc": [records[i].get("doc") for i in quotes],
        "speaker": [records[i]["speaker"] for i in quotes],
        "speaker_type": [records[i].get("speaker_type") or "unknown" for i in quotes],
    })
    linked = list(corpus_speakers(frame)["corpus_speaker_id"]) if quotes else []
    out = [dict(r) for r in records]
    for i, new in zip(quotes, linked, strict=True):
        kind = str(out[i].get("speaker_type") or "unknown")
        if kind not in PER_DOCUMENT_TYPES or not out[i].get("speaker_id"):
            out[i]["speaker_id"] = new
    return out
