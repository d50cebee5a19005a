"""Results snapshots: the published benchmark tables, built by ``flask results build`` and
read by every page, worker and report.

A snapshot names the data version and methodology version it was built from, who built
it and when, and its status. Each of its tables is stored whole (``payload``: compact
JSON, zlib-compressed; see :mod:`survey_app.results.store`) under the filter it
was built for and the name the results bundle knows it by. At most one snapshot is
``building`` at a time: a partial unique index, so two builders cannot both start one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.extensions import db
from survey_app.models.checks import one_of
from survey_app.models.time import UTCDateTime, utcnow

SNAPSHOT_STATUSES = ("building", "complete", "failed")


class ResultsSnapshot(db.Model):
    """One build of every published results table."""

    __tablename__ = "results_snapshots"
    __table_args__ = (
        one_of("status", SNAPSHOT_STATUSES, name="status"),
        Index("uq_results_snapshots_building", "status", unique=True,
              sqlite_where=text("status = 'building'"),
              postgresql_where=text("status = 'building'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data_version: Mapped[str] = mapped_column(String(200))
    methodology_version: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="building")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    built_by: Mapped[str] = mapped_column(String(200))
    tables: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class SnapshotTable(db.Model):
    """One published table of a snapshot, for one filter ("" when unfiltered)."""

    __tablename__ = "results_snapshot_tables"

    snapshot_id: Mapped[int] = mapped_column(
        ForeignKey("results_snapshots.id", ondelete="CASCADE"), primary_key=True)
    filter: Mapped[str] = mapped_column(String(120), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    rows: Mapped[int] = mapped_column(Integer)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
