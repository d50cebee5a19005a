"""The patient's survey journey, reached from the link in an invitation: ``/s/<token>``.

Views stay thin: every rule (who may answer, resuming, one response per invitation) lives
in :mod:`survey_app.services.journey`. Rate limits are keyed by token, not IP address, so
one hospital or care home behind a shared address is never locked out. Only links that
match nothing (404) count against the address as well, so someone trying link after link
is slowed down for a minute at a time; patients opening real links never are counted.
"""

from __future__ import annotations

from flask import Blueprint, current_app
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response

from survey_app.extensions import limiter

DEFAULT_RATE_LIMIT = "60 per minute;1000 per day"
DEFAULT_UNKNOWN_LINK_LIMIT = "30 per minute"

bp = Blueprint("patient", __name__, url_prefix="/s")


def patient_rate_limit() -> str:
    """Return the per-token limit (``PATIENT_RATE_LIMIT`` setting, else a generous default)."""
    return str(current_app.config.get("PATIENT_RATE_LIMIT", DEFAULT_RATE_LIMIT))


def unknown_link_limit() -> str:
    """Return the per-address limit on links that match nothing (``UNKNOWN_LINK_RATE_LIMIT``).

    Per minute only: mobile networks put many phones behind one address, so a longer
    window would let one person's guessing lock others out for hours.
    """
    return str(current_app.config.get("UNKNOWN_LINK_RATE_LIMIT", DEFAULT_UNKNOWN_LINK_LIMIT))


def client_address() -> str:
    """Key the unknown-link limit by the client's address."""
    return "ip:" + get_remote_address()


def not_found(response: Response) -> bool:
    """Count only answers that the link matched nothing."""
    return response.status_code == 404


limiter.limit(patient_rate_limit)(bp)
limiter.limit(unknown_link_limit, key_func=client_address, deduct_when=not_found,
              scope="unknown links")(bp)


@bp.after_request
def keep_answers_private(response: Response) -> Response:
    """Keep pages out of caches and search engines: they show a person's answers and carry
    their link, and phones and ward tablets are often shared."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response

from survey_app.patient import views  # noqa: E402, F401  (registers the routes on bp)
