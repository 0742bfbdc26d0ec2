"""Corpus views for notebooks: who is quoted, how often anonymously, and for or against what.

Every function takes a quotes DataFrame (one row per quote, as :meth:`Document.to_pandas` or
``nlp(frame)`` produce, or :func:`quotes_frame` for several documents), draws on ``ax`` (a
new figure when it is ``None``) and returns the Axes. Nothing calls ``plt.show()``.

Stance columns are ``stance_<name>`` (``favor``/``against``/``neutral`` or missing) with an
optional ``stance_<name>_score``, ``<name>`` the target's safe name (:func:`stance.stance_column`);
functions take a target by its name as given or its safe name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from stance import _columns
from stance.document import Document, SpeakerType, StanceLabel

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = [
    "anonymous_share_by_outlet",
    "quotes_frame",
    "quotes_per_speaker_type",
    "stance_by_speaker",
    "stance_heatmap",
    "stance_targets",
    "who_is_for_against",
]

#: colours for speaker types and stance labels, shared by all views
TYPE_COLORS = {
    "person": "#4C78A8",
    "organization": "#F58518",
    "media": "#54A24B",
    "anonymous": "#B279A2",
    "group": "#EECA3B",
    "unknown": "#9D9D9D",
}
STANCE_COLORS = {"favor": "#2E7D32", "neutral": "#B0B0B0", "against": "#C62828"}
_STANCE_VALUE = {"favor": 1.0, "neutral": 0.0, "against": -1.0}


def _require_matplotlib() -> None:
    """A one-line, actionable error when the optional plotting dependency is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as err:
        raise ImportError("stance's corpus plots need matplotlib: pip install 'stance-news[notebooks]' (or matplotlib)") from err


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    _require_matplotlib()
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def _integer_ticks() -> Any:
    from matplotlib.ticker import MaxNLocator

    return MaxNLocator(integer=True)


def _need(frame: pd.DataFrame, *columns: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"the quotes frame has no column {', '.join(map(repr, missing))}; "
            f"it has {', '.join(map(repr, frame.columns)) or 'none'} (use Document.to_pandas() or quotes_frame())"
        )


def quotes_frame(
    docs: Iterable[Document],
    *,
    outlets: Mapping[str, str] | None = None,
    outlet_column: str = "publisher",
) -> pd.DataFrame:
    """One frame of quotes from many documents; ``outlets`` maps a document id to its outlet.

    >>> import stance
    >>> nlp = stance.load()
    >>> docs = [nlp('"Yes," Jane Doe said.', id="a1"), nlp('"No," an official said.', id="b1")]
    >>> quotes_frame(docs, outlets={"a1": "AP", "b1": "NYT"})[["doc", "speaker_type", "publisher"]].values.tolist()
    [['a1', 'person', 'AP'], ['b1', 'anonymous', 'NYT']]
    """
    import pandas as pd

    frames = [d.to_pandas() for d in docs]
    frames = [f for f in frames if len(f)] or frames[:1]
    frame = pd.concat(frames, ignore_index=True) if frames else Document("").to_pandas()
    # the targets as given, from every document (concat keeps attrs only where all frames agree)
    frame.attrs["stance_targets"] = {k: v for f in frames for k, v in f.attrs.get("stance_targets", {}).items()}
    if outlets is not None:
        frame[outlet_column] = frame["doc"].map(lambda d: outlets.get(d) if d is not None else None)
    return frame


def quotes_per_speaker_type(
    quotes: pd.DataFrame, *, by: str | None = None, ax: Axes | None = None
) -> Axes:
    """Bar chart of the number of quotes per speaker type (person, organization, media, ...).

    ``by`` (e.g. ``"kind"``) splits each bar into stacked parts by that column.
    """
    import pandas as pd

    _need(quotes, "speaker_type")
    order = [t.value for t in SpeakerType]
    order += sorted(set(quotes["speaker_type"].dropna().astype(str)) - set(order))
    ax = _axes(ax, (6.0, 3.5))
    if by is None:
        counts = quotes["speaker_type"].astype(str).value_counts().reindex(order, fill_value=0)
        bars = ax.bar(
            counts.index,
            counts.to_numpy(),
            color=[TYPE_COLORS.get(t, "#777") for t in counts.index],
        )
        ax.bar_label(bars, padding=2, fontsize=8)
    else:
        _need(quotes, by)
        table = pd.crosstab(quotes["speaker_type"].astype(str), quotes[by].astype(str)).reindex(
            order, fill_value=0
        )
        bottom = None
        for col in table.columns:
            vals = table[col].to_numpy()
            ax.bar(table.index, vals, bottom=bottom, label=str(col))
            bottom = vals if bottom is None else bottom + vals
        ax.legend(title=by, fontsize=8, title_fontsize=8)
    ax.yaxis.set_major_locator(_integer_ticks())
    ax.set_xlabel("speaker type")
    ax.set_ylabel("quotes")
    ax.set_title(f"Quotes per speaker type (n={len(quotes)})")
    ax.tick_params(axis="x", labelrotation=20)
    ax.margins(y=0.12)
    return ax


def _outlet_column(quotes: pd.DataFrame, column: str | None) -> str:
    if column is not None:
        _need(quotes, column)
        return column
    for c in ("publisher", "outlet", "source", "domain"):
        if c in quotes.columns:
            return c
    raise ValueError(
        "the quotes frame has no outlet column (publisher, outlet, source or domain); "
        "add one, e.g. quotes_frame(docs, outlets={doc_id: article.publisher})"
    )


def _percent(share: float) -> str:
    """A share as a percentage, with one decimal under 10% (2.5%, not 2%; 0.4%, not 0%)."""
    return f"{share:.0%}" if share >= 0.1 or share == 0 else f"{share:.1%}"


def anonymous_share_by_outlet(
    quotes: pd.DataFrame,
    *,
    outlet_column: str | None = None,
    min_quotes: int = 1,
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars: the share of each outlet's quotes attributed to anonymous sources.

    Bars are sorted by share and labelled ``anonymous/total (share)``; outlets with fewer than
    ``min_quotes`` quotes are left out. The dashed line is the share over all outlets shown. The
    axis ends a little past the largest share (anonymous sourcing is usually a few percent, which
    a fixed 0-100% axis would flatten), and shares under 10% are written with one decimal, so a
    small share never reads as 0%.
    """
    col = _outlet_column(quotes, outlet_column)
    _need(quotes, "speaker_type")
    frame = quotes[[col, "speaker_type"]].dropna(subset=[col])
    anon = frame["speaker_type"].astype(str) == SpeakerType.ANONYMOUS.value
    stats = anon.groupby(frame[col].astype(str)).agg(["sum", "count"])
    stats = stats[stats["count"] >= min_quotes]
    stats["share"] = stats["sum"] / stats["count"]
    stats = stats.sort_values(["share", "count"])
    ax = _axes(ax, (6.5, max(2.0, 0.35 * len(stats) + 1.2)))
    bars = ax.barh(stats.index, stats["share"].to_numpy(), color=TYPE_COLORS["anonymous"])
    ax.bar_label(
        bars,
        labels=[f"{int(a)}/{int(n)} ({_percent(a / n)})" for a, n in zip(stats["sum"], stats["count"], strict=True)],
        padding=3,
        fontsize=8,
    )
    top = float(stats["share"].max()) if len(stats) else 0.0
    if len(stats):
        overall = stats["sum"].sum() / stats["count"].sum()
        ax.axvline(
            overall, color="#333", linestyle="--", linewidth=1, label=f"all outlets: {_percent(overall)}"
        )
        ax.legend(loc="lower right", fontsize=8)
    # room for the labels past the longest bar; never less than 5% wide nor more than 100% + labels
    ax.set_xlim(0, min(1.0, max(0.05, top)) * 1.35)
    ax.xaxis.set_major_formatter("{x:.0%}" if top >= 0.1 else "{x:.1%}")
    ax.set_xlabel("share of quotes from anonymous sources")
    ax.set_title("Anonymous sourcing by outlet")
    return ax


def stance_targets(quotes: pd.DataFrame) -> list[str]:
    """The targets that have a stance label column in ``quotes``, as given where the table kept them."""
    return list(_columns.stance_targets(quotes).values())


def _top_speakers(frame: pd.DataFrame, top: int | None) -> list[str]:
    counts = frame["speaker"].astype(str).value_counts()
    return list(counts.index[:top] if top else counts.index)


def stance_by_speaker(
    quotes: pd.DataFrame,
    target: str,
    *,
    top: int | None = 15,
    normalize: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Stacked horizontal bars: per speaker, how many quotes favour, are neutral to, or oppose ``target``.

    Only quotes with a stance label toward ``target`` count; the ``top`` most quoted speakers
    are shown (most quoted at the top). ``normalize=True`` shows shares instead of counts.
    """
    import pandas as pd

    col = _columns.target_column(quotes, target)
    _need(quotes, "speaker")
    frame = quotes[["speaker", col]].dropna()
    frame = frame[frame[col].astype(str).isin(list(_STANCE_VALUE))]
    speakers = _top_speakers(frame, top)
    labels = [StanceLabel.FAVOR.value, StanceLabel.NEUTRAL.value, StanceLabel.AGAINST.value]
    table = (
        pd.crosstab(frame["speaker"].astype(str), frame[col].astype(str))
        .reindex(index=speakers[::-1], columns=labels, fill_value=0)
        .astype(float)
    )
    if normalize and len(table):
        table = table.div(table.sum(axis=1).where(lambda s: s > 0, 1.0), axis=0)
    ax = _axes(ax, (7.0, max(2.0, 0.35 * len(table) + 1.3)))
    left = None
    for lab in labels:
        vals = table[lab].to_numpy()
        ax.barh(table.index, vals, left=left, color=STANCE_COLORS[lab], label=lab)
        left = vals if left is None else left + vals
    ax.set_xlabel("share of quotes" if normalize else "quotes")
    ax.set_title(f"Stance toward {target!r} by speaker")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    if not normalize:
        ax.xaxis.set_major_locator(_integer_ticks())
    if normalize:
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter("{x:.0%}")
    return ax


def stance_heatmap(
    quotes: pd.DataFrame,
    targets: Sequence[str] | None = None,
    *,
    top: int | None = 20,
    min_quotes: int = 1,
    ax: Axes | None = None,
) -> Axes:
    """Speaker x target heat map of mean stance (favor +1, neutral 0, against -1).

    Each cell is annotated with its mean and the number of quotes behind it; cells with fewer
    than ``min_quotes`` labelled quotes are blank. ``targets`` defaults to every
    ``stance_<target>`` column; rows are the ``top`` speakers with the most labelled quotes.
    """
    import numpy as np
    import pandas as pd

    targets = list(targets) if targets is not None else stance_targets(quotes)
    if not targets:
        raise ValueError(
            "no stance columns (stance_<target>) in the quotes frame; analyse with targets=[...]"
        )
    cols = [_columns.target_column(quotes, t) for t in targets]
    shown = dict(zip(cols, targets, strict=True))
    _need(quotes, "speaker")
    long = quotes.melt(
        id_vars=["speaker"], value_vars=cols, var_name="target", value_name="label"
    ).dropna()
    long["value"] = long["label"].astype(str).map(_STANCE_VALUE)
    long = long.dropna(subset=["value"])
    long["target"] = long["target"].map(shown)
    speakers = _top_speakers(long, top)
    mean = long.pivot_table(index="speaker", columns="target", values="value", aggfunc="mean")
    count = long.pivot_table(index="speaker", columns="target", values="value", aggfunc="count")
    mean = mean.reindex(index=speakers, columns=targets)
    count = count.reindex(index=speakers, columns=targets).fillna(0)
    mean = mean.where(count >= min_quotes)
    data = np.ma.masked_invalid(mean.to_numpy(dtype=float))
    ax = _axes(ax, (1.6 + 1.1 * len(targets), max(2.0, 0.4 * len(speakers) + 1.5)))
    cmap = _diverging()
    image = ax.imshow(data, cmap=cmap, vmin=-1, vmax=1, aspect="auto")
    ax.set_xticks(range(len(targets)), labels=targets, rotation=30, ha="right")
    ax.set_yticks(range(len(speakers)), labels=speakers)
    for i in range(len(speakers)):
        for j in range(len(targets)):
            v, n = mean.iat[i, j], count.iat[i, j]
            if pd.notna(v):
                ax.text(
                    j,
                    i,
                    f"{v:+.2f}\nn={int(n)}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if abs(v) > 0.6 else "black",
                )
    ax.figure.colorbar(image, ax=ax, label="mean stance (against -1 … favor +1)", shrink=0.8)
    ax.set_title("Stance by speaker and target")
    return ax


def who_is_for_against(
    quotes: pd.DataFrame,
    target: str,
    *,
    top: int | None = 15,
    min_quotes: int = 1,
    min_score: float = 0.0,
    ax: Axes | None = None,
) -> Axes:
    """Who is for and who is against ``target``: one bar per speaker, its ``net_stance``
    (:func:`stance.speaker_stances`: -1 all confidently against … +1 all confidently for),
    coloured by the aggregated label and annotated with the quote counts (favor / against /
    all). Speakers who never take a side are left out; the ``top`` speakers with the most
    quotes toward the target are shown, most for at the top.
    """
    from stance.aggregate import speaker_stances

    _columns.target_column(quotes, target)
    rows = speaker_stances(quotes, [target], min_quotes=min_quotes, min_score=min_score)
    rows = rows[rows["label"] != "neutral"]
    if top:
        rows = rows.sort_values("n_quotes", ascending=False, kind="stable").head(top)
    rows = rows.sort_values("net_stance", kind="stable")
    ax = _axes(ax, (7.0, max(2.0, 0.35 * len(rows) + 1.3)))
    colors = [STANCE_COLORS.get(lab, "#8E6C8A") for lab in rows["label"]]
    names = [f"{s} ({t})" if t in ("anonymous", "group") else str(s) for s, t in zip(rows["speaker"], rows["speaker_type"], strict=True)]
    ax.barh(range(len(rows)), rows["net_stance"], color=colors)
    ax.set_yticks(range(len(rows)), labels=names)
    for i, r in enumerate(rows.itertuples()):
        x = float(r.net_stance)
        ax.text(x + (0.02 if x >= 0 else -0.02), i, f"{r.n_favor}/{r.n_against}/{r.n_quotes}", va="center",
                ha="left" if x >= 0 else "right", fontsize=7)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlim(-1.15, 1.15)
    ax.set_xlabel("net stance (against -1 … favor +1); labels: favor / against / all quotes")
    ax.set_title(f"Who is for and who is against {target!r}")
    if not len(rows):
        ax.text(0, 0, "no speaker takes a side", ha="center", va="center")
    return ax


def _diverging() -> Any:
    import matplotlib as mpl

    return mpl.colormaps["RdYlGn"].with_extremes(bad="#f4f4f4")
