"""``flask staff create`` and ``flask staff demo``: accounts from the command line."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select
from staff import organisation, sign_in

from survey_app.extensions import db
from survey_app.models import StaffUser

PASSWORD = "first administrator passphrase"


def accounts(app: Flask) -> list[tuple[str, str, list[str], bool]]:
    with app.app_context():
        return [(u.email, u.role, [o.code for o in u.organisations], u.must_change_password)
                for u in db.session.scalars(select(StaffUser).order_by(StaffUser.email))]


def test_the_first_administrator_is_created_with_a_password_from_stdin(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(args=["staff", "create", "--email", "Ops@Example.NHS.uk", "--name",
                                 "Ops Lead", "--role", "administrator", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert result.output == "Created administrator ops@example.nhs.uk.\n"
    assert accounts(app) == [("ops@example.nhs.uk", "administrator", [], False)]
    assert sign_in(app.test_client(), "ops@example.nhs.uk", PASSWORD).status_code == 302


def test_a_provider_user_is_created_with_a_prompted_password(
    app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        organisation("RX1")
        organisation("RY1")
        db.session.commit()
    result = runner.invoke(args=["staff", "create", "--email", "lead@example.nhs.uk", "--name",
                                 "Lead", "--role", "provider", "--organisation", "RX1",
                                 "--organisation", "RY1"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert accounts(app) == [("lead@example.nhs.uk", "provider", ["RX1", "RY1"], False)]


def test_bad_command_input_is_named_and_creates_nothing(
    app: Flask, runner: FlaskCliRunner
) -> None:
    base = ["staff", "create", "--email", "x@example.nhs.uk", "--name", "X", "--password-stdin"]
    cases = {
        ("--role", "provider", "--organisation", "NOPE"): "No organisation with code NOPE.",
        ("--role", "provider"): "organisations: Select at least one provider organisation.",
        ("--role", "owner"): "Invalid value for '--role'",
    }
    for extra, message in cases.items():
        result = runner.invoke(args=[*base, *extra], input=PASSWORD + "\n")
        assert result.exit_code != 0
        assert message in result.output, result.output
    weak = runner.invoke(args=[*base, "--role", "administrator"], input="short\n")
    assert "new_password: Password must be 12 characters or more." in weak.output
    assert accounts(app) == []


def test_the_demo_staff_can_sign_in_with_the_printed_passwords(
    app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        organisation("RY2")
        organisation("RX1")  # the first provider by code gets the demo provider user
        db.session.commit()
    first = runner.invoke(args=["staff", "demo"])
    again = runner.invoke(args=["staff", "demo"])  # re-running gives fresh, working passwords
    assert first.exit_code == again.exit_code == 0, first.output
    printed = dict(re.findall(r"(\S+@demo\.invalid)\s+(\S+)", again.output))
    assert set(printed) == {"admin@demo.invalid", "provider@demo.invalid"}
    old = dict(re.findall(r"(\S+@demo\.invalid)\s+(\S+)", first.output))
    for email, password in printed.items():
        assert sign_in(app.test_client(), email, old[email]).status_code == 200
        assert sign_in(app.test_client(), email, password).status_code == 302
    roles = {email: (role, orgs) for email, role, orgs, _ in accounts(app)}
    assert roles == {"admin@demo.invalid": ("administrator", []),
                     "provider@demo.invalid": ("provider", ["RX1"])}


def test_the_demo_staff_without_demo_data_is_only_an_administrator(
    app: Flask, runner: FlaskCliRunner
) -> None:
    result = runner.invoke(args=["staff", "demo"])
    assert result.exit_code == 0
    assert "no provider user: load the demo data first" in result.output
    assert [email for email, *_ in accounts(app)] == ["admin@demo.invalid"]
