"""Bringing in discharges, for administrators: an upload whose rows may name any provider
(or one chosen provider's), the CSV template, every batch and its report.

    /admin/intake                   upload (form) and every batch, newest first
    /admin/intake/template.csv      the CSV template
    /admin/intake/<id>              one batch's report
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from survey_app.admin import bp
from survey_app.extensions import csrf
from survey_app.intake.pages import Area, batch_page, template_download, upload_page

AREA = "admin.intake"


@bp.route("/intake", methods=["GET", "POST"])
@csrf.exempt  # the form checks its CSRF token after the upload's own size limit is set
def intake() -> str | Response | tuple[str, int]:
    return upload_page(Area(AREA, None))


@bp.get("/intake/template.csv")
def intake_template() -> Response:
    return template_download(Area(AREA, None))


@bp.get("/intake/<int:batch_id>")
def intake_batch(batch_id: int) -> str:
    return batch_page(Area(AREA, None), batch_id)
