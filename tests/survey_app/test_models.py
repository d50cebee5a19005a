"""The data rules live in the database, so they hold whatever code writes the rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError

from survey_app.extensions import db
from survey_app.models import (
    Answer,
    Invitation,
    Organisation,
    Pathway,
    Response,
    TransitionEvent,
    utcnow,
)
from survey_app.services.invitations import hash_token, new_token
from survey_app.services.surveys import ensure_survey

MakeInvitation = Callable[..., str]


def rejected(table: object, **values: object) -> bool:
    """Try to insert one row; say whether the database refused it."""
    try:
        with db.session.begin_nested():
            db.session.execute(insert(table), [values])  # type: ignore[arg-type]
    except IntegrityError:
        return True
    return False


def test_organisation_type_must_exist_and_dates_must_be_ordered(app: Flask) -> None:
    with app.app_context():
        base = {"name": "Fictional Trust", "effective_from": date(2024, 4, 1)}
        assert rejected(Organisation, code="RZZ", type_code="shop", **base)
        assert rejected(
            Organisation, code="RZY", type_code="provider",
            effective_to=date(2024, 3, 31), **base,
        )
        assert not rejected(Organisation, code="RZX", type_code="provider", **base)


def test_pathway_care_type_is_one_of_the_four_from_seed_003(app: Flask) -> None:
    with app.app_context():
        assert rejected(Pathway, code="stroke", name="Stroke", care_type="acute")
        assert not rejected(Pathway, code="stroke", name="Stroke", care_type="planned_episode")


def test_event_settings_and_age_band_are_checked(
    app: Flask, make_invitation: MakeInvitation
) -> None:
    make_invitation(app)
    with app.app_context():
        event = db.session.scalars(select(TransitionEvent)).first()
        row = {
            "provider_id": event.provider_id, "pathway_id": event.pathway_id,
            "discharge_date": date(2025, 1, 2), "to_setting": "home", "created_at": utcnow(),
        }
        assert rejected(TransitionEvent, from_setting="spaceship", **row)
        assert rejected(TransitionEvent, from_setting="acute_ward", age_band="12", **row)
        assert not rejected(TransitionEvent, from_setting="acute_ward", **row)


def test_one_invitation_per_event_and_survey_and_unique_token_hash(
    app: Flask, make_invitation: MakeInvitation
) -> None:
    make_invitation(app)
    with app.app_context():
        existing = db.session.scalars(select(Invitation)).one()
        row = {
            "survey_id": existing.survey_id, "channel": "sms", "status": "pending",
            "created_at": utcnow(), "expires_at": utcnow() + timedelta(days=1),
        }
        assert rejected(Invitation, event_id=existing.event_id, token_hash="a" * 64, **row)
        other_survey = ensure_survey("leaving-hospital-short").id
        row["survey_id"] = other_survey
        assert rejected(
            Invitation, event_id=existing.event_id, token_hash=existing.token_hash, **row
        )
        assert rejected(
            Invitation, event_id=existing.event_id, token_hash=hash_token(new_token()),
            **{**row, "channel": "pigeon"},
        )


def test_one_response_per_invitation_and_status_matches_submitted_time(
    app: Flask, make_invitation: MakeInvitation
) -> None:
    make_invitation(app)
    with app.app_context():
        invitation_id = db.session.scalars(select(Invitation.id)).one()
        now = utcnow()
        row = {"invitation_id": invitation_id, "mode": "online", "language": "en",
               "started_at": now, "updated_at": now}
        assert rejected(Response, status="submitted", **row)  # submitted without a time
        assert rejected(Response, status="in_progress", submitted_at=now, **row)
        assert not rejected(Response, status="in_progress", **row)
        assert rejected(Response, status="in_progress", **row)  # a second response


def test_one_answer_per_item_of_an_instrument_version(
    app: Flask, make_invitation: MakeInvitation
) -> None:
    make_invitation(app)
    with app.app_context():
        invitation_id = db.session.scalars(select(Invitation.id)).one()
        now = utcnow()
        db.session.execute(insert(Response), [{
            "invitation_id": invitation_id, "mode": "online", "language": "en",
            "status": "in_progress", "started_at": now, "updated_at": now,
        }])
        response_id = db.session.scalars(select(Response.id)).one()
        answer = {"response_id": response_id, "instrument_id": "ctm15",
                  "instrument_version": "1", "item_id": "q1", "answered_at": now}
        assert not rejected(Answer, code="3", **answer)
        assert rejected(Answer, code="4", **answer)
        assert rejected(Answer, code="4", **{**answer, "response_id": response_id + 99})


def test_timestamps_come_back_aware_in_utc(
    app: Flask, make_invitation: MakeInvitation
) -> None:
    make_invitation(app)
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.expires_at.utcoffset() == timedelta(0)
        assert not invitation.is_expired()
        with pytest.raises(Exception, match="naive datetime"):
            invitation.sent_at = invitation.expires_at.replace(tzinfo=None)
            db.session.flush()


def test_transition_events_hold_no_names_or_contact_details(app: Flask) -> None:
    identifying = ("name", "phone", "mobile", "email", "address", "postcode", "nhs_number", "dob")
    with app.app_context():
        columns = [c["name"] for c in inspect(db.engine).get_columns("transition_events")]
    assert not [c for c in columns if any(word in c for word in identifying)], columns
