"""Logs that hold no patient's link and no personal data.

A survey link's token is the key to someone's answers, so it never reaches a log: every
path (the app's own messages, the development server's and gunicorn's access logs,
referrers) is written with ``/s/<token>`` in its place. The database engine is told to
hide statement parameters (``hide_parameters``, see :mod:`survey_app.config`), and a logged
database error names only its kind, SQLSTATE and constraint: PostgreSQL's own message and
detail echo values ("Key (email)=(…) already exists"), so they are never written.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

from flask import Flask, request
from sqlalchemy.exc import DBAPIError

# /s/<token>… (the patient journey) wherever it appears: a path, a request line, a URL.
SURVEY_TOKEN = re.compile(r"(/s/)[^/?#\s\"']+")
REDACTED = r"\1<token>"


def redact(text: str) -> str:
    """Return ``text`` with every survey-link token replaced by ``<token>``."""
    return SURVEY_TOKEN.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """Rewrite a record's message without tokens (the development server's access log
    passes the request line as an argument, so the formatted message is redacted)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def describe_database_error(error: DBAPIError) -> str:
    """Return what went wrong in a statement without any value it carried."""
    diag = getattr(error.orig, "diag", None)
    parts = [type(error.orig).__name__]
    for label, field in (("SQLSTATE", "sqlstate"), ("constraint", "constraint_name")):
        value = getattr(diag, field, None) if diag is not None else None
        if value:
            parts.append(f"{label} {value}")
    return f"{type(error).__name__} ({', '.join(parts)}) in: {error.statement}"


class HideDatabaseValues(logging.Filter):
    """Log a database error's traceback with :func:`describe_database_error` as its
    message, instead of the driver's text (which may quote a patient's words)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, DBAPIError) and record.exc_info:
            trace = "".join(traceback.format_tb(record.exc_info[2]))
            record.exc_text = f"Traceback (most recent call last):\n{trace}" + (
                describe_database_error(error))
        return True


class SurveyFlask(Flask):
    """Flask, logging an unhandled exception under the redacted path."""

    def log_exception(self, exc_info: Any) -> None:
        self.logger.error(
            "Exception on %s [%s]", redact(request.path), request.method, exc_info=exc_info
        )


def init_app(app: Flask) -> None:
    """Redact tokens (and database values) from the app's and the development server's
    log records."""
    for name, kinds in ((app.logger.name, (RedactTokens, HideDatabaseValues)),
                        ("werkzeug", (RedactTokens,))):
        logger = logging.getLogger(name)
        for kind in kinds:
            if not any(isinstance(f, kind) for f in logger.filters):
                logger.addFilter(kind())
