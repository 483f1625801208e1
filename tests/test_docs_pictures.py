"""The pictures the README shows are the ones the code draws today: docs/pictures.py draws them
again (a fixed clock, a demo workspace in a temporary directory) and they must match pixel for
pixel what docs/ holds. When the drawing changes on purpose, run `.venv/bin/python docs/pictures.py`,
look at the pictures, and commit them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_pictures_are_current(tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / "docs" / "pictures.py"), "--out", str(tmp_path)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr
    readme = (ROOT / "README.md").read_text()
    for name in ("year-picture.png", "district-picture.png"):
        assert f"](docs/{name})" in readme, f"README does not show docs/{name}"
        fresh, kept = mpimg.imread(tmp_path / name), mpimg.imread(ROOT / "docs" / name)
        assert fresh.shape == kept.shape and fresh.shape[1] == 800, (name, fresh.shape, kept.shape)
        differ = float(np.abs(fresh - kept).max(axis=2).mean())
        assert differ < 0.001, f"docs/{name} is out of date ({differ:.4f}): run .venv/bin/python docs/pictures.py and look at it"
