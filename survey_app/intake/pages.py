"""The intake pages staff use, behind the administrators' routes (``/admin/intake``) and
the provider portal's (``/provider/<org>/intake``): upload a CSV file, download its
template, list the batches, read a batch's report.

Each route starts from the user's scope and passes an :class:`Area`: where its pages live
and the organisation it is limited to (None: an administrator's upload, whose rows may
name any provider). An upload has intake's size limit (``INTAKE_MAX_CONTENT_LENGTH``), set
before the form is parsed; Werkzeug spools the file to disk beyond 500 KB, and the importer
reads it a row at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response
from wtforms import SelectField

from survey_app.auth import current_scope, current_staff
from survey_app.forms import Form
from survey_app.integrations.csv_discharge import column_rules, import_csv, template_csv
from survey_app.models import Organisation
from survey_app.services import intake_reports
from survey_app.services.intake_validation import REQUIRED
from survey_app.services.text import text_problem


class UploadForm(Form):
    """A CSV file of discharges."""

    file = FileField("Upload a CSV file", validators=[FileRequired("Select a CSV file")])


class AdminUploadForm(UploadForm):
    """An administrator's upload: for one provider, or each row's own."""

    provider = SelectField("Whose discharges are these?", choices=[], default="")


@dataclass(frozen=True)
class Area:
    """Where the intake pages live (``admin.intake`` or ``provider.intake``) and whose
    batches they show and take (None: every provider's)."""

    endpoint: str
    provider: Organisation | None
    args: dict[str, Any] = field(default_factory=dict)

    def url(self, view: str = "", **more: Any) -> str:
        """Return the address of one of the pages ("", "template", "batch")."""
        return url_for(self.endpoint + (f"_{view}" if view else ""), **self.args, **more)


def upload_name(name: str | None) -> str:
    """Return the uploaded file's own name (no folders, no control characters)."""
    name = re.split(r"[\\/]", name or "")[-1].strip()[:255]
    return name if name and not text_problem(name) else "upload.csv"


def size_words(size: int) -> str:
    """Say a size as a file manager does: 60 MB, 500 KB (1,024-based)."""
    return f"{size / 2**20:.0f} MB" if size >= 2**20 else f"{max(size // 2**10, 1)} KB"


def upload_page(area: Area) -> str | Response | tuple[str, int]:
    """Show the upload form and the batches; on a good post import the file and show its
    batch report, on a refused one say why against the file field."""
    limit = int(current_app.config["INTAKE_MAX_CONTENT_LENGTH"])
    request.max_content_length = limit
    form_class = AdminUploadForm if area.provider is None else UploadForm
    status = 200
    try:
        form = form_class()
    except RequestEntityTooLarge:
        form, status = form_class(formdata=None), 413
        form.file.errors = [f"The file must be {size_words(limit)} or smaller; a larger "
                            "file can be brought in on the command line (flask intake csv)"]
    if isinstance(form, AdminUploadForm):
        form.provider.choices = [("", "Each row's provider (its provider_code)")] + [
            (org.code, f"{org.name} ({org.code})") for org in current_scope().visible_providers()]
    if status == 200 and form.validate_on_submit():
        provider = area.provider
        if isinstance(form, AdminUploadForm) and form.provider.data:
            provider = current_scope().require_provider(form.provider.data)
        upload = form.file.data
        batch = import_csv(upload.stream, upload_name(upload.filename), actor=current_staff(),
                           provider=provider)
        if batch.status == "complete":
            return redirect(area.url("batch", batch_id=batch.id))
        form.file.errors = [f"The file was not imported: {batch.refusal}"]
    if form.errors and status == 200:
        status = 400
    page = render_template(
        "intake/upload.html", form=form, area=area, limit=size_words(limit),
        has_error=bool(form.errors),
        batches=intake_reports.batches(area.provider, request.args.get("page", 1, type=int)),
        sources=intake_reports.SOURCE_NAMES, sender=intake_reports.sender,
        page_url=lambda number: area.url(page=number), columns=column_rules(),
        required=REQUIRED)
    return page, status


def batch_page(area: Area, batch_id: int) -> str:
    """Show one batch: who sent what and when, its counts, exclusions by reason, and every
    problem found (a page at a time)."""
    try:
        batch = intake_reports.batch(batch_id, area.provider)
    except intake_reports.BatchNotFound:
        abort(404)
    return render_template(
        "intake/batch.html", batch=batch, area=area, back_url=area.url(),
        issues=intake_reports.issues(batch, request.args.get("page", 1, type=int)),
        exclusions=intake_reports.exclusions(batch), sender=intake_reports.sender(batch),
        source=intake_reports.SOURCE_NAMES[batch.source],
        page_url=lambda number: area.url("batch", batch_id=batch.id, page=number))


def template_download(area: Area) -> Response:
    """The CSV template: the documented columns and one example row."""
    body = template_csv(**intake_reports.template_example(area.provider))
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="discharges-template.csv"'})
