"""Who is for and who is against: quote-level stance aggregated per (speaker, target).

Researchers ask "who is for and who is against X", not "what is quote 17's label".
:func:`speaker_stances` turns a quotes table (``Document.to_pandas()``, ``nlp(frame)``, the CLI's
CSV, or any frame with ``speaker`` and ``stance_<name>`` columns, see :func:`stance.stance_column`) into one row per
(speaker, target):

=================  ==========================================================================
column             meaning
=================  ==========================================================================
speaker            the canonical speaker, one across documents ("Kallas" and "Kaja Kallas":
                   :func:`stance.corpus_speakers`; ``speaker_type`` kept apart)
speaker_type       person / organization / media / anonymous / group / unknown
target             the target, as the user named it
label              ``favor`` / ``against`` when the speaker's non-neutral quotes lean one way
                   (a strict majority of them), ``mixed`` when they split evenly, ``neutral``
                   when the speaker never takes a side toward the target
net_stance         mean over the speaker's quotes of +p (favor), -p (against), 0 (neutral),
                   p the calibrated score of the quote's label: -1 (all confidently against)
                   ... +1 (all confidently for)
score              mean calibrated score of the quotes that carry ``label`` (for ``neutral``
                   and ``mixed``: of all the speaker's quotes)
n_quotes           quotes by the speaker with a label toward the target
n_favor/against/   how the quotes split
n_neutral
n_docs             documents the speaker is quoted in (present when the table has ``doc``)
quotes             the quote texts behind the row (favor and against first)
=================  ==========================================================================

Anonymous and unknown speakers ("a senior source", a quote with no source) are per document:
two articles' "a senior source" are not the same person, so their rows stay apart when the
table has a ``doc`` column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from stance._columns import stance_targets, target_column
from stance.identity import corpus_speakers

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["AGGREGATE_COLUMNS", "speaker_stances"]

AGGREGATE_COLUMNS = (
    "speaker", "speaker_type", "target", "label", "net_stance", "score", "n_quotes", "n_favor", "n_against",
    "n_neutral", "n_docs", "quotes",
)
_SIGN = {"favor": 1.0, "against": -1.0, "neutral": 0.0}


def speaker_stances(
    quotes: pd.DataFrame,
    targets: Sequence[str] | None = None,
    *,
    min_quotes: int = 1,
    min_score: float = 0.0,
) -> pd.DataFrame:
    """One row per (speaker, target) with the aggregated stance (see the module docstring).

    ``targets`` defaults to every ``stance_<target>`` column. A quote's label counts only when
    its score is at least ``min_score`` (lower-confidence quotes count as neutral); rows with
    fewer than ``min_quotes`` labelled quotes are dropped. Rows are sorted by target, then from
    most for to most against. A table without stance columns is an error that says how to get
    them; an empty table gives an empty frame with the columns above.

    >>> import pandas as pd
    >>> q = pd.DataFrame({"speaker": ["Ann", "Ann", "Bo"], "speaker_type": ["person"] * 3,
    ...                   "text": ["a", "b", "c"], "stance_X": ["against", "neutral", "favor"],
    ...                   "stance_X_score": [0.8, 0.9, 0.6]})
    >>> speaker_stances(q)[["speaker", "label", "net_stance", "n_quotes"]].to_dict("records")
    [{'speaker': 'Bo', 'label': 'favor', 'net_stance': 0.6, 'n_quotes': 1}, {'speaker': 'Ann', 'label': 'against', 'net_stance': -0.4, 'n_quotes': 2}]
    """
    import pandas as pd

    if "speaker" not in quotes.columns:
        raise KeyError(f"the quotes table needs a 'speaker' column (columns: {list(quotes.columns)})")
    have = stance_targets(quotes)
    # (label column, target as shown): every target present, or those asked for, by any of their names
    chosen = list(have.items()) if targets is None else [(target_column(quotes, t), t) for t in targets]
    if targets is None and not chosen and len(quotes):
        raise ValueError("the quotes table has no stance_<target> columns; analyse with targets=[...]")
    rows: list[dict[str, Any]] = []
    has_doc = "doc" in quotes.columns
    # one speaker across documents ("Kallas" and "Kaja Kallas"): see stance.identity
    linked = corpus_speakers(quotes)
    ids, shown = linked["corpus_speaker_id"], linked["corpus_speaker"]
    types = quotes["speaker_type"].astype(str) if "speaker_type" in quotes.columns else pd.Series("unknown", index=quotes.index)
    texts = quotes["text"].astype(str) if "text" in quotes.columns else pd.Series("", index=quotes.index)
    for column, target in chosen:
        labels = quotes[column]
        score_col = f"{column}_score"
        scores = quotes[score_col] if score_col in quotes.columns else pd.Series(1.0, index=quotes.index)
        groups: dict[tuple[str, ...], dict[str, Any]] = {}
        for i in quotes.index:
            lab = labels.at[i]
            if not isinstance(lab, str) or lab not in _SIGN:
                continue
            p = float(scores.at[i]) if pd.notna(scores.at[i]) else 1.0
            if p < min_score:
                lab = "neutral"
            kind = types.at[i]
            doc = str(quotes.at[i, "doc"]) if has_doc else ""
            g = groups.setdefault((ids.at[i],), {"speaker": str(shown.at[i]), "speaker_type": kind, "items": [], "docs": set()})
            g["items"].append((lab, p, texts.at[i]))
            g["docs"].add(doc)
        for g in groups.values():
            items = g["items"]
            if len(items) < min_quotes:
                continue
            n = {lab: sum(1 for x in items if x[0] == lab) for lab in _SIGN}
            if n["favor"] > n["against"]:
                label = "favor"
            elif n["against"] > n["favor"]:
                label = "against"
            else:
                label = "mixed" if n["favor"] else "neutral"
            carrying = [x[1] for x in items if x[0] == label] or [x[1] for x in items]
            ordered = sorted(items, key=lambda x: (x[0] == "neutral", -x[1]))
            rows.append({
                "speaker": g["speaker"], "speaker_type": g["speaker_type"], "target": target, "label": label,
                "net_stance": round(sum(_SIGN[x[0]] * x[1] for x in items) / len(items), 4),
                "score": round(sum(carrying) / len(carrying), 4), "n_quotes": len(items),
                "n_favor": n["favor"], "n_against": n["against"], "n_neutral": n["neutral"],
                "n_docs": len(g["docs"]) if has_doc else None, "quotes": [x[2] for x in ordered],
            })
    frame = pd.DataFrame(rows, columns=list(AGGREGATE_COLUMNS))
    if not has_doc:
        frame = frame.drop(columns=["n_docs"])
    if len(frame):
        frame = frame.sort_values(["target", "net_stance", "n_quotes"], ascending=[True, False, False], kind="stable")
    return frame.reset_index(drop=True)
