"""The teaching notebooks (MyST markdown notebooks in docs/notebooks) run from top to bottom, each within a bound."""

import importlib.util
import time
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "docs" / "notebooks").glob("*.md"))
#: each notebook is a lesson of one class: it must run in under a minute on 2 cores
BUDGET_S = 60.0

needs_jupyter = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("myst_nb", "nbclient", "ipykernel")),
    reason="the docs extra (myst-nb, nbclient, ipykernel) is not installed")


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 5


@needs_jupyter
@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path):
    import nbclient
    from myst_nb.core.read import read_myst_markdown_notebook

    nb = read_myst_markdown_notebook(path.read_text())
    assert any(c.cell_type == "code" for c in nb.cells)
    assert "Exercises" in path.read_text(), "a lesson ends with exercises"
    start = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=int(BUDGET_S * 3), kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    elapsed = time.perf_counter() - start
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    figures = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if "image/png" in o.get("data", {})]
    assert figures, "a lesson shows what the student should see in a figure"
    assert elapsed < BUDGET_S, f"{path.name} took {elapsed:.0f} s (budget {BUDGET_S:.0f} s)"
