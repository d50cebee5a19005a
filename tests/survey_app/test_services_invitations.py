"""Issuing invitations: long random tokens, stored only as a hash, one per event+survey."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Invitation, TransitionEvent
from survey_app.services.invitations import (
    InvitationExists,
    find_invitation,
    hash_token,
    issue_invitation,
)
from survey_app.services.surveys import ensure_survey

MakeInvitation = Callable[..., str]


def test_token_has_at_least_128_bits_and_only_its_hash_is_stored(
    app: Flask, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 >= 128
    with app.app_context():
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.token_hash == hash_token(token) and token not in invitation.token_hash
        assert find_invitation(token) == invitation
        assert find_invitation(token[:-1]) is None and find_invitation("") is None


def test_tokens_differ_and_links_expire_after_the_configured_days(
    app: Flask, make_invitation: MakeInvitation
) -> None:
    first, second = make_invitation(app), make_invitation(app)
    assert first != second
    with app.app_context():
        invitation = find_invitation(first)
        lifetime = invitation.expires_at - invitation.created_at
        assert lifetime.days == app.config["INVITATION_VALID_DAYS"] == 42
        assert invitation.status == "pending" and invitation.channel == "sms"


def test_a_second_invitation_for_the_same_event_and_survey_is_refused(
    app: Flask, make_invitation: MakeInvitation
) -> None:
    make_invitation(app)
    with app.app_context():
        event = db.session.scalars(select(TransitionEvent)).one()
        survey = ensure_survey("leaving-hospital")
        with pytest.raises(InvitationExists, match="already has an invitation"):
            issue_invitation(event=event, survey=survey)
        short = ensure_survey("leaving-hospital-short")
        _invitation, token = issue_invitation(event=event, survey=short, channel="kiosk")
        assert find_invitation(token).survey.slug == "leaving-hospital-short"
        assert db.session.query(Invitation).count() == 2


def test_unknown_standard_survey_is_named_in_the_error(app: Flask) -> None:
    with app.app_context(), pytest.raises(ValueError, match="no standard survey 'nope'"):
        ensure_survey("nope")
