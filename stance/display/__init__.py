"""Show, don't tell: HTML for analysed articles and corpus plots for notebooks.

``render(doc)`` (also ``Document._repr_html_``) needs nothing beyond the standard library;
the plot functions import matplotlib when first used.
"""

from __future__ import annotations

from typing import Any

from stance.display.html import render, render_page, speaker_colors

__all__ = [
    "anonymous_share_by_outlet",
    "quotes_frame",
    "quotes_per_speaker_type",
    "render",
    "render_page",
    "speaker_colors",
    "stance_by_speaker",
    "stance_heatmap",
    "who_is_for_against",
]

_PLOTS = {
    "anonymous_share_by_outlet",
    "quotes_frame",
    "quotes_per_speaker_type",
    "stance_by_speaker",
    "stance_heatmap",
    "who_is_for_against",
}


def __getattr__(name: str) -> Any:
    if name in _PLOTS:
        from stance.display import plots

        return getattr(plots, name)
    raise AttributeError(f"module 'stance.display' has no attribute {name!r}")
