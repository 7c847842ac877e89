"""Every notebook in notebooks/ runs headless (nbclient, a kernel from .venv) without a failing
cell, each in under a minute."""
import glob
import json
import os
import sys
import time

import pytest

from conftest import ROOT

NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 6


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_notebook_runs(path, tmp_path, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    # The notebooks ask for the "astrolake" kernel; here it is defined as the interpreter
    # running the tests (the project's .venv), ahead of any kernel installed for the user.
    spec = tmp_path / "jupyter" / "kernels" / "astrolake"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "astrolake (tests)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    client = NotebookClient(nb, timeout=120, kernel_name="astrolake", resources={"metadata": {"path": str(tmp_path)}})
    start = time.time()
    client.execute()
    # Under a minute each (a little slack for starting the kernel on a loaded machine).
    assert time.time() - start < 75
