"""A person on a phone completes the whole questionnaire, and comes back to it later.

axe-core checks every page on the way (WCAG 2.2 AA and best practice), error state included.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from navigation import click_through
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Comment, Response

pytestmark = pytest.mark.browser

COMMENT = "Nurse Jane was lovely. Ring me on 07700 900123."
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def press(page: Page, button: str) -> None:
    """Press a button and wait for the page it leads to."""
    click_through(page.get_by_role("button", name=button))


def answer(page: Page, label: str | None = None) -> None:
    """Choose an option (by its exact label, else the first) and press Continue."""
    if label:
        page.get_by_label(label, exact=True).check()
    else:
        page.locator(".nhsuk-radios__input").first.check()
    press(page, "Continue")


def write_comment(page: Page, audit: Callable[[str], None]) -> None:
    """Type too much (the live count and the server both say so), then a real comment."""
    box = page.get_by_label("Is there anything else you would like to tell us", exact=False)
    box.fill("x" * 1001)
    expect(page.locator(".nhsuk-character-count__status")).to_have_text(
        "You have 1 character too many")
    press(page, "Continue")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "Your comment must be 1000 characters or fewer")
    audit("comment too long")
    box.fill(COMMENT)
    expect(page.locator(".nhsuk-character-count__status")).to_have_text(
        f"You have {1000 - len(COMMENT)} characters remaining")
    press(page, "Continue")


def test_a_whole_questionnaire_on_a_phone_passes_axe_on_every_page(
    app: Flask, live_server: str, page: Page, axe: Callable[[Page], str], make_invitation
) -> None:
    token = make_invitation(app)
    problems: dict[str, str] = {}

    def audit(name: str) -> None:
        if report := axe(page):
            problems[name] = report

    page.goto(f"{live_server}/s/{token}")
    audit("start")
    press(page, "Start now")
    press(page, "Continue")  # nothing chosen
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()  # NHS JS moves focus here
    audit("question 1, nothing chosen")
    headings = []
    while "/q/" in page.url:
        headings.append(page.locator("h1").inner_text())
        audit(page.url.rsplit("/", 1)[1])
        if page.locator("textarea").count():
            write_comment(page, audit)
        else:
            answer(page)
    expect(page.locator("h1")).to_have_text("Check your answers before sending them")
    audit("check your answers")
    with page.expect_navigation():
        page.get_by_role("button", name="Send answers").dblclick()  # an eager double click
    expect(page.locator("h1")).to_have_text("Your answers have been sent")
    audit("done")
    page.reload()  # and a refresh
    page.go_back()  # "Check your answers" again: not cached (no-store), so refused
    expect(page.locator("h1")).to_have_text("You have already sent your answers")

    assert problems == {}
    assert len(headings) == 33 and headings[-1].startswith("Question 33 of 33")
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        assert response.status == "submitted" and len(response.answers) == 32
        comment = db.session.scalars(select(Comment)).one()
        assert (comment.text, comment.masked_text) == (
            COMMENT, "Nurse [name] was lovely. Ring me on [phone].")


def test_closing_the_browser_and_opening_the_link_again_resumes_where_you_stopped(
    app: Flask, live_server: str, browser: Browser, make_invitation
) -> None:
    token = make_invitation(app)
    first_visit = browser.new_context(**PHONE)
    page = first_visit.new_page()
    page.goto(f"{live_server}/s/{token}")
    press(page, "Start now")
    answer(page, "A carer or relative, on the patient's behalf")
    answer(page, "Strongly agree")
    answer(page, "Agree")
    first_visit.close()  # no cookies survive

    later = browser.new_context(**PHONE)
    page = later.new_page()
    page.goto(f"{live_server}/s/{token}")
    assert page.url == f"{live_server}/s/{token}/q/ctm15-q3"
    expect(page.locator("h1")).to_contain_text("Question 4 of 33")
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_label("Agree", exact=True)).to_be_checked()  # saved answer shown
    later.close()
