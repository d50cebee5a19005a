"""``INSERT … ON CONFLICT`` for the two databases the app supports (PostgreSQL, SQLite).

Both speak the same SQL for it; SQLAlchemy keeps the construct per dialect. An atomic
upsert keeps "one response per invitation, one answer per item" race-free without a
savepoint dance, which pysqlite handles badly.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from survey_app.extensions import db

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_for(table: Any) -> Any:
    """Return an INSERT with ``on_conflict_do_*`` methods for the session's database."""
    dialect = db.session.get_bind().dialect.name
    try:
        return _INSERTS[dialect](table)
    except KeyError:
        raise RuntimeError(
            f"database {dialect!r} is not supported: use PostgreSQL or SQLite"
        ) from None
