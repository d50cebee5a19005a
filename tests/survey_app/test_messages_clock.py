"""A survey walked through time by passing ``now=`` to the services (no sleeping):
discharge → invitation → two reminders → a submission cancels the rest → the window closes
→ contact details gone. And nothing outside ``contact_details`` — no table, export, report,
command output or log line — ever holds a phone number or email address."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from message_data import email, invite, phone, statuses
from patient_pages import answer_questions, csrf_token
from sqlalchemy import String, Text, func, inspect, select

from survey_app.extensions import db
from survey_app.integrations.transport import Outbox
from survey_app.models import AuditEvent, ContactDetails, Invitation, Message, utcnow
from survey_app.services.messages import send_due
from survey_app.services.protection import decrypt
from survey_app.services.window_close import close_windows


def messages_of(invitation_id: int) -> dict[str, str]:
    return dict(db.session.execute(select(Message.kind, Message.status)
                                   .where(Message.invitation_id == invitation_id)).all())


def submit_all(client: FlaskClient, token: str) -> None:
    last = answer_questions(client, token)
    done = client.post(f"/s/{token}/submit",
                       data={"csrf_token": csrf_token(client.get(last.location))})
    assert done.status_code == 302 and done.location.endswith("/done")


def test_one_survey_from_discharge_to_the_window_closing(app: Flask) -> None:
    client = app.test_client()
    with app.app_context():
        invite(2)  # A (answers after the first reminder) and B (never answers)
        a, b = db.session.scalars(select(Invitation.id).order_by(Invitation.id)).all()
        token_a = decrypt(db.session.get(ContactDetails, a).link_token)
        due = dict(db.session.execute(select(Message.kind, func.max(Message.due_at))
                                      .group_by(Message.kind)).all())
        expires = db.session.get(Invitation, b).expires_at
        assert due["invitation"] < due["reminder_1"] < due["reminder_2"] < expires

        assert send_due(now=due["invitation"] - timedelta(hours=1), transport=Outbox()).sent == 0
        assert send_due(now=due["invitation"], transport=Outbox()).sent == 2
        assert send_due(now=due["reminder_1"], transport=Outbox()).sent == 2
        assert messages_of(a) == {"invitation": "sent", "reminder_1": "sent",
                                  "reminder_2": "scheduled"}
        db.session.remove()

    submit_all(client, token_a)  # A answers: what is left for A is cancelled at once

    with app.app_context():
        assert messages_of(a)["reminder_2"] == "cancelled"
        assert send_due(now=due["reminder_2"], transport=Outbox()).sent == 1  # B only
        assert messages_of(b) == {"invitation": "sent", "reminder_1": "sent",
                                  "reminder_2": "sent"}
        assert send_due(now=due["reminder_2"] + timedelta(days=1), transport=Outbox()).sent == 0

        early = close_windows(now=expires - timedelta(hours=1))  # A's closed, B's still open
        assert (early.expired, early.contacts_deleted, early.bodies_erased) == (0, 1, 2)
        assert db.session.scalars(select(ContactDetails.invitation_id)).all() == [b]
        closed = close_windows(now=expires + timedelta(minutes=1))
        assert (closed.expired, closed.cancelled, closed.contacts_deleted,
                closed.bodies_erased) == (1, 0, 1, 3)
        assert str(closed) == ("1 invitations expired, 0 messages cancelled, "
                               "1 contact details deleted, 3 message bodies erased")
        again = close_windows(now=expires + timedelta(days=1))
        assert (again.expired, again.contacts_deleted, again.bodies_erased) == (0, 0, 0)

        assert db.session.scalar(select(func.count()).select_from(ContactDetails)) == 0
        assert db.session.scalars(select(Message.body).where(Message.body.is_not(None))
                                  ).all() == []
        assert statuses() == {"sent": 5, "cancelled": 1}  # kinds, times, statuses stay
        assert db.session.get(Invitation, b).status == "expired"
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "survey_windows_closed")) == 2


def test_window_close_cancels_what_was_still_waiting(app: Flask) -> None:
    with app.app_context():
        invite(1)
        expires = db.session.scalar(select(Invitation.expires_at))
        report = close_windows(now=expires)
        assert (report.expired, report.cancelled, report.contacts_deleted) == (1, 3, 1)
        assert statuses() == {"cancelled": 3}


def variants(n: int) -> list[str]:
    """Every way person ``n``'s phone number and email could be written down."""
    national = phone(n)
    digits = national.replace(" ", "")
    return [national, digits, "+44" + digits[1:], "44" + digits[1:], digits[1:],
            email(n), email(n).upper()]


def found_in(text: str, people: range) -> list[str]:
    return [v for n in people for v in variants(n) if v.lower() in text.lower()]


def test_no_table_export_report_or_output_outside_contact_details_holds_a_contact(
    app: Flask, tmp_path: Path
) -> None:
    people = range(1, 5)
    client = app.test_client()
    with app.app_context():
        invite(2, nhs_numbers=True)
        invite(2, first=3, channel="email", nhs_numbers=True)
        now = max(db.session.scalars(select(Message.due_at).where(Message.kind == "invitation")))
        send_due(now=now, transport=Outbox())
        token = decrypt(db.session.scalars(select(ContactDetails.link_token)).first())
        db.session.remove()
    submit_all(client, token)
    runner = app.test_cli_runner()
    outputs = [
        runner.invoke(args=["messages", "outbox"]).output,
        runner.invoke(args=["messages", "send-due"]).output,
        runner.invoke(args=["export-invitations", "-o", str(tmp_path / "inv.csv")]).output,
        runner.invoke(args=["export-answers", "--instrument", "ctm15", "-o",
                            str(tmp_path / "ans.csv")]).output,
        (tmp_path / "inv.csv").read_text(), (tmp_path / "ans.csv").read_text(),
        runner.invoke(args=["messages", "close-windows"]).output,
    ]
    with app.app_context():
        from survey_app import results
        from survey_app.auth.scope import Scope
        from survey_app.models import Organisation
        from survey_app.reports.tables import csv_bytes
        from survey_app.results import build as results_build
        from survey_app.results.periods import period_of

        rx1 = db.session.scalar(select(Organisation.id).where(Organisation.code == "RX1"))
        period = period_of(utcnow().date() - timedelta(days=1))
        results_build.build(built_by="tests")  # pages and reports read the built snapshot
        outputs.append(csv_bytes(results.provider_report(
            Scope.for_providers([rx1]), "RX1", period)).decode("utf-8"))
        for name, table in db.metadata.tables.items():
            if name == "contact_details":
                continue  # encrypted, and deleted when the window closes
            texts = [c for c in table.columns if isinstance(c.type, String | Text)]
            for row in db.session.execute(select(*texts)) if texts else []:
                outputs.append(" ".join(str(value) for value in row if value is not None))
        assert set(inspect(db.engine).get_table_names()) - set(db.metadata.tables) == {
            "alembic_version"}  # every table was scanned
    assert [hit for text in outputs for hit in found_in(text, people)] == []
    assert any("Test Provider RX1" in text for text in outputs)  # the scan saw real output
