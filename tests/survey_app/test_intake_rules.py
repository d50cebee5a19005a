"""The rules a deployment sets for intake, through ``flask intake``: routes choose the
survey, exclusion rules keep discharges out, opt-outs stop contact and cancel messages."""

from __future__ import annotations

from flask import Flask
from intake_data import NHS_NUMBERS, intake_world, raw, row
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Message, OptOut
from survey_app.services.intake import exclusion_counts, import_discharges
from survey_app.services.protection import patient_key


def test_the_most_specific_route_chooses_the_survey(app: Flask) -> None:
    runner = app.test_cli_runner()
    with app.app_context():
        intake_world()
        from survey_app.services.surveys import ensure_survey

        ensure_survey("leaving-hospital-short")
        db.session.commit()
    added = runner.invoke(args=["intake", "route", "add", "--survey", "leaving-hospital-short",
                                "--pathway", "stroke", "--provider", "RX1"])
    assert added.exit_code == 0, added.output
    assert "provider RX1 and pathway stroke → leaving-hospital-short" in added.output
    with app.app_context():
        batch = import_discharges("csv", [raw(row(1))], sha256="1" * 64)
        invitation = db.session.scalars(select(Message)).first().invitation
        assert batch.invited == 1 and invitation.survey.slug == "leaving-hospital-short"
    listed = runner.invoke(args=["intake", "route", "list"])
    assert "every discharge → leaving-hospital" in listed.output


def test_bad_rules_are_refused_with_the_field_and_what_to_do(app: Flask) -> None:
    runner = app.test_cli_runner()
    with app.app_context():
        intake_world()
    unknown = runner.invoke(args=["intake", "route", "add", "--survey", "nope"])
    assert unknown.exit_code == 1 and "survey: There is no survey 'nope'" in unknown.output
    vague = runner.invoke(args=["intake", "exclude", "add", "--reason", "x"])
    assert "Name a pathway or a destination setting" in vague.output
    setting = runner.invoke(args=["intake", "exclude", "add", "--reason", "x",
                                  "--to-setting", "moon"])
    assert "Setting must be one of" in setting.output


def test_an_exclusion_rule_keeps_its_discharges_out(app: Flask) -> None:
    runner = app.test_cli_runner()
    with app.app_context():
        intake_world()
    result = runner.invoke(args=["intake", "exclude", "add", "--pathway", "stroke",
                                 "--reason", "trust policy"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        batch = import_discharges("csv", [raw(row(1))], sha256="2" * 64)
        assert exclusion_counts(batch.id) == {"excluded_by_rule": 1}


def test_an_opt_out_stops_contact_and_cancels_what_was_waiting(app: Flask) -> None:
    runner = app.test_cli_runner()
    with app.app_context():
        intake_world()
        import_discharges("csv", [raw(row(1))], sha256="3" * 64)
    spaced = NHS_NUMBERS[0][:3] + " " + NHS_NUMBERS[0][3:6] + " " + NHS_NUMBERS[0][6:]
    result = runner.invoke(args=["intake", "opt-out"], input=spaced + "\n")
    assert result.exit_code == 0 and "will not be contacted again" in result.output
    assert NHS_NUMBERS[0] not in result.output
    with app.app_context():
        assert db.session.get(OptOut, patient_key(NHS_NUMBERS[0])) is not None
        assert set(db.session.scalars(select(Message.status))) == {"cancelled"}
        later = import_discharges("csv", [raw(row(2, nhs_number=NHS_NUMBERS[0]))],
                                  sha256="4" * 64)
        assert exclusion_counts(later.id) == {"opted_out": 1}
    again = runner.invoke(args=["intake", "opt-out"], input=spaced + "\n")
    assert "already opted out" in again.output
    bad = runner.invoke(args=["intake", "opt-out"], input="1234567890\n")
    assert bad.exit_code == 1 and "modulus 11" in bad.output


def test_a_credential_is_shown_once_and_revoked_at_once(app: Flask) -> None:
    runner = app.test_cli_runner()
    with app.app_context():
        intake_world()
    created = runner.invoke(args=["intake", "credential", "create", "--provider", "RX1",
                                  "--name", "Engine"])
    secret = created.output.strip().splitlines()[-1]
    with app.app_context():
        from survey_app.services.intake_credentials import credential_for

        assert credential_for(secret) is not None
    revoked = runner.invoke(args=["intake", "credential", "revoke", "1"])
    assert revoked.exit_code == 0
    with app.app_context():
        assert credential_for(secret) is None
