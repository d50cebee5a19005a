"""Intake's shared core: field rules, eligibility, idempotency, one transaction per batch,
encrypted contact details and scheduled messages — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from intake_data import NHS_NUMBERS, intake_world, raw, row
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import (
    ContactDetails,
    ExclusionRule,
    IntakeBatch,
    Invitation,
    Message,
    OptOut,
    TransitionEvent,
    utcnow,
)
from survey_app.services.intake import IntakeRefused, exclusion_counts, import_discharges
from survey_app.services.invitations import find_invitation
from survey_app.services.protection import decrypt, patient_key


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_valid_discharge_becomes_an_event_an_invitation_contacts_and_messages(
    any_app: Flask
) -> None:
    with any_app.app_context():
        intake_world()
        batch = import_discharges("csv", [raw(row(1))], sha256="a" * 64, filename="nov.csv")
        assert (batch.status, batch.received, batch.accepted, batch.invited) == (
            "complete", 1, 1, 1)
        event = db.session.scalars(select(TransitionEvent)).one()
        assert event.patient_key == patient_key(NHS_NUMBERS[0]) and event.age_band == "75-84"
        contact = db.session.scalars(select(ContactDetails)).one()
        assert "07700" not in contact.phone and decrypt(contact.phone) == "+447700900123"
        assert find_invitation(decrypt(contact.link_token)) is not None  # reminders can link
        kinds = db.session.scalars(select(Message.kind).order_by(Message.due_at)).all()
        assert kinds == ["invitation", "reminder_1", "reminder_2"]


def test_each_broken_field_is_reported_where_and_why_and_valid_rows_still_go_in(
    any_app: Flask
) -> None:
    future = utcnow() + timedelta(days=2)
    with any_app.app_context():
        intake_world()
        rows = [raw(row(1), "row 2"),
                raw(row(2, nhs_number="9434765918"), "row 3"),
                raw(row(3, provider_code="ZZ9"), "row 4"),
                raw(row(4, pathway_code="knees"), "row 5"),
                raw(row(5, discharged_at=future), "row 6"),
                raw(row(6, discharged_at=utcnow() - timedelta(days=400)), "row 7"),
                raw(row(7, preferred_channel="email"), "row 8"),
                raw(row(8, site_code="RX999"), "row 9")]
        batch = import_discharges("csv", rows, sha256="b" * 64)
        assert (batch.accepted, batch.rejected) == (1, 7)
        problems = {(i.location, i.field, i.problem) for i in batch.issues}
        assert problems == {
            ("row 3", "nhs_number", "the NHS number fails the modulus 11 check"),
            ("row 4", "provider_code", "unknown provider code"),
            ("row 5", "pathway_code", "unknown pathway code"),
            ("row 6", "discharged_at", "the discharge is in the future"),
            ("row 7", "discharged_at", "the discharge is older than the survey window (42 days)"),
            ("row 8", "email", "missing contact for the email channel"),
            ("row 9", "site_code", "unknown site code"),
        }
        stored = " ".join(str(i.value) for i in batch.issues)
        assert "9434765918" not in stored  # identifiers are masked in the report


def test_the_same_discharge_sent_twice_is_stored_once(any_app: Flask) -> None:
    with any_app.app_context():
        intake_world()
        import_discharges("hl7_file", [raw(row(1)), raw(row(1))], sha256="c" * 64)
        again = import_discharges("hl7_file", [raw(row(1))], sha256="c" * 64)
        assert (again.accepted, again.duplicates, again.invited) == (0, 1, 0)
        assert count(TransitionEvent) == 1 and count(Invitation) == 1


def test_exclusions_are_counted_by_reason_and_nobody_excluded_is_invited(
    any_app: Flask
) -> None:
    with any_app.app_context():
        intake_world()
        db.session.add(OptOut(patient_key=patient_key(NHS_NUMBERS[2]), source="link"))
        db.session.add(ExclusionRule(to_setting="hospice", reason="bereavement"))
        db.session.commit()
        rows = [row(1, died="yes"), row(2, date_of_birth="2015-01-01"), row(3),
                row(4, to_setting="hospice"), row(5, mobile_phone="", email=""),
                row(6, nhs_number=NHS_NUMBERS[0])]  # row 1's person: died, not surveyed
        batch = import_discharges("csv", [raw(r) for r in rows], sha256="d" * 64)
        assert exclusion_counts(batch.id) == {"died": 1, "under_16": 1, "opted_out": 1,
                                              "excluded_by_rule": 1, "no_contact": 1}
        assert (batch.excluded, batch.invited) == (5, 1)
        assert count(Invitation) == 1


def test_someone_surveyed_for_the_pathway_recently_is_not_asked_again(any_app: Flask) -> None:
    with any_app.app_context():
        intake_world()
        first = utcnow() - timedelta(days=20)
        import_discharges("csv", [raw(row(1, discharged_at=first))], sha256="e" * 64)
        batch = import_discharges("csv", [raw(row(2, nhs_number=NHS_NUMBERS[0]))],
                                  sha256="f" * 64)
        assert exclusion_counts(batch.id) == {"recently_surveyed": 1}


def test_an_input_that_cannot_be_read_leaves_nothing_but_the_refused_batch(
    any_app: Flask
) -> None:
    def broken():
        yield raw(row(1))
        raise IntakeRefused("line 3: the file is not UTF-8 (byte 0xe9)")

    with any_app.app_context():
        intake_world()
        batch = import_discharges("csv", broken(), sha256="0" * 64)
        assert (batch.status, batch.refusal) == ("refused", "line 3: the file is not UTF-8 "
                                                            "(byte 0xe9)")
        assert count(TransitionEvent) == count(Invitation) == 0
        assert count(IntakeBatch) == 1


@pytest.mark.parametrize("discharged, first", [
    (datetime(2026, 3, 28, 22, 0, tzinfo=UTC), datetime(2026, 3, 29, 22, 0, tzinfo=UTC)),
    (datetime(2026, 3, 28, 7, 0, tzinfo=UTC), datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
    (datetime(2026, 1, 10, 5, 0, tzinfo=UTC), datetime(2026, 1, 11, 9, 0, tzinfo=UTC)),
])
def test_messages_go_in_uk_sending_hours_across_the_clock_change(
    discharged: datetime, first: datetime
) -> None:
    from survey_app.services.schedule import message_times, within_sending_hours

    due = message_times(discharged, first_hours=24, reminder_days=(4, None))
    assert due[0] == within_sending_hours(first)
    for when in due:
        local = when.astimezone(__import__("zoneinfo").ZoneInfo("Europe/London"))
        assert 9 <= local.hour < 20
