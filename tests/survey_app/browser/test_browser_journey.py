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


def heading(page: Page) -> str:
    """Return the page's h1 as a screen reader reads it (caption and separator included)."""
    return " ".join(page.locator("h1").text_content().split())


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
    headings, section_pages = [], {}
    while "/q/" in page.url or "/section/" in page.url:
        audit(page.url.rsplit("/", 1)[1])
        if "/section/" in page.url:
            section_pages[heading(page)] = page.locator("main li").all_text_contents()
            press(page, "Continue")
            continue
        headings.append(heading(page))
        if page.locator("textarea").count():
            write_comment(page, audit)
        else:
            answer(page)
    expect(page.locator("h1")).to_have_text("Check your answers before sending them")
    audit("check your answers")
    check = {
        " ".join(h2.text_content().split()): h2.evaluate(
            "h => h.nextElementSibling.querySelectorAll('.nhsuk-summary-list__row').length")
        for h2 in page.locator("main h2").all()[:-1]
    }
    with page.expect_navigation():
        page.get_by_role("button", name="Send answers").dblclick()  # an eager double click
    expect(page.locator("h1")).to_have_text("Your answers have been sent")
    audit("done")
    page.reload()  # and a refresh
    page.go_back()  # "Check your answers" again: not cached (no-store), so refused
    expect(page.locator("h1")).to_have_text("You have already sent your answers")

    assert problems == {}
    assert len(headings) == 33
    assert headings[0] == "About you: Who is filling this in?"  # asked before the sections
    assert headings[1].startswith("Section 1 of 4: Leaving hospital, question 1 of 15:")
    # The answers change at question 17: a page says so, listing the new ones.
    assert headings[16].startswith("Section 2 of 4: Joined-up care, question 1 of 12:")
    assert headings[28].startswith("Section 3 of 4: Your comments: Is there anything else")
    assert headings[-1].startswith("Section 4 of 4: About you, question 4 of 4:")
    assert section_pages == {
        "Section 1 of 4: Leaving hospital": [
            "Strongly disagree", "Disagree", "Agree", "Strongly agree",
            "Don't know / Don't remember / Not applicable"],
        "Section 2 of 4: Joined-up care": [
            "Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
            "Strongly agree", "This does not apply to me"],
        "Section 4 of 4: About you": [],  # each question has its own answers
    }
    assert check == {"Leaving hospital": 15, "Joined-up care": 12, "Your comments": 1,
                     "About you": 5}
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        assert response.status == "submitted" and len(response.answers) == 32
        comment = db.session.scalars(select(Comment)).one()
        assert (comment.text, comment.masked_text) == (
            COMMENT, "Nurse [name] was lovely. Ring me on [phone].")


def test_opening_the_link_again_on_another_device_says_welcome_back_then_resumes(
    app: Flask, live_server: str, browser: Browser, axe: Callable[[Page], str], make_invitation
) -> None:
    token = make_invitation(app)
    first_visit = browser.new_context(**PHONE)
    page = first_visit.new_page()
    page.goto(f"{live_server}/s/{token}")
    press(page, "Start now")
    answer(page, "A carer or relative, on the patient's behalf")
    press(page, "Continue")  # the page opening "Leaving hospital"
    answer(page, "Strongly agree")
    answer(page, "Agree")
    first_visit.close()  # no cookies survive

    later = browser.new_context(**PHONE)
    page = later.new_page()
    page.goto(f"{live_server}/s/{token}")
    expect(page.locator("h1")).to_have_text("Welcome back")
    expect(page.locator("main")).to_contain_text("You have answered 3 of 33 questions.")
    expect(page.locator("main")).to_contain_text("in section 1 of 4: Leaving hospital")
    report = axe(page)
    press(page, "Continue")
    assert page.url == f"{live_server}/s/{token}/q/ctm15-q3"
    assert heading(page).startswith("Section 1 of 4: Leaving hospital, question 3 of 15:")
    click_through(page.get_by_role("link", name="Back"))
    expect(page.get_by_label("Agree", exact=True)).to_be_checked()  # saved answer shown
    later.close()
    assert report == ""
