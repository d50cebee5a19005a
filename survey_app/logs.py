"""Logs that hold no patient's link and no personal data.

A survey link's token is the key to someone's answers, so it never reaches a log: every
path (the app's own messages, the development server's and gunicorn's access logs,
referrers) is written with ``/s/<token>`` in its place. The database engine is told to
hide statement parameters (``hide_parameters``, see :mod:`survey_app.config`), so a failed
insert never logs what a patient wrote or the email someone typed.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, request

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


class SurveyFlask(Flask):
    """Flask, logging an unhandled exception under the redacted path."""

    def log_exception(self, exc_info: Any) -> None:
        self.logger.error(
            "Exception on %s [%s]", redact(request.path), request.method, exc_info=exc_info
        )


def init_app(app: Flask) -> None:
    """Redact tokens from the app's and the development server's log records."""
    for name in (app.logger.name, "werkzeug"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
