"""Messages over HTTP: Notify's callback (authenticated, CSRF-exempt), the opt-out on the
decline page, submit and decline cancelling what is left, the administrators' outbox, and
the response-rate funnel for a provider and across providers."""

from __future__ import annotations

import uuid
from datetime import timedelta
from unittest import mock

import pytest
from flask import Flask
from flask.testing import FlaskClient
from message_data import due, invite, statuses
from patient_pages import answer_questions, csrf_token, parse, text_of
from sqlalchemy import func, select, update
from staff import make_staff, organisation, sign_in

from survey_app.extensions import db
from survey_app.integrations.transport import Outbox
from survey_app.models import AuditEvent, ContactDetails, Invitation, Message, OptOut
from survey_app.services.messages import send_due
from survey_app.services.protection import decrypt

TOKEN = "callback-token-for-tests"


def link_tokens() -> list[str]:
    return [decrypt(c.link_token) for c in db.session.scalars(
        select(ContactDetails).order_by(ContactDetails.invitation_id))]


# ---- the Notify callback ----------------------------------------------------------------


@pytest.fixture
def sent(app: Flask) -> list[tuple[int, str]]:
    """Two messages sent, with Notify ids; returns (message id, Notify id) pairs."""
    app.config["NOTIFY_CALLBACK_TOKEN"] = TOKEN
    with app.app_context():
        invite(2)
        send_due(now=due("invitation"), transport=Outbox())
        pairs = []
        for message in db.session.scalars(select(Message).where(Message.kind == "invitation")
                                          .order_by(Message.id)):
            message.provider_reference, message.sent_via = str(uuid.uuid4()), "notify"
            pairs.append((message.id, message.provider_reference))
        db.session.commit()
        return pairs


def receipt(notification_id: str, status: str = "delivered", **extra: object) -> dict:
    return {"id": notification_id, "reference": None, "to": "+447700900001",
            "status": status, "created_at": "2026-06-01T10:00:00.000000Z",
            "completed_at": "2026-06-01T10:00:05.000000Z", "sent_at": None,
            "notification_type": "sms"} | extra


def test_the_callback_needs_the_bearer_token(app: Flask, sent) -> None:
    client = app.test_client()
    body = receipt(sent[0][1])
    for headers in ({}, {"Authorization": "Bearer wrong-token-xx"},
                    {"Authorization": f"Basic {TOKEN}"}, {"Authorization": TOKEN}):
        answer = client.post("/callbacks/notify", json=body, headers=headers)
        assert answer.status_code == 401 and answer.json == {
            "result": "error", "message": "a valid callback bearer token is required"}
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    app.config["NOTIFY_CALLBACK_TOKEN"] = None  # not configured: nobody gets in
    assert client.post("/callbacks/notify", json=body,
                       headers={"Authorization": "Bearer "}).status_code == 401
    with app.app_context():
        assert statuses("invitation") == {"sent": 2}


def test_a_receipt_marks_the_message_delivered_or_failed(app: Flask, sent) -> None:
    client = app.test_client()  # CSRF protection is on: the callback is exempt
    headers = {"Authorization": f"Bearer {TOKEN}"}
    ok = client.post("/callbacks/notify", json=receipt(sent[0][1]), headers=headers)
    assert (ok.status_code, ok.json) == (200, {"result": "success"})
    bad = client.post("/callbacks/notify", json=receipt(sent[1][1], "permanent-failure"),
                      headers=headers)
    assert bad.status_code == 200
    again = client.post("/callbacks/notify", json=receipt(sent[0][1], "technical-failure"),
                        headers=headers)  # a late, contradictory receipt changes nothing
    assert again.status_code == 200
    with app.app_context():
        rows = db.session.execute(select(Message.status, Message.delivered_at,
                                         Message.last_error).where(Message.kind == "invitation")
                                  .order_by(Message.id)).all()
        assert [(r.status, r.last_error) for r in rows] == [
            ("delivered", None), ("failed", "Notify: permanent-failure")]
        assert rows[0].delivered_at.isoformat() == "2026-06-01T10:00:05+00:00"


def test_a_receipt_that_beats_the_senders_record_is_found_by_our_reference(
    app: Flask, sent
) -> None:
    message_id = sent[0][0]
    with app.app_context():
        db.session.execute(update(Message).where(Message.id == message_id)
                           .values(provider_reference=None, status="sending"))
        db.session.commit()
    notification_id = str(uuid.uuid4())
    answer = app.test_client().post(
        "/callbacks/notify", json=receipt(notification_id, reference=f"message-{message_id}"),
        headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    with app.app_context():
        message = db.session.get(Message, message_id)
        assert (message.status, message.provider_reference) == ("delivered", notification_id)


@pytest.mark.parametrize("body, message", [
    ("not json", "the body must be a JSON object"),
    ({"status": "delivered"}, "id must be Notify's notification id (a UUID)"),
    ({"id": "12", "status": "delivered"}, "id must be Notify's notification id (a UUID)"),
    ({"id": str(uuid.UUID(int=1)), "status": "lost"}, "status must be one of delivered"),
])
def test_a_receipt_that_is_not_one_is_refused_clearly(
    app: Flask, sent, body: object, message: str
) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    client = app.test_client()
    answer = (client.post("/callbacks/notify", data=body, headers=headers,
                          content_type="application/json") if isinstance(body, str)
              else client.post("/callbacks/notify", json=body, headers=headers))
    assert answer.status_code == 400 and answer.json["message"].startswith(message)
    unknown = client.post("/callbacks/notify", json=receipt(str(uuid.uuid4())),
                          headers=headers)
    assert unknown.status_code == 404


# ---- the patient: submit, decline, opt out ------------------------------------------------


def test_submitting_cancels_the_reminders_in_the_same_transaction(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        invite(2)
        send_due(now=due("invitation"), transport=Outbox())
        token = link_tokens()[0]
    last = answer_questions(client, token)
    assert last.location.endswith("/check")
    page = client.get(last.location)
    client.post(f"/s/{token}/submit", data={"csrf_token": csrf_token(page)})
    with app.app_context():
        rows = db.session.execute(select(Message.invitation_id, Message.kind, Message.status,
                                         Message.last_error).order_by(Message.id)).all()
        first = rows[0].invitation_id
        assert {(r.kind, r.status, r.last_error) for r in rows if r.invitation_id == first} == {
            ("invitation", "sent", None), ("reminder_1", "cancelled", "response submitted"),
            ("reminder_2", "cancelled", "response submitted")}
        assert statuses("reminder_1") == {"cancelled": 1, "scheduled": 1}


def test_the_decline_page_offers_to_opt_out_of_all_surveys(app: Flask) -> None:
    with app.app_context():
        invite(1, nhs_numbers=True)  # the same person, discharged twice from two pathways
        from survey_app.models import Pathway

        db.session.add(Pathway(code="hip", name="Hip fracture", care_type="unplanned_episode"))
        db.session.commit()
        invite(1, first=6, nhs_numbers=True, pathway_code="hip")
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 2
        token = link_tokens()[0]
    client = app.test_client()
    page = client.get(f"/s/{token}/decline")
    box = parse(page).select_one("input[type=checkbox][name=opt_out]")
    assert box is not None and box["value"] == "yes"
    assert "Do not contact me about surveys again" in text_of(parse(page))
    done = client.post(f"/s/{token}/decline", data={"csrf_token": csrf_token(page),
                                                    "opt_out": "yes"})
    confirmation = text_of(parse(client.get(done.location)))
    assert "we will not invite you to any more" in confirmation
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OptOut)) == 1
        assert set(db.session.scalars(select(Message.status))) == {"cancelled"}
        assert sorted(db.session.scalars(select(Invitation.status))) == ["declined", "pending"]


def test_declining_without_opting_out_cancels_only_this_survey(app: Flask) -> None:
    with app.app_context():
        invite(2)  # no NHS numbers: nobody can be recognised again, so no opt-out offered
        token = link_tokens()[0]
    client = app.test_client()
    page = client.get(f"/s/{token}/decline")
    assert parse(page).select_one("input[type=checkbox]") is None
    client.post(f"/s/{token}/decline", data={"csrf_token": csrf_token(page)})
    with app.app_context():
        assert statuses() == {"cancelled": 3, "scheduled": 3}
        assert db.session.scalar(select(func.count()).select_from(OptOut)) == 0


# ---- the outbox and the funnel in the portal --------------------------------------------


def test_administrators_read_the_outbox_with_the_words_and_it_is_audited(app: Flask) -> None:
    with app.app_context():
        invite(2)
        invite(1, first=3, channel="email")
        now = due("invitation")
        send_due(now=now, transport=Outbox())
    admin = make_staff(app, role="administrator")
    client = app.test_client()
    sign_in(client, admin.email, admin.password)
    # The outbox lists what was sent by now: read it at the (sending-hours) time they went.
    with mock.patch("survey_app.services.outbox.utcnow", return_value=now):
        page = client.get("/admin/outbox")
    assert page.status_code == 200
    text = text_of(parse(page))
    assert text.count("invitation") >= 3 and "07*** ***002" in text
    assert "p***@example.org" in text and "person3@example.org" not in text
    assert "+447700900002" not in text and "07700 900002" not in text
    assert "http://127.0.0.1:5000/s/" in text  # the words, with the link
    assert client.get("/admin/outbox?status=sent").status_code == 200
    assert client.get("/admin/outbox?status=posted").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "outbox_viewed")) == 3
    provider = make_staff(app, role="provider", organisations=("RX1",))
    other = app.test_client()
    sign_in(other, provider.email, provider.password)
    assert other.get("/admin/outbox").status_code == 403


def test_the_funnel_counts_each_step_for_the_provider_and_across_providers(
    app: Flask
) -> None:
    with app.app_context():
        invite(4)
        invite(1, first=5, channel="", mobile_phone="", email="")  # no contact: excluded
        invite(1, first=6, died="yes")
        send_due(now=due("invitation"), transport=Outbox())
        ids = db.session.scalars(select(Message.id).where(Message.kind == "invitation")
                                 .order_by(Message.id)).all()
        db.session.execute(update(Message).where(Message.id.in_(ids[:2]))
                           .values(status="delivered"))
        db.session.execute(update(Message).where(Message.id == ids[2]).values(status="failed"))
        db.session.commit()
        send_due(now=due("reminder_1"), transport=Outbox())
        token = link_tokens()[0]
        from survey_app.services.funnel import funnels, periods

        period = periods(None)[0]
        [funnel] = funnels(period).values()
        assert (funnel.imported, funnel.excluded) == (6, {"no_contact": 1, "died": 1})
        [row] = funnel.surveys
        assert (row.invited, row.delivered, row.failed, row.reminded, row.responded,
                row.waiting) == (4, 2, 1, 4, 0, 0)
        organisation("RY1")
        db.session.commit()
    client = app.test_client()
    last = answer_questions(client, token)
    client.post(f"/s/{token}/submit", data={"csrf_token": csrf_token(client.get(last.location))})
    staff = make_staff(app, role="provider", organisations=("RX1",))
    portal = app.test_client()
    sign_in(portal, staff.email, staff.password)
    dashboard = parse(portal.get("/provider/RX1/"))
    assert dashboard.find("a", href="/provider/RX1/response-funnel")
    page = portal.get("/provider/RX1/response-funnel")
    assert page.status_code == 200
    cells = [text_of(td) for td in parse(page).select("tbody tr")[-1].find_all(["th", "td"])]
    assert cells == ["Leaving hospital", "4", "2", "1", "4", "1", "25%", "0"]
    text = text_of(parse(page))
    assert "No usable mobile number or email address" in text and "Died" in text
    assert portal.get("/provider/RY1/response-funnel").status_code == 404
    assert portal.get("/provider/RX1/response-funnel?period=2026-Q9").status_code == 400
    admin = make_staff(app, role="administrator")
    everyone = app.test_client()
    sign_in(everyone, admin.email, admin.password)
    across = everyone.get(f"/admin/response-funnel?period={period}")
    assert across.status_code == 200
    text = text_of(parse(across))
    assert "Test Provider RX1: Leaving hospital" in text and "All providers" in text


def test_funnel_periods_are_quarters_of_discharge() -> None:
    from datetime import date

    from survey_app.services.funnel import quarter_range

    assert quarter_range("2026-Q1") == (date(2026, 1, 1), date(2026, 4, 1))
    assert quarter_range("2025Q4") == (date(2025, 10, 1), date(2026, 1, 1))


def test_messages_sent_after_the_window_is_past_are_cancelled_not_sent(app: Flask) -> None:
    with app.app_context():
        invite(1)
        expires = db.session.scalar(select(Invitation.expires_at))
        report = send_due(now=expires + timedelta(hours=1), transport=Outbox())
        assert report.sent == 0 and report.cancelled == 3
