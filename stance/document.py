"""Result types: frozen dataclasses with character offsets into the original text.

Every span satisfies ``document.text[span.start:span.end] == span.text`` (half-open,
Python ``str`` indices). These types are the contract shared by the Python API, the
pandas view and the CLI records.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from stance._columns import stance_column
from stance.display.html import render
from stance.identity import speaker_key

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "QuoteKind",
    "SpeakerType",
    "StanceLabel",
    "Mention",
    "Speaker",
    "StanceScore",
    "Quote",
    "Document",
    "RECORD_FIELDS",
]


class _StrEnum(str, Enum):
    """A string-valued enum that compares equal to its plain string value."""

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def coerce(cls, value: str | _StrEnum) -> Any:
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in cls)
            raise ValueError(f"{value!r} is not a valid {cls.__name__}; use one of {allowed}") from None


class QuoteKind(_StrEnum):
    """How the statement is reported."""

    DIRECT = "direct"  #: the words are in quote marks
    INDIRECT = "indirect"  #: reported speech, no quote marks
    MIXED = "mixed"  #: reported speech containing a quoted fragment


class SpeakerType(_StrEnum):
    """What kind of entity a canonical speaker is."""

    PERSON = "person"
    ORGANIZATION = "organization"
    MEDIA = "media"  #: an outlet that reported the statement ("Axios reported")
    ANONYMOUS = "anonymous"  #: an unnamed source ("a senior source familiar with the matter")
    GROUP = "group"  #: a plural, unnamed set of people ("protesters", "Democrats")
    UNKNOWN = "unknown"


class StanceLabel(_StrEnum):
    """The stance of a quote toward a target."""

    FAVOR = "favor"
    AGAINST = "against"
    NEUTRAL = "neutral"


@dataclass(frozen=True)
class Mention:
    """A span of text that refers to a speaker (``"Jane Doe"``, ``"she"``, ``"the official"``)."""

    text: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"Mention offsets must satisfy 0 <= start < end, got {self.start}, {self.end}")

    def __str__(self) -> str:
        return self.text

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Speaker:
    """A canonical speaker: one identity per article, with every mention that refers to it.

    ``name`` is the fullest name the article gives (``"Jane Doe"``); for unnamed speakers it is
    the most informative descriptor (``"a senior source familiar with the matter"``).
    """

    id: int
    name: str
    type: SpeakerType
    mentions: tuple[Mention, ...] = ()
    n_quotes: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", SpeakerType.coerce(self.type))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "type": str(self.type),
            "n_quotes": self.n_quotes,
            "mentions": [m.to_dict() for m in self.mentions],
        }


@dataclass(frozen=True)
class StanceScore:
    label: StanceLabel
    score: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "label", StanceLabel.coerce(self.label))

    def to_dict(self) -> dict[str, Any]:
        return {"label": str(self.label), "score": float(self.score)}


@dataclass(frozen=True)
class Quote:
    """One reported statement.

    ``text``/``start``/``end`` is the content span. Direct quotes include their quote marks (as
    in PolNeAR). A direct quote interrupted by its attribution (``"A," she said. "B."``) gives
    one ``Quote`` per contiguous span; both share the speaker, the cue and the mention.
    ``cue`` is ``None`` where the attribution is only punctuation (a dash or a colon) or the
    quote continues an earlier one; ``mention`` is ``None`` where no speaker mention introduces
    it (a continued quote inherits the speaker of the quote it continues).
    """

    text: str
    start: int
    end: int
    kind: QuoteKind
    speaker: Speaker
    cue: str | None = None
    cue_start: int | None = None
    cue_end: int | None = None
    mention: Mention | None = None
    stance: Mapping[str, StanceScore] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", QuoteKind.coerce(self.kind))
        if not 0 <= self.start < self.end:
            raise ValueError(f"Quote offsets must satisfy 0 <= start < end, got {self.start}, {self.end}")
        if not isinstance(self.stance, MappingProxyType):
            object.__setattr__(self, "stance", MappingProxyType(dict(self.stance)))

    def to_dict(self, doc: str | None = None) -> dict[str, Any]:
        """The CLI record of this quote (fields in :data:`RECORD_FIELDS`)."""
        m = self.mention
        return {
            "doc": doc,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "kind": str(self.kind),
            "cue": self.cue,
            "speaker": self.speaker.name,
            "speaker_type": str(self.speaker.type),
            "speaker_id": speaker_key(self.speaker.name, str(self.speaker.type), doc, self.speaker.id),
            "mention": m.text if m else None,
            "mention_start": m.start if m else None,
            "mention_end": m.end if m else None,
            "stance": {t: s.to_dict() for t, s in self.stance.items()},
        }


#: The fields of one quote record, in order: the CLI's output contract.
RECORD_FIELDS: tuple[str, ...] = (
    "doc",
    "text",
    "start",
    "end",
    "kind",
    "cue",
    "speaker",
    "speaker_type",
    "speaker_id",
    "mention",
    "mention_start",
    "mention_end",
    "stance",
)


@dataclass(frozen=True)
class Document:
    """An analysed article: its text, its quotes in text order and its canonical speakers."""

    text: str
    quotes: tuple[Quote, ...] = ()
    speakers: tuple[Speaker, ...] = ()
    id: str | None = None
    #: why this document could not be analysed (``nlp.pipe(..., errors="skip")``); ``None`` if it was
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def __iter__(self) -> Iterator[Quote]:
        return iter(self.quotes)

    def __len__(self) -> int:
        return len(self.quotes)

    @property
    def targets(self) -> tuple[str, ...]:
        """The stance targets its quotes were scored against, in the order first seen."""
        return tuple(dict.fromkeys(t for q in self.quotes for t in q.stance))

    def __repr__(self) -> str:
        """A one-line summary, never the text: ``Document(id='x', 1,234 chars, 14 quotes, 6 speakers)``."""
        parts = [f"id={self.id!r}", f"{len(self.text):,} chars", f"{len(self.quotes):,} quotes", f"{len(self.speakers):,} speakers"]
        if self.targets:
            parts.append(f"targets={list(self.targets)!r}")
        if self.error is not None:
            error = self.error if len(self.error) <= 80 else self.error[:79] + "…"
            parts.append(f"error={error!r}")
        return f"Document({', '.join(parts)})"

    def _repr_html_(self) -> str:
        return render(self)

    def to_records(self) -> list[dict[str, Any]]:
        return [q.to_dict(doc=self.id) for q in self.quotes]

    def error_record(self) -> dict[str, Any] | None:
        """``{"doc", "error", "message"}`` for a failed document, else ``None``."""
        if self.error is None:
            return None
        kind, _, message = self.error.partition(": ")
        return {"doc": self.id, "error": kind, "message": message}

    @classmethod
    def from_records(cls, text: str, records: Sequence[Mapping[str, Any]], *, id: str | None = None) -> Document:
        """The document again from its quote records (:meth:`to_records`, the CLI's JSONL) and its
        text, without analysing anything: ``stance render --records`` draws saved results with it.

        Every record must fit the text (``text[start:end] == record["text"]``, the mention
        likewise), else ``ValueError`` saying which record: records of another version of the
        article are refused, never drawn in the wrong place. Speakers are the distinct
        (``speaker``, ``speaker_type``) pairs, in order of first quote. Records carry the cue's
        text but not its offsets: the cue is placed at the occurrence of its text nearest the quote
        and its mention within 200 characters (or left unplaced), the one approximation here.

        >>> doc = Document.from_records('"Yes," Jane Doe said.', [{"text": '"Yes,"', "start": 0, "end": 6,
        ...     "kind": "direct", "cue": "said", "speaker": "Jane Doe", "speaker_type": "person",
        ...     "mention": "Jane Doe", "mention_start": 7, "mention_end": 15, "stance": {}}])
        >>> doc.quotes[0].speaker.name, doc.quotes[0].cue_start
        ('Jane Doe', 16)
        """
        speakers: dict[tuple[str, str], int] = {}
        mentions: dict[int, dict[tuple[int, int], Mention]] = {}
        counts: dict[int, int] = {}
        raw: list[tuple[Mapping[str, Any], int, Mention | None]] = []
        for n, rec in enumerate(records, 1):
            try:
                start, end, quote = int(rec["start"]), int(rec["end"]), str(rec["text"])
                name, kind = str(rec["speaker"]), str(rec["speaker_type"])
            except (KeyError, TypeError, ValueError) as err:
                raise ValueError(f"record {n} of document {id!r} is not a quote record ({err!r})") from None
            if text[start:end] != quote:
                raise ValueError(
                    f"record {n} of document {id!r} does not fit its text: characters {start}-{end} are "
                    f"{text[start:end][:40]!r}, the record says {quote[:40]!r} (records of another version of the article?)"
                )
            sid = speakers.setdefault((name, kind), len(speakers))
            counts[sid] = counts.get(sid, 0) + 1
            mention = None
            if rec.get("mention") is not None and rec.get("mention_start") is not None:
                ms, me = int(rec["mention_start"]), int(rec["mention_end"])
                if text[ms:me] != rec["mention"]:
                    raise ValueError(f"record {n} of document {id!r}: its mention does not fit the text at {ms}-{me}")
                mention = mentions.setdefault(sid, {}).setdefault((ms, me), Mention(text[ms:me], ms, me))
            raw.append((rec, sid, mention))
        people = {
            sid: Speaker(sid, name, SpeakerType.coerce(kind), tuple(sorted(mentions.get(sid, {}).values(), key=lambda m: m.start)), counts[sid])
            for (name, kind), sid in speakers.items()
        }
        quotes = []
        for rec, sid, mention in raw:
            start, end = int(rec["start"]), int(rec["end"])
            cue = rec.get("cue")
            cue_at = _nearest(text, cue, start, end, mention) if isinstance(cue, str) and cue else None
            stance = {t: StanceScore(s["label"], float(s["score"])) for t, s in (rec.get("stance") or {}).items()}
            quotes.append(Quote(text[start:end], start, end, rec.get("kind", "indirect"), people[sid], cue,
                                cue_at, cue_at + len(cue) if cue_at is not None and cue else None, mention, stance))
        quotes.sort(key=lambda q: (q.start, q.end))
        return cls(text, tuple(quotes), tuple(people.values()), id=id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "error": self.error,
            "quotes": self.to_records(),
            "speakers": [s.to_dict() for s in self.speakers],
        }

    def to_pandas(self) -> pd.DataFrame:
        """One tidy row per quote; stance is spread into ``stance_<target>`` (the label) and
        ``stance_<target>_score``, with the target made a safe name by :func:`stance_column`
        ("the US peace plan" -> ``stance_the_us_peace_plan``); the targets as given are kept in
        ``frame.attrs["stance_targets"]`` (column -> target), which :func:`stance.speaker_stances`
        and the plots read (they also take the target as given). Two targets whose columns would
        collide (``"US plan"`` and ``"us-plan"``, ``"x"`` and ``"x score"``) raise ``ValueError``."""
        import pandas as pd

        rows = []
        for q in self.quotes:
            row = q.to_dict(doc=self.id)
            row.pop("stance")
            row["cue_start"], row["cue_end"] = q.cue_start, q.cue_end
            row["speaker_index"] = q.speaker.id
            for target, s in q.stance.items():
                column = stance_column(target)
                if column in row or f"{column}_score" in row:
                    raise ValueError(f"the stance columns of target {target!r} collide with another target's; rename one")
                row[column] = str(s.label)
                row[f"{column}_score"] = s.score
            rows.append(row)
        columns = [f for f in RECORD_FIELDS if f != "stance"] + ["cue_start", "cue_end", "speaker_index"]
        frame = pd.DataFrame(rows, columns=columns if not rows else None)
        frame.attrs["stance_targets"] = {stance_column(t): t for q in self.quotes for t in q.stance}
        return frame

    def stances(self, targets: Sequence[str] | None = None, *, min_quotes: int = 1, min_score: float = 0.0) -> pd.DataFrame:
        """Who is for and who is against: one row per (canonical speaker, target) with the
        aggregated label (favor / against / mixed / neutral), ``net_stance`` (-1 ... +1), a mean
        calibrated ``score``, the label counts and the quotes behind it. Over a corpus, call
        :func:`stance.speaker_stances` on the quotes table. See :mod:`stance.aggregate`. A document
        analysed without targets gives an empty table (with the columns)."""
        import pandas as pd

        from stance.aggregate import AGGREGATE_COLUMNS, speaker_stances

        if targets is None and not any(q.stance for q in self.quotes):
            return pd.DataFrame(columns=list(AGGREGATE_COLUMNS))
        return speaker_stances(self.to_pandas(), targets, min_quotes=min_quotes, min_score=min_score)

    def speakers_to_pandas(self) -> pd.DataFrame:
        """One row per canonical speaker: its index in the document (``Speaker.id``), its
        ``speaker_id`` (as in the quote records), name, type, number of quotes and mentions."""
        import pandas as pd

        rows = [
            {
                "doc": self.id,
                "speaker_index": s.id,
                "speaker_id": speaker_key(s.name, str(s.type), self.id, s.id),
                "speaker": s.name,
                "speaker_type": str(s.type),
                "n_quotes": s.n_quotes,
                "n_mentions": len(s.mentions),
                "mentions": [m.text for m in s.mentions],
            }
            for s in self.speakers
        ]
        cols = ["doc", "speaker_index", "speaker_id", "speaker", "speaker_type", "n_quotes", "n_mentions", "mentions"]
        return pd.DataFrame(rows, columns=cols)


def _nearest(text: str, cue: str, start: int, end: int, mention: Mention | None, window: int = 200) -> int | None:
    """Offset of the occurrence of ``cue`` outside the quote nearest to the quote or its mention."""
    spans = [(start, end)] + ([(mention.start, mention.end)] if mention else [])
    lo = max(0, min(s for s, _ in spans) - window)
    hi = min(len(text), max(e for _, e in spans) + window)

    def gap(at: int) -> int:
        return min(max(s - (at + len(cue)), at - e, 0) for s, e in spans)

    best: int | None = None
    at = text.find(cue, lo, hi)
    while at != -1:
        if (at + len(cue) <= start or at >= end) and (best is None or gap(at) < gap(best)):
            best = at
        at = text.find(cue, at + 1, hi)
    return best
