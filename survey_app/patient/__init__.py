"""The patient's survey journey, reached from the link in an invitation: ``/s/<token>``.

Views stay thin: every rule (who may answer, resuming, one response per invitation) lives
in :mod:`survey_app.services.journey`. Rate limits are keyed by token, not IP address, so
one hospital or care home behind a shared address is never locked out. Links that match
nothing (404) are counted per address as well, and only they are refused once an address
has guessed too many: a real link always opens, whoever else shares the address.
"""

from __future__ import annotations

from flask import Blueprint, current_app
from flask_limiter.util import get_remote_address
from limits import parse
from werkzeug.wrappers import Response

from survey_app.extensions import limiter

# A person answers at most about one page a second; each page costs a GET and a POST, and a
# double tap or going back and forward doubles that: 4 requests a second at the most. The
# daily budget is many times a whole journey (about 2 requests per question).
DEFAULT_RATE_LIMIT = "240 per minute;2000 per day"
DEFAULT_UNKNOWN_LINK_LIMIT = "30 per minute"

bp = Blueprint("patient", __name__, url_prefix="/s")


def patient_rate_limit() -> str:
    """Return the per-token limit (``PATIENT_RATE_LIMIT`` setting, else the default)."""
    return str(current_app.config.get("PATIENT_RATE_LIMIT", DEFAULT_RATE_LIMIT))


def unknown_link_limit() -> str:
    """Return the per-address limit on links that match nothing (``UNKNOWN_LINK_RATE_LIMIT``).

    Per minute only: mobile networks put many phones behind one address, so a longer
    window would punish others on the address for one person's guessing.
    """
    return str(current_app.config.get("UNKNOWN_LINK_RATE_LIMIT", DEFAULT_UNKNOWN_LINK_LIMIT))


def may_guess_again() -> bool:
    """Count a link that matched nothing against the client's address; False once the
    address is over its limit (then only its unknown links are refused)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    return limiter.limiter.hit(parse(unknown_link_limit()), prefix, "unknown-link",
                               get_remote_address())


limiter.limit(patient_rate_limit)(bp)


@bp.after_request
def keep_answers_private(response: Response) -> Response:
    """Keep pages out of caches and search engines: they show a person's answers and carry
    their link, and phones and ward tablets are often shared."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response

from survey_app.patient import views  # noqa: E402, F401  (registers the routes on bp)
