"""Flask extensions, created unbound and bound to an app in :func:`init_app`.

Every constraint gets a deterministic name (``naming_convention``) so migrations can
alter or drop it on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from flask import Flask, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Typed declarative base shared by every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def rate_limit_key() -> str:
    """Key limits by survey token (hashed), not IP: a hospital shares one address behind NAT.

    Requests without a token fall back to the client address.
    """
    token = (request.view_args or {}).get("token")
    if token:
        return "token:" + hashlib.sha256(str(token).encode()).hexdigest()
    return "ip:" + get_remote_address()


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
csrf = CSRFProtect()
limiter = Limiter(rate_limit_key)
babel = Babel()


def set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Turn on foreign keys (off by default in SQLite) and WAL for concurrent readers."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def init_app(app: Flask) -> None:
    """Bind every extension to ``app``."""
    import survey_app.models  # noqa: F401  (registers every table for db and migrations)

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", set_sqlite_pragmas)
    # Batch mode lets Alembic alter SQLite tables; PostgreSQL ignores it.
    migrations = Path(app.root_path).parent / "migrations"
    migrate.init_app(app, db, directory=str(migrations), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app)
