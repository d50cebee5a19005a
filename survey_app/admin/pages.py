"""The pattern every administrators' form page follows: show, save through a service,
and either go back to the list or show the service's complaint against its field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import redirect, render_template
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from survey_app.auth.forms import add_error
from survey_app.extensions import db
from survey_app.services.errors import FieldError


def form_page(
    form: FlaskForm,
    save: Callable[[], Any],
    *,
    title: str,
    back_url: str,
    button: str = "Save",
    template: str = "admin/form.html",
    **context: Any,
) -> str | Response:
    """Render ``form``; on a valid post call ``save()`` and return to ``back_url``."""
    if form.validate_on_submit():
        try:
            save()
        except FieldError as error:
            db.session.rollback()  # nothing half-changed survives a refusal
            fields = [field for field in form if field.name != "csrf_token"]
            add_error(form[error.field] if error.field in form else fields[0], error.message)
        else:
            return redirect(back_url)
    return render_template(
        template, form=form, title=title, back_url=back_url, button=button,
        has_error=bool(form.errors), **context,
    )
