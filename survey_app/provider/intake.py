"""Bringing in discharges, in the provider portal: a CSV upload of the organisation's own
discharges (rows naming another provider are rejected as "not your organisation"), the
template, the organisation's batches and their reports.

    /provider/<org>/intake                  upload (form) and the organisation's batches
    /provider/<org>/intake/template.csv     the CSV template, with the organisation's codes
    /provider/<org>/intake/<id>             one batch's report (404 for another's)
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from survey_app.auth import current_scope, staff_required
from survey_app.extensions import csrf
from survey_app.intake.pages import Area, batch_page, template_download, upload_page
from survey_app.provider import bp

PORTAL_ROLES = ("administrator", "provider")
AREA = "provider.intake"


def area(org_code: str) -> Area:
    org = current_scope().require_provider(org_code)
    return Area(AREA, org, {"org_code": org.code})


@bp.route("/<org_code>/intake", methods=["GET", "POST"])
@csrf.exempt  # the form checks its CSRF token after the scope and the upload's size limit
@staff_required(*PORTAL_ROLES)
def intake(org_code: str) -> str | Response | tuple[str, int]:
    return upload_page(area(org_code))


@bp.get("/<org_code>/intake/template.csv")
@staff_required(*PORTAL_ROLES)
def intake_template(org_code: str) -> Response:
    return template_download(area(org_code))


@bp.get("/<org_code>/intake/<int:batch_id>")
@staff_required(*PORTAL_ROLES)
def intake_batch(org_code: str, batch_id: int) -> str:
    return batch_page(area(org_code), batch_id)
