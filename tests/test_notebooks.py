"""The notebooks in notebooks/ run top to bottom on the public API, and are committed clean."""

from __future__ import annotations

import pytest

from tests.conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert names == ["01_quick_start.ipynb", "02_bottlenecks.ipynb", "03_before_after.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_runs_top_to_bottom(path, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("IST_ANALYSE_OUT", str(tmp_path))  # pictures into tmp, not the repo
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    # every code cell ran and the pictures were written where the notebook was told to
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")
    assert any(tmp_path.iterdir())
    # only the public API: no private module of ist_analyse is imported
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "ist_analyse." not in source.replace("import ist_analyse as ia", "")
