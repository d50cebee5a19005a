"""Checking the cells of the benchmarking commands' CSV files, with clear errors.

Every problem with an input file is raised as ``UsageError`` naming the file, the row (as
a data row number and the line in the file), the field and the offending value, so an
analyst can fix it without reading a traceback. Files are read by the platform's one CSV
reader (``analysis.csv_input``) and written by its one writer (``analysis.csv_output``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.cli import UsageError

DECIMALS = 6


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


def refuse_first(frame: pd.DataFrame, bad: pd.Series | np.ndarray, field: str,
                 path: str | Path, problem: str) -> None:
    """Raise UsageError naming the first row where ``bad`` holds, with the cell as written."""
    flags = np.asarray(bad, dtype=bool)
    if flags.any():
        index = int(flags.nonzero()[0][0])
        value = frame[field].iloc[index]
        raise UsageError(f"{where(path, index, field, '' if pd.isna(value) else value)} "
                         f"{problem}")


def numeric_column(
    frame: pd.DataFrame, column: str, path: str | Path, *, allow_missing: bool = True
) -> pd.Series:
    """Return ``column`` as finite floats, or raise UsageError naming the first bad cell.

    An empty cell is missing (when allowed); "inf" and "nan" are refused, as they would be
    published as if they were results.
    """
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").astype("float64")
    refuse_first(frame, values.isna() & raw.notna(), column, path, "is not a number")
    refuse_first(frame, ~np.isfinite(values) & values.notna(), column, path,
                 "is not a finite number")
    if not allow_missing:
        refuse_first(frame, raw.isna(), column, path, "is not a number")
    return values


def split_list(text: str | None, option: str = "option") -> list[str]:
    """Split a comma-separated option into names, dropping blanks; refuse a repeated name."""
    names = [part.strip() for part in (text or "").split(",") if part.strip()]
    repeated = [name for number, name in enumerate(names) if name in names[:number]]
    if repeated:
        raise UsageError(f"{option}: {repeated[0]!r} is given twice")
    return names
