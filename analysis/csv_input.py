"""Reading the CSV files analysts supply: the one reader behind score, benchmark and funnel.

A file is checked for shape before pandas parses it, because pandas repairs bad shapes
silently: a row with one field more than the header turns the first column into the index
(scores shift one column, exit 0), a short row is padded with blanks, and a repeated header
``q1`` becomes ``q1.1``. Here every such file is refused with a ``UsageError`` naming the
file and the line or column, so nothing is computed from a misread table.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterator
from pathlib import Path

import pandas as pd

from analysis.cli import UsageError

ENCODING = "utf-8-sig"  # UTF-8, with or without the byte order mark Excel writes
_CHUNK = 1 << 20


def read_csv_table(path: str | Path, *, text_columns: Collection[str] = (),
                   categorical: Collection[str] = (), all_text: bool = False) -> pd.DataFrame:
    """Read a comma-separated UTF-8 file with a header line and at least one data row.

    Only empty cells are missing: words such as "NA" or "None" stay text, so an analyst's
    cell is either a value we recognise or an error. Columns named in ``text_columns`` (or
    every column, with ``all_text``) stay text, so "001" stays "001"; columns named in
    ``categorical`` are read as categories (answer columns hold a handful of distinct
    values, and the parser hashes them faster than Python can later). Names match in any
    letter case. Other columns get pandas' type inference.
    """
    path = Path(path)
    header = _checked_header(path)
    _refuse_ragged_lines(path, len(header))
    texts = {name.strip().casefold() for name in text_columns}
    categories = {name.strip().casefold() for name in categorical}
    dtypes = {}
    for name in header:
        key = name.strip().casefold()
        if key in categories:
            dtypes[name] = "category"
        elif all_text or key in texts:
            dtypes[name] = "str"
    try:
        frame = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""],
                            index_col=False, encoding=ENCODING)
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable CSV file: {exc}") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if frame.empty:
        raise UsageError(f"{path}: no data rows (only a header line)")
    return frame


def _checked_header(path: Path) -> list[str]:
    """Return the header's column names; refuse an unreadable file or an ambiguous header."""
    try:
        with path.open(encoding=ENCODING, newline="") as handle:
            header = next(csv.reader(handle), None)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, not a CSV file") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except csv.Error as exc:
        raise UsageError(f"{path}: line 1: not a readable CSV header ({exc})") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not header:
        raise UsageError(f"{path}: the file is empty (expected a header line)")
    if len(header) == 1 and ";" in header[0]:
        raise UsageError(f"{path}: line 1 looks like ';'-separated; "
                         "save as comma-separated CSV")
    seen: dict[str, str] = {}
    for number, name in enumerate(header, start=1):
        key = name.strip().casefold()
        if not key:
            raise UsageError(f"{path}: line 1: column {number} has no name "
                             "(a trailing comma?)")
        if key in seen:
            raise UsageError(f"{path}: line 1: column {name.strip()!r} appears twice "
                             f"(also as {seen[key]!r})")
        seen[key] = name.strip()
    return header


def _refuse_ragged_lines(path: Path, expected: int) -> None:
    """Refuse the first data line whose number of fields differs from the header's.

    Files without a double quote are checked a line at a time as bytes (a comma always
    separates fields there); only quoted files need the slower csv module, which knows
    that a quoted comma or line break is part of a field. Blank lines are skipped, as
    pandas skips them.
    """
    try:
        counts = _quoted_counts(path) if _has_quotes(path) else _plain_counts(path)
        for line, fields in counts:
            if fields != expected:
                raise UsageError(f"{path}: line {line} has {fields} fields but the header "
                                 f"has {expected}; every row needs one value (or an empty "
                                 "cell) per column")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except csv.Error as exc:
        raise UsageError(f"{path}: not a readable CSV file: {exc}") from None


def _has_quotes(path: Path) -> bool:
    with path.open("rb") as handle:
        return any(b'"' in chunk for chunk in iter(lambda: handle.read(_CHUNK), b""))


def _plain_counts(path: Path) -> Iterator[tuple[int, int]]:
    """(line number, field count) of each non-blank data line of an unquoted file."""
    with path.open("rb") as handle:
        next(handle, None)
        for number, line in enumerate(handle, start=2):
            if line.strip(b"\r\n"):
                yield number, line.count(b",") + 1


def _quoted_counts(path: Path) -> Iterator[tuple[int, int]]:
    """(first line number, field count) of each non-blank data row, quotes respected."""
    with path.open(encoding=ENCODING, newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        line = reader.line_num + 1
        for row in reader:
            if row:
                yield line, len(row)
            line = reader.line_num + 1
