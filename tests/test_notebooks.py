"""Notebooks execute top to bottom on a small sample (slow: needs the data beside the checkout)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
DATA = Path(__file__).parent.parent.parent / "shared" / "data"


def _need_spark() -> None:
    """The Spark notebook needs pyspark and Java: a skip, except under CI, which installs both."""
    import importlib.util

    reason = None
    if importlib.util.find_spec("pyspark") is None:
        reason = "pyspark is not installed (pip install 'stance-news[spark]')"
    elif not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        reason = "no Java runtime for Spark (apt-get install -y default-jre-headless)"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI=true but {reason}; .ci/run and the Makefile install them")
        pytest.skip(reason)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not DATA.is_dir():
        pytest.skip(f"no data at {DATA}")
    if path.name == "05_scale_out.ipynb":
        _need_spark()
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("STANCE_NOTEBOOK_SAMPLE", os.environ.get("STANCE_NOTEBOOK_SAMPLE", "6"))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors


#: notebooks where a picture says more than a table (05 compares records across engines: tables)
WITH_FIGURES = {"01_attribution_polnear.ipynb", "02_speakers.ipynb", "03_stance.ipynb", "04_corpus_views.ipynb",
                "06_your_corpus.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebook_outputs_are_clean(path: Path) -> None:
    """What a reader sees on GitHub: every code cell run, no error, no stderr noise (progress bars,
    warnings, Spark's banner), and figures where the notebook promises them. Reads the file only."""
    import json

    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert all(c.get("execution_count") for c in code), "a code cell was never run: execute the whole notebook"
    assert not [o for o in outputs if o.get("output_type") == "error"]
    noise = ["".join(o.get("text", ""))[:120] for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stderr"]
    assert not noise, noise
    figures = sum("image/png" in o.get("data", {}) for o in outputs)
    assert (figures > 0) == (path.name in WITH_FIGURES), figures
