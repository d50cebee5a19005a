"""Requests are capped at what the largest form needs (``MAX_CONTENT_LENGTH``): anything
bigger gets the NHS "too long" page (413) before any form is read, and the longest answer
anyone may give still fits."""

from __future__ import annotations

from urllib.parse import urlencode

from comment_data import KEY
from flask import Flask
from flask.testing import FlaskClient
from patient_pages import answer_questions, csrf_token, parse, structure_problems, text_of
from sqlalchemy import select
from werkzeug.test import TestResponse

from instruments.schema import FREE_TEXT_LIMIT
from survey_app.extensions import db
from survey_app.models import Comment

TWENTY_MB = 20 * 1024 * 1024
WIDE = "😀"  # 4 bytes in UTF-8, 12 URL-encoded: the costliest character to send


def assert_too_long_page(response: TestResponse) -> None:
    assert response.status_code == 413
    assert text_of(parse(response).h1) == "Sorry, what you sent was too long"
    assert structure_problems(response) == []


def comment_url(client: FlaskClient, token: str) -> str:
    """Answer every question before the comment; return the comment question's address."""
    redirect = answer_questions(client, token)  # the comment is optional: left empty
    assert "/check" in redirect.location
    return f"/s/{token}/q/{KEY}"


def test_a_huge_answer_gets_the_too_long_page(
    app: Flask, client: FlaskClient, make_invitation
) -> None:
    url = comment_url(client, make_invitation(app))
    response = client.post(url, data={"csrf_token": csrf_token(client.get(url)),
                                      "answer": "x" * TWENTY_MB})
    assert_too_long_page(response)


def test_a_huge_sign_in_gets_the_too_long_page(client: FlaskClient) -> None:
    page = client.get("/staff/sign-in")
    response = client.post("/staff/sign-in", data={
        "csrf_token": csrf_token(page), "email": "x" * TWENTY_MB, "password": "x"})
    assert_too_long_page(response)


def test_the_longest_comment_allowed_still_saves(
    app: Flask, client: FlaskClient, make_invitation
) -> None:
    token = make_invitation(app)
    url = comment_url(client, token)
    page = client.get(url)
    limit = parse(page).find(attrs={"data-maxlength": True})["data-maxlength"]  # 1,000
    longest = WIDE * int(limit)
    saved = client.post(url, data={"csrf_token": csrf_token(page), "answer": longest})
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Comment.text)) == longest


def test_the_cap_fits_the_longest_answer_any_instrument_may_allow(app: Flask) -> None:
    body = urlencode({"csrf_token": "t" * 91, "answer": WIDE * FREE_TEXT_LIMIT})
    assert len(body) < app.config["MAX_CONTENT_LENGTH"] <= 64 * 1024
