"""The instrument tests read only what the repository carries: they pass from a copy in
a folder with nothing beside it (no ``../shared``)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_instrument_tests_pass_from_a_copy_with_nothing_beside_it(tmp_path: Path) -> None:
    clone = tmp_path / "elsewhere" / "clone"
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache")
    for folder in ("analysis", "instruments", "tests/instruments"):
        shutil.copytree(REPO / folder, clone / folder, ignore=ignore)
    shutil.copy(REPO / "pyproject.toml", clone)
    assert not (tmp_path / "elsewhere" / "shared").exists()
    env = {**os.environ, "PYTHONPATH": str(clone)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider",
         "tests/instruments", "--deselect",
         "tests/instruments/test_self_contained.py::"
         "test_instrument_tests_pass_from_a_copy_with_nothing_beside_it"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout
