"""Administrators' pages at ``/admin/``: organisations and sites, pathways, surveys, users,
intake and the audit log. Every route is for administrators only (checked once, for the whole
blueprint); the rules live in the services each view calls.
"""

from __future__ import annotations

from flask import Blueprint

from survey_app.auth import staff_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@staff_required("administrator")
def require_administrator() -> None:
    """Send anyone else to sign in (anonymous) or a 403 page (other roles)."""
    return None


from survey_app.admin import (  # noqa: E402, F401  (registers the routes on bp)
    comments,
    intake,
    messages,
    organisations,
    pathways,
    surveys,
    users,
)
