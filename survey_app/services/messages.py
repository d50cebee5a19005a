"""Sending what is due, exactly once: ``flask messages send-due``, safe every minute.

    report = send_due()          # or send_due(now=…, transport=…) in tests and benchmarks

A run claims due messages in small batches — one UPDATE turns them from ``scheduled`` to
``sending`` with the run's claim id — and only the holder of a claim sends or marks a
message, so two runs at once never send one twice. On PostgreSQL the batch is chosen with
``FOR UPDATE SKIP LOCKED`` (a second run takes the next messages instead of waiting); on
SQLite the UPDATE holds the database's write lock and re-checks ``status = 'scheduled'``.

Before sending, each message is checked again: nothing goes to an invitation that is
completed, declined or expired, to a person who opted out, or once contact details are
deleted (it is cancelled, saying why). Messages go only in UK sending hours. The words are
rendered from the survey's template with the link token kept (encrypted) with the contact
details, and stored encrypted. GOV.UK Notify's limit (3,000 a minute per key) is kept by
counting what was sent in the last minute before each claim; 429 and 5xx are retried with
back-off (``BACKOFF_MINUTES``, at most ``MESSAGE_MAX_ATTEMPTS`` tries), 400 is final. A run
that died holding claims is recovered after ``STALE_AFTER`` (with Notify, by asking it for
our reference first, so a message it already took is never sent again).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_date
from cryptography.fernet import InvalidToken
from flask import current_app
from sqlalchemy import and_, case, func, or_, select, text, update
from sqlalchemy.engine import Row

from survey_app.extensions import db
from survey_app.integrations.transport import (
    Accepted,
    Outbox,
    Outgoing,
    Refused,
    RetryLater,
    TransportBroken,
)
from survey_app.models import (
    ContactDetails,
    Invitation,
    Message,
    OptOut,
    Organisation,
    Survey,
    TransitionEvent,
    utcnow,
)
from survey_app.models.invitation import CLOSED_STATUSES
from survey_app.services.message_templates import (
    TemplateError,
    personalisation,
    render,
    template_for,
)
from survey_app.services.protection import decrypt, encrypt
from survey_app.services.schedule import within_sending_hours

CLAIM_BATCH = 100
STALE_AFTER = timedelta(minutes=15)
BACKOFF_MINUTES = (1, 5, 15, 60, 180)
RUN_SECONDS = 50  # a run started every minute stops claiming before the next one starts
STOP_AFTER_RETRIES = 3  # consecutive retryable failures: the service is down, stop the run

_messages = Message.__table__
_invitations = Invitation.__table__


@dataclass
class SendReport:
    """What one run did."""

    sent: int = 0
    cancelled: int = 0
    failed: int = 0
    retrying: int = 0
    recovered: int = 0
    stopped: str | None = None  # why the run ended before everything due was sent
    broken: bool = False  # the transport cannot send at all (configuration)


def configured_transport() -> Any:
    """Return GOV.UK Notify when ``NOTIFY_API_KEY`` is set, else the outbox."""
    config = current_app.config
    if not config.get("NOTIFY_API_KEY"):
        return Outbox()
    from survey_app.integrations.notify import Notify

    return Notify(config["NOTIFY_API_KEY"], base_url=config["NOTIFY_BASE_URL"],
                  template_ids=config.get("NOTIFY_TEMPLATE_IDS") or {},
                  per_minute=int(config.get("NOTIFY_RATE_PER_MINUTE", 3000)))


def message_reference(message_id: int) -> str:
    """Return our reference for a message at the transport: its id, nothing personal."""
    return f"message-{message_id}"


def on_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def budget(transport: Any, now: datetime) -> int:
    """Return how many messages the next claim may take under the transport's limit."""
    if transport.per_minute is None:
        return CLAIM_BATCH
    used = db.session.scalar(select(func.count()).select_from(_messages).where(or_(
        and_(_messages.c.sent_via == transport.name,
             _messages.c.sent_at > now - timedelta(minutes=1)),
        _messages.c.status == "sending")))
    return max(0, min(CLAIM_BATCH, transport.per_minute - int(used or 0)))


def claim(claim_id: str, now: datetime, transport: Any, most: int) -> list[int]:
    """Claim up to ``most`` due messages for this run; return their ids (committed)."""
    if transport.per_minute is not None and on_postgres():
        # Runs count the last minute's sends one at a time, so two cannot both spend it.
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('messages-claim'))"))
    size = min(most, budget(transport, now))
    if size <= 0:
        db.session.commit()
        return []
    due = (select(_messages.c.id)
           .where(_messages.c.status == "scheduled", _messages.c.due_at <= now,
                  or_(_messages.c.next_attempt_at.is_(None),
                      _messages.c.next_attempt_at <= now))
           .order_by(_messages.c.due_at, _messages.c.id).limit(size))
    if on_postgres():
        due = due.with_for_update(skip_locked=True)
    ids = db.session.scalars(
        update(_messages)
        .where(_messages.c.id.in_(due), _messages.c.status == "scheduled")
        .values(status="sending", claim_id=claim_id, claimed_at=now)
        .returning(_messages.c.id)).all()
    db.session.commit()
    return sorted(ids)


def release(claim_id: str) -> None:
    """Give back what a stopping run still holds, untouched (committed)."""
    db.session.execute(
        update(_messages).where(_messages.c.claim_id == claim_id,
                                _messages.c.status == "sending")
        .values(status="scheduled", claim_id=None, claimed_at=None))
    db.session.commit()


def claimed_rows(claim_id: str) -> list[Row]:
    """Return the claimed messages with what sending needs; on PostgreSQL their
    invitations are locked, so a submit or decline waits for the batch (invitations are
    locked before messages by every writer, so they queue instead of deadlocking)."""
    opted_out = select(OptOut.patient_key).where(
        OptOut.patient_key == TransitionEvent.patient_key).exists()
    query = (
        select(_messages.c.id, _messages.c.kind, _messages.c.channel, _messages.c.attempts,
               _messages.c.invitation_id, Invitation.status.label("invitation_status"),
               Invitation.expires_at, Survey.slug, Organisation.name.label("organisation"),
               ContactDetails.phone, ContactDetails.email, ContactDetails.link_token,
               opted_out.label("opted_out"))
        .join(Invitation, Invitation.id == _messages.c.invitation_id)
        .join(Survey, Survey.id == Invitation.survey_id)
        .join(TransitionEvent, TransitionEvent.id == Invitation.event_id)
        .join(Organisation, Organisation.id == TransitionEvent.provider_id)
        .outerjoin(ContactDetails, ContactDetails.invitation_id == Invitation.id)
        .where(_messages.c.claim_id == claim_id, _messages.c.status == "sending")
        .order_by(_messages.c.due_at, _messages.c.id))
    if on_postgres():
        query = query.with_for_update(of=Invitation)
    return list(db.session.execute(query))


def unwanted(row: Row, now: datetime) -> str | None:
    """Say why a claimed message must not go (None: send it)."""
    if row.invitation_status in CLOSED_STATUSES:
        return f"invitation {row.invitation_status}"
    if row.expires_at <= now:
        return "invitation expired"
    if row.opted_out:
        return "opted out"
    if row.link_token is None:
        return "contact details deleted"
    if (row.phone if row.channel == "sms" else row.email) is None:
        return f"no {row.channel} contact"
    return None


def last_day(expires_at: datetime) -> str:
    """Return the last whole day the link works, as the start page counts it."""
    return format_date((expires_at - timedelta(days=1)).date(), "d MMMM", locale="en_GB")


def prepare(row: Row, base_url: str) -> Outgoing:
    """Render a claimed message from its survey's template and its encrypted link."""
    template = template_for(row.slug, row.channel, row.kind)
    link = f"{base_url}/s/{decrypt(row.link_token)}"
    values = {"organisation": row.organisation, "survey_link": link,
              "decline_link": f"{link}/decline", "last_day": last_day(row.expires_at)}
    recipient = decrypt(row.phone if row.channel == "sms" else row.email)
    return Outgoing(reference=message_reference(row.id), channel=row.channel,
                    recipient=recipient, template=template,
                    personalisation=personalisation(template, values),
                    rendered=render(template, values))


def _finish(row: Row, claim_id: str, *, only_while_sending: bool = True,
            **values: Any) -> bool:
    """Write a claimed message's outcome (the claim is let go); say whether it was."""
    conditions = [_messages.c.id == row.id, _messages.c.claim_id == claim_id]
    if only_while_sending:
        conditions.append(_messages.c.status == "sending")
    done = db.session.execute(update(_messages).where(*conditions)
                              .values(claim_id=None, **values))
    return bool(done.rowcount)


def first_message_sent(row: Row, now: datetime) -> None:
    """An invitation whose first message went out is "sent" (the exports count it)."""
    if row.kind == "invitation":
        db.session.execute(update(_invitations).where(
            _invitations.c.id == row.invitation_id, _invitations.c.status == "pending")
            .values(status="sent", sent_at=now))


def mark_sent(row: Row, claim_id: str, now: datetime, accepted: Accepted, via: str) -> bool:
    """Record a message as sent; say whether it was (the outbox: only if still wanted)."""
    values: dict[str, Any] = {
        "sent_at": now, "sent_via": via, "body": encrypt(accepted.text),
        "attempts": row.attempts + 1, "last_error": None,
        "provider_reference": accepted.provider_reference}
    if via == "outbox":  # this run holds the invitation's lock (claimed_rows)
        sent = _finish(row, claim_id, status="sent", **values)
        if sent:
            first_message_sent(row, now)
        return sent
    # It has left: record it even if cancelled meanwhile, and keep a receipt that came
    # first. Invitation before message, the order every writer keeps (no deadlocks).
    first_message_sent(row, now)
    keep = _messages.c.status.in_(("delivered", "failed"))
    values["provider_reference"] = func.coalesce(_messages.c.provider_reference,
                                                 accepted.provider_reference)
    return _finish(row, claim_id, only_while_sending=False,
                   status=case((keep, _messages.c.status), else_="sent"), **values)


def retry_later(row: Row, claim_id: str, now: datetime, reason: str, *,
                counts: bool = True) -> str:
    """Put a message back for a later try (or give up after the most attempts)."""
    attempts = row.attempts + (1 if counts else 0)
    most = int(current_app.config.get("MESSAGE_MAX_ATTEMPTS", 6))
    if attempts >= most:
        _finish(row, claim_id, status="failed", attempts=attempts, next_attempt_at=None,
                last_error=f"gave up after {attempts} attempts: {reason}"[:300])
        return "failed"
    wait = BACKOFF_MINUTES[min(max(attempts, 1), len(BACKOFF_MINUTES)) - 1]
    _finish(row, claim_id, status="scheduled", attempts=attempts, claimed_at=None,
            next_attempt_at=within_sending_hours(now + timedelta(minutes=wait)),
            last_error=reason)
    return "retrying"


def deliver(claim_id: str, now: datetime, transport: Any, report: SendReport) -> str | None:
    """Send one claimed batch; return why the run must stop, if it must."""
    external = transport.name != "outbox"
    base_url = current_app.config["SURVEY_BASE_URL"]
    wanted = []
    for row in claimed_rows(claim_id):
        reason = unwanted(row, now)
        if reason is None:
            wanted.append(row)
        elif _finish(row, claim_id, status="cancelled", last_error=reason):
            report.cancelled += 1
    if external:
        db.session.commit()  # no locks are held while Notify is called
    retries = 0
    for row in wanted:
        try:
            accepted = transport.send(prepare(row, base_url))
        except RetryLater as error:
            outcome = retry_later(row, claim_id, now, error.reason, counts=not error.stop)
            setattr(report, outcome, getattr(report, outcome) + 1)
            retries += 1
            if error.stop or retries >= STOP_AFTER_RETRIES:
                db.session.commit()
                return error.reason
        except (Refused, TemplateError) as error:
            _finish(row, claim_id, status="failed", attempts=row.attempts + 1,
                    last_error=str(error)[:300])
            report.failed += 1
        except TransportBroken as error:
            db.session.commit()
            report.broken = True
            return error.reason
        except InvalidToken:
            db.session.commit()
            report.broken = True
            return "CONTACT_ENCRYPTION_KEY cannot decrypt the contact details (wrong key?)"
        else:
            retries = 0
            if mark_sent(row, claim_id, now, accepted, transport.name):
                report.sent += 1
            else:  # the outbox only: cancelled while this run held it
                report.cancelled += 1
        if external:
            db.session.commit()
    db.session.commit()
    return None


def recover_stale(now: datetime, transport: Any) -> int:
    """Take back messages a run claimed more than ``STALE_AFTER`` ago and never finished:
    sent if the transport has our reference, else scheduled again. Return how many."""
    stale = db.session.execute(
        select(_messages.c.id, _messages.c.claim_id, _messages.c.claimed_at)
        .where(_messages.c.status == "sending", _messages.c.claimed_at < now - STALE_AFTER)
    ).all()
    recovered = 0
    for message_id, old_claim, claimed_at in stale:
        found = transport.find(message_reference(message_id))
        values: dict[str, Any] = (
            {"status": "sent", "sent_at": claimed_at, "sent_via": transport.name,
             "provider_reference": found} if found else
            {"status": "scheduled", "claimed_at": None})
        done = db.session.execute(update(_messages).where(
            _messages.c.id == message_id, _messages.c.claim_id == old_claim,
            _messages.c.status == "sending").values(claim_id=None, **values))
        recovered += done.rowcount
        db.session.commit()
    return recovered


def send_due(now: datetime | None = None, *, transport: Any = None, limit: int | None = None,
             run_seconds: float = RUN_SECONDS) -> SendReport:
    """Send every message that is due (at most ``limit``); return what happened.

    ``now`` fixes the clock (tests walk a survey through time with it); otherwise each
    batch reads the time afresh.
    """
    clock = (lambda: now) if now is not None else utcnow
    transport = transport or configured_transport()
    report = SendReport()
    if within_sending_hours(clock()) != clock():
        report.stopped = "outside UK sending hours (09:00 to 20:00)"
        return report
    report.recovered = recover_stale(clock(), transport)
    started = time.monotonic()
    while True:
        done = report.sent + report.cancelled + report.failed + report.retrying
        most = CLAIM_BATCH if limit is None else min(CLAIM_BATCH, limit - done)
        if most <= 0:
            break
        claim_id = uuid.uuid4().hex
        ids = claim(claim_id, clock(), transport, most)
        if not ids:
            if transport.per_minute is not None and budget(transport, clock()) == 0:
                report.stopped = f"sent {transport.per_minute} in the last minute (the limit)"
            break
        stop = deliver(claim_id, clock(), transport, report)
        if stop:
            release(claim_id)
            report.stopped = stop
            break
        if time.monotonic() - started > run_seconds:
            report.stopped = f"ran for {run_seconds:.0f} s; the next run carries on"
            break
    return report
