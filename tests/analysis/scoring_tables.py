"""Small builders for scoring tests: answer tables from rows of answers in item order."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis.scoring import normalise_answers
from instruments import Instrument


def raw_answers(instrument: Instrument, rows: Sequence[Sequence[str | None]],
                **carried: Sequence[str]) -> pd.DataFrame:
    """A raw answer table: response_id r1…rn, any carried columns, then one column per item.

    Each row lists one respondent's answers in item order (code, short code or label;
    None = not answered).
    """
    ids = [item.id for item in instrument.items]
    assert all(len(row) == len(ids) for row in rows), "one answer per item"
    table = {"response_id": [f"r{n}" for n in range(1, len(rows) + 1)], **carried}
    table.update({item_id: [row[i] for row in rows] for i, item_id in enumerate(ids)})
    return pd.DataFrame(table, dtype="str")


def answers(instrument: Instrument, rows: Sequence[Sequence[str | None]],
            **carried: Sequence[str]) -> pd.DataFrame:
    """The same table with answers normalised to option codes, ready to score."""
    return normalise_answers(raw_answers(instrument, rows, **carried), instrument)
