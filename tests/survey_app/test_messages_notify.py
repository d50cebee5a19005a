"""The GOV.UK Notify path, with the real ``notifications-python-client`` talking HTTP to a
local server that follows Notify's documented API (``fake_notify.py``): JWT auth, template
ids with personalisation, 429 and 5xx retried with back-off, 400 final, the rate limit,
receipts by polling, recovery by reference, and two runs at once on PostgreSQL."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import jwt
import pytest
from fake_notify import FakeNotify
from flask import Flask
from message_data import due, invite, statuses
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Message
from survey_app.services.message_status import poll_status
from survey_app.services.message_templates import all_templates
from survey_app.services.messages import claim, configured_transport, send_due
from survey_app.services.protection import decrypt


@pytest.fixture
def notify(app: Flask) -> Iterator[FakeNotify]:
    with FakeNotify(all_templates()) as server:
        app.config.update(server.settings())
        yield server


def messages(kind: str = "invitation") -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.kind == kind)
                                   .order_by(Message.id)))


def test_the_client_signs_each_request_with_a_jwt_the_server_verifies(
    app: Flask, notify: FakeNotify
) -> None:
    from notifications_python_client.authentication import create_jwt_token

    token = create_jwt_token(notify.secret, notify.service_id)
    assert notify.authorised(f"Bearer {token}")
    assert not notify.authorised(f"Bearer {create_jwt_token('x' * 36, notify.service_id)}")
    assert not notify.authorised("Bearer " + jwt.encode(
        {"iss": notify.service_id, "iat": 0}, notify.secret, algorithm="HS256"))  # too old


def test_sms_and_email_go_through_notify_with_template_ids_and_personalisation(
    app: Flask, notify: FakeNotify
) -> None:
    with app.app_context():
        invite(2)
        invite(1, first=3, channel="email")
        report = send_due(now=due("invitation"))
        assert (report.sent, report.failed) == (3, 0)
        sent = {n["reference"]: n for n in notify.notifications.values()}
        ids = notify.template_ids()
        for message in messages():
            notification = sent[f"message-{message.id}"]
            assert message.provider_reference == notification["id"]
            assert (message.status, message.sent_via) == ("sent", "notify")
            assert decrypt(message.body).endswith(notification["body"])  # Notify's words
            name = f"{message.channel}_invitation"
            assert notification["template_id"] == ids[name]
            assert set(notification["personalisation"]) == {"organisation", "survey_link",
                                                           "decline_link", "last_day"} & set(
                next(t for t in all_templates() if t.name == name).placeholders)
        assert sorted(n["to"] for n in sent.values()) == [
            "+447700900001", "+447700900002", "person3@example.org"]
        email = next(n for n in sent.values() if n["type"] == "email")
        assert email["subject"] == "Test Provider RX1: how did leaving hospital go for you?"


def test_a_wrong_key_stops_the_run_and_counts_against_nothing(
    app: Flask, notify: FakeNotify
) -> None:
    app.config["NOTIFY_API_KEY"] = notify.api_key[:-36] + "0" * 8 + notify.api_key[-28:]
    with app.app_context():
        invite(2)
        report = send_due(now=due("invitation"))
        assert report.broken and "refused the API key: 403 AuthError" in report.stopped
        assert [(m.status, m.attempts, m.claim_id) for m in messages()] == [
            ("scheduled", 0, None)] * 2
    assert notify.notifications == {}


def test_a_missing_template_id_stops_the_run(app: Flask, notify: FakeNotify) -> None:
    app.config["NOTIFY_TEMPLATE_IDS"] = {}
    with app.app_context():
        invite(1)
        report = send_due(now=due("invitation"))
        assert report.broken and "no id for the sms_invitation template" in report.stopped
        assert statuses("invitation") == {"scheduled": 1}


def test_429_stops_the_run_and_5xx_is_retried_with_back_off(
    app: Flask, notify: FakeNotify
) -> None:
    with app.app_context():
        invite(3)
        now = due("invitation")
        notify.fail_next(500, "Internal server error")
        notify.fail_next(429, "Exceeded rate limit for key type LIVE of 3000 requests per "
                              "60 seconds")
        report = send_due(now=now)
        assert (report.sent, report.retrying) == (0, 2)
        assert "429 RateLimitError" in report.stopped
        first, second, third = messages()
        assert (first.status, first.attempts, first.last_error) == (
            "scheduled", 1, "500 Exception: Internal server error")
        assert first.next_attempt_at == now + timedelta(minutes=1)
        assert (second.status, second.attempts) == ("scheduled", 0)  # a 429 is not its fault
        assert (third.status, third.claim_id) == ("scheduled", None)  # given back untouched
        assert send_due(now=now).sent == 1  # the others wait for their next attempt
        assert send_due(now=now + timedelta(minutes=1)).sent == 2
        assert statuses("invitation") == {"sent": 3}
    assert Counter(notify.references()).most_common(1)[0][1] == 1


def test_5xx_is_given_up_after_the_most_attempts(app: Flask, notify: FakeNotify) -> None:
    app.config["MESSAGE_MAX_ATTEMPTS"] = 3
    with app.app_context():
        invite(1)
        now = due("invitation")
        notify.fail_next(503, "Service unavailable", times=3)
        waits = []
        for _ in range(3):
            send_due(now=now)
            message = messages()[0]
            if message.next_attempt_at:
                waits.append(message.next_attempt_at - now)
                now = message.next_attempt_at
        assert waits == [timedelta(minutes=1), timedelta(minutes=5)]
        assert (message.status, message.attempts) == ("failed", 3)
        assert message.last_error == "gave up after 3 attempts: 503 Exception: Service unavailable"


def test_a_number_notify_cannot_send_to_fails_and_is_never_retried(
    app: Flask, notify: FakeNotify
) -> None:
    notify.refuse("+447700900001")
    with app.app_context():
        invite(2)
        report = send_due(now=due("invitation"))
        assert (report.sent, report.failed) == (1, 1)
        refused = messages()[0]
        assert (refused.status, refused.sent_at, refused.last_error) == (
            "failed", None, "400 ValidationError: phone_number Not a UK mobile number")
        posts = len(notify.requests)
        assert send_due(now=due("invitation") + timedelta(hours=1)).sent == 0
        assert len(notify.requests) == posts


def test_the_rate_limit_per_key_is_kept_across_runs(app: Flask, notify: FakeNotify) -> None:
    app.config["NOTIFY_RATE_PER_MINUTE"] = 5
    with app.app_context():
        invite(8)
        now = due("invitation")
        report = send_due(now=now)
        assert report.sent == 5 and "sent 5 in the last minute" in report.stopped
        assert send_due(now=now + timedelta(seconds=30)).sent == 0
        assert send_due(now=now + timedelta(seconds=61)).sent == 3


def test_receipts_are_polled_when_no_callback_came(app: Flask, notify: FakeNotify) -> None:
    with app.app_context():
        invite(3)
        now = due("invitation")
        send_due(now=now)
        ids = [m.provider_reference for m in messages()]
        notify.set_status(ids[0], "delivered")
        notify.set_status(ids[1], "permanent-failure")  # ids[2] is still "sending"
        transport = configured_transport()
        assert poll_status(transport, now + timedelta(minutes=10)).asked == 0  # too soon
        report = poll_status(transport, now + timedelta(hours=2))
        assert (report.asked, report.delivered, report.failed) == (3, 1, 1)
        got = [(m.status, m.last_error) for m in messages()]
        assert got == [("delivered", None), ("failed", "Notify: permanent-failure"),
                       ("sent", None)]
        assert messages()[0].delivered_at is not None


def test_a_message_notify_took_before_its_run_died_is_not_sent_again(
    app: Flask, notify: FakeNotify
) -> None:
    with app.app_context():
        invite(1)
        now = due("invitation")
        [message_id] = claim("dead-run", now, configured_transport(), 1)
        # The run sent it, then died before writing that down.
        configured_transport().client.send_sms_notification(
            "+447700900001", notify.template_ids()["sms_invitation"],
            personalisation={"organisation": "x", "survey_link": "y"},
            reference=f"message-{message_id}")
        report = send_due(now=now + timedelta(minutes=20))
        assert (report.recovered, report.sent) == (1, 0)
        [message] = messages()
        assert (message.status, message.provider_reference) == (
            "sent", next(iter(notify.notifications)))
    assert notify.references() == [f"message-{message_id}"]


def test_flask_messages_poll_status(app: Flask, notify: FakeNotify) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["messages", "poll-status"])
    assert result.exit_code == 0 and result.output == "Asked about 0: 0 delivered, 0 failed.\n"
    app.config["NOTIFY_API_KEY"] = None
    result = runner.invoke(args=["messages", "poll-status"])
    assert "outbox" in result.output


@pytest.mark.postgres
def test_two_runs_at_once_on_postgres_send_every_message_exactly_once(
    pg_app: Flask, race: Any
) -> None:
    with FakeNotify(all_templates()) as notify:
        pg_app.config.update(notify.settings())
        with pg_app.app_context():
            invite(2000)
            now = due("invitation")
            db.session.remove()
        notify.hold_first(2)  # both runs must have a message at Notify at the same moment
        reports = race(pg_app, lambda: send_due(now=now), racers=2)
        assert not [r for r in reports if isinstance(r, Exception)], reports
        assert all(r.sent > 0 for r in reports) and not notify.barrier.broken
        assert sum(r.sent for r in reports) == 2000
        references = Counter(notify.references())
        assert len(references) == 2000 and set(references.values()) == {1}
        with pg_app.app_context():
            assert statuses("invitation") == {"sent": 2000}
