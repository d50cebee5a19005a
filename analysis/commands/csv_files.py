"""Reading and writing the CSV files of the benchmarking commands, with clear errors.

Every problem with an input file is raised as ``UsageError`` naming the file, the row (as
a data row number and the line in the file), the field and the offending value, so an
analyst can fix it without reading a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from analysis.answers_csv import write_csv_atomically
from analysis.cli import UsageError

DECIMALS = 6


def read_csv(path: str | Path, *, text_columns: Sequence[str] = ()) -> pd.DataFrame:
    """Read a CSV file; ``text_columns`` are kept as text (so "001" stays "001")."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: file not found")
    try:
        frame = pd.read_csv(path, dtype={column: "string" for column in text_columns})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read as CSV ({exc})") from exc
    if frame.empty:
        raise UsageError(f"{path}: no data rows")
    return frame


def require_columns(frame: pd.DataFrame, columns: Sequence[str], path: str | Path) -> None:
    """Raise UsageError listing the required columns missing from the file."""
    missing = [column for column in dict.fromkeys(columns) if column not in frame.columns]
    if missing:
        raise UsageError(
            f"{path}: missing column(s) {', '.join(missing)}; "
            f"the file has {', '.join(map(str, frame.columns))}"
        )


def where(path: str | Path, index: int, field: str, value: object) -> str:
    """Describe one cell for an error message: file, row, line, field and value."""
    return f"{path}: row {index + 1} (line {index + 2}), field {field!r}: value '{value}'"


def numeric_column(
    frame: pd.DataFrame, column: str, path: str | Path, *, allow_missing: bool = True
) -> pd.Series:
    """Return ``column`` as floats, or raise UsageError naming the first non-number."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    bad = values.isna() & raw.notna()
    if not allow_missing:
        bad |= raw.isna()
    if bad.any():
        index = int(bad.to_numpy().nonzero()[0][0])
        value = raw.iloc[index]
        shown = "" if pd.isna(value) else value
        raise UsageError(f"{where(path, index, column, shown)} is not a number")
    return values


def split_list(text: str | None) -> list[str]:
    """Split a comma-separated option into names, dropping blanks."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def write_csv(frame: pd.DataFrame, output: str | None) -> None:
    """Write ``frame`` to ``output`` or to standard output when it is None or '-'.

    Numbers keep 6 decimals. A file is written whole or not at all (the scoring command's
    atomic writer), so a failed run never leaves a half-written table behind.
    """
    frame = frame.round(DECIMALS)
    mixed = [c for c in frame.columns if pd.api.types.is_object_dtype(frame[c].dtype)]
    for column in mixed:
        # Published columns mix numbers with "*": round the numbers too.
        frame[column] = frame[column].map(
            lambda value: round(value, DECIMALS) if isinstance(value, float) else value
        )
    if output in (None, "-"):
        frame.to_csv(sys.stdout, index=False)
        return
    try:
        write_csv_atomically(frame, Path(output), decimals=DECIMALS)
    except OSError as exc:
        raise UsageError(f"{output}: cannot write ({exc.strerror})") from exc
