"""Reading answers as analysts supply them: option codes, short codes or labels.

``normalise_answers`` turns a table of raw answers into option codes, and refuses the whole
table at the first problem (unknown item column, unknown answer, missing or repeated
``response_id``) with a message naming the line and column, so nothing half-checked is
ever scored. Lines are numbered as in a CSV file with a header: the first data row is
line 2.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.cli import UsageError
from instruments import Instrument
from instruments.schema import answer_key

RESPONSE_ID = "response_id"
FIRST_DATA_LINE = 2  # line 1 of a CSV file is its header


class AnswerError(UsageError, ValueError):
    """An answer table cannot be read; ``row`` is the CSV line number (header = line 1)."""

    def __init__(self, message: str, *, row: int, column: str | None,
                 value: object = None) -> None:
        super().__init__(message)
        self.row = row
        self.column = column
        self.value = value


def normalise_answers(raw: pd.DataFrame, instrument: Instrument, *,
                      source: str = "input") -> pd.DataFrame:
    """Return ``raw`` with each item column as option codes (str) or NA for not answered.

    A cell may be an option's code, short code or label in any letter case; empty means not
    answered. Item columns come back categorical (categories: the item's codes in option
    order); other columns are returned unchanged. Raises AnswerError on any problem.
    """
    table = _rename_item_headers(raw, instrument, source)
    _check_response_ids(table, source)
    normalised = table.copy(deep=False)  # copy-on-write: the caller's table is untouched
    first_problem: tuple[int, int, str, object, str] | None = None
    for position, item in enumerate(instrument.items):
        codes, problem = _normalise_column(table[item.id], instrument, item.id)
        normalised[item.id] = codes
        if problem is not None:
            row, value = problem
            candidate = (row, position, item.id, value, _expected(instrument, item.id))
            if first_problem is None or candidate[:2] < first_problem[:2]:
                first_problem = candidate
    if first_problem is not None:
        row, _, column, value, expected = first_problem
        line = row + FIRST_DATA_LINE
        raise AnswerError(
            f"{source}: line {line} ({RESPONSE_ID} {table[RESPONSE_ID].iloc[row]}), column "
            f"{column}: unknown answer {str(value)!r} (expected one of: {expected})",
            row=line, column=column, value=value,
        )
    return normalised


def _rename_item_headers(raw: pd.DataFrame, instrument: Instrument,
                         source: str) -> pd.DataFrame:
    """Match item columns whatever their case; refuse unknown or missing item columns."""
    wanted = {item.id.casefold(): item.id for item in instrument.items}
    item_like = _item_id_pattern(instrument)
    renames: dict[str, str] = {}
    for column in raw.columns:
        name = str(column).strip()
        folded = name.casefold()
        if folded in wanted:
            renames[column] = wanted[folded]
        elif item_like is not None and item_like.fullmatch(folded):
            raise AnswerError(
                f"{source}: line 1, column {name}: unknown item column for {instrument.key} "
                f"(items: {', '.join(wanted.values())})",
                row=1, column=name, value=name,
            )
    table = raw.rename(columns=renames)
    if table.columns.duplicated().any():
        repeated = table.columns[table.columns.duplicated()][0]
        raise AnswerError(f"{source}: line 1, column {repeated}: column appears twice",
                          row=1, column=str(repeated), value=repeated)
    missing = [item.id for item in instrument.items if item.id not in table.columns]
    if RESPONSE_ID not in table.columns:
        missing.insert(0, RESPONSE_ID)
    if missing:
        raise AnswerError(
            f"{source}: line 1: missing column(s) {', '.join(missing)} for {instrument.key}",
            row=1, column=missing[0],
        )
    return table


def _item_id_pattern(instrument: Instrument) -> re.Pattern[str] | None:
    """Columns shaped like this instrument's item ids (``q16`` for ``q1``–``q15``)."""
    prefixes = {m.group(1) for item in instrument.items
                if (m := re.fullmatch(r"([a-z_]+)[0-9]+", item.id))}
    if not prefixes:
        return None
    return re.compile(rf"({'|'.join(map(re.escape, sorted(prefixes)))})[0-9]+")


def _check_response_ids(table: pd.DataFrame, source: str) -> None:
    """Refuse empty or repeated ids (one hashing pass, then work on distinct ids only)."""
    positions, uniques = pd.factorize(table[RESPONSE_ID], use_na_sentinel=True)
    distinct = np.asarray(uniques, dtype=object)  # plain objects: fast to iterate
    blank_ids = [i for i, value in enumerate(distinct) if not str(value).strip()]
    blank = (positions < 0) | np.isin(positions, blank_ids)
    if blank.any():
        line = int(np.flatnonzero(blank)[0]) + FIRST_DATA_LINE
        raise AnswerError(f"{source}: line {line}, column {RESPONSE_ID}: empty response_id",
                          row=line, column=RESPONSE_ID)
    if len(uniques) == len(positions):
        return
    # factorize numbers ids in order of first appearance, so a row repeats an earlier id
    # exactly when its number is not above every number before it.
    before = np.maximum.accumulate(np.concatenate([[-1], positions[:-1]]))
    row = int(np.flatnonzero(positions <= before)[0])
    first = int(np.flatnonzero(positions == positions[row])[0])
    value = uniques[positions[row]]
    raise AnswerError(
        f"{source}: line {row + FIRST_DATA_LINE}, column {RESPONSE_ID}: duplicated "
        f"response_id {value!r} (first on line {first + FIRST_DATA_LINE})",
        row=row + FIRST_DATA_LINE, column=RESPONSE_ID, value=value,
    )


def _normalise_column(column: pd.Series, instrument: Instrument,
                      item_id: str) -> tuple[pd.Series, tuple[int, object] | None]:
    """Map a column's distinct spellings to codes (vectorised over rows via factorize).

    The result is categorical, its categories the item's option codes in option order, so
    scoring reads it by integer code without parsing a string per row.
    """
    lookup = _spellings(instrument, item_id)
    categories = [option.code for option in instrument.options_for(item_id)]
    positions, uniques = pd.factorize(column, use_na_sentinel=True)
    mapped: list[int] = []
    unknown: list[int] = []
    for index, value in enumerate(uniques):
        spelling = _as_text(value)
        code = None if spelling is None else lookup.get(answer_key(spelling))
        mapped.append(-1 if code is None else categories.index(code))
        if spelling is not None and code is None:
            unknown.append(index)
    table = np.array([*mapped, -1], dtype=np.int16)  # last entry: NA cells (sentinel -1)
    codes = pd.Series(pd.Categorical.from_codes(table[positions], categories=categories),
                      index=column.index, name=item_id)
    if not unknown:
        return codes, None
    row = int(np.flatnonzero(np.isin(positions, unknown))[0])
    return codes, (row, column.iloc[row])


def _as_text(value: object) -> str | None:
    """A cell as text, or None when it means 'not answered'."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 3.0 from a numeric column means code "3"
    text = str(value).strip()
    return text or None


def _spellings(instrument: Instrument, item_id: str) -> dict[str, str]:
    return {answer_key(spelling): option.code
            for option in instrument.options_for(item_id)
            for spelling in (option.code, option.short_code, option.label)}


def _expected(instrument: Instrument, item_id: str) -> str:
    return ", ".join(f"{o.code}/{o.short_code}/{o.label!r}"
                     for o in instrument.options_for(item_id))
