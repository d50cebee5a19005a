"""Provider portal views: thin translations between HTTP and the results service.

Each view first checks the organisation against the signed-in user's scope (404 outside
it, exactly as for an unknown code) and passes the scope on, so no view can show another
provider's name or an unpublished number.
"""

from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from survey_app import results
from survey_app.auth import current_scope, current_staff, staff_required
from survey_app.extensions import db
from survey_app.provider import bp
from survey_app.provider.filters import (
    MODE_NAMES,
    filters_from,
    query,
    select_items,
    without_errors,
)
from survey_app.reports.charts import funnel_svg, trend_svg
from survey_app.reports.pdf import report_pdf
from survey_app.reports.tables import csv_bytes, xlsx_bytes
from survey_app.results.periods import UnknownPeriod, period_label
from survey_app.results.views import Funnel, TrendPoint
from survey_app.services import audit

PORTAL_ROLES = ("administrator", "provider")
DOWNLOADS = {
    "pdf": ("application/pdf", report_pdf),
    "csv": ("text/csv", csv_bytes),  # Werkzeug adds "; charset=utf-8" to text types
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_bytes),
}


@bp.get("/")
@staff_required(*PORTAL_ROLES)
def choose() -> str | BaseResponse:
    """List the organisations the user may open (straight to it when there is one)."""
    providers = current_scope().visible_providers()
    if len(providers) == 1:
        return redirect(url_for("provider.dashboard", org_code=providers[0].code))
    return render_template("provider/choose.html", providers=providers)


def _checked_filters(org_code: str) -> tuple[results.Filters, list[tuple[str, str]]]:
    """Return the query's filters with unknown values reset, and the problems found."""
    filters = filters_from(request.args)
    problems = results.check_filters(org_code, filters)
    return without_errors(filters, {field for field, _ in problems}), problems


@bp.get("/how-results-are-worked-out")
@staff_required(*PORTAL_ROLES)
def methodology() -> str:
    """How to read the numbers: scores, bands (and why they allow for the variation between
    providers), small numbers and trends, for staff; the full methodology is in the docs."""
    return render_template("provider/methodology.html", **results.reading_guide())


@bp.get("/<org_code>/")
@staff_required(*PORTAL_ROLES)
def dashboard(org_code: str) -> tuple[str, int]:
    """Headline scores by pathway for a period, with counts, rates, bands and trends."""
    org = current_scope().require_provider(org_code)
    filters, problems = _checked_filters(org.code)
    data = results.dashboard(current_scope(), org.code, filters)
    links = {
        row.pathway: url_for("provider.pathway", org_code=org.code, pathway_code=row.pathway,
                             **query(filters, period=data.period, pathway=None))
        for row in data.rows
    }
    page = render_template(
        "provider/dashboard.html",
        org=org,
        data=data,
        links=links,
        problems=problems,
        has_error=bool(problems),
        choices={
            "period": select_items([(p, p) for p in reversed(data.periods)], data.period, None),
            "pathway": select_items(data.pathways, filters.pathway, "All pathways"),
            "site": select_items(data.sites, filters.site, "All sites"),
            "mode": select_items([(m, MODE_NAMES[m]) for m in data.modes], filters.mode,
                                 "All ways of answering"),
        },
    )
    return page, 400 if problems else 200


@bp.get("/<org_code>/pathways/<pathway_code>")
@staff_required(*PORTAL_ROLES)
def pathway(org_code: str, pathway_code: str) -> tuple[str, int]:
    """One pathway: scores, funnel plot, trend, questions, equity and what matters most."""
    org = current_scope().require_provider(org_code)
    filters, problems = _checked_filters(org.code)
    result = results.pathway_results(current_scope(), org.code, pathway_code, filters)
    if result is None:
        abort(404)
    chart_query = query(filters, period=result.period, pathway=None)
    page = render_template(
        "provider/pathway.html",
        org=org,
        result=result,
        problems=problems,
        has_error=bool(problems),
        back_url=url_for("provider.dashboard", org_code=org.code,
                         **query(filters, pathway=None)),
        funnel_url=url_for("provider.funnel_chart", org_code=org.code,
                           pathway_code=pathway_code, **chart_query),
        trend_url=url_for("provider.trend_chart", org_code=org.code,
                          pathway_code=pathway_code, **chart_query),
    )
    return page, 400 if problems else 200


def _svg_response(svg: str) -> Response:
    """Return an SVG chart, never cached by shared caches."""
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


def _charts(org_code: str, pathway_code: str) -> tuple[Funnel, list[TrendPoint]]:
    """Return a pathway's chart data for the query's filters, or 404."""
    org = current_scope().require_provider(org_code)
    filters, _problems = _checked_filters(org.code)
    charts = results.pathway_charts(current_scope(), org.code, pathway_code, filters)
    if charts is None:
        abort(404)
    return charts


@bp.get("/<org_code>/pathways/<pathway_code>/funnel.svg")
@staff_required(*PORTAL_ROLES)
def funnel_chart(org_code: str, pathway_code: str) -> Response:
    """The pathway's funnel plot (the page shows the same data as a table)."""
    funnel, _trend = _charts(org_code, pathway_code)
    if not funnel.points:
        abort(404)  # no provider with enough responses: nothing to draw (the page says so)
    return _svg_response(funnel_svg(funnel, f"Funnel plot: {funnel.measure.label}"))


@bp.get("/<org_code>/pathways/<pathway_code>/trend.svg")
@staff_required(*PORTAL_ROLES)
def trend_chart(org_code: str, pathway_code: str) -> Response:
    """The pathway's XmR chart (the page shows the same data as a table)."""
    funnel, trend = _charts(org_code, pathway_code)
    return _svg_response(trend_svg(trend, "Trend over periods", funnel.measure.short))


@bp.get("/<org_code>/reports/<period>.<any(pdf, csv, xlsx):kind>")
@staff_required(*PORTAL_ROLES)
def report(org_code: str, period: str, kind: str) -> Response | tuple[str, int]:
    """The benchmark report of one period as PDF, or its tables as CSV or XLSX (audited);
    a period none of the provider's patients answered in has none (a page says why)."""
    org = current_scope().require_provider(org_code)
    try:
        content = results.provider_report(current_scope(), org.code, period)
    except UnknownPeriod:
        abort(404)
    except results.NoResponses:
        label = period_label(period)
        return render_template(
            "provider/no_report.html", org=org, period=label,
            dashboard_url=url_for("provider.dashboard", org_code=org.code, period=label),
        ), 404
    mimetype, render = DOWNLOADS[kind]
    body = render(content)
    audit.record("download", actor=current_staff(), object_type="report",
                 object_id=f"{org.code}/{content.period}.{kind}")
    db.session.commit()
    filename = f"{org.code}-benchmark-{content.period}.{kind}"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })
