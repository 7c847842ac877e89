"""Every notebook in notebooks/ runs headless (nbclient, a kernel from .venv) without a failing
cell, each in under a minute."""
import glob
import os
import time

import pytest

from conftest import ROOT

NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 6


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_notebook_runs(path, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    # "python3" is the kernel of the interpreter running the tests (jupyter_client starts it
    # with sys.executable), i.e. the project's .venv.
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    start = time.time()
    client.execute()
    # Under a minute each (a little slack for starting the kernel on a loaded machine).
    assert time.time() - start < 75
