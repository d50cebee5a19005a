"""Callbacks from services outside the platform, at ``/callbacks/…``: GOV.UK Notify's
delivery receipts (``POST /callbacks/notify``).

Notify sends ``Authorization: Bearer <the token set in Notify>``, which must equal
``NOTIFY_CALLBACK_TOKEN``, and a JSON body (``id``, ``reference``, ``to``, ``status``,
``created_at``, ``completed_at``, ``sent_at``, ``notification_type``). No session and no
CSRF token (no browser is involved; the bearer token is the proof); answers are JSON.
The body holds the recipient (``to``): it is never logged or stored.
"""

from __future__ import annotations

import hmac
import re

from flask import Blueprint, current_app, jsonify, request
from werkzeug.wrappers import Response

from survey_app.extensions import csrf
from survey_app.services.message_status import RECEIPT_STATUSES, record_receipt

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")
csrf.exempt(bp)

NOTIFICATION_ID = re.compile(r"^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$")


def answer(status: int, result: str, message: str | None = None) -> Response:
    body = {"result": result} | ({"message": message} if message else {})
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="callbacks"'
    return response


def authorised() -> bool:
    """Say whether the request carries the configured callback token (in constant time)."""
    expected = current_app.config.get("NOTIFY_CALLBACK_TOKEN")
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode("utf-8"), str(expected).encode("utf-8"))


@bp.post("/notify")
def notify_receipt() -> Response:
    """Record a delivery receipt: the message becomes delivered or failed."""
    if not authorised():
        return answer(401, "error", "a valid callback bearer token is required")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return answer(400, "error", "the body must be a JSON object")
    notification_id, status = body.get("id"), body.get("status")
    if not isinstance(notification_id, str) or not NOTIFICATION_ID.match(notification_id):
        return answer(400, "error", "id must be Notify's notification id (a UUID)")
    if status not in RECEIPT_STATUSES:
        return answer(400, "error", f"status must be one of {', '.join(RECEIPT_STATUSES)}")
    if not record_receipt(notification_id, status, completed_at=body.get("completed_at"),
                          reference=body.get("reference")):
        return answer(404, "error", "no message was sent with this id")
    return answer(200, "success")
