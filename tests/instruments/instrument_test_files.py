"""Files the instrument tests read, all inside the repository: test fixtures, including
the published wording copied from the seed documents (``fixtures/published_wording.yaml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

FIXTURES = Path(__file__).parent / "fixtures"


def published_wording() -> dict[str, Any]:
    """The seed wording the shipped instruments must match, with seed file and line."""
    text = (FIXTURES / "published_wording.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)
