"""The provider portal at ``/provider/``: dashboard, pathway drill-down, charts and reports.

Every view starts with ``current_scope().require_provider(org_code)`` (404 outside the
user's scope) and hands the scope to ``survey_app.results``; the views only
translate between HTTP and that service.
"""

from __future__ import annotations

from flask import Blueprint, g, render_template, request
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response

from survey_app.reports.formatting import FILTERS, uk_time
from survey_app.results.store import NotBuilt

bp = Blueprint("provider", __name__, url_prefix="/provider")


@bp.record_once
def register_filters(state: BlueprintSetupState) -> None:
    """Give every template the results formatting filters (``score``, ``percent`` …)."""
    state.app.jinja_env.filters.update(FILTERS)



@bp.after_request
def name_the_snapshot(response: Response) -> Response:
    """Say which stored snapshot a results page was read from (the same in every worker)."""
    if "results_snapshot" in g:
        response.headers["X-Results-Snapshot"] = str(g.results_snapshot.snapshot_id)
    return response


@bp.app_context_processor
def snapshot_built() -> dict[str, object]:
    """Give results pages the snapshot they show and when it was built."""
    return {"results_snapshot": g.get("results_snapshot")}


@bp.errorhandler(NotBuilt)
def not_built(error: NotBuilt) -> tuple[str, int]:
    """No snapshot yet: say so plainly (with the last build attempt) instead of computing."""
    from survey_app.auth import current_scope

    last = error.last
    code = (request.view_args or {}).get("org_code")  # the view already checked its scope
    org = current_scope().require_provider(code) if code else None
    return render_template("provider/not_built.html", last=last, org=org,
                           last_time=uk_time(last.finished_at or last.started_at)
                           if last is not None else None), 503


from survey_app.provider import (  # noqa: E402,F401  (registers the routes)
    comments,
    funnel,
    intake,
    views,
)
