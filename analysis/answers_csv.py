"""Answer tables as CSV files: reading every cell as text, writing without partial files."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from analysis.cli import UsageError


def read_answers_csv(path: Path, *, categorical: Collection[str] = ()) -> pd.DataFrame:
    """Read a CSV with every cell as text; only empty cells are missing.

    ``keep_default_na=False`` stops pandas turning words such as "NA" or "None" into
    missing values: an analyst's cell is either an answer we recognise or an error.
    Columns named in ``categorical`` (in any letter case) are read as categories: answer
    columns hold a handful of distinct values, and the parser hashes them faster than
    Python can later.
    """
    try:
        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
        wanted = {name.casefold() for name in categorical}
        dtypes = {c: "category" if str(c).strip().casefold() in wanted else "str"
                  for c in header}
        return pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""],
                           encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except pd.errors.EmptyDataError:
        raise UsageError(f"{path}: the file is empty (expected a header line)") from None
    except pd.errors.ParserError as exc:
        raise UsageError(f"{path}: not a readable CSV file: {exc}") from None


def write_csv_atomically(table: pd.DataFrame, path: Path, *, decimals: int = 4) -> None:
    """Write ``table`` to ``path`` so that readers see the whole file or none of it.

    The CSV goes to a temporary file in the same directory and is renamed into place; on
    any failure the temporary file is removed and an existing ``path`` is left untouched.
    Floats are rounded to ``decimals`` places (66.6667 rather than 16 digits, and pandas
    then formats them in C, which matters at a million rows).
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise UsageError(f"{path}: directory {path.parent} does not exist")
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
    os.close(descriptor)
    try:
        # pandas formats plain object columns about twice as fast as its "str" dtype.
        text = {c: object for c, dtype in table.dtypes.items() if dtype == "str"}
        table.round(decimals).astype(text).to_csv(temporary, index=False, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
