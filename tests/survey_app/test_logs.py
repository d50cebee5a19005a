"""Logs hold no survey token and no personal data: paths are redacted wherever they are
logged, and database errors are logged without their parameters."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from flask import Flask
from log_scan import personal_data_in
from sqlalchemy.exc import IntegrityError
from staff import make_staff

from survey_app.extensions import db
from survey_app.logs import RedactTokens, redact
from survey_app.models import StaffUser

TOKEN = "Zk3vYp0q_8cXw1rT6mJ2aBn4"


def test_the_scan_finds_each_kind_of_personal_data() -> None:
    line = (f'GET /s/{TOKEN}/q/ctm15-q1 from jo.bloggs@nhs.net, phone 07700 900123, '
            'NHS number 943 476 5919')
    kinds = sorted(hit.split(":")[0] for hit in personal_data_in(line))
    assert kinds == ["NHS number", "email address", "phone number", "survey token"]
    assert personal_data_in("GET /s/<token>/q/ctm15-q1 200 in 1234567890 us") == []


@pytest.mark.parametrize("text", [
    f"GET /s/{TOKEN} HTTP/1.1", f'"POST /s/{TOKEN}/q/ctm15-q3?change=yes HTTP/1.1"',
    f"https://surveys.example.nhs.uk/s/{TOKEN}/check",
])
def test_every_form_of_a_survey_path_is_redacted(text: str) -> None:
    assert TOKEN not in redact(text) and "/s/<token>" in redact(text)


def test_the_development_servers_access_log_is_redacted() -> None:
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                               '%s - - "%s" %s', ("127.0.0.1", f"GET /s/{TOKEN} HTTP/1.1", "200"),
                               None)
    RedactTokens().filter(record)
    assert record.getMessage() == '127.0.0.1 - - "GET /s/<token> HTTP/1.1" 200'


def test_an_unhandled_error_on_a_survey_page_is_logged_without_the_token(
    app: Flask, caplog: pytest.LogCaptureFixture, make_invitation: Callable[..., str]
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    token = make_invitation(app)

    def broken(token: str) -> str:
        raise RuntimeError("something broke")

    app.add_url_rule("/s/<token>/broken", "broken", broken)
    with caplog.at_level(logging.ERROR):
        assert app.test_client().get(f"/s/{token}/broken").status_code == 500
    assert "Exception on /s/<token>/broken [GET]" in caplog.text
    assert token not in caplog.text


def test_a_database_error_is_logged_without_the_values_it_carried(
    any_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    any_app.config["PROPAGATE_EXCEPTIONS"] = False
    staff = make_staff(any_app, role="administrator", email="duplicate.person@example.nhs.uk")

    def duplicate() -> str:
        db.session.add(StaffUser(email=staff.email, full_name="Second Person",
                                 password_hash="x", role="administrator"))
        db.session.commit()
        return "stored"

    any_app.add_url_rule("/duplicate", "duplicate", duplicate)
    with caplog.at_level(logging.ERROR):
        assert any_app.test_client().get("/duplicate").status_code == 500
    logged = "\n".join(caplog.handler.format(record) for record in caplog.records)
    assert "IntegrityError" in logged and "INSERT INTO staff_users" in logged
    assert "duplicate.person" not in logged and "Second Person" not in logged
    with any_app.app_context(), pytest.raises(IntegrityError) as raised:
        db.session.add(StaffUser(email=staff.email, full_name="Third Person",
                                 password_hash="x", role="administrator"))
        db.session.commit()
    assert "Third Person" not in str(raised.value)  # hide_parameters
