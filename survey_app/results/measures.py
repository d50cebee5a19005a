"""The catalogue of published measures: which instruments the portal scores and shows,
the column each score goes in, and how people read their names.

Everything that names a scored instrument, an I-statement theme or an item's column
reads it from here, so a new measure is added in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import instruments
from analysis.disclosure import SMALLEST_SHOWN
from analysis.funnel import MIN_RESPONDENTS

HEADLINE = "ctm15"  # the measure every dashboard, trend and funnel leads with
SCORED_INSTRUMENTS = ("ctm15", "ctm3", "i_statements")  # each overall score's column
ITEM_INSTRUMENTS = ("ctm15", "i_statements")  # whose items are benchmarked one by one
# The publishing rules pages quote: a result needs this many respondents; counts up to
# ``largest_suppressed`` are shown as ``*``.
PUBLISHING = {"min_respondents": MIN_RESPONDENTS, "largest_suppressed": SMALLEST_SHOWN - 1}
SHORT_NAMES = {"ctm15": "CTM-15", "ctm3": "CTM-3", "i_statements": "I statements"}


@dataclass(frozen=True)
class Measure:
    """One benchmarked score: its respondent-table column and how people read its name."""

    column: str
    label: str
    short: str


def item_column(instrument_id: str, item_id: str) -> str:
    """Return the respondent-table column holding one item's 0–100 score."""
    return f"{instrument_id}.{item_id}"


def theme_column(theme: str) -> str:
    """Return the respondent-table column holding one I-statement theme score."""
    return f"theme.{theme}"


def candidate_measures() -> list[Measure]:
    """Return every measure the platform benchmarks, headline (CTM-15) first."""
    statements = instruments.get_instrument("i_statements")
    return [
        *(Measure(column, f"{short} score", short) for column, short in SHORT_NAMES.items()),
        *(
            Measure(theme_column(theme), f"{name} (I statements theme)", name)
            for theme, name in statements.themes.items()
        ),
    ]
