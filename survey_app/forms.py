"""The base of every form: Flask-WTF (a CSRF token on each post) plus the text rule."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm

from survey_app.services.text import text_problem


class Form(FlaskForm):
    """A form whose typed values must be plain text (see :mod:`survey_app.services.text`).

    Checked for every field after its own validators, so a NUL byte or an ANSI escape never
    reaches a service, the database or a log line.
    """

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            problem = text_problem(field.data) if isinstance(field.data, str) else None
            if problem and not field.errors:
                field.errors = [problem]
                valid = False
        return valid
