"""Templates and sending: each SMS fits in 2 fragments, ``send-due`` sends what is due
into the outbox exactly once, in UK sending hours, never to a closed invitation or a person
who opted out — and two runs at once never send anything twice, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from message_data import BASE_URL, LONGEST_NAMES, due, email, invite, statuses
from sqlalchemy import func, select, update

from survey_app.extensions import db
from survey_app.integrations.transport import Outbox
from survey_app.models import ContactDetails, Invitation, Message, OptOut, TransitionEvent
from survey_app.services import message_templates as templates
from survey_app.services.invitations import find_invitation
from survey_app.services.messages import send_due
from survey_app.services.protection import decrypt

# ---- templates ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", LONGEST_NAMES)
def test_every_sms_fits_in_two_fragments_with_a_long_trust_name_and_the_link(
    name: str
) -> None:
    for template, length in templates.sms_lengths(name, BASE_URL).items():
        assert length.encoding == "GSM-7", template
        assert length.fragments <= 2 and length.characters <= 306, (template, length)


def test_sms_length_follows_gsm_03_38() -> None:
    assert templates.sms_length("a" * 160) == templates.SmsLength("GSM-7", 160, 1)
    assert templates.sms_length("a" * 161).fragments == 2
    assert templates.sms_length("a" * 306).fragments == 2
    assert templates.sms_length("a" * 307).fragments == 3
    assert templates.sms_length("€" * 80).characters == 160  # extension characters: 2 each
    assert templates.sms_length("a" * 134 + "ŵ") == templates.SmsLength("UCS-2", 135, 3)
    assert templates.sms_length("ŵ" * 134) == templates.SmsLength("UCS-2", 134, 2)
    # typographic quotes and dashes are sent plain, so a name with them stays GSM-7
    rendered = templates.render(templates.template_for("any", "sms", "invitation"), {
        "organisation": "St John’s – Hospital", "survey_link": f"{BASE_URL}/s/abc"})
    assert "St John's - Hospital" in rendered.body
    assert templates.sms_length(rendered.body).encoding == "GSM-7"


def test_the_words_are_kind_name_the_organisation_and_say_it_is_optional() -> None:
    values = {"organisation": "Test Trust", "survey_link": f"{BASE_URL}/s/TOKEN",
              "decline_link": f"{BASE_URL}/s/TOKEN/decline", "last_day": "14 June"}
    for kind in ("invitation", "reminder_1", "reminder_2"):
        sms = templates.render(templates.template_for("leaving-hospital", "sms", kind),
                               values).body
        assert "Test Trust" in sms and f"{BASE_URL}/s/TOKEN" in sms
        assert "optional" in sms and "say no" in sms
        mail = templates.render(templates.template_for("leaving-hospital", "email", kind),
                                values)
        assert "Test Trust" in (mail.subject or "")
        assert f"{BASE_URL}/s/TOKEN/decline" in mail.body and "up to you" in mail.body
        assert "ask not to be invited to these surveys again" in mail.body
    reminder = templates.template_for("leaving-hospital", "sms", "reminder_2")
    assert "14 June" in templates.render(reminder, values).body


def test_a_template_file_that_breaks_a_rule_is_refused(tmp_path: Path) -> None:
    cases = {
        "templates: {x: {channel: sms, body: '((name)) ((survey_link))'}}\n"
        "surveys: {default: {}}": "unknown placeholders ['name']",
        "templates: {x: {channel: email, body: '((survey_link))'}}\n"
        "surveys: {default: {}}": "an email needs a subject",
        "templates: {x: {channel: sms, body: 'no link'}}\nsurveys: {default: {}}":
            "has no ((survey_link))",
        "templates: {x: {channel: sms, body: '((survey_link))'}}\n"
        "surveys: {default: {sms: {invitation: x}}}": "default has no sms reminder",
    }
    for number, (text, problem) in enumerate(cases.items()):
        path = tmp_path / f"t{number}.yaml"
        path.write_text(text)
        with pytest.raises(templates.TemplateError, match=problem.replace("(", r"\(")
                           .replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
            templates.catalogue(path)
    with pytest.raises(templates.TemplateError, match="no value for last_day"):
        templates.render(templates.template_for("x", "sms", "reminder_1"),
                         {"organisation": "T", "survey_link": "L"})


# ---- sending into the outbox ----------------------------------------------------------------


def test_due_invitations_go_to_the_outbox_once_with_a_working_link(any_app: Flask) -> None:
    with any_app.app_context():
        invite(3)
        invite(1, first=4, channel="email")
        now = due("invitation")
        report = send_due(now=now, transport=Outbox())
        assert (report.sent, report.cancelled, report.failed) == (4, 0, 0)
        assert statuses("invitation") == {"sent": 4} and statuses("reminder_1") == {
            "scheduled": 4}
        sent = db.session.scalars(select(Message).where(Message.kind == "invitation")
                                  .order_by(Message.id)).all()
        for message in sent:
            words = decrypt(message.body)
            assert "Test Provider RX1" in words and message.sent_via == "outbox"
            token = words.split("/s/", 1)[1].split()[0]
            assert find_invitation(token).id == message.invitation_id  # the link works
            assert "http://127.0.0.1:5000/s/" in words
        assert decrypt(sent[-1].body).startswith("Subject: Test Provider RX1: how did")
        assert set(db.session.scalars(select(Invitation.status))) == {"sent"}
        again = send_due(now=now + timedelta(minutes=1), transport=Outbox())
        assert again.sent == 0
        db.session.remove()


def test_nothing_is_sent_outside_uk_sending_hours(app: Flask) -> None:
    with app.app_context():
        invite(1)
        late = due("invitation").replace(hour=21, minute=30)  # 21:30 or 22:30 UK time
        report = send_due(now=late, transport=Outbox())
        assert report.sent == 0 and "sending hours" in (report.stopped or "")
        assert statuses("invitation") == {"scheduled": 1}


def test_reminders_go_only_while_the_invitation_is_open_and_the_person_has_not_opted_out(
    any_app: Flask
) -> None:
    with any_app.app_context():
        invite(5)
        invite(1, first=6, nhs_numbers=True)  # the one person who can opt out by NHS number
        ids = db.session.scalars(select(Invitation.id).order_by(Invitation.id)).all()
        send_due(now=due("invitation"), transport=Outbox())
        db.session.execute(update(Invitation).where(Invitation.id == ids[0])
                           .values(status="completed"))
        db.session.execute(update(Invitation).where(Invitation.id == ids[1])
                           .values(status="declined"))
        db.session.execute(update(Invitation).where(Invitation.id == ids[2])
                           .values(expires_at=due("invitation") + timedelta(hours=1)))
        db.session.execute(ContactDetails.__table__.delete().where(
            ContactDetails.invitation_id == ids[3]))
        opted = db.session.scalar(select(TransitionEvent.patient_key).join(
            Invitation, Invitation.event_id == TransitionEvent.id).where(Invitation.id == ids[5]))
        db.session.add(OptOut(patient_key=opted, source="administrator"))
        db.session.commit()
        report = send_due(now=due("reminder_1"), transport=Outbox())
        assert (report.sent, report.cancelled) == (1, 5)
        reasons = dict(db.session.execute(
            select(Message.invitation_id, Message.last_error)
            .where(Message.kind == "reminder_1")).all())
        assert [reasons[i] for i in ids] == [
            "invitation completed", "invitation declined", "invitation expired",
            "contact details deleted", None, "opted out"]
        db.session.remove()


# ---- two runs at once -----------------------------------------------------------------------


class HeldOutbox(Outbox):
    """The outbox, holding each run's first message until both runs have one in hand."""

    def __init__(self, barrier: threading.Barrier) -> None:
        self.barrier, self.waited = barrier, False

    def send(self, outgoing):  # type: ignore[no-untyped-def]
        if not self.waited:
            self.waited = True
            self.barrier.wait()  # raises (failing the test) unless both runs overlap
        return super().send(outgoing)


def test_two_runs_at_once_on_sqlite_send_every_message_exactly_once(
    app: Flask, race
) -> None:
    with app.app_context():
        invite(2000)
        now = due("invitation")
        db.session.remove()
    barrier = threading.Barrier(2, timeout=60)
    reports = race(app, lambda: send_due(now=now, transport=HeldOutbox(barrier)), racers=2)
    assert not [r for r in reports if isinstance(r, Exception)], reports
    assert all(r.sent > 0 for r in reports)  # both runs sent some: they shared the work
    assert sum(r.sent for r in reports) == 2000
    with app.app_context():
        assert statuses("invitation") == {"sent": 2000}
        once = db.session.scalar(select(func.count(func.distinct(Message.invitation_id)))
                                 .where(Message.kind == "invitation", Message.sent_at.is_not(None)))
        assert once == 2000 and not barrier.broken


def test_a_run_that_died_holding_messages_is_recovered_and_they_go_once(app: Flask) -> None:
    from survey_app.services.messages import claim

    with app.app_context():
        invite(3)
        now = due("invitation")
        assert len(claim("dead-run", now, Outbox(), 2)) == 2  # claimed, then the run died
        report = send_due(now=now + timedelta(minutes=5), transport=Outbox())
        assert (report.sent, report.recovered) == (1, 0)  # not yet stale: left alone
        report = send_due(now=now + timedelta(minutes=16), transport=Outbox())
        assert (report.sent, report.recovered) == (2, 2)
        assert statuses("invitation") == {"sent": 3}


def test_flask_messages_send_due_and_outbox(app: Flask) -> None:
    runner = app.test_cli_runner()
    with app.app_context():
        invite(2)
        invite(1, first=3, channel="email")
        now = due("invitation")
    from unittest import mock

    with mock.patch("survey_app.services.messages.utcnow", return_value=now):
        result = runner.invoke(args=["messages", "send-due"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("outbox: 3 sent, 0 cancelled, 0 failed")
    # The outbox lists what was sent by now: read it at the (sending-hours) time they went.
    with mock.patch("survey_app.services.outbox.utcnow", return_value=now):
        listed = runner.invoke(args=["messages", "outbox"])
        assert listed.exit_code == 0 and listed.output.count(" sent via outbox to ") == 3
        assert "07*** ***001" in listed.output and "p***@example.org" in listed.output
        assert "900001" not in listed.output and email(3) not in listed.output
        assert "/s/" not in listed.output  # words (and links) only when asked for
        bodies = runner.invoke(args=["messages", "outbox", "--bodies", "--limit", "1"])
        assert "http://127.0.0.1:5000/s/" in bodies.output
        wrong = runner.invoke(args=["messages", "outbox", "--status", "posted"])
        assert wrong.exit_code == 1 and "is not one of" in wrong.output


def test_production_refuses_to_send_links_to_a_development_address(app: Flask) -> None:
    app.config["APP_ENV"] = "production"
    result = app.test_cli_runner().invoke(args=["messages", "send-due"])
    assert result.exit_code == 1 and "SURVEY_BASE_URL" in result.output


def test_flask_messages_templates_checks_the_longest_provider_name(app: Flask) -> None:
    with app.app_context():
        invite(1)
        from survey_app.models import Organisation

        db.session.execute(update(Organisation).where(Organisation.code == "RX1")
                           .values(name=LONGEST_NAMES[0]))
        db.session.commit()
    app.config["SURVEY_BASE_URL"] = BASE_URL
    result = app.test_cli_runner().invoke(args=["messages", "templates"])
    assert result.exit_code == 0, result.output
    assert "== sms_invitation (sms; Notify id: not set) ==" in result.output
    assert "((organisation)): how was leaving hospital for you?" in result.output
    assert "sms_invitation: 305 GSM-7 characters, 2 fragment(s)" in result.output
    app.config["SURVEY_BASE_URL"] = BASE_URL + "/a-much-longer-path"
    too_long = app.test_cli_runner().invoke(args=["messages", "templates"])
    assert too_long.exit_code == 1 and "more than 2 fragments" in too_long.output


@pytest.mark.parametrize("environ, problem", [
    ({"NOTIFY_API_KEY": "not-a-key"}, "NOTIFY_API_KEY is not a GOV.UK Notify API key"),
    ({"NOTIFY_TEMPLATE_IDS": "sms_invitation=12345"}, "'sms_invitation=12345' is not name="),
    ({"NOTIFY_TEMPLATE_IDS": "=" + "0" * 8 + "-0000-0000-0000-" + "0" * 12}, "is not name="),
    ({"NOTIFY_CALLBACK_TOKEN": "short"}, "at least 10 characters"),
    ({"NOTIFY_RATE_PER_MINUTE": "lots"}, "must be a whole number"),
])
def test_messaging_settings_are_checked_at_start_up(environ: dict, problem: str) -> None:
    from survey_app.config import ConfigError, messaging_settings

    with pytest.raises(ConfigError, match=problem.replace("(", r"\(")):
        messaging_settings(environ)


def test_messaging_settings_from_the_environment() -> None:
    from survey_app.config import messaging_settings

    key = "live-" + "-".join(["1" * 8, "2" * 4, "3" * 4, "4" * 4, "5" * 12] * 2)
    settings = messaging_settings({
        "NOTIFY_API_KEY": key, "NOTIFY_CALLBACK_TOKEN": "a-long-enough-token",
        "NOTIFY_TEMPLATE_IDS": " sms_invitation = AAAAAAAA-0000-0000-0000-000000000000 ,",
        "SURVEY_BASE_URL": "https://surveys.example.nhs.uk/"})
    assert settings["NOTIFY_API_KEY"] == key
    assert settings["NOTIFY_TEMPLATE_IDS"] == {
        "sms_invitation": "aaaaaaaa-0000-0000-0000-000000000000"}
    assert settings["SURVEY_BASE_URL"] == "https://surveys.example.nhs.uk"
    assert (settings["NOTIFY_RATE_PER_MINUTE"], settings["MESSAGE_MAX_ATTEMPTS"]) == (3000, 6)
    assert messaging_settings({})["NOTIFY_API_KEY"] is None
