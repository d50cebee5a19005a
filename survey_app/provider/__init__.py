"""The provider portal at ``/provider/``: dashboard, pathway drill-down, charts and reports.

Every view starts with ``current_scope().require_provider(org_code)`` (404 outside the
user's scope) and hands the scope to ``survey_app.services.results``; the views only
translate between HTTP and that service.
"""

from __future__ import annotations

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from survey_app.reports.formatting import FILTERS

bp = Blueprint("provider", __name__, url_prefix="/provider")


@bp.record_once
def register_filters(state: BlueprintSetupState) -> None:
    """Give every template the results formatting filters (``score``, ``percent`` …)."""
    state.app.jinja_env.filters.update(FILTERS)


from survey_app.provider import (  # noqa: E402,F401  (registers the routes)
    comments,
    funnel,
    intake,
    views,
)
