"""Writing result tables as CSV: checked before any work, whole or not at all.

An output path is checked when the command starts (``output_target``), so a long run never
ends in "cannot write": it must be standard output (``-``), a regular file or a new name in
an existing directory, and never one of the command's inputs. Symbolic links are followed
and the real file is replaced, so the link survives. A character device such as
``/dev/null`` is written through, never replaced; directories, FIFOs, sockets and block
devices are refused. Files are written to a temporary name beside the target and renamed
into place only once every table of the run has been written (``write_tables``), so a
failure leaves every existing output untouched and no partial file behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.cli import UsageError

STDOUT = "-"


@dataclass(frozen=True)
class OutputTarget:
    """Where one table goes: standard output, a device written through, or a file."""

    shown: str  # the path as the user gave it, for messages
    path: Path | None = None  # None: standard output
    replace: bool = True  # False: a character device, written in place


def output_target(given: str | Path | None, *,
                  inputs: Sequence[str | Path | None] = ()) -> OutputTarget:
    """Check an output path now, before any computation; raise UsageError if unusable."""
    if given is None or str(given) == STDOUT:
        return OutputTarget(STDOUT)
    shown = str(given)
    try:
        real = Path(given).resolve()
        status = real.stat() if real.exists() else None
    except (OSError, RuntimeError) as exc:
        raise UsageError(f"{shown}: cannot use as output ({_reason(exc)})") from None
    if status is not None and not stat.S_ISREG(status.st_mode):
        if stat.S_ISCHR(status.st_mode):
            return OutputTarget(shown, real, replace=False)
        kind = "a directory" if stat.S_ISDIR(status.st_mode) else "not a regular file"
        raise UsageError(f"{shown}: is {kind}; give a file name to write the table to")
    for source in inputs:
        if source is not None and status is not None and _same_file(real, Path(source)):
            raise UsageError(f"{shown}: is the input file {source}; refusing to overwrite "
                             "it (choose another output name)")
    if not real.parent.is_dir():
        raise UsageError(f"{shown}: directory {real.parent} does not exist")
    if not os.access(real.parent, os.W_OK | os.X_OK):
        raise UsageError(f"{shown}: cannot write to directory {real.parent}")
    return OutputTarget(shown, real)


def distinct_targets(targets: Sequence[OutputTarget]) -> None:
    """Refuse two outputs of one run naming the same file or both standard output."""
    seen: dict[Path | str, str] = {}
    for target in targets:
        if not target.replace:
            continue  # a device such as /dev/null can take several tables
        key = target.path or STDOUT
        if key in seen:
            raise UsageError(f"{target.shown}: also given as output {seen[key]}; "
                             "each output needs its own file")
        seen[key] = target.shown


def write_tables(tables: Sequence[tuple[pd.DataFrame, OutputTarget]], *,
                 decimals: int) -> None:
    """Write every table; files appear (renamed into place) only when all were written.

    Floats are rounded to ``decimals`` places, including numbers in mixed published
    columns (numbers and "*").
    """
    staged: list[tuple[Path, OutputTarget]] = []
    try:
        for table, target in tables:
            text = _formatted(table, decimals)
            if target.path is None:
                text.to_csv(sys.stdout, index=False)
            elif not target.replace:
                with _writing(target), target.path.open("w", encoding="utf-8") as handle:
                    text.to_csv(handle, index=False)
            else:
                staged.append((_staged_copy(text, target), target))
        for temporary, target in staged:
            with _writing(target):
                os.replace(temporary, target.path)  # type: ignore[arg-type]
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


def write_csv_atomically(table: pd.DataFrame, path: str | Path, *, decimals: int = 4) -> None:
    """Write one table to ``path`` (checked as an output first), whole or not at all."""
    write_tables([(table, output_target(path))], decimals=decimals)


def _staged_copy(table: pd.DataFrame, target: OutputTarget) -> Path:
    """Write ``table`` to a new file beside the target, with the target's permissions.

    The file is created with mode 0666 less the umask (as any new file), or with the
    permissions of the file it will replace.
    """
    assert target.path is not None
    temporary = target.path.with_name(f".{target.path.name}.{secrets.token_hex(4)}.tmp")
    with _writing(target):
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
                table.to_csv(handle, index=False)
            if target.path.exists():
                os.chmod(temporary, stat.S_IMODE(target.path.stat().st_mode))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
    return temporary


@contextlib.contextmanager
def _writing(target: OutputTarget) -> Iterator[None]:
    """Turn any OSError while writing ``target`` into a UsageError naming it."""
    try:
        yield
    except OSError as exc:
        raise UsageError(f"{target.shown}: cannot write ({_reason(exc)})") from None


def _formatted(table: pd.DataFrame, decimals: int) -> pd.DataFrame:
    """Round floats; text columns as plain objects (pandas formats those twice as fast)."""
    table = table.round(decimals)
    for column in [c for c, dtype in table.dtypes.items() if pd.api.types.is_object_dtype(dtype)]:
        table[column] = table[column].map(
            lambda value: round(value, decimals) if isinstance(value, float) else value)
    return table.astype({c: object for c, dtype in table.dtypes.items() if dtype == "str"})


def _same_file(output: Path, source: Path) -> bool:
    try:
        return os.path.samefile(output, source)
    except OSError:
        return False


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc))
