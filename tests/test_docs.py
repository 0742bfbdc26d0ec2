"""The README and the docs site stay in shape: a short README, no broken relative links, every
page in the site's navigation, every shipped model card and every CLI command documented.

Reads files only (offline, fast); the site itself is built by ``make docs`` in ``.ci/run``
(``mkdocs build --strict``: any warning fails)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
import yaml

from stance.cli import _parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: inline Markdown links and images: [text](target) / ![alt](target "title")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+).*?\1", re.S)


def _pages() -> list[Path]:
    """The site's Markdown pages (docs/hooks holds the build's Python hook, not pages)."""
    return sorted(p for p in DOCS.rglob("*.md") if "hooks" not in p.relative_to(DOCS).parts)


def _relative_links(path: Path) -> list[str]:
    """Relative link targets of a Markdown file, outside code blocks and code spans."""
    text = _CODE_SPAN.sub("", _FENCE.sub("", path.read_text(encoding="utf-8")))
    targets = [m.group(1) for m in _LINK.finditer(text)]
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:|#|/", t)]


def _nav_pages(node: object) -> list[str]:
    if isinstance(node, str):
        return [node] if node.endswith(".md") else []
    if isinstance(node, dict):
        return [p for v in node.values() for p in _nav_pages(v)]
    if isinstance(node, list):
        return [p for v in node for p in _nav_pages(v)]
    return []


def _mkdocs() -> dict:
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def test_readme_is_at_most_200_lines() -> None:
    n = len((ROOT / "README.md").read_text(encoding="utf-8").splitlines())
    assert n <= 200, f"README.md has {n} lines; move detail into docs/ (the site) and link it"


def test_readme_keeps_the_test_command() -> None:
    """CI runs `make test` as the README's test command."""
    assert "make test" in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "path", [ROOT / "README.md", *_pages()], ids=lambda p: str(p.relative_to(ROOT))
)
def test_relative_links_point_to_existing_files(path: Path) -> None:
    broken = [
        target
        for target in _relative_links(path)
        if not (path.parent / target.split("#", 1)[0]).resolve().exists()
    ]
    assert not broken, f"{path.relative_to(ROOT)} links to missing files: {broken}"


def test_link_finder_sees_links_and_skips_code() -> None:
    text = '[a](docs/a.md) ![i](img.png "t") [w](https://x.org) [h](#top) `[c](no.md)`\n```\n[d](no.md)\n```\n'
    found = [m.group(1) for m in _LINK.finditer(_CODE_SPAN.sub("", _FENCE.sub("", text)))]
    assert found == ["docs/a.md", "img.png", "https://x.org", "#top"]


def test_nav_lists_every_page() -> None:
    nav = set(_nav_pages(_mkdocs()["nav"]))
    pages = {p.relative_to(DOCS).as_posix() for p in _pages()}
    assert pages - nav == set(), f"pages missing from mkdocs.yml's nav: {sorted(pages - nav)}"
    assert nav - pages == set(), f"nav entries without a page: {sorted(nav - pages)}"


def test_every_shipped_model_card_has_a_page() -> None:
    """Each stance/models/*/ card is shown on the site through a page in docs/model-cards/
    that includes it (``--8<-- "stance/models/NAME/model_card.md"``) and is linked from
    docs/models.md; a new model needs both."""
    cards = sorted(
        p.relative_to(ROOT).as_posix()
        for pattern in ("model_card.md", "linker_card.md")
        for p in (ROOT / "stance" / "models").rglob(pattern)
    )
    included: dict[str, str] = {}
    for page in sorted((DOCS / "model-cards").glob("*.md")):
        for path in re.findall(r'^--8<-- "([^"]+)"', page.read_text(encoding="utf-8"), re.M):
            included[path] = page.relative_to(DOCS).as_posix()
    # the two taggers carry the same linker card; one page shows it
    missing = [c for c in cards if c not in included and not c.endswith("linker_card.md")]
    assert not missing, f"model cards with no page in docs/model-cards/: {missing}"
    assert any(c.endswith("linker_card.md") for c in included)
    models_page = (DOCS / "models.md").read_text(encoding="utf-8")
    unlinked = sorted({p for p in included.values() if f"]({p})" not in models_page})
    assert not unlinked, f"docs/models.md does not link {unlinked}"


def _commands(parser: argparse.ArgumentParser, prefix: str) -> list[str]:
    """Every command line the parser accepts: subcommands and the choices of a task positional."""
    found = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, f"{prefix} {name}")
        elif not action.option_strings and action.dest == "task" and action.choices:
            found += [f"{prefix} {choice}" for choice in action.choices]
    return found


def test_cli_page_documents_every_command() -> None:
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^#+ `([^`]+)`\s*$", page, re.M))
    commands = _commands(_parser(), "stance")
    assert {"stance analyze", "stance evaluate speakers", "stance train stance"} <= set(commands)
    missing = [c for c in commands if c not in headings]
    assert not missing, (
        f"docs/cli.md has no section for {missing}: paste `{missing[0]} --help` under a "
        f"heading `## \\`{missing[0]}\\``"
    )
