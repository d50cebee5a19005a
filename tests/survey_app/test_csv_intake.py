"""CSV intake: the file fixtures (a good file; each malformed kind; wrong encodings) give a
clear report and leave nothing partial, on SQLite and PostgreSQL; a 50 MB file streams in
bounded memory; arbitrary bytes never raise anything but a refusal; ``flask intake csv``
and ``flask intake template``."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from event_data import provider_with_site
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from intake_data import intake_world, row
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.integrations.csv_discharge import (
    EXAMPLE,
    CsvDischarges,
    column_rules,
    import_csv,
    template_csv,
)
from survey_app.models import (
    ContactDetails,
    IntakeBatch,
    IntakeIssue,
    Invitation,
    Message,
    TransitionEvent,
)
from survey_app.services.intake import STORED_PROBLEMS, IntakeRefused, exclusion_counts
from survey_app.services.intake_validation import FIELDS, REQUIRED

FIXTURES = Path(__file__).parent / "fixtures" / "csv"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # the fixtures' discharges are the day before
STORED = (TransitionEvent, Invitation, ContactDetails, Message, IntakeIssue)


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def import_fixture(name: str) -> IntakeBatch:
    with (FIXTURES / name).open("rb") as handle:
        return import_csv(handle, name, now=NOW)


def csv_bytes(rows: list[dict[str, str]], columns: tuple[str, ...] = FIELDS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@pytest.mark.parametrize("name", ["discharges.csv", "discharges_excel.csv"])
def test_a_good_file_is_imported_row_by_row_with_its_report(any_app: Flask, name: str) -> None:
    with any_app.app_context():
        intake_world()
        batch = import_fixture(name)
        assert batch.status == "complete" and batch.filename == name
        assert batch.sha256 == hashlib.sha256((FIXTURES / name).read_bytes()).hexdigest()
        assert (batch.received, batch.accepted, batch.duplicates, batch.rejected,
                batch.excluded, batch.invited) == (8, 5, 1, 2, 3, 2)
        assert exclusion_counts(batch.id) == {"died": 1, "under_16": 1, "no_contact": 1}
        problems = {(i.location, i.field, i.value, i.problem) for i in batch.issues}
        assert problems == {
            ("row 5", "nhs_number", "•••••••918", "the NHS number fails the modulus 11 check"),
            ("row 9", "provider_code", "ZZ9", "unknown provider code"),
        }
        assert count(TransitionEvent) == 5 and count(Invitation) == 2


REFUSED = {
    "empty.csv": "empty.csv: the file is empty",
    "header_only.csv": "header_only.csv: there are no discharges in it, only the header row",
    "unknown_column.csv": "unknown_column.csv: row 1: unknown column 'Ward' (column F)",
    "missing_column.csv": "missing_column.csv: row 1: required column discharged_at missing",
    "duplicate_header.csv": "duplicate_header.csv: row 1, column F: column 'provider_code' "
                            "appears twice (also column B)",
    "unnamed_column.csv": "unnamed_column.csv: row 1, column F has no name",
    "ragged_row.csv": "ragged_row.csv: row 4 has 6 values but the header has 5 columns",
    "latin1.csv": "latin1.csv: line 4 is not UTF-8 text (byte 173 of the file is 0xE9); "
                  "save it as CSV UTF-8",
    "utf16.csv": "utf16.csv: the file is UTF-16 text; save it as CSV UTF-8",
    "semicolons.csv": "semicolons.csv: row 1 looks semicolon-separated; save the file as CSV "
                      "UTF-8 (comma delimited)",
    "unclosed_quote.csv": "unclosed_quote.csv: row 3: a quoted value is never closed",
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_malformed_file_is_refused_saying_where_and_leaves_nothing(
    any_app: Flask, name: str
) -> None:
    with any_app.app_context():
        intake_world()
        batch = import_fixture(name)
        assert batch.status == "refused"
        assert batch.refusal.startswith(REFUSED[name]), batch.refusal
        assert batch.sha256 == hashlib.sha256((FIXTURES / name).read_bytes()).hexdigest()
        assert [count(model) for model in STORED] == [0] * len(STORED)  # the good rows too
        assert db.session.scalars(select(IntakeBatch.status)).all() == ["refused"]


def test_the_encoding_error_names_the_byte_where_it_is() -> None:
    data = (FIXTURES / "latin1.csv").read_bytes()
    where = data.index(b"\xe9") + 1
    with pytest.raises(IntakeRefused, match=f"byte {where} of the file"):
        list(CsvDischarges(io.BytesIO(data), "latin1.csv"))


def test_a_workbook_saved_as_xlsx_is_refused_with_how_to_save_it(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(list(FIELDS))
    book.save(tmp_path / "discharges.xlsx")
    with (tmp_path / "discharges.xlsx").open("rb") as handle, pytest.raises(
            IntakeRefused, match=r"a workbook \(\.xlsx\), not CSV; save it as CSV UTF-8"):
        list(CsvDischarges(handle, "discharges.xlsx"))


@pytest.mark.parametrize(("header", "message"), [
    ("source_reference,Provider_Code,pathway_code,discharged_at",
     "unknown column 'Provider_Code' (column B) — did you mean provider_code?"),
    ("source_reference\tprovider_code\tpathway_code\tdischarged_at", "looks tab-separated"),
    ("\n\nsource_reference", "row 1 is empty; it must name the columns"),
])
def test_header_mistakes_are_named(header: str, message: str) -> None:
    with pytest.raises(IntakeRefused, match=re.escape(message)):
        list(CsvDischarges(io.BytesIO(header.encode() + b"\nV1,RX1,stroke,x\n"), "f.csv"))


def test_quoted_commas_and_line_breaks_stay_in_their_value_and_rows_count_as_a_spreadsheet(
) -> None:
    data = (b"source_reference,provider_code,pathway_code,discharged_at\n"
            b'"V1, ward 7",RX1,stroke,"2026-11-30\n14:05"\n\n,,,\nV2,RX1,stroke,x\n')
    rows = list(CsvDischarges(io.BytesIO(data), "f.csv"))
    assert [r.location for r in rows] == ["row 2", "row 5"]  # the blank rows still count
    assert rows[0].fields["source_reference"] == "V1, ward 7"
    assert rows[0].fields["discharged_at"] == "2026-11-30\n14:05"


def test_a_line_without_an_end_is_refused_before_it_fills_memory() -> None:
    data = b"source_reference,provider_code,pathway_code,discharged_at\n" + b"x" * 200_000
    with pytest.raises(IntakeRefused, match="line 2 is longer than 65,536 bytes"):
        list(CsvDischarges(io.BytesIO(data), "f.csv"))


def test_the_template_has_the_documented_columns_and_one_example_row() -> None:
    lines = list(csv.reader(io.StringIO(template_csv(provider_code="RQ1").decode("utf-8"))))
    assert lines[0] == list(FIELDS) and len(lines) == 2
    assert dict(zip(lines[0], lines[1], strict=True)) == {**EXAMPLE, "provider_code": "RQ1"}
    documented = {name.strip() for names, _, _ in column_rules() for name in names.split(",")}
    assert documented == set(FIELDS)


def test_operations_documents_every_column_and_the_upload_limit() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "operations.md").read_text()
    section = docs.split("### CSV", 1)[1].split("\n## ", 1)[0]
    for name in FIELDS:
        assert f"`{name}`" in section, name
    for name in REQUIRED:
        assert f"`{name}` (required)" in section, name
    assert "INTAKE_MAX_CONTENT_LENGTH" in docs and "flask intake csv" in section


MB = 1024 * 1024


def write_large_file(path: Path, size: int, first: int) -> int:
    """Write a CSV of ``size`` bytes or a little more: 2,000 good rows (each twice, the
    first numbered ``first``), then rejected rows; return the number of rows. The rejected
    rows are long (a 1,000-character source reference) so that the import, slowed ten-fold
    by tracemalloc, takes seconds."""
    columns = ("source_reference", "provider_code", "site_code", "pathway_code",
               "discharged_at", "mobile_phone")
    good = range(first, first + 2000)
    with path.open("wb") as out:
        out.write(csv_bytes([row(n, discharged_at=datetime(2026, 11, 30, 10, tzinfo=UTC))
                             for n in (*good, *good)], columns))
        rows = 4000
        bad = f"{'R' * 1000},RX1,RX101,stroke,2026-11-30T10:00,07700 900123\n".encode()
        while out.tell() < size:
            out.write(bad * 1000)
            rows += 1000
    return rows


def peak_import(path: Path) -> tuple[IntakeBatch, int, float]:
    """Import ``path``; return the batch, the peak memory traced and the seconds taken."""
    started = time.monotonic()
    tracemalloc.start()
    try:
        with path.open("rb") as handle:
            batch = import_csv(handle, path.name, now=NOW)
        return batch, tracemalloc.get_traced_memory()[1], time.monotonic() - started
    finally:
        tracemalloc.stop()


def test_a_50_mb_file_streams_in_bounded_memory(app: Flask, tmp_path: Path) -> None:
    small, large = tmp_path / "10mb.csv", tmp_path / "50mb.csv"
    write_large_file(small, 10 * MB, first=1)
    rows = write_large_file(large, 50 * MB, first=5000)
    with app.app_context():
        intake_world()
        _, small_peak, _ = peak_import(small)
        batch, peak, seconds = peak_import(large)
        assert seconds < 30
        assert (batch.status, batch.received, batch.accepted, batch.duplicates,
                batch.rejected) == ("complete", rows, 2000, 2000, rows - 4000)
        assert len(batch.issues) == STORED_PROBLEMS  # the report keeps the first 10,000
        # The same memory for five times the file, and a fraction of its size.
        assert peak < small_peak * 1.2 and peak < 50 * MB / 3, f"{peak / MB:.1f} MiB"
        with large.open("rb") as handle:
            assert batch.sha256 == hashlib.file_digest(handle, "sha256").hexdigest()


@given(st.binary(max_size=600))
@settings(max_examples=400, deadline=None)
def test_arbitrary_bytes_give_rows_or_a_refusal_never_an_error(data: bytes) -> None:
    try:
        for raw in CsvDischarges(io.BytesIO(data), "f.csv"):
            assert raw.location.startswith("row ") and set(raw.fields) <= set(FIELDS)
    except IntakeRefused as refusal:
        assert str(refusal).startswith("f.csv: ")


CELL = st.one_of(st.text(max_size=12), st.sampled_from(["RX1", "RX101", "stroke", "yes", "",
                                                        "2026-11-30T10:00", "07700 900123"]))


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """Nearly-right CSV files: real columns, cells of any text, now and then a byte flipped."""
    columns = draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=8, unique=True))
    columns = list(dict.fromkeys([*REQUIRED, *columns])) if draw(st.booleans()) else columns
    rows = draw(st.lists(st.lists(CELL, min_size=len(columns), max_size=len(columns)),
                         max_size=4))
    out = io.StringIO()
    csv.writer(out).writerows([columns, *rows])
    data = bytearray(out.getvalue().encode("utf-8"))
    if data and draw(st.booleans()):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@given(csv_files())
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_nearly_right_files_import_or_are_refused_never_an_error(app: Flask, data: bytes) -> None:
    with app.app_context():
        intake_world()
        batch = import_csv(io.BytesIO(data), "f.csv")
        assert batch.status in ("complete", "refused")
        if batch.status == "refused":
            assert batch.refusal.startswith("f.csv: ")
        db.session.rollback()


# flask intake csv / template


def write_rows(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_bytes(csv_bytes(rows))
    return path


def test_the_command_imports_a_file_and_sums_it_up(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        intake_world()
    path = write_rows(tmp_path / "nov.csv", [row(1), row(2, nhs_number="9434765918"),
                                             row(3, died="yes"), row(1)])
    result = app.test_cli_runner().invoke(args=["intake", "csv", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Batch 1: nov.csv (SHA-256 "
                               + hashlib.sha256(path.read_bytes()).hexdigest())
    counts = {line.split()[0]: line.split()[1] for line in lines[1:7]}
    assert counts == {"received": "4", "accepted": "2", "duplicates": "1", "rejected": "1",
                      "excluded": "1", "invited": "1"}
    assert "    Died: 1" in lines
    assert "  row 3, nhs_number (•••••••918): the NHS number fails the modulus 11 check" in lines
    assert lines[-1] == "See the batch report for all: /admin/intake/1"


def test_the_command_lists_the_first_problems_only(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        intake_world()
    path = write_rows(tmp_path / "bad.csv", [row(n, provider_code="ZZ9") for n in range(1, 30)])
    result = app.test_cli_runner().invoke(args=["intake", "csv", str(path), "--problems", "3"])
    assert result.exit_code == 0, result.output
    assert "Problems (the first 3 of 29):" in result.stdout
    assert result.stdout.count("unknown provider code") == 3


def test_a_provider_s_import_rejects_other_providers_rows(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        intake_world()
        provider_with_site("RX2")
        db.session.commit()
    path = write_rows(tmp_path / "mixed.csv", [row(1), row(2, provider_code="RX2",
                                                         site_code="RX201")])
    result = app.test_cli_runner().invoke(args=["intake", "csv", str(path), "--provider", "RX1"])
    assert result.exit_code == 0, result.output
    assert "row 3, provider_code (RX2): this provider is not your organisation" in result.stdout


def test_a_refused_file_exits_2_with_the_reason(app: Flask) -> None:
    with app.app_context():
        intake_world()
    result = app.test_cli_runner().invoke(
        args=["intake", "csv", str(FIXTURES / "ragged_row.csv")])
    assert result.exit_code == 2
    assert ("Refused (batch 1; nothing was imported): ragged_row.csv: row 4 has 6 values"
            in result.stderr)
    with app.app_context():
        assert count(TransitionEvent) == 0


@pytest.mark.parametrize("args", [["--provider", "ZZ9"], []])
def test_an_unknown_provider_or_a_missing_file_is_a_usage_error(app: Flask, args: list[str]
                                                                ) -> None:
    path = str(FIXTURES / ("discharges.csv" if args else "no-such-file.csv"))
    result = app.test_cli_runner().invoke(args=["intake", "csv", path, *args])
    assert result.exit_code == 2
    assert ("There is no provider with code ZZ9" if args else "does not exist") in result.stderr


def test_the_template_command_writes_the_template(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(args=["intake", "template", "-o",
                                                str(tmp_path / "t.csv")])
    assert result.exit_code == 0
    assert (tmp_path / "t.csv").read_bytes() == template_csv()
