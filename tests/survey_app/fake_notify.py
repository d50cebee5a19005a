"""A local HTTP server that follows GOV.UK Notify's documented API (v2), for testing the
Notify path with the real ``notifications-python-client`` over real HTTP on loopback.

    with FakeNotify(templates) as notify:       # templates: name → Template (ours)
        app.config.update(notify.settings())    # NOTIFY_API_KEY, NOTIFY_BASE_URL, ids

What it follows (docs.notifications.service.gov.uk, the client's DOCUMENTATION.md):

- every request carries ``Authorization: Bearer <JWT>``, HS256-signed with the API key's
  secret (its last 36 characters), ``iss`` the service id (the 36 before them) and ``iat``
  within 30 seconds of now; otherwise 403 ``AuthError``;
- ``POST /v2/notifications/sms`` (``phone_number``) and ``/v2/notifications/email``
  (``email_address``) with ``template_id``, ``personalisation`` and ``reference``: 201 with
  ``id``, ``reference``, ``content`` (the template filled in), ``uri`` and ``template``; 400
  ``BadRequestError`` for an unknown template or missing personalisation, 400
  ``ValidationError`` for a number it cannot send to;
- ``GET /v2/notifications/{id}`` (400 for an id that is not a UUID, 404 ``NoResultFound``)
  and ``GET /v2/notifications?reference=…``;
- errors as ``{"status_code": …, "errors": [{"error": …, "message": …}]}``.

Tests script failures (``fail_next``: 429 ``RateLimitError``, 500 ``Exception``), refuse
numbers (``refuse``), set statuses, and can hold the first requests at a barrier.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt

from survey_app.services.message_templates import PLACEHOLDER, Template

ERRORS = {
    400: "BadRequestError", 403: "AuthError", 404: "NoResultFound",
    429: "RateLimitError", 500: "Exception",
}
UUID = re.compile(r"^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$")


class FakeNotify:
    """GOV.UK Notify on 127.0.0.1, recording every notification it accepts."""

    def __init__(self, templates: list[Template]) -> None:
        self.service_id, self.secret = str(uuid.uuid4()), str(uuid.uuid4())
        self.api_key = f"test_key-{self.service_id}-{self.secret}"
        self.templates = {str(uuid.uuid4()): template for template in templates}
        self.notifications: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.refused: set[str] = set()
        self.failures: deque[tuple[int, str]] = deque()
        self.barrier: threading.Barrier | None = None
        self.held = 0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ---- what tests use ---------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def template_ids(self) -> dict[str, str]:
        return {template.name: template_id for template_id, template in self.templates.items()}

    def settings(self) -> dict[str, Any]:
        return {"NOTIFY_API_KEY": self.api_key, "NOTIFY_BASE_URL": self.base_url,
                "NOTIFY_TEMPLATE_IDS": self.template_ids()}

    def fail_next(self, status: int, message: str, times: int = 1) -> None:
        """Answer the next ``times`` sends with this error (e.g. 429, 500)."""
        self.failures.extend([(status, message)] * times)

    def refuse(self, recipient: str) -> None:
        """Answer sends to ``recipient`` with 400 (as for a number that is not a mobile)."""
        self.refused.add(recipient)

    def hold_first(self, count: int) -> None:
        """Hold the first ``count`` sends until all of them have arrived (overlap proof)."""
        self.barrier = threading.Barrier(count, timeout=30)

    def set_status(self, notification_id: str, status: str) -> None:
        self.notifications[notification_id]["status"] = status
        self.notifications[notification_id]["completed_at"] = "2026-06-01T10:15:30.000000Z"

    def references(self) -> list[str]:
        return [n["reference"] for n in self.notifications.values()]

    def __enter__(self) -> FakeNotify:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ---- the API ------------------------------------------------------------------------

    def authorised(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer":
            return False
        try:
            claims = jwt.decode(token, self.secret, algorithms=["HS256"],
                                options={"require": ["iss", "iat"], "verify_iat": False})
        except jwt.InvalidTokenError:
            return False
        return claims["iss"] == self.service_id and abs(time.time() - claims["iat"]) <= 30

    def send(self, kind: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        recipient = body.get("phone_number" if kind == "sms" else "email_address")
        template = self.templates.get(str(body.get("template_id")))
        if not recipient:
            return error(400, f"{'phone_number' if kind == 'sms' else 'email_address'} "
                              "is a required property", "ValidationError")
        if template is None or template.channel != kind:
            return error(400, "Template not found")
        values = body.get("personalisation") or {}
        missing = [name for name in template.placeholders if name not in values]
        if missing:
            return error(400, f"Missing personalisation: {', '.join(missing)}")
        with self.lock:
            if self.failures:
                status, message = self.failures.popleft()
                return error(status, message)
        if recipient in self.refused:
            return error(400, "phone_number Not a UK mobile number" if kind == "sms"
                         else "email_address Not a valid email address", "ValidationError")
        self.hold()
        fill = lambda text: PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)  # noqa: E731
        notification_id = str(uuid.uuid4())
        content: dict[str, Any] = {"body": fill(template.body)}
        if kind == "sms":
            content["from_number"] = "GOVUK"
        else:
            content |= {"subject": fill(template.subject or ""),
                        "from_email": "survey@notifications.service.gov.uk"}
        with self.lock:
            self.notifications[notification_id] = {
                "id": notification_id, "reference": body.get("reference"), "type": kind,
                "status": "sending", "to": recipient, "template_id": body["template_id"],
                "personalisation": values, "body": content["body"],
                "subject": content.get("subject"),
                "created_at": "2026-06-01T10:00:00.000000Z", "completed_at": None}
        uri = f"{self.base_url}/v2/notifications/{notification_id}"
        return 201, {"id": notification_id, "reference": body.get("reference"),
                     "content": content, "uri": uri,
                     "template": {"id": body["template_id"], "version": 1,
                                  "uri": f"{self.base_url}/v2/template/{body['template_id']}"}}

    def hold(self) -> None:
        with self.lock:
            wait = self.barrier is not None and self.held < self.barrier.parties
            self.held += 1
        if wait and self.barrier is not None:
            self.barrier.wait()

    def get(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if path == "/v2/notifications":
            wanted = (query.get("reference") or [None])[0]
            found = [self.public(n) for n in self.notifications.values()
                     if wanted is None or n["reference"] == wanted]
            return 200, {"notifications": found,
                         "links": {"current": f"{self.base_url}/v2/notifications"}}
        notification_id = path.removeprefix("/v2/notifications/")
        if not UUID.match(notification_id):
            return error(400, "id is not a valid UUID", "ValidationError")
        if notification_id not in self.notifications:
            return error(404, "No result found")
        return 200, self.public(self.notifications[notification_id])

    def public(self, notification: dict[str, Any]) -> dict[str, Any]:
        answer = {key: notification[key] for key in (
            "id", "reference", "type", "status", "body", "subject", "created_at",
            "completed_at")}
        key = "phone_number" if notification["type"] == "sms" else "email_address"
        return answer | {key: notification["to"],
                         "template": {"id": notification["template_id"], "version": 1}}

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # one reply is headers then body: no 40 ms stall

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return None  # the server's own access log would print recipients' URLs

            def reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                fake.requests.append(("GET", url.path))
                if not fake.authorised(self.headers.get("Authorization", "")):
                    return self.reply(*error(403, "Invalid token: signature, api token not "
                                                  "found"))
                self.reply(*fake.get(url.path, parse_qs(url.query)))

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                fake.requests.append(("POST", self.path))
                if not fake.authorised(self.headers.get("Authorization", "")):
                    return self.reply(*error(403, "Invalid token: signature, api token not "
                                                  "found"))
                kind = {"/v2/notifications/sms": "sms",
                        "/v2/notifications/email": "email"}.get(self.path)
                if kind is None:
                    return self.reply(*error(404, "Not found"))
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self.reply(*error(400, "Invalid JSON supplied in POST data"))
                self.reply(*fake.send(kind, body))

        return Handler


def error(status: int, message: str, kind: str | None = None) -> tuple[int, dict[str, Any]]:
    """Return Notify's error body for ``status``."""
    return status, {"status_code": status,
                    "errors": [{"error": kind or ERRORS.get(status, "Exception"),
                                "message": message}]}
