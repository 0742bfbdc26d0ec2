"""Column names of the quotes table's stance: one safe name per target, the targets as given kept
in ``frame.attrs``. Used by :meth:`stance.Document.to_pandas`, ``nlp(df)``, :mod:`stance.aggregate`
and the plots."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["stance_column", "stance_targets", "target_column"]


def stance_column(target: str) -> str:
    """The quotes table's label column for ``target`` (its score column adds ``_score``): the
    target case-folded, every run of characters other than letters and digits made one ``_``.

    >>> stance_column("the US peace plan"), stance_column("Zelensky's plan"), stance_column("  NATO ")
    ('stance_the_us_peace_plan', 'stance_zelensky_s_plan', 'stance_nato')
    """
    slug = "_".join("".join(c if c.isalnum() else " " for c in target.casefold()).split())
    if not slug:
        slug = "t" + hashlib.sha1(target.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"stance_{slug}"


def stance_targets(quotes: pd.DataFrame) -> dict[str, str]:
    """``{label column: target}`` for every stance label column of a quotes table: the targets as
    given where ``quotes.attrs["stance_targets"]`` has them (tables from :meth:`Document.to_pandas`
    and ``nlp(df)``), else the column name without ``stance_`` (a table read back from a file)."""
    named = quotes.attrs.get("stance_targets") or {}
    cols = {c for c in quotes.columns if isinstance(c, str)}
    out: dict[str, str] = {}
    for c in quotes.columns:
        if not isinstance(c, str) or not c.startswith("stance_"):
            continue
        if c.endswith("_score") and c[: -len("_score")] in cols:
            continue
        out[c] = str(named.get(c, c[len("stance_") :]))
    return out


def target_column(quotes: pd.DataFrame, target: str) -> str:
    """The label column of ``target`` in a quotes table, which may be named by the target as given,
    by its safe name or (a table from before the safe names) ``stance_<target>``; ``ValueError``
    naming the targets present when there is none."""
    have = stance_targets(quotes)
    for column in (stance_column(target), f"stance_{target}"):
        if column in have:
            return column
    for column, name in have.items():
        if name == target:
            return column
    raise ValueError(
        f"no stance toward {target!r} in the quotes table (no column {stance_column(target)!r}); "
        + (f"targets present: {', '.join(map(repr, have.values()))}" if have else "analyse with targets=[...] to get stance columns")
    )
