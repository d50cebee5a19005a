"""How published numbers are written on pages, in reports and in downloads.

A published cell is a number, ``*`` (1–7 people: suppressed) or empty (fewer than the
minimum respondents). ``*`` is always written as ``*`` and empty as an en dash, so the
formatting can never turn a suppressed cell back into a number. The same filters are
registered on the app's Jinja environment and on the report renderer's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from analysis.disclosure import SUPPRESSED

NOT_SHOWN = "–"
BAND_CLASSES = {
    "much better": "much-better",
    "better": "better",
    "as expected": "as-expected",
    "worse": "worse",
    "much worse": "much-worse",
    "too few responses": "too-few",
}


def is_missing(value: object) -> bool:
    """Say whether a published cell is empty (None or NaN): too few responses."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _not_a_number(value: object) -> str | None:
    """Return how a cell that holds no publishable number is written (``*`` or an en
    dash), or None when it is a number to format."""
    if value == SUPPRESSED:
        return SUPPRESSED
    if is_missing(value) or not isinstance(value, int | float):
        return NOT_SHOWN
    return None


def score(value: object, decimals: int = 1) -> str:
    """Write a 0–100 score: ``71.4``; ``*`` stays ``*``; empty becomes an en dash."""
    return _not_a_number(value) or f"{value:.{decimals}f}"


def percent(value: object, decimals: int = 0) -> str:
    """Write a proportion (0–1) as a percentage: ``0.514`` → ``51%``."""
    return _not_a_number(value) or f"{100 * value:.{decimals}f}%"  # type: ignore[operator]


def count(value: object) -> str:
    """Write a published (already rounded) count with thousands separators."""
    return _not_a_number(value) or f"{int(value):,}"  # type: ignore[call-overload]


def signed(value: object, decimals: int = 1) -> str:
    """Write a difference with its sign: ``+3.2``, ``−1.0`` (a real minus sign)."""
    written = _not_a_number(value)
    if written is not None:
        return written
    number = float(value)  # type: ignore[arg-type]
    sign = "+" if number > 0 else "−" if number < 0 else ""
    return f"{sign}{abs(number):.{decimals}f}"


def band(value: object) -> str:
    """Write a band as words, capitalised; no band becomes "Not compared"."""
    if is_missing(value) or value == "":
        return "Not compared"
    return str(value).capitalize()


def band_class(value: object) -> str:
    """Return the CSS modifier for a band tag (``much-better`` … ``too-few``)."""
    return BAND_CLASSES.get(str(value), "none")


def uk_time(moment: datetime) -> str:
    """Write a moment in UK local time: ``14:05 on 8 December 2026``."""
    local = moment.astimezone(ZoneInfo("Europe/London"))
    return f"{local:%H:%M} on {local.day} {local:%B %Y}"


FILTERS: dict[str, Callable[..., str]] = {
    "score": score,
    "percent": percent,
    "count": count,
    "signed": signed,
    "band": band,
    "band_class": band_class,
    "uk_time": uk_time,
}
