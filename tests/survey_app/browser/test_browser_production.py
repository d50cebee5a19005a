"""Production as a person meets it: gunicorn, ``APP_ENV=production``, HTTPS, headless Chromium.

The browser sends what real browsers send (Referer under the app's Referrer-Policy, Origin),
so the strict HTTPS CSRF check, the security headers and the patient rate limits are
exercised as they are in service: a patient answers the whole questionnaire at one page a
second, with a double tap and a step back, and a staff member signs in.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from navigation import click_through
from playwright.sync_api import Browser, Page, expect
from production import Certificate, Server, gunicorn_server, self_signed_certificate
from staff import make_staff

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
PACE_SECONDS = 1.0  # one page a second, as a quick respondent tapping "Agree" through


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return self_signed_certificate(tmp_path)


@pytest.fixture
def server(app: Flask, certificate: Certificate, tmp_path: Path) -> Iterator[Server]:
    """gunicorn in production mode over HTTPS on the test's migrated database."""
    with gunicorn_server(app.config["SQLALCHEMY_DATABASE_URI"], certificate,
                         tmp_path / "server.log") as running:
        yield running


@pytest.fixture
def https_page(browser: Browser) -> Iterator[Page]:
    """A phone browser that accepts the throw-away certificate and records every status."""
    context = browser.new_context(ignore_https_errors=True, **PHONE)
    page = context.new_page()
    page.statuses = []  # type: ignore[attr-defined]
    page.on("response", lambda response: page.statuses.append(  # type: ignore[attr-defined]
        (response.status, response.url)))
    yield page
    context.close()


def press(page: Page, button: str) -> None:
    click_through(page.get_by_role("button", name=button))


def refused(page: Page) -> list[tuple[int, str]]:
    """Every response a person would have seen as a refusal (CSRF 400, 429, 5xx)."""
    return [(status, url) for status, url in page.statuses  # type: ignore[attr-defined]
            if status == 400 or status == 429 or status >= 500]


def test_a_patient_completes_the_survey_over_https_at_one_page_a_second(
    app: Flask, server: Server, https_page: Page, make_invitation
) -> None:
    page = https_page
    token = make_invitation(app)
    page.goto(f"{server.url}/s/{token}")
    press(page, "Start now")
    answered = sections = 0
    while "/q/" in page.url or "/section/" in page.url:
        started = time.monotonic()
        if "/section/" in page.url:  # the page opening a section: read, then Continue
            press(page, "Continue")
            sections += 1
            time.sleep(max(0.0, PACE_SECONDS - (time.monotonic() - started)))
            continue
        if page.locator("textarea").count():
            page.locator("textarea").fill("Joined up and kind.")
        else:
            page.locator(".nhsuk-radios__input").first.check()
        if answered == 3:  # a double tap on Continue
            with page.expect_navigation():
                page.get_by_role("button", name="Continue").dblclick()
        else:
            press(page, "Continue")
        answered += 1
        if answered == 10:  # back a page and forward again
            page.go_back()
            page.go_forward()
        time.sleep(max(0.0, PACE_SECONDS - (time.monotonic() - started)))
    expect(page.locator("h1")).to_have_text("Check your answers before sending them")
    press(page, "Send answers")
    expect(page.locator("h1")).to_have_text("Your answers have been sent")
    assert (answered, sections) == (33, 3)
    assert refused(page) == []
    assert page.url.startswith("https://")


def test_a_staff_member_signs_in_and_out_over_https(
    app: Flask, server: Server, https_page: Page
) -> None:
    page = https_page
    staff = make_staff(app, role="provider", organisations=("RX1",))
    page.goto(f"{server.url}/staff/sign-in")
    page.get_by_label("Email address").fill(staff.email)
    page.get_by_label("Password", exact=True).fill(staff.password)
    press(page, "Sign in")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert page.url == f"{server.url}/staff/"
    press(page, "Sign out")
    expect(page.locator("h1")).to_have_text("You have signed out")
    assert refused(page) == []
