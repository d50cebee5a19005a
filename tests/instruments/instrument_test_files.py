"""Files the instrument tests read: the seeds (``../shared/seeds``) and test fixtures."""

from __future__ import annotations

from pathlib import Path

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
FIXTURES = Path(__file__).parent / "fixtures"


def seed_lines(name: str) -> list[str]:
    """The lines of a seed document (``name`` is the file's prefix, e.g. '003')."""
    (path,) = SEEDS.glob(f"{name}_*.txt")
    return path.read_text(encoding="utf-8").splitlines()
