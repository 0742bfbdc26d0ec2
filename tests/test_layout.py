"""The package layout shows the architecture: no import cycles between the library's modules,
no training code (or torch) on the path ``import stance`` takes, one version everywhere.
Static checks over the source plus one subprocess import; offline, fast."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import stance

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "stance"


def _module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import in a module, at any depth (lazy ones included), except under ``if TYPE_CHECKING``."""
    out: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for orelse in child.orelse:
                    visit(orelse)
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                out.append(child)
            visit(child)

    visit(tree)
    return out


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    """module -> the library modules it imports (``from stance.x import y`` counts ``stance.x`` and,
    when ``y`` is a module, ``stance.x.y``)."""
    files = {_module_name(p, package): p for p in package.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        is_pkg = path.name == "__init__.py"
        deps: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
                continue
            base = node.module or ""
            if node.level:
                pkg = name.split(".") if is_pkg else name.split(".")[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join(pkg + ([node.module] if node.module else []))
            deps.add(base)
            deps.update(f"{base}.{a.name}" for a in node.names)
        graph[name] = {d for d in deps if d in files and d != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return found


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path) -> None:
    pkg = tmp_path / "stance"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from stance.sub import b\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("from .. import a\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from stance import a\n")
    (pkg / "d.py").write_text("from stance import c\n")
    graph = import_graph(pkg)
    assert cycles(graph) == [["stance.a", "stance.sub.b"]]  # lazy and relative imports count
    assert "stance.a" not in graph["stance.c"]  # TYPE_CHECKING imports do not
    assert graph["stance.d"] == {"stance", "stance.c"}


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_import_stance_loads_no_training_code_and_no_torch() -> None:
    code = "import json, sys, stance; print(json.dumps(sorted(sys.modules)))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                       check=True, cwd=ROOT).stdout)
    ours = [m for m in loaded if m == "stance" or m.startswith("stance.")]
    assert "stance.pipeline" in ours  # the check looks at the real import path
    assert not [m for m in ours if "train" in m.rsplit(".", 1)[-1]]
    assert not [m for m in ours if m.startswith(("stance.evaluation", "stance.data"))]
    assert "torch" not in loaded and "transformers" not in loaded


def test_one_version_everywhere() -> None:
    from stance.attribution.ranker import LIBRARY_VERSION as ranker_version
    from stance.targets.model import LIBRARY_VERSION as stance_version

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in meta["project"]["dynamic"]
    assert meta["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "stance._version.__version__"}
    assert stance.__version__ == ranker_version == stance_version
