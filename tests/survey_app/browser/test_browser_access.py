"""Access for everyone: link problem and error pages pass axe, keyboard alone works,
nothing scrolls sideways at 400% zoom, and the journey works with JavaScript off."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from navigation import click_through
from patient_pages import answer_questions, csrf_token
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

Axe = Callable[[Page], str]


def press(page: Page, button: str) -> None:
    """Press a button and wait for the page it leads to."""
    click_through(page.get_by_role("button", name=button))


def completed_link(app: Flask, make_invitation) -> str:
    """Return a token whose questionnaire has been answered and sent (over HTTP)."""
    token = make_invitation(app)
    client = app.test_client()
    check = client.get(answer_questions(client, token).location)
    client.post(f"/s/{token}/submit", data={"csrf_token": csrf_token(check)})
    return token


def test_axe_reports_a_real_violation(page: Page, axe: Axe) -> None:
    page.set_content('<html lang="en"><title>t</title><main><img src="x.png"></main></html>')
    assert "image-alt" in axe(page)


def test_link_problem_decline_and_error_pages_pass_axe_with_the_right_status(
    app: Flask, live_server: str, page: Page, axe: Axe, make_invitation
) -> None:
    declining = make_invitation(app)
    pages = {
        "unknown link": ("/s/not-a-token", 404),
        "expired link": (f"/s/{make_invitation(app, expired=True)}", 410),
        "used link": (f"/s/{completed_link(app, make_invitation)}", 410),
        "page not found": ("/nothing-here", 404),
        "home": ("/", 200),
        "decline": (f"/s/{declining}/decline", 200),
    }
    problems, statuses = {}, {}
    for name, (path, _status) in pages.items():
        statuses[name] = page.goto(live_server + path).status
        problems[name] = axe(page)

    page.locator("input[name=csrf_token]").evaluate("field => field.remove()")
    with page.expect_navigation() as refused:
        page.get_by_role("button", name="I do not want to take part").click()
    statuses["form without CSRF token"] = refused.value.status
    problems["form without CSRF token"] = axe(page)

    page.goto(f"{live_server}/s/{declining}/decline")
    press(page, "I do not want to take part")
    expect(page.locator("h1")).to_have_text("You have told us you do not want to take part")
    problems["declined"] = axe(page)
    statuses["declined link"] = page.goto(f"{live_server}/s/{declining}").status
    problems["declined link"] = axe(page)

    assert {name: report for name, report in problems.items() if report} == {}
    assert statuses == {
        **{name: status for name, (_path, status) in pages.items()},
        "form without CSRF token": 400, "declined link": 410,
    }


def test_a_question_can_be_answered_with_the_keyboard_alone(
    app: Flask, live_server: str, page: Page, make_invitation
) -> None:
    token = make_invitation(app)
    page.goto(f"{live_server}/s/{token}")
    for _ in range(12):  # skip link, then the start page's content, to "Start now"
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Start now":
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for _ in range(6):  # skip link, back link, then the first radio
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "radio":
            break
    page.keyboard.press("ArrowDown")  # second option: "with help from someone else"
    page.keyboard.press("Space")
    expect(page.get_by_label("The patient, with help from someone else")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Continue")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Leaving hospital")  # the first section's page
    for _ in range(12):  # skip link, back link, then the page's text, to "Continue"
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Continue":
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Section 1 of 4: Leaving hospital, question 1")


def test_nothing_scrolls_sideways_at_400_percent_zoom(
    app: Flask, live_server: str, browser: Browser, make_invitation
) -> None:
    # 400% zoom of a 1280 px wide window is a 320 CSS px viewport (WCAG 2.2, 1.4.10 Reflow).
    context = browser.new_context(viewport={"width": 320, "height": 256})
    page = context.new_page()
    token = make_invitation(app)
    answered = completed_link(app, make_invitation)
    client = app.test_client()
    checking = make_invitation(app)
    answer_questions(client, checking)
    wide = {}
    for path in (f"/s/{token}", f"/s/{checking}/check", f"/s/{answered}/done",
                 f"/s/{checking}/q/ctm15-q13", f"/s/{checking}/section/ctm15",
                 f"/s/{checking}", "/s/not-a-token"):  # section page, "Welcome back"
        page.goto(live_server + path)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            wide[path] = width
    page.goto(f"{live_server}/s/{token}")
    press(page, "Start now")
    press(page, "Continue")  # the error summary and message are the widest parts
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    context.close()
    assert wide == {}
    assert width[0] <= width[1]


def test_the_journey_works_with_javascript_switched_off(
    app: Flask, live_server: str, browser: Browser, make_invitation
) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    token = make_invitation(app)
    page.goto(f"{live_server}/s/{token}")
    press(page, "Start now")
    press(page, "Continue")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Select an answer")
    page.get_by_label("The patient", exact=True).check()
    press(page, "Continue")
    expect(page.locator("h1")).to_contain_text("Leaving hospital")  # the section's page
    press(page, "Continue")  # a link: no script needed
    expect(page.locator("h1")).to_contain_text("Section 1 of 4: Leaving hospital, question 1")
    page.go_back()
    page.goto(page.url.replace("/section/ctm15", ""))
    expect(page.locator("h1")).to_have_text("Welcome back")
    press(page, "Continue")
    expect(page.locator("h1")).to_contain_text("Leaving hospital")
    assert "js-enabled" not in (page.locator("body").get_attribute("class") or "")
    context.close()
