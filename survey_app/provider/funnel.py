"""The response-rate funnel of one provider: discharges imported and excluded (by
reason), and per survey those invited, delivered, failed, reminded and responded, for one
quarter of discharge. Scoped like every portal page."""

from __future__ import annotations

from flask import render_template, request, url_for

from survey_app.auth import current_scope, staff_required
from survey_app.provider import bp
from survey_app.provider.filters import select_items
from survey_app.results.periods import UnknownPeriod, period_label
from survey_app.services.funnel import EXCLUSION_NAMES, Funnel, funnels, periods

PORTAL_ROLES = ("administrator", "provider")


@bp.get("/<org_code>/response-funnel")
@staff_required(*PORTAL_ROLES)
def response_funnel(org_code: str) -> tuple[str, int]:
    """The provider's funnel for the period asked for (default: the latest)."""
    org = current_scope().require_provider(org_code)
    known = periods([org.id])
    asked = (request.args.get("period") or "").strip()
    problems = []
    period = known[0] if known else None
    if asked:
        try:
            period = period_label(asked)
        except UnknownPeriod as error:
            problems.append(("period", str(error).capitalize()))
    funnel = (funnels(period, [org.id]).get(org.id) or Funnel(period)) if period else None
    return render_template(
        "provider/response_funnel.html", org=org, period=period, funnel=funnel,
        reasons=EXCLUSION_NAMES, problems=problems, has_error=bool(problems),
        choices={"period": select_items([(p, p) for p in known], period, None)},
        dashboard_url=url_for("provider.dashboard", org_code=org.code),
    ), 400 if problems else 200
