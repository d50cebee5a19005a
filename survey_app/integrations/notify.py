"""GOV.UK Notify through its Python client (``notifications-python-client``).

We send Notify a template id (``NOTIFY_TEMPLATE_IDS``, one per template in
``templates/messages/messages.yaml``), the personalisation and our own reference
(``message-<id>``, nothing personal); Notify renders the words. Its answers are sorted
into the transport errors: 429 (rate or daily limit) stops the run and retries later, 5xx
and network failures retry with back-off, 400 (e.g. not a mobile number) is permanent,
401/403 (a wrong key or clock) stops everything. Delivery receipts come to our callback
(:mod:`survey_app.notify`) or by polling :meth:`Notify.status`.
"""

from __future__ import annotations

import logging
from typing import Any

from notifications_python_client.errors import APIError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient

from survey_app.integrations.transport import (
    Accepted,
    Outgoing,
    Refused,
    RetryLater,
    TransportBroken,
    TransportError,
)
from survey_app.services.masking import mask_identifiers

CLIENT_LOGGER = "notifications_python_client"
TIMEOUT_SECONDS = 10


class MaskIdentifiers(logging.Filter):
    """The client logs failed requests with Notify's message; keep numbers and emails out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_identifiers(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


logging.getLogger(CLIENT_LOGGER).addFilter(MaskIdentifiers())


def describe(error: APIError) -> str:
    """Return "status Error: message" from Notify's error body, identifiers masked."""
    detail = error.message
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        detail = f"{detail[0].get('error', 'Error')}: {detail[0].get('message', '')}"
    return mask_identifiers(f"{error.status_code} {detail}")[:300]


def classify(error: APIError) -> TransportError:
    """Return the transport error a Notify failure means."""
    reason = describe(error)
    status = error.status_code
    if isinstance(error, InvalidResponse):
        return RetryLater(f"{status} GOV.UK Notify's answer was not JSON")
    if status == 429:
        return RetryLater(reason, stop=True)
    if status >= 500:
        return RetryLater(reason)
    if status in (401, 403):
        return TransportBroken(f"GOV.UK Notify refused the API key: {reason}")
    return Refused(reason)


class Notify:
    """Send through GOV.UK Notify. Not thread-safe (nor is the client): one per run."""

    name = "notify"

    def __init__(self, api_key: str, *, base_url: str, template_ids: dict[str, str],
                 per_minute: int = 3000) -> None:
        self.client = NotificationsAPIClient(api_key, base_url=base_url,
                                             timeout=TIMEOUT_SECONDS)
        self.template_ids = template_ids
        self.per_minute = per_minute

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, method)(*args, **kwargs)
        except APIError as error:
            raise classify(error) from None

    def send(self, outgoing: Outgoing) -> Accepted:
        """Send one SMS or email; return Notify's id and the words it sent."""
        template_id = self.template_ids.get(outgoing.template.name)
        if template_id is None:
            raise TransportBroken(f"NOTIFY_TEMPLATE_IDS has no id for the "
                                  f"{outgoing.template.name} template")
        common = {"template_id": template_id, "personalisation": outgoing.personalisation,
                  "reference": outgoing.reference}
        if outgoing.channel == "sms":
            answer = self._call("send_sms_notification", phone_number=outgoing.recipient,
                                **common)
        else:
            answer = self._call("send_email_notification", email_address=outgoing.recipient,
                                **common)
        content = answer.get("content") or {}
        body = content.get("body")
        text = (f"Subject: {content['subject']}\n\n{body}" if body and content.get("subject")
                else body) or outgoing.rendered.text
        return Accepted(str(answer["id"]), text)

    def find(self, reference: str) -> str | None:
        """Return the id of the notification sent with our ``reference``, if Notify has one
        (so a run that died after sending is never sent again)."""
        answer = self._call("get_all_notifications", reference=reference)
        found = answer.get("notifications") or []
        return str(found[0]["id"]) if found else None

    def status(self, notification_id: str) -> tuple[str, str | None]:
        """Return a notification's Notify status and when it was completed (if it was)."""
        answer = self._call("get_notification_by_id", notification_id)
        return str(answer.get("status")), answer.get("completed_at")
