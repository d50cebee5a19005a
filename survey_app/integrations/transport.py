"""How a prepared message leaves the platform: what a transport is given, what it answers,
and the embedded default, the outbox (nothing leaves; the words are kept, encrypted, for
administrators to read at ``/admin/outbox`` and ``flask messages outbox``).

A transport raises :class:`RetryLater` for a failure worth trying again (rate limited,
the service down), :class:`Refused` for one that never will succeed (an invalid number),
and :class:`TransportBroken` when it cannot send anything (a wrong key, no template id):
the run stops and nothing is counted against the messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from survey_app.services.message_templates import Rendered, Template


@dataclass(frozen=True)
class Outgoing:
    """A message ready to send. ``reference`` is ours and holds no personal data."""

    reference: str
    channel: str
    recipient: str
    template: Template
    personalisation: dict[str, str]
    rendered: Rendered


@dataclass(frozen=True)
class Accepted:
    """The transport took the message: its id there (if any) and the words as sent."""

    provider_reference: str | None
    text: str


class TransportError(Exception):
    """A message was not sent; ``reason`` says why without any personal data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:300]


class RetryLater(TransportError):
    """Try this message again later; ``stop`` ends the run (e.g. the rate limit is hit)."""

    def __init__(self, reason: str, *, stop: bool = False) -> None:
        super().__init__(reason)
        self.stop = stop


class Refused(TransportError):
    """The message can never be sent as it is (e.g. not a mobile number)."""


class TransportBroken(TransportError):
    """Nothing can be sent until someone fixes the configuration."""


class Outbox:
    """The embedded default: a message is "sent" by being kept in the outbox."""

    name = "outbox"
    per_minute: int | None = None

    def send(self, outgoing: Outgoing) -> Accepted:
        return Accepted(None, outgoing.rendered.text)

    def find(self, reference: str) -> str | None:
        """Nothing leaves the platform, so no message is ever half-sent elsewhere."""
        return None
