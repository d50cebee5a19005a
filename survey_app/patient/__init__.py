"""The patient's survey journey, reached from the link in an invitation: ``/s/<token>``.

Views stay thin: every rule (who may answer, resuming, one response per invitation) lives
in :mod:`survey_app.services.journey`. Rate limits are keyed by token, not IP address, so
one hospital or care home behind a shared address is never locked out.
"""

from __future__ import annotations

from flask import Blueprint, current_app
from werkzeug.wrappers import Response

from survey_app.extensions import limiter

DEFAULT_RATE_LIMIT = "60 per minute;1000 per day"

bp = Blueprint("patient", __name__, url_prefix="/s")


def patient_rate_limit() -> str:
    """Return the per-token limit (``PATIENT_RATE_LIMIT`` setting, else a generous default)."""
    return str(current_app.config.get("PATIENT_RATE_LIMIT", DEFAULT_RATE_LIMIT))


limiter.limit(patient_rate_limit)(bp)


@bp.after_request
def keep_answers_private(response: Response) -> Response:
    """Keep pages out of caches and search engines: they show a person's answers and carry
    their link, and phones and ward tablets are often shared."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response

from survey_app.patient import views  # noqa: E402, F401  (registers the routes on bp)
