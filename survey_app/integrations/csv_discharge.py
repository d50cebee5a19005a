"""Discharges from a CSV file, read a row at a time (a 60 MB file never sits in memory).

    discharges = CsvDischarges(binary_file, "nov.csv")
    for raw in discharges: ...          # RawDischarge, location "row 12" as a spreadsheet shows
    discharges.sha256()                 # the file's digest, computed while reading

The columns are the standard field names (:data:`FIELDS`), in any order; optional ones may
be left out. The file must be UTF-8 (a byte order mark is fine) and comma-separated. A file
that cannot be read as that table — unknown, duplicated, unnamed or missing columns, a row
with too many or too few values, bytes that are not UTF-8, a quote never closed, no rows —
raises :class:`IntakeRefused` naming the file, row or line, and column, and
:func:`import_csv` then leaves nothing of it but the refused batch.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from typing import IO, Any

from survey_app.models import IntakeBatch
from survey_app.services import intake_validation
from survey_app.services.intake import IntakeRefused, import_discharges
from survey_app.services.intake_validation import FIELDS, REQUIRED, RawDischarge

MAX_LINE_BYTES = 64 * 1024  # a discharge row is well under 1 KB; a longer line is not one
BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
ZIP = b"PK\x03\x04"  # what an Excel workbook starts with
EXAMPLE = {
    "source_reference": "V000123", "nhs_number": "943 476 5919", "date_of_birth": "1950-04-01",
    "sex": "female", "provider_code": "RX1", "site_code": "RX101", "pathway_code": "stroke",
    "discharged_at": "2026-11-30T14:05", "admission_route": "emergency",
    "from_setting": "acute_ward", "to_setting": "home", "died": "no",
    "mobile_phone": "07700 900123", "email": "", "preferred_channel": "sms",
}


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of column ``index`` (0 → A, 26 → AA)."""
    letters, index = "", index + 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


class CsvDischarges:
    """The discharges of one CSV file (a binary stream), read and hashed as they go."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self.stream, self.name = stream, name
        self._hash = hashlib.sha256()
        self._line = 0  # physical lines read
        self._offset = 0  # bytes read

    def refused(self, message: str) -> IntakeRefused:
        return IntakeRefused(f"{self.name}: {message}")

    def sha256(self) -> str:
        """Return the SHA-256 of the whole file (reading whatever is left unread)."""
        for chunk in iter(lambda: self.stream.read(1 << 20), b""):
            self._hash.update(chunk)
        return self._hash.hexdigest()

    def lines(self) -> Iterator[str]:
        """Yield the file's lines as text, each checked for length and UTF-8."""
        while line := self.stream.readline(MAX_LINE_BYTES + 1):
            self._hash.update(line)
            self._line += 1
            start, self._offset = self._offset, self._offset + len(line)
            if len(line) > MAX_LINE_BYTES:
                raise self.refused(f"line {self._line} is longer than {MAX_LINE_BYTES:,} bytes "
                                   "(is it a CSV file, with a line break after each row?)")
            if self._line == 1:
                if line.startswith(UTF16_BOMS):
                    raise self.refused("the file is UTF-16 text; save it as CSV UTF-8 "
                                       "(comma delimited)")
                if line.startswith(ZIP):
                    raise self.refused("the file is a workbook (.xlsx), not CSV; save it as "
                                       "CSV UTF-8 (comma delimited)")
                if line.startswith(BOM):
                    line, start = line[len(BOM):], start + len(BOM)
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise self.refused(
                    f"line {self._line} is not UTF-8 text (byte {start + exc.start + 1:,} of "
                    f"the file is 0x{line[exc.start]:02X}); save it as CSV UTF-8"
                ) from None
            if text:
                yield text

    def __iter__(self) -> Iterator[RawDischarge]:
        rows = csv.reader(self.lines(), strict=True)
        number = found = 0  # the spreadsheet row last read (the header is row 1)
        try:
            header = next(rows, None)
            number = 1
            columns = self.checked_header(header)
            for number, values in enumerate(rows, start=2):  # noqa: B007  (read after)
                if not any(value.strip() for value in values):
                    continue  # a blank line, or a row of empty cells a spreadsheet left
                if len(values) != len(columns):
                    raise self.refused(
                        f"row {number} has {len(values)} values but the header has "
                        f"{len(columns)} columns; every row needs one value (or an empty "
                        "cell) for each column")
                found += 1
                yield RawDischarge(f"row {number}", dict(zip(columns, values, strict=True)))
        except csv.Error as exc:
            raise self.refused(f"row {number + 1}: {csv_problem(exc)}") from None
        if not found:
            raise self.refused("there are no discharges in it, only the header row")

    def checked_header(self, header: list[str] | None) -> list[str]:
        """Return the column names of the header row, or refuse the file saying why."""
        if header is None:
            raise self.refused("the file is empty (expected a header row naming the columns)")
        names = [name.strip() for name in header]
        if not any(names):
            raise self.refused("row 1 is empty; it must name the columns")
        if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
            kind = "semicolon" if ";" in names[0] else "tab"
            raise self.refused(f"row 1 looks {kind}-separated; save the file as CSV UTF-8 "
                               "(comma delimited)")
        seen: dict[str, int] = {}
        for index, name in enumerate(names):
            where = f"row 1, column {column_letter(index)}"
            if not name:
                raise self.refused(f"{where} has no name (a stray comma at the end of the "
                                   "header?)")
            if name in seen:
                raise self.refused(f"{where}: column {name!r} appears twice (also column "
                                   f"{column_letter(seen[name])})")
            seen[name] = index
        unknown = [f"{name!r} (column {column_letter(seen[name])}){suggestion(name)}"
                   for name in names if name not in FIELDS]
        if unknown:
            raise self.refused(f"row 1: unknown column{'s' * (len(unknown) > 1)} "
                               f"{', '.join(unknown)}; the columns are {', '.join(FIELDS)}")
        missing = [name for name in REQUIRED if name not in seen]
        if missing:
            raise self.refused(f"row 1: required column{'s' * (len(missing) > 1)} "
                               f"{', '.join(missing)} missing")
        return names


def suggestion(name: str) -> str:
    """Return ' — did you mean x?' when ``name`` is a field name in other letters."""
    wanted = name.lower().replace(" ", "_").replace("-", "_")
    return f" — did you mean {wanted}?" if wanted in FIELDS else ""


def csv_problem(exc: csv.Error) -> str:
    """Say what a csv.Error means for the person who saved the file."""
    text = str(exc)
    if "unexpected end of data" in text:
        return "a quoted value is never closed (a \" without its closing \")"
    if "expected after" in text:
        return "a closing quote must be followed by a comma or the end of the row"
    if "field larger than field limit" in text:
        return "a value is far too long (a quote never closed?)"
    if "new-line character" in text:
        return "a line break inside a value that is not in quotes"
    return f"not readable as CSV ({text})"


def import_csv(stream: IO[bytes], filename: str, **options: Any) -> IntakeBatch:
    """Import one CSV file as a batch; ``options`` go to :func:`import_discharges`
    (``actor``, ``provider``, ``progress``). The batch records the file's SHA-256."""
    discharges = CsvDischarges(stream, filename)
    return import_discharges("csv", discharges, sha256=discharges.sha256,
                             filename=filename[:255], **options)


def column_rules() -> list[tuple[str, str, str]]:
    """Return the field table of :mod:`~survey_app.services.intake_validation` (one source
    for the page, the docs and the rules): (columns, form, rule) rows."""
    rows = []
    for line in (intake_validation.__doc__ or "").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 3:
            rows.append((cells[0].replace("`", ""), cells[1], cells[2]))
    return rows


def template_csv(**example: str) -> bytes:
    """Return the CSV template: the columns and one example row (``example`` overrides)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    writer.writerow([{**EXAMPLE, **example}[name] for name in FIELDS])
    return out.getvalue().encode("utf-8")
