"""Issue #8, "Show, don't tell": the HTML view of an analysed article and the corpus plots.

The HTML is checked as a person sees it: rendered in headless Chromium (skipped when no
chromium binary is installed), with a screenshot, the highlighted spans read back from the
live DOM, and a ``<script>`` in the article proven not to have run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import stance
from stance.display import render, render_page
from stance.display.cli import add_parser, run
from stance.document import Document, Mention, Quote, QuoteKind, Speaker, StanceScore

if TYPE_CHECKING:
    import pandas as pd

ARTICLE = (
    'The EU\'s top diplomat Jane Doe said the plan was dead. "We will support Kyiv," she added. '
    "A senior source familiar with the matter said talks had stalled. "
    '"Nobody is happy," the same source said.'
)
INJECTION = (
    '\n\n<script>document.title="pwned";var e=document.createElement("div");e.id="pwned";'
    "document.body.appendChild(e)</script><img src=x onerror=\"document.title='img-pwned'\"> & co."
)
ANON = "A senior source familiar with the matter"


# --- reading rendered HTML back with the standard library --------------------------------


class _Reader(HTMLParser):
    """Collects the text of ``.sd-text`` and the attributes of every span in it; checks nesting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.depth_in_text: int | None = None
        self.text: list[str] = []
        self.spans: list[dict[str, str | None]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in ("meta", "br", "img", "hr", "link"):
            return
        self.stack.append(tag)
        a = dict(attrs)
        if tag == "div" and "sd-text" in (a.get("class") or "").split():
            self.depth_in_text = len(self.stack)
        elif self.depth_in_text is not None and tag == "span":
            self.spans.append(a)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        if self.depth_in_text == len(self.stack):
            self.depth_in_text = None
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.depth_in_text is not None:
            self.text.append(data)


def read(html: str) -> _Reader:
    r = _Reader()
    r.feed(html)
    r.close()
    assert not r.stack, f"unclosed elements: {r.stack}"
    return r


def shown(text: str) -> str:
    """What an HTML page can show for ``text``: NUL and lone surrogates become U+FFFD."""
    return "".join("\ufffd" if c == "\x00" or "\ud800" <= c <= "\udfff" else c for c in text)


def quote_heads(r: _Reader) -> list[dict[str, str | None]]:
    return [
        s
        for s in r.spans
        if "q" in (s["class"] or "").split() and "head" in (s["class"] or "").split()
    ]


def make_doc(text: str, spans: list[tuple[int, int]], **kw: Any) -> Document:
    """A document with a quote (and a cue and mention just before it) per span; no pipeline."""
    speakers = [
        Speaker(0, "Jane Doe", "person"),
        Speaker(1, "an official", "anonymous"),
        Speaker(2, "unknown", "unknown"),
    ]
    quotes = []
    for i, (a, b) in enumerate(spans):
        s = speakers[i % 3]
        m = (
            Mention(text[max(0, a - 3) : a + 1], max(0, a - 3), a + 1)
            if a + 1 <= len(text)
            else None
        )
        quotes.append(
            Quote(text[a:b], a, b, list(QuoteKind)[i % 3], s, "said", a, min(b, a + 2), m, **kw)
        )
    return Document(text, tuple(quotes), tuple(speakers), id="t")


# --- the HTML itself ---------------------------------------------------------------------


def test_article_quotes_speakers_and_legend(nlp: stance.Pipeline) -> None:
    doc = nlp(ARTICLE, id="short")
    html = render(doc)
    r = read(html)
    assert "".join(r.text) == ARTICLE
    heads = quote_heads(r)
    assert [(h["data-speaker"], h["data-speaker-type"]) for h in heads] == [
        (q.speaker.name, str(q.speaker.type)) for q in doc.quotes
    ]
    assert {h["data-speaker"] for h in heads} == {"Jane Doe", ANON}
    assert all("anon" in (h["class"] or "") for h in heads if h["data-speaker"] == ANON)
    assert all("anon" not in (h["class"] or "") for h in heads if h["data-speaker"] == "Jane Doe")
    # cues and speaker mentions are marked
    cues = [s for s in r.spans if "cue" in (s["class"] or "").split()]
    assert {ARTICLE[q.cue_start : q.cue_end] for q in doc.quotes if q.cue_start is not None} == {
        "said",
        "added",
    }
    assert len(cues) == len({(q.cue_start, q.cue_end) for q in doc.quotes})
    assert {s["data-speaker"] for s in r.spans if "m" in (s["class"] or "").split()} == {
        "Jane Doe",
        ANON,
    }
    # hover text: kind, speaker, type, stance
    assert 'title="direct quote\nspeaker: Jane Doe (person)' in html
    # legend with counts
    assert (
        'data-speaker="Jane Doe" data-n-quotes="2"' in html
        and f'data-speaker="{ANON}" data-n-quotes="2"' in html
    )
    assert "<script" not in html and "http" not in html  # self-contained: nothing fetched
    assert doc._repr_html_() == html
    page = render(doc, standalone=True)
    assert page.startswith("<!DOCTYPE html>") and "<title>short</title>" in page


def test_article_text_is_escaped_never_markup(nlp: stance.Pipeline) -> None:
    text = ARTICLE + INJECTION
    doc = nlp(text)
    evil = Speaker(7, '"><script>alert(1)</script>', "person")
    doc = Document(
        text,
        doc.quotes + (Quote(text[-5:], len(text) - 5, len(text), "indirect", evil, "<b>said</b>"),),
        doc.speakers + (evil,),
        id="<script>x</script>",
    )
    html = render(doc, standalone=True)
    r = read(html)
    assert "".join(r.text) == text
    assert "script" not in r.tags and "img" not in r.tags and "b" not in r.tags
    assert "&lt;script&gt;document.title" in html


def test_stance_is_shown_when_present() -> None:
    text = 'Jane Doe said "we back the plan" and "sanctions must go".'
    doc = make_doc(
        text,
        [(14, 32), (37, 56)],
        stance={"EU": StanceScore("favor", 0.81), "Russia": StanceScore("against", 0.6)},
    )
    html = render(doc)
    assert "stance toward EU: favor (0.81)\nstance toward Russia: against (0.60)" in html
    assert 'data-stance="EU: favor 0.81; Russia: against 0.60"' in html
    plain = render(make_doc(text, [(14, 32)]))
    assert "stance: -" in plain and "data-stance=" not in plain


def test_overlapping_and_nested_quotes_keep_every_character_once() -> None:
    text = 'She said that "the plan", in her words, "is dead" and that officials agreed.'
    spans = [
        (9, 49),
        (14, 24),
        (40, 49),
        (30, 60),
        (9, 49),
        (55, 76),
    ]  # nested, crossing, identical
    doc = make_doc(text, spans)
    r = read(render(doc))
    assert "".join(r.text) == text
    heads = quote_heads(r)
    assert sorted(int(h["data-quote"] or -1) for h in heads) == list(
        range(len(spans))
    )  # each quote labelled once
    tails = [
        s
        for s in r.spans
        if "q" in (s["class"] or "").split() and "tail" in (s["class"] or "").split()
    ]
    assert len(tails) == len(spans)


def test_distinct_speakers_with_the_same_name_are_told_apart() -> None:
    text = '"Yes," an official said. "No," an official said.'
    a, b = Speaker(1, "an official", "anonymous"), Speaker(2, "an official", "anonymous")
    doc = Document(
        text, (Quote(text[:6], 0, 6, "direct", a), Quote(text[25:30], 25, 30, "direct", b)), (a, b)
    )
    html = render(doc)
    assert 'data-label="an official #1"' in html and 'data-label="an official #2"' in html
    assert ">an official #1</span>" in html and ">an official #2</span>" in html


def test_text_that_html_cannot_carry_verbatim() -> None:
    text = 'Line one\r\nA "quote\x00 with \ud800 odd" & <tags>\t\x07 said she\u2028.'
    doc = make_doc(text, [(12, 30), (0, 4)])
    assert "".join(read(render(doc)).text) == shown(text)
    assert "".join(read(render(Document(""))).text) == ""


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.sampled_from('ab "<>&\n\r\x00é'), min_size=1, max_size=60).flatmap(
        lambda t: st.tuples(
            st.just(t),
            st.lists(
                st.tuples(st.integers(0, len(t) - 1), st.integers(1, len(t))).filter(
                    lambda s: s[0] < s[1]
                ),
                max_size=8,
            ),
        )
    )
)
def test_any_spans_give_well_nested_html_with_the_exact_text(
    case: tuple[str, list[tuple[int, int]]],
) -> None:
    text, spans = case
    r = read(render(make_doc(text, spans)))  # read() asserts every element is properly nested
    assert "".join(r.text) == shown(text)
    assert len(quote_heads(r)) == len(spans)


def big_document(n_quotes: int = 200, size: int = 100_000) -> Document:
    speakers = [
        Speaker(i, f"Speaker {i}", "anonymous" if i % 7 == 0 else "person") for i in range(40)
    ]
    text, quotes = "", []
    filler = "Officials met on Tuesday & talked <again> about the draft. "
    while len(text) < size or len(quotes) < n_quotes:
        text += filler * 6
        if len(quotes) < n_quotes:
            s = speakers[len(quotes) % len(speakers)]
            m0 = len(text)
            text += s.name + " said "
            q0 = len(text)
            text += f'"this is statement {len(quotes)}, and it goes on for a while,"'
            quotes.append(
                Quote(
                    text[q0:],
                    q0,
                    len(text),
                    "direct",
                    s,
                    "said",
                    m0 + len(s.name) + 1,
                    q0 - 1,
                    Mention(s.name, m0, m0 + len(s.name)),
                )
            )
        text += "\n\n"
    return Document(text, tuple(quotes), tuple(speakers), id="big")


def test_large_document_renders_in_under_a_second() -> None:
    doc = big_document()
    assert len(doc.quotes) == 200 and len(doc.text) >= 100_000
    t = time.perf_counter()
    html = render(doc)
    elapsed = time.perf_counter() - t
    assert elapsed < 1.0, f"rendering 200 quotes / 100 KB took {elapsed:.2f} s"
    r = read(html)
    assert "".join(r.text) == doc.text and len(quote_heads(r)) == 200
    assert "+16 more speakers" in html  # a long legend folds away


# --- in a real browser -------------------------------------------------------------------


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):  # CI installs Chromium: a missing browser there is a failure, not a skip
        pytest.fail("CI=true but no chromium binary on PATH; .ci/run installs it")
    pytest.skip("no chromium binary on PATH (apt-get install -y chromium)")


def run_chromium(
    binary: str, tmp: Path, page: Path, *flags: str
) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    cmd = [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-quic", "--hide-scrollbars", f"--user-data-dir={profile}", *flags, page.as_uri(),
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


#: a trusted probe appended to the page by the test: it runs after the article, reads the DOM
#: as laid out and writes what it saw into <pre id="probe"> for --dump-dom to return
PROBE = """<script>
const text = document.querySelector(".sd-text");
const quotes = [...document.querySelectorAll(".sd-text .q.head")].map(e => {
  const s = getComputedStyle(e), b = getComputedStyle(e, "::before");
  return {speaker: e.dataset.speaker, type: e.dataset.speakerType, kind: e.dataset.kind, text: e.textContent,
          label: b.content, border: s.borderTopStyle, bg: s.backgroundColor, bgImage: s.backgroundImage,
          visible: e.getBoundingClientRect().width > 0};
});
const legend = [...document.querySelectorAll(".sd-legend li[data-speaker]")].map(
  e => [e.dataset.speaker, Number(e.dataset.nQuotes)]);
const out = document.createElement("pre");
out.id = "probe";
out.textContent = JSON.stringify({title: document.title, pwned: !!document.getElementById("pwned"),
  text: text.textContent, quotes, legend, probeRan: true});
document.body.appendChild(out);
</script>"""


class _Probe(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.data: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = tag == "pre" and ("id", "probe") in attrs

    def handle_endtag(self, tag: str) -> None:
        self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.data.append(data)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_in_headless_chromium(nlp: stance.Pipeline, tmp_path: Path) -> None:
    binary = chromium()
    text = ARTICLE + INJECTION
    doc = nlp(text, id="short article")
    page = render(doc, standalone=True)
    assert page.count("</body>") == 1
    page_file = tmp_path / "article.html"
    page_file.write_text(page, encoding="utf-8")
    probed_file = tmp_path / "probed.html"
    probed_file.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")

    dom = run_chromium(binary, tmp_path, probed_file, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    probe = _Probe()
    probe.feed(dom.stdout)
    seen = json.loads("".join(probe.data))
    assert seen["probeRan"]  # scripts do run on this page: the checks below mean something
    assert seen["title"] == "short article" and not seen["pwned"]  # the article's <script> did not
    assert seen["text"] == text  # the visible article is exactly the original text
    assert [(q["speaker"], q["text"]) for q in seen["quotes"]] == [
        (q.speaker.name, q.text) for q in doc.quotes
    ]
    by_speaker = {q["speaker"]: q for q in seen["quotes"]}
    assert (
        by_speaker["Jane Doe"]["label"] == '"Jane Doe"'
        and by_speaker["Jane Doe"]["border"] != "dashed"
    )
    assert by_speaker[ANON]["border"] == "dashed" and by_speaker[ANON]["label"].startswith(
        '"? A senior source'
    )
    assert all(q["visible"] for q in seen["quotes"])
    direct = [q for q in seen["quotes"] if q["kind"] == "direct"]
    assert {q["bg"] for q in direct if q["speaker"] == "Jane Doe"}.isdisjoint(
        {q["bg"] for q in direct if q["speaker"] == ANON}
    )
    assert sorted(seen["legend"]) == [[ANON, 2], ["Jane Doe", 2]]

    shot = tmp_path / "article.png"
    res = run_chromium(
        binary, tmp_path, page_file, f"--screenshot={shot}", "--window-size=1200,900"
    )
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    assert png_size(shot) == (1200, 900)
    keep = os.environ.get("STANCE_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / "display_article.png")
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - pillow comes with matplotlib
        return
    with Image.open(shot) as im:
        colors = im.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colors) > 50  # not a blank page: text, highlights and labels were painted


# --- the command line --------------------------------------------------------------------


def cli_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="stance")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(list(argv))


def test_cli_render_writes_a_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "a.txt"
    src.write_text(ARTICLE + INJECTION, encoding="utf-8")
    out = tmp_path / "out.html"
    assert run(cli_args("render", str(src), "-o", str(out))) == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<title>a.txt</title>" in page
    assert "".join(read(page).text) == ARTICLE + INJECTION
    assert 'data-speaker="Jane Doe"' in page and "<script" not in page


def test_cli_render_with_targets_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "a.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / "out.html"
    assert run(cli_args("render", str(src), "--target", "EU", "--stance-model", "none", "-o", str(out))) == 1
    err = capsys.readouterr().err
    assert err.startswith("stance: error: ") and err.count("\n") == 1 and "stance model" in err
    assert not out.exists()
    assert run(cli_args("render", str(tmp_path / "missing.txt"))) == 1
    assert (
        capsys.readouterr().err
        == f"stance: error: {tmp_path / 'missing.txt'}: no such file or directory\n"
    )


def test_render_page_of_several_documents(nlp: stance.Pipeline) -> None:
    page = render_page([nlp(ARTICLE, id="one"), nlp("", id="two")], title="two docs")
    assert (
        page.count('class="sd-text"') == 2
        and "no quotes found" in page
        and "<title>two docs</title>" in page
    )


# --- corpus plots --------------------------------------------------------------------------


@pytest.fixture()
def plt() -> Iterator[Any]:
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as pyplot

    yield pyplot
    pyplot.close("all")


def stance_frame() -> pd.DataFrame:
    import pandas as pd

    from stance.display import quotes_frame

    jane, anon = Speaker(0, "Jane Doe", "person"), Speaker(1, "an official", "anonymous")
    text = "x" * 50

    def q(i: int, s: Speaker, **stance: tuple[str, float]) -> Quote:
        return Quote(
            "x", i, i + 1, "direct", s, stance={t: StanceScore(*v) for t, v in stance.items()}
        )

    docs = [
        Document(
            text,
            (
                q(0, jane, EU=("favor", 0.9), NATO=("against", 0.7)),
                q(1, jane, EU=("favor", 0.8)),
                q(2, anon, EU=("against", 0.6)),
            ),
            id="a",
        ),
        Document(text, (q(0, anon, EU=("neutral", 0.5), NATO=("favor", 0.9)), q(1, jane)), id="b"),
    ]
    frame = quotes_frame(docs, outlets={"a": "AP", "b": "NYT"})
    assert isinstance(frame, pd.DataFrame)
    return frame


def test_quotes_per_speaker_type(plt: object, nlp: stance.Pipeline) -> None:
    from stance.display import quotes_per_speaker_type

    frame = nlp(ARTICLE).to_pandas()
    ax = quotes_per_speaker_type(frame)
    heights = {
        t.get_text(): p.get_height() for t, p in zip(ax.get_xticklabels(), ax.patches, strict=True)
    }
    assert heights["person"] == 2 and heights["anonymous"] == 2 and heights["media"] == 0
    ax2 = quotes_per_speaker_type(frame, by="kind")
    assert sum(p.get_height() for p in ax2.patches) == 4


def test_anonymous_share_by_outlet_from_polnear(
    plt: object, nlp: stance.Pipeline, tmp_path: Path
) -> None:
    from stance.data.polnear import read_polnear
    from stance.display import anonymous_share_by_outlet, quotes_frame

    for name, body in {
        "nyt_1": ARTICLE,
        "nyt_2": '"It works," Jane Doe said.',
        "breitbart_1": '"It failed," an official said. "We knew," the official added.',
    }.items():
        (tmp_path / "dev" / "text").mkdir(parents=True, exist_ok=True)
        (tmp_path / "dev" / "attributions").mkdir(exist_ok=True)
        (tmp_path / "dev" / "text" / f"{name}.txt").write_text(body, encoding="utf-8")
    articles = read_polnear(tmp_path, "dev")
    docs = [nlp(a.text, id=a.id) for a in articles]
    frame = quotes_frame(docs, outlets={a.id: a.publisher for a in articles})
    ax = anonymous_share_by_outlet(frame)
    shares = {
        t.get_text(): p.get_width() for t, p in zip(ax.get_yticklabels(), ax.patches, strict=True)
    }
    assert shares == {"nyt": pytest.approx(2 / 5), "breitbart": pytest.approx(1.0)}
    with pytest.raises(ValueError, match="outlet column"):
        anonymous_share_by_outlet(frame.drop(columns="publisher"))


@pytest.mark.parametrize(
    ("anonymous", "total", "label", "xmax_at_most"),
    [
        ((1, 0), (400, 10), "1/400 (0.2%)", 0.07),  # a small share: not "0%", not a sliver on a 0-100% axis
        ((3, 1), (120, 50), "3/120 (2.5%)", 0.07),
        ((30, 2), (100, 40), "30/100 (30%)", 0.41),
        ((5, 5), (5, 5), "5/5 (100%)", 1.36),
        ((0, 0), (10, 10), "0/10 (0%)", 0.07),
    ],
)
def test_anonymous_share_is_readable_when_small(
    plt: object, anonymous: tuple[int, int], total: tuple[int, int], label: str, xmax_at_most: float
) -> None:
    from stance.display import anonymous_share_by_outlet

    rows = []
    for outlet, a, n in zip(("A", "B"), anonymous, total, strict=True):
        rows += [{"outlet": outlet, "speaker_type": "anonymous" if k < a else "person"} for k in range(n)]
    import pandas as pd

    ax = anonymous_share_by_outlet(pd.DataFrame(rows))
    texts = [t.get_text() for t in ax.texts]
    assert label in texts, texts
    share = max(anonymous[0] / total[0], anonymous[1] / total[1])
    lo, hi = ax.get_xlim()
    assert lo == 0 and share < hi <= xmax_at_most  # every bar and its label fit, small shares not flattened
    legend = ax.get_legend().get_texts()[0].get_text()
    overall = sum(anonymous) / sum(total)
    assert (legend == "all outlets: 0%") == (overall == 0), legend


def test_stance_by_speaker_and_heatmap(plt: object) -> None:
    from stance.display import stance_by_speaker, stance_heatmap
    from stance.display.plots import stance_targets

    frame = stance_frame()
    assert stance_targets(frame) == ["EU", "NATO"]
    ax = stance_by_speaker(frame, "EU")
    names = [t.get_text() for t in ax.get_yticklabels()]
    widths = [
        p.get_width() for p in ax.patches
    ]  # favor bars for each speaker, then neutral, then against
    n = len(names)
    by = {name: (widths[i], widths[n + i], widths[2 * n + i]) for i, name in enumerate(names)}
    assert by == {"Jane Doe": (2, 0, 0), "an official": (0, 1, 1)}
    with pytest.raises(ValueError, match="targets present: 'EU', 'NATO'"):
        stance_by_speaker(frame, "UN")

    ax = stance_heatmap(frame)
    data = ax.images[0].get_array()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["EU", "NATO"]
    rows = {t.get_text(): i for i, t in enumerate(ax.get_yticklabels())}
    assert data[rows["Jane Doe"], 0] == 1.0 and data[rows["Jane Doe"], 1] == -1.0
    assert data[rows["an official"], 0] == -0.5 and data[rows["an official"], 1] == 1.0
    empty = Document("x").to_pandas()
    with pytest.raises(ValueError, match="no stance columns"):
        stance_heatmap(empty)


def test_who_is_for_against(plt: object) -> None:
    from stance.display import who_is_for_against

    frame = stance_frame()
    ax = who_is_for_against(frame, "NATO")
    names = [t.get_text() for t in ax.get_yticklabels()]
    widths = dict(zip(names, (p.get_width() for p in ax.patches), strict=True))
    # most for at the top (the last bar); Jane Doe is only against NATO
    assert names[-1].startswith("an official") and widths["Jane Doe"] < 0 < widths[names[-1]]
    assert "EU" not in ax.get_title()
    with pytest.raises(ValueError, match="targets present"):
        who_is_for_against(frame, "UN")


def test_missing_matplotlib_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from stance.display import plots

    real_import = builtins.__import__

    def no_matplotlib(name: str, *args: object, **kwargs: object) -> object:
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"pip install 'stance-news\[notebooks\]'"):
        plots.quotes_per_speaker_type(plots.quotes_frame([]))


# -- stance render --records: saved results drawn again, nothing analysed -------------------------


def _analysed(tmp_path: Path, body: str, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    from stance.cli import main

    articles = tmp_path / "articles.jsonl"
    rows = [{"id": "a1", "text": body}, {"id": "a2", "text": '"We knew," an official said.'}, {"id": "a3", "text": "No quote."}]
    articles.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    records = tmp_path / "records.jsonl"
    assert main(["analyze", str(articles), "--quote-model", "none", "-o", str(records)]) == 0
    capsys.readouterr()
    return articles, records


def test_render_from_saved_records_draws_what_was_saved_without_a_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    articles, records = _analysed(tmp_path, ARTICLE + INJECTION, capsys)
    fresh = tmp_path / "fresh.html"
    assert run(cli_args("render", str(articles), "--quote-model", "none", "-o", str(fresh))) == 0

    def no_model(*args: object, **kwargs: object) -> None:
        raise AssertionError("render --records must not load a pipeline")

    monkeypatch.setattr(stance, "load", no_model)
    saved = tmp_path / "saved.html"
    assert run(cli_args("render", str(articles), "--records", str(records), "-o", str(saved))) == 0
    a, b = read(fresh.read_text(encoding="utf-8")), read(saved.read_text(encoding="utf-8"))
    assert "".join(b.text) == "".join(a.text) and ARTICLE in "".join(b.text)
    def spans(r: object) -> list[tuple[str | None, ...]]:  # every highlighted span: class, speaker, title
        return [(s.get("class"), s.get("data-speaker"), s.get("title")) for s in r.spans]  # type: ignore[attr-defined]

    assert spans(b) == spans(a) and len({s[1] for s in spans(a) if s[1]}) >= 3
    assert "<script" not in saved.read_text(encoding="utf-8")


def test_document_from_records_round_trips(nlp: stance.Pipeline) -> None:
    doc = nlp(ARTICLE, id="x")
    again = stance.Document.from_records(ARTICLE, doc.to_records(), id="x")
    assert again.to_records() == doc.to_records()
    assert [(q.cue, q.cue_start) for q in again.quotes] == [(q.cue, q.cue_start) for q in doc.quotes]
    assert [s.name for s in again.speakers] == list(dict.fromkeys(q.speaker.name for q in doc.quotes))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("edit_text", "record 1 of document 'a1' does not fit its text"),
        ("other_ids", "not in"),
        ("csv", "not a JSON record.*JSONL"),
        ("no_doc", "no 'doc' field"),
        ("target", "--target needs an analysis"),
    ],
)
def test_render_from_records_refuses_what_does_not_fit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str, message: str
) -> None:
    import re

    articles, records = _analysed(tmp_path, ARTICLE, capsys)
    extra: list[str] = []
    if damage == "edit_text":  # the article changed since it was analysed: offsets point elsewhere
        rows = [json.loads(line) for line in articles.read_text(encoding="utf-8").splitlines()]
        rows[0]["text"] = "Breaking: " + rows[0]["text"]
        articles.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    elif damage == "other_ids":
        recs = [json.loads(line) for line in records.read_text(encoding="utf-8").splitlines()]
        records.write_text("".join(json.dumps({**r, "doc": "zz" + r["doc"]}) + "\n" for r in recs), encoding="utf-8")
    elif damage == "csv":
        records.write_text("doc,text,start\na1,x,0\n", encoding="utf-8")
    elif damage == "no_doc":
        records.write_text('{"text": "x"}\n', encoding="utf-8")
    else:
        extra = ["--target", "EU"]
    out = tmp_path / "out.html"
    assert run(cli_args("render", str(articles), "--records", str(records), "-o", str(out), *extra)) == 1
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert "Traceback" not in err
    if damage in ("other_ids", "csv", "no_doc", "target"):
        assert not out.exists()  # nothing matched: no page without its quotes


def test_render_from_records_counts_error_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    articles, records = _analysed(tmp_path, ARTICLE, capsys)
    with records.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"doc": "a9", "error": "DocumentTooLargeError", "message": "too long"}) + "\n")
    assert run(cli_args("render", str(articles), "--records", str(records), "-o", str(tmp_path / "o.html"))) == 0
    assert "1 error record(s)" in capsys.readouterr().err
