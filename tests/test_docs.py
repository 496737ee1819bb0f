"""The Sphinx site builds without warnings."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(importlib.util.find_spec("sphinx") is None or importlib.util.find_spec("myst_nb") is None,
                    reason="the docs extra (sphinx, myst-nb) is not installed")
def test_sphinx_builds_without_warnings(tmp_path):
    # the notebooks are executed by tests/test_notebooks.py; here the site is built around them as they are
    env = dict(os.environ, ENGRAMSIM_NB_EXECUTE="off")
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                           str(ROOT / "docs"), str(tmp_path / "html")], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-4000:]
    # the maths renders offline: MathJax is served from the site itself, never from a CDN
    page = (tmp_path / "html" / "models" / "hopfield.html").read_text()
    assert "_static/mathjax/" in page and "cdn.jsdelivr" not in page
