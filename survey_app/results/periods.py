"""Reporting periods: results are published by calendar quarter, labelled ``2026-Q2``."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

PERIOD_PATTERN = re.compile(r"^(\d{4})-?Q([1-4])$")


class UnknownPeriod(ValueError):
    """A period that is not a calendar quarter such as ``2026-Q2``."""


def period_label(quarter: str) -> str:
    """Return a quarter as the platform labels it: ``2025Q3`` or ``2025-Q3`` → ``2025-Q3``."""
    match = PERIOD_PATTERN.match(quarter.strip())
    if match is None:
        raise UnknownPeriod(f"period {quarter!r} is not a calendar quarter such as 2026-Q2")
    return f"{match.group(1)}-Q{match.group(2)}"


def period_of(day: date) -> str:
    """Return the calendar quarter a date falls in, e.g. 2026-05-04 → ``2026-Q2``."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def label_periods(periods: pd.Series) -> pd.Series:
    """Return a column of quarters labelled by :func:`period_label`, each distinct value
    parsed once (a national table has millions of rows and a few dozen quarters)."""
    return periods.map({quarter: period_label(quarter) for quarter in periods.unique()})
