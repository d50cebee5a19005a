"""The text rule every form applies: control characters, ANSI escapes, bidirectional
overrides and unreadable (invalid UTF-8) text are refused with a message against the field,
nothing is stored, and the result is the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from patient_pages import csrf_token, parse, start_survey, text_of
from sqlalchemy import func, select
from staff import make_staff, sign_in, signed_in, submit_form

from survey_app.extensions import db
from survey_app.models import AuditEvent, Comment, Organisation
from survey_app.services.text import HIDDEN_MESSAGE, UNREADABLE_MESSAGE, text_problem

MakeInvitation = Callable[..., str]
COMMENT_KEY = "comments-anything_else"
HOSTILE = {
    "NUL": "Call me on 07700 900123\x00 please",
    "ANSI escape": "fine \x1b[31mred\x1b[0m",
    "right-to-left override": "invoice\u202etxt.exe",
    "bell": "ding\x07",
}


def error_text(response) -> str:
    summary = parse(response).find(class_="nhsuk-error-summary")
    return text_of(summary) if summary else ""


@pytest.mark.parametrize("text", [
    "Nurse Jane was lovely.\nThe ward was noisy.\tThanks.",
    "Ich danke Ihnen – شكرا – ধন্যবাদ – 👩‍⚕️",  # other scripts and an emoji with a joiner
    "می‌خواهم",  # Persian needs the zero-width non-joiner
])
def test_ordinary_text_in_any_language_is_accepted(text: str) -> None:
    assert text_problem(text) is None


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
@settings(max_examples=300)
def test_no_control_character_gets_through(text: str) -> None:
    if text_problem(text) is None:
        assert not any(ord(c) < 32 and c not in "\t\n\r" for c in text)
        assert not any(0x7F <= ord(c) <= 0x9F for c in text)
        assert not any(c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                       for c in text)


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_comment_with_hidden_characters_is_refused_and_nothing_stored(
    any_app: Flask, make_invitation: MakeInvitation, kind: str
) -> None:
    client = any_app.test_client()
    token = make_invitation(any_app)
    start_survey(client, token)
    url = f"/s/{token}/q/{COMMENT_KEY}"
    response = client.post(url, data={"csrf_token": csrf_token(client.get(url)),
                                      "answer": HOSTILE[kind]})
    assert response.status_code == 200
    assert HIDDEN_MESSAGE in error_text(response)
    with any_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_a_comment_that_was_not_valid_utf8_is_refused_with_a_clear_message(
    app: Flask, make_invitation: MakeInvitation
) -> None:
    client = app.test_client()
    token = make_invitation(app)
    start_survey(client, token)
    url = f"/s/{token}/q/{COMMENT_KEY}"
    csrf = csrf_token(client.get(url)).encode()
    for raw in (b"caf%E9+au+lait", b"caf\xe9 au lait"):  # Latin-1, encoded or not
        response = client.post(url, data=b"csrf_token=" + csrf + b"&answer=" + raw,
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400
        assert UNREADABLE_MESSAGE in response.text
    multipart = client.post(url, data=b"".join(
        b'--x\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % pair
        for pair in ((b"csrf_token", csrf), (b"answer", b"caf\xe9"))) + b"--x--\r\n",
        content_type="multipart/form-data; boundary=x")
    assert multipart.status_code == 200 and UNREADABLE_MESSAGE in error_text(multipart)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_a_sign_in_email_with_a_nul_gets_an_error_and_touches_nothing(any_app: Flask) -> None:
    staff = make_staff(any_app, role="administrator")
    client = any_app.test_client()
    response = sign_in(client, staff.email + "\x00", staff.password)
    assert response.status_code == 200
    assert HIDDEN_MESSAGE in error_text(response)
    with any_app.app_context():  # refused before any account was looked up
        failures = select(func.count()).where(AuditEvent.action == "sign_in_failed")
        assert db.session.scalar(failures) == 0


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_staff_forms_refuse_hidden_characters_too(any_app: Flask, kind: str) -> None:
    client, _admin = signed_in(any_app)
    response = submit_form(client, "/admin/organisations/new", {
        "code": "RX9", "name": "Trust " + HOSTILE[kind], "type_code": "provider",
        "effective_from": "2026-04-01"})
    assert response.status_code == 200
    assert HIDDEN_MESSAGE in error_text(response)
    with any_app.app_context():
        assert db.session.scalar(select(Organisation).where(Organisation.code == "RX9")) is None


@pytest.mark.parametrize("address", ["/s/abc%00def", "/staff/sign-in?next=%00", "/?lang=%1b[2J"])
def test_an_address_with_control_characters_gets_the_400_page(any_app: Flask, address: str) -> None:
    response = any_app.test_client().get(address)
    assert response.status_code == 400
    assert "Sorry, there is a problem with this page" in response.text
