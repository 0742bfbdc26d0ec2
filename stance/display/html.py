"""Self-contained HTML for an analysed article: quotes highlighted by canonical speaker.

No script and no external resource: styles are inline in one ``<style>`` element scoped to
the rendered block, hover details are ``title`` attributes, and everything taken from the
article (text, names, cues, targets, ids) is HTML-escaped, so a ``<script>`` in an article
is shown as text and never runs.

Quotes may overlap or nest (an indirect quote containing a direct one, a mixed quote with
its quoted fragments, a cue or mention inside another speaker's quote). Spans are rendered
as properly nested elements: the text is cut at every span boundary and, segment by segment,
only the elements that change are closed and opened, so no text is dropped or duplicated and
the article container's ``textContent`` equals ``doc.text`` (NUL and lone surrogates, which
cannot travel in HTML, become U+FFFD one for one).

>>> import stance
>>> doc = stance.load()('"We will win," Jane Doe said.')
>>> html = render(doc)
>>> 'data-speaker="Jane Doe"' in html and "<script" not in html
True
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the renderer reads documents; it never imports them (document.py imports it)
    from stance.document import Document, Quote, Speaker

_UNKNOWN, _ANONYMOUS = "unknown", "anonymous"  # SpeakerType values (a str enum)

__all__ = ["render", "render_page", "speaker_colors"]

#: hand-picked, print-friendly hues for the first speakers; later ones use the golden angle
_HUES = (210, 30, 140, 280, 0, 180, 55, 330, 100, 245, 15, 160)
_MAX_LABEL = 26
#: legend entries shown before the rest fold into a <details> element
_LEGEND_SHOWN = 24

_CSS = """
.{root}{{font:15px/1.65 Georgia,'Times New Roman',serif;color:#1d1d1f;max-width:60em;margin:0 0 1em}}
.{root} .sd-head{{font:600 13px/1.4 system-ui,sans-serif;color:#555;margin:0 0 .4em}}
.{root} .sd-legend{{display:flex;flex-wrap:wrap;gap:.3em .5em;margin:0 0 .8em;padding:0;list-style:none;font:12px/1.4 system-ui,sans-serif}}
.{root} .sd-legend li{{display:inline-flex;align-items:center;gap:.35em;padding:.1em .5em;border-radius:1em;background:var(--bg);border:1.5px solid var(--fg);cursor:default}}
.{root} .sd-legend li.anon{{border-style:dashed}}
.{root} .sd-legend .n{{font-weight:700}}
.{root} .sd-legend .t{{color:#555}}
.{root} .sd-text{{white-space:pre-wrap;overflow-wrap:break-word}}
.{root} .q{{background:var(--bg);border-bottom:2px solid var(--fg);border-radius:2px;box-decoration-break:clone;-webkit-box-decoration-break:clone}}
.{root} .q .q{{border:1.5px solid var(--fg);padding:0 1px}}
.{root} .q.anon{{border:1.5px dashed var(--fg);border-bottom-width:2px}}
.{root} .q.k-indirect{{background:linear-gradient(var(--bg),var(--bg)) bottom/100% 55% no-repeat;background-color:transparent}}
.{root} .q.head::before{{content:attr(data-label);font:700 10px/1 system-ui,sans-serif;color:#fff;background:var(--fg);border-radius:3px;padding:1px 4px;margin-right:3px;vertical-align:2px;white-space:nowrap}}
.{root} .q.anon.head::before{{content:"? " attr(data-label);background:#fff;color:var(--fg);border:1px dashed var(--fg)}}
.{root} .q.stanced.tail::after{{content:attr(data-stance);font:600 10px/1 system-ui,sans-serif;color:#333;background:#f3f3f3;border:1px solid #bbb;border-radius:3px;padding:1px 3px;margin-left:3px;vertical-align:2px;white-space:nowrap}}
.{root} .q.st-favor.tail::after{{border-color:#2e7d32;color:#1b5e20}}
.{root} .q.st-against.tail::after{{border-color:#c62828;color:#b71c1c}}
.{root} .sd-legend li.sd-more{{background:#f6f6f6;border:1px solid #ccc}}
.{root} .sd-legend li.sd-more summary{{cursor:pointer}}
.{root} .sd-legend li.sd-more .sd-legend{{margin:.4em 0 0}}
.{root} .cue{{font-weight:700;text-decoration:underline dotted 1.5px;text-underline-offset:3px}}
.{root} .m{{font-weight:700;color:var(--fg);text-decoration:underline 2px var(--fg);text-underline-offset:3px}}
.{root} .m.anon{{text-decoration-style:dashed}}
.{root} .sd-empty{{font:italic 13px system-ui,sans-serif;color:#777}}
"""


def speaker_colors(speakers: Iterable[Speaker]) -> dict[int, tuple[str, str]]:
    """``speaker id -> (background, foreground)`` CSS colours; unknown speakers are grey.

    Colours are assigned in the order given (the renderer passes speakers by quote count), so
    the most quoted speakers get the most distinct hues.
    """
    out: dict[int, tuple[str, str]] = {}
    i = 0
    for s in speakers:
        if s.type == _UNKNOWN:
            out[s.id] = ("hsl(0,0%,88%)", "hsl(0,0%,38%)")
            continue
        hue = _HUES[i] if i < len(_HUES) else (_HUES[-1] + (i - len(_HUES) + 1) * 137.508) % 360
        light = 86 if i < len(_HUES) or i % 2 else 80
        out[s.id] = (f"hsl({hue:.0f},75%,{light}%)", f"hsl({hue:.0f},60%,33%)")
        i += 1
    return out


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    rank: int  # 0 quote, 1 mention, 2 cue: the outer element when spans coincide
    order: int  # position in the quote list, ties broken by text order
    cls: str
    attrs: str  # pre-escaped attribute text (without class)
    head_attrs: str = ""  # extra attributes on the first piece only


_SAFE_TEXT = re.compile(r"[\x00\r\ud800-\udfff]")


def _text(s: str) -> str:
    """Escape article text for element content, keeping ``textContent`` identical."""
    out = escape(s, quote=False)
    if _SAFE_TEXT.search(out):
        out = _SAFE_TEXT.sub(lambda m: "&#13;" if m.group() == "\r" else "\ufffd", out)
    return out


def _attr(s: str) -> str:
    return escape(_SAFE_TEXT.sub("\ufffd", s.replace("\r", " ")), quote=True)


def _short(name: str, n: int = _MAX_LABEL) -> str:
    name = " ".join(name.split())
    return name if len(name) <= n else name[: n - 1].rstrip() + "\u2026"


def _stance_text(q: Quote) -> str:
    return "; ".join(f"{t}: {s.label} {s.score:.2f}" for t, s in q.stance.items())


def _quote_title(q: Quote) -> str:
    lines = [
        f"{q.kind} quote",
        f"speaker: {q.speaker.name} ({q.speaker.type})",
        f"cue: {q.cue or '-'}",
        f"mention: {q.mention.text if q.mention else '-'}",
    ]
    if q.stance:
        lines += [f"stance toward {t}: {s.label} ({s.score:.2f})" for t, s in q.stance.items()]
    else:
        lines.append("stance: -")
    return "\n".join(lines)


def _spans(doc: Document, sid: dict[int, int], label: dict[int, str]) -> list[_Span]:
    n = len(doc.text)
    spans: list[_Span] = []
    seen_m: set[tuple[int, int, int]] = set()
    seen_c: set[tuple[int, int]] = set()

    def clamp(a: int | None, b: int | None) -> tuple[int, int] | None:
        if a is None or b is None:
            return None
        a, b = max(0, a), min(n, b)
        return (a, b) if a < b else None

    for i, q in enumerate(doc.quotes):
        span = clamp(q.start, q.end)
        s = q.speaker
        anon = " anon" if s.type == _ANONYMOUS else ""
        if span:
            stance = _stance_text(q)
            cls = f"q s{sid[s.id]} k-{q.kind}{anon}" + (" stanced" if stance else "")
            labels = {str(sc.label) for sc in q.stance.values()}
            if len(labels) == 1:
                cls += f" st-{labels.pop()}"
            attrs = (
                f' data-quote="{i}" data-speaker="{_attr(s.name)}" data-speaker-id="{s.id}"'
                f' data-speaker-type="{s.type}"'
                f' data-kind="{q.kind}" title="{_attr(_quote_title(q))}"'
            )
            if stance:
                attrs += f' data-stance="{_attr(stance)}"'
            spans.append(_Span(*span, 0, i, cls, attrs, f' data-label="{_attr(label[s.id])}"'))
        cue = clamp(q.cue_start, q.cue_end)
        if cue and cue not in seen_c:
            seen_c.add(cue)
            spans.append(
                _Span(*cue, 2, i, "cue", f' data-quote="{i}" title="cue: {_attr(q.cue or "")}"')
            )
        mentions = list(s.mentions) + ([q.mention] if q.mention else [])
        for m in mentions:
            mspan = clamp(m.start, m.end)
            if not mspan or (*mspan, s.id) in seen_m:
                continue
            seen_m.add((*mspan, s.id))
            title = f"mention of {s.name} ({s.type})"
            spans.append(
                _Span(
                    *mspan,
                    1,
                    i,
                    f"m s{sid[s.id]}{anon}",
                    f' data-speaker="{_attr(s.name)}" title="{_attr(title)}"',
                )
            )
    return spans


def _article(text: str, spans: Sequence[_Span]) -> str:
    """The escaped text with ``spans`` as properly nested ``<span>`` elements.

    The text is cut at every boundary; for each segment the active spans are ordered outer
    first (earlier start, then later end, then quote < mention < cue); the elements already
    open are kept as far as they agree with that order, the rest are closed and reopened. A
    span cut into pieces this way marks its first piece ``head`` and its last ``tail``.
    """
    if not spans:
        return _text(text)
    key = {id(s): (s.start, -s.end, s.rank, s.order) for s in spans}
    bounds = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    starts: dict[int, list[_Span]] = {}
    for s in spans:
        starts.setdefault(s.start, []).append(s)
    active: list[_Span] = []
    stack: list[_Span] = []
    opens: list[tuple[int, _Span]] = []  # (index in out, span) of every opening tag
    out: list[str] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        active = [s for s in active if s.end > a] + starts.get(a, [])
        active.sort(key=lambda s: key[id(s)])
        common = 0
        while common < len(stack) and common < len(active) and stack[common] is active[common]:
            common += 1
        out.append("</span>" * (len(stack) - common))
        for s in active[common:]:
            opens.append((len(out), s))
            out.append("")  # the tag is written below, once its first and last pieces are known
        stack = active
        out.append(_text(text[a:b]))
    out.append("</span>" * len(stack))
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for idx, s in opens:
        first.setdefault(id(s), idx)
        last[id(s)] = idx
    for idx, s in opens:
        head = first[id(s)] == idx
        extra = (" head" if head else "") + (" tail" if last[id(s)] == idx else "")
        out[idx] = f'<span class="{s.cls}{extra}"{s.attrs}{s.head_attrs if head else ""}>'
    return "".join(out)


def _root_class(doc: Document) -> str:
    h = hashlib.blake2b(digest_size=5)
    h.update(doc.text.encode("utf-8", "surrogatepass"))
    for q in doc.quotes:
        h.update(f"{q.start}:{q.end}:{q.speaker.id};".encode())
    return f"stance-doc-{h.hexdigest()}"


def render(
    doc: Document, *, title: str | None = None, standalone: bool = False, legend: bool = True
) -> str:
    """HTML for one analysed article: quotes highlighted, one colour per canonical speaker.

    Each quote is a ``<span class="q">`` with ``data-speaker``, ``data-speaker-type``,
    ``data-kind`` and a ``title`` (kind, speaker, type, cue, mention, stance per target);
    its first piece shows the speaker's name as a label, drawn by CSS so that the text of
    the article container (``.sd-text``) is exactly ``doc.text``. Anonymous speakers get a
    dashed outline and a ``?`` label. Cues are bold and dotted-underlined, speaker mentions
    bold in the speaker's colour. Above the text, a legend lists speakers with their quote
    counts. ``standalone=True`` returns a whole page (for a file); otherwise a fragment for a
    notebook (``Document._repr_html_``). ``title`` defaults to the document id.
    """
    if not all(hasattr(doc, name) for name in ("text", "quotes", "id")):
        raise TypeError(f"render() expects a stance.Document, got {type(doc).__name__}")
    counts = Counter(q.speaker.id for q in doc.quotes)
    speakers: dict[int, Speaker] = {}
    for q in doc.quotes:
        speakers.setdefault(q.speaker.id, q.speaker)
    for s in doc.speakers:
        speakers.setdefault(s.id, s)
    ordered = sorted(speakers.values(), key=lambda s: (-counts[s.id], s.id))
    colors = speaker_colors(ordered)
    sid = {s.id: i for i, s in enumerate(ordered)}
    # distinct speakers that share a name are told apart by their id
    same = Counter(s.name for s in ordered)
    label = {s.id: _short(s.name) + (f" #{s.id}" if same[s.name] > 1 else "") for s in ordered}
    root = _root_class(doc)

    css = [_CSS.format(root=root)]
    for s in ordered:
        bg, fg = colors[s.id]
        css.append(f".{root} .s{sid[s.id]}{{--bg:{bg};--fg:{fg}}}")
        # hovering a legend entry fades every other speaker's quotes
        css.append(
            f".{root}:has(.sd-legend .s{sid[s.id]}:hover) .q:not(.s{sid[s.id]}){{background:none;border-color:transparent}}"
        )

    head = title if title is not None else (doc.id or "")
    n_anon = sum(1 for q in doc.quotes if q.speaker.type == _ANONYMOUS)
    parts = [f'<div class="{root}" data-n-quotes="{len(doc.quotes)}"><style>{"".join(css)}</style>']
    summary = f"{len(doc.quotes)} quotes, {len(counts)} speakers"
    if doc.quotes:
        summary += f", {n_anon} anonymous ({100 * n_anon / len(doc.quotes):.0f}%)"
    prefix = _attr(head) + " \u2014 " if head else ""
    parts.append(f'<div class="sd-head">{prefix}{summary}</div>')
    error = getattr(doc, "error", None)
    if error:
        parts.append(f'<div class="sd-empty">could not be analysed: {_attr(str(error))}</div>')
    if legend and counts:
        items = []
        for s in ordered:
            if not counts[s.id]:
                continue
            anon = " anon" if s.type == _ANONYMOUS else ""
            items.append(
                f'<li class="s{sid[s.id]}{anon}" data-speaker="{_attr(s.name)}" data-n-quotes="{counts[s.id]}"'
                f' title="{_attr(s.name)} ({s.type}): {counts[s.id]} quotes, {len(s.mentions)} mentions">'
                f'<span class="name">{_attr(_short(s.name, 48) + (f" #{s.id}" if same[s.name] > 1 else ""))}</span> <span class="t">{s.type}</span>'
                f' <span class="n">{counts[s.id]}</span></li>'
            )
        if len(items) > _LEGEND_SHOWN:
            more = "".join(items[_LEGEND_SHOWN:])
            items = items[:_LEGEND_SHOWN] + [
                f'<li class="sd-more"><details><summary>+{len(items) - _LEGEND_SHOWN} more speakers</summary>'
                f'<ul class="sd-legend">{more}</ul></details></li>'
            ]
        parts.append(f'<ul class="sd-legend">{"".join(items)}</ul>')
    elif not doc.quotes:
        parts.append('<div class="sd-empty">no quotes found</div>')
    parts.append(f'<div class="sd-text">{_article(doc.text, _spans(doc, sid, label))}</div></div>')
    body = "".join(parts)
    if not standalone:
        return body
    return _page([body], head or "stance")


def render_page(docs: Iterable[Document], *, title: str = "stance") -> str:
    """A whole HTML page with every document rendered one after another (``stance render``)."""
    bodies = [render(d) for d in docs]
    return _page(bodies or ['<div class="sd-empty">no documents</div>'], title)


def _page(bodies: list[str], title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_attr(title)}</title>"
        "<style>body{margin:2em auto;max-width:62em;padding:0 1em;background:#fff}"
        "hr{border:0;border-top:1px solid #ddd;margin:2em 0}</style>"
        f"</head><body>{'<hr>'.join(bodies)}</body></html>\n"
    )
