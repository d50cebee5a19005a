"""Reading a million rows: in bounded chunks, and numbers straight into numpy.

``stream`` yields a query's rows a chunk at a time (a server-side cursor on PostgreSQL).
``read_floats`` returns a query of numbers as one float array; on PostgreSQL it reads
them with ``COPY … (FORMAT binary)``: every value is made a ``float8`` (NULL as NaN) so
each row has the same width, and the bytes become an array with one ``np.frombuffer`` per
chunk — no Python object per value, and every number exactly as stored (binary IEEE
doubles, nothing printed and parsed back). Elsewhere (SQLite) it reads the rows through
``stream``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION

from survey_app.extensions import db

CHUNK = 50_000  # rows fetched at a time when reading every submitted response
COPY_BYTES = 16 << 20  # bytes of COPY output turned into an array at a time
SIGNATURE = b"PGCOPY\n\xff\r\n\x00"  # the binary COPY header's first 11 bytes
TRAILER = b"\xff\xff"  # the field count -1 that ends binary COPY data


class CopyFormatError(RuntimeError):
    """COPY output that is not the fixed-width float8 rows asked for."""


def stream(statement: Select[Any], chunk: int = CHUNK) -> Iterator[Sequence[Any]]:
    """Yield a query's rows ``chunk`` at a time, on a server-side cursor where the
    database has one (PostgreSQL), so a million rows are never in memory at once. Core
    rows, not the ORM's: the ORM's per-row bookkeeping would double the reading time."""
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    if postgres:  # plan for every row, not the first tenth (DECLARE's default): hash joins
        connection.exec_driver_sql("SET LOCAL cursor_tuple_fraction = 1")
    result = connection.execute(statement.execution_options(yield_per=chunk))
    if postgres:  # the cursor is planned; later statements plan as they would have
        connection.exec_driver_sql("SET LOCAL cursor_tuple_fraction = DEFAULT")
    yield from result.partitions()


def read_floats(statement: Select[Any], chunk: int = CHUNK) -> np.ndarray:
    """Return every row of a query whose columns are numbers (ids below 2**53 included)
    as a rows × columns float64 array, NULL as NaN."""
    width = len(statement.selected_columns)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        parts = list(_copied_floats(statement, width))
    else:
        parts = [np.array([tuple(row) for row in rows], dtype=float).reshape(-1, width)
                 for rows in stream(statement, chunk)]
    return np.concatenate(parts) if parts else np.empty((0, width))


def _copied_floats(statement: Select[Any], width: int) -> Iterator[np.ndarray]:
    """Yield the rows of ``statement`` read with binary COPY, as float arrays."""
    inner = statement.subquery()
    nan = literal_column("'NaN'::float8")
    floats = select(*(func.coalesce(column.cast(DOUBLE_PRECISION), nan) for column in inner.c))
    connection = db.session.connection()
    compiled = floats.compile(dialect=connection.dialect)
    # Each row: int16 field count, then per field int32 length (8) and a big-endian double.
    row = np.dtype([("fields", ">i2"), *((f"f{i}", [("length", ">i4"), ("value", ">f8")])
                                         for i in range(width))])
    cursor = connection.connection.dbapi_connection.cursor()  # the session's transaction
    pending, header = bytearray(), True
    with cursor.copy(f"COPY ({compiled}) TO STDOUT (FORMAT binary)", compiled.params) as copy:
        for block in copy:
            pending += block
            if header:
                if len(pending) < 19:
                    continue
                pending, header = _without_header(pending), False
            if len(pending) >= COPY_BYTES:
                whole = len(pending) // row.itemsize * row.itemsize
                yield _values(bytes(pending[:whole]), row, width)
                del pending[:whole]
    if header or not pending.endswith(TRAILER):
        raise CopyFormatError("binary COPY output ended without its trailer")
    yield _values(bytes(pending[:-len(TRAILER)]), row, width)


def _without_header(data: bytearray) -> bytearray:
    """Return binary COPY data after its header (signature, flags, extension area)."""
    if not data.startswith(SIGNATURE):
        raise CopyFormatError("binary COPY output without the PGCOPY signature")
    (extension,) = struct.unpack(">i", data[15:19])
    return data[19 + extension:]


def _values(data: bytes, row: np.dtype, width: int) -> np.ndarray:
    """Return whole fixed-width float8 rows as a rows × width array."""
    if len(data) % row.itemsize:
        raise CopyFormatError("binary COPY rows are not all float8 of the same width")
    rows = np.frombuffer(data, dtype=row)
    if len(rows) and ((rows["fields"] != width).any() or any(
            (rows[f"f{i}"]["length"] != 8).any() for i in range(width))):
        raise CopyFormatError("binary COPY rows are not all non-null float8")
    values = np.empty((len(rows), width))
    for i in range(width):
        values[:, i] = rows[f"f{i}"]["value"]
    return values
