"""Fixtures for instrument tests: writable copies of the shipped definitions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from instruments import DEFINITIONS_DIR


@pytest.fixture
def definitions(tmp_path: Path) -> Path:
    """A private copy of the shipped definitions directory, safe to edit."""
    copy = tmp_path / "definitions"
    shutil.copytree(DEFINITIONS_DIR, copy)
    return copy
