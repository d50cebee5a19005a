"""Formatting published cells: a suppressed or empty cell can never become a number."""

from __future__ import annotations

import math

import pytest

from survey_app.reports.formatting import FILTERS, band, count, percent, score, signed


@pytest.mark.parametrize("name", ["score", "percent", "count", "signed"])
def test_suppressed_and_empty_cells_are_never_written_as_numbers(name: str) -> None:
    write = FILTERS[name]
    assert write("*") == "*"
    assert write(None) == write(math.nan) == write("too few responses") == "–"


def test_numbers_are_written_for_people() -> None:
    assert score(71.44) == "71.4" and score(71.5, 0) == "72"
    assert percent(0.514) == "51%"
    assert count(1234) == "1,234"
    assert signed(-1.0) == "−1.0" and signed(3.25) == "+3.2" and signed(0) == "0.0"
    assert band("much better") == "Much better" and band(None) == "Not compared"
