"""Running a hardware test's script in its own interpreter (NEST, Brian2 and sPyNNaker keep global state)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).parents[2]


def run_script(script: Path, *args: str, timeout: float = 600, env: dict[str, str] | None = None,
               cwd: Path | None = None) -> None:
    """Run ``python script args...`` with the repository on ``PYTHONPATH``; fail the test with its stderr."""
    environment = dict(os.environ, **(env or {}))
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(ROOT)]))
    proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=timeout,
                          env=environment, cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-3000:]


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, loaded."""
    with np.load(path) as f:
        return {k: f[k] for k in f.files}
