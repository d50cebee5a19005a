"""The free-text question over real HTTP: an optional text box, stored apart from answers."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from patient_pages import (
    answer_questions,
    csrf_token,
    parse,
    start_survey,
    structure_problems,
    text_of,
)
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Answer, Comment, Response
from survey_app.services.journey import open_journey, record_comment

MakeInvitation = Callable[..., str]
KEY = "comments-anything_else"


def comments(app: Flask) -> list[tuple[str | None, str]]:
    """Return every stored comment as (raw words, masked words)."""
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(Comment.text, Comment.masked_text).order_by(Comment.id))]


def comment_page(app: Flask, client: FlaskClient, make_invitation: MakeInvitation) -> str:
    """Start a survey and return the free-text question's address."""
    token = make_invitation(app)
    start_survey(client, token)
    return f"/s/{token}/q/{KEY}"


def test_the_question_is_a_text_box_with_its_limit_stated_without_javascript(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    url = comment_page(app, client, make_invitation)
    response = client.get(url)
    page = parse(response)
    assert structure_problems(response) == []
    assert page.find("input", attrs={"type": "radio"}) is None
    box = page.select_one("textarea#answer[name=answer]")
    assert box is not None and box.get_text() == ""
    assert text_of(page.select_one("label[for=answer] h1, h1")).startswith(
        "Section 3 of 4: Your comments: Is there anything else you would like to tell us")
    count = page.select_one("#answer-info")
    assert text_of(count) == "You can enter up to 1000 characters"
    assert not count.has_attr("hidden")  # shown before (and without) any JavaScript
    assert page.select_one("[data-module=nhsuk-character-count]")["data-maxlength"] == "1000"
    assert "do not include names, phone numbers" in text_of(page.select_one("#answer-hint"))


def test_the_question_says_plainly_who_will_read_the_comment(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    page = parse(client.get(comment_page(app, client, make_invitation)))
    hint = page.select_one("#answer-hint")
    assert "answer-hint" in page.select_one("textarea#answer")["aria-describedby"]
    paragraphs = [text_of(p) for p in hint.find_all("p")]
    assert paragraphs == [
        "This question is optional: you can leave the box empty and continue. Comments are "
        "not read straight away, so if you need help now, contact your GP or call NHS 111.",
        "Staff at Test Provider RX1 will read your comment, and so may the team that runs "
        "this survey. Names, phone numbers, NHS numbers, email addresses and postcodes are "
        "taken out automatically before they see it, but this can miss some.",
        "If what you write makes them worried about your safety, the team that runs this "
        "survey can see your words exactly as you wrote them and share them with Test "
        "Provider RX1, so that your GP or care team can be asked to help.",
        "Please do not include names, phone numbers or other details that could identify "
        "you or anyone else.",
    ]


def test_continue_with_nothing_typed_records_no_comment(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    url = comment_page(app, client, make_invitation)
    after = client.post(url, data={"csrf_token": csrf_token(client.get(url)), "answer": "  "})
    assert after.status_code == 302 and after.location.endswith("/section/about_you")
    assert comments(app) == [("", "")]


def test_words_are_kept_as_written_and_masked_for_providers(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    url = comment_page(app, client, make_invitation)
    words = "Dr Patel was kind.\r\nRing me on 07700 900123."
    client.post(url, data={"csrf_token": csrf_token(client.get(url)), "answer": words})
    assert comments(app) == [("Dr Patel was kind.\nRing me on 07700 900123.",
                              "Dr [name] was kind.\nRing me on [phone].")]
    with app.app_context():
        assert db.session.scalars(select(Answer.item_id)).all() == []  # not an answer code
    again = parse(client.get(url))
    assert again.select_one("textarea#answer").get_text() == (
        "Dr Patel was kind.\nRing me on 07700 900123.")


def test_too_many_characters_shows_the_error_and_stores_nothing(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    url = comment_page(app, client, make_invitation)
    too_long = "a" * 1001
    response = client.post(url, data={"csrf_token": csrf_token(client.get(url)),
                                      "answer": too_long})
    page = parse(response)
    assert response.status_code == 200
    assert structure_problems(response) == []
    summary = page.select_one(".nhsuk-error-summary a")
    assert text_of(summary) == "Your comment must be 1000 characters or fewer"
    assert summary["href"] == "#answer"
    assert "Your comment must be 1000 characters or fewer" in text_of(
        page.select_one("#answer-error"))
    assert page.select_one("textarea#answer").get_text() == too_long  # their words kept
    assert comments(app) == []


def test_check_your_answers_shows_the_words_or_no_comment_and_submit_keeps_them(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    check_url = answer_questions(client, token).location  # types nothing in the box
    rows = parse(client.get(check_url)).select(".nhsuk-summary-list__row")
    row = next(r for r in rows if "anything else" in text_of(r))
    assert text_of(row.select_one(".nhsuk-summary-list__value")) == "No comment"
    change = row.select_one("a")["href"]
    assert change == f"/s/{token}/q/{KEY}?change=yes"
    back = client.post(change, data={"csrf_token": csrf_token(client.get(change)),
                                     "answer": "Thank you to the ward team"})
    assert back.location == check_url
    rows = parse(client.get(check_url)).select(".nhsuk-summary-list__row")
    assert "Thank you to the ward team" in [
        text_of(r.select_one(".nhsuk-summary-list__value")) for r in rows]
    csrf = csrf_token(client.get(check_url))
    assert client.post(f"/s/{token}/submit", data={"csrf_token": csrf}).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Response.status)).one() == "submitted"
    assert comments(app) == [("Thank you to the ward team", "Thank you to the ward team")]


def test_declining_discards_a_comment_already_typed(
    app: Flask, client: FlaskClient, make_invitation: MakeInvitation
) -> None:
    url = comment_page(app, client, make_invitation)
    client.post(url, data={"csrf_token": csrf_token(client.get(url)), "answer": "Not sure"})
    token = url.split("/")[2]
    decline = f"/s/{token}/decline"
    client.post(decline, data={"csrf_token": csrf_token(client.get(decline))})
    assert comments(app) == []


def test_the_service_refuses_words_for_a_choice_question_or_over_the_limit(
    app: Flask, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(app)
    with app.app_context():
        journey = open_journey(token)
        with pytest.raises(ValueError, match="not a free-text question"):
            record_comment(journey, "ctm15-q1", "words")
        with pytest.raises(ValueError, match="at most 1000 characters"):
            record_comment(journey, KEY, "x" * 1001)
        record_comment(journey, KEY, "y" * 998 + "\r\nz")  # a line break counts once
    assert comments(app) == [("y" * 998 + "\nz", "y" * 998 + "\nz")]
