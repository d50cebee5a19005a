"""The provider portal in real headless Chromium: what a person sees, and axe-core."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from navigation import click_through
from playwright.sync_api import Browser, Page
from results_world import (
    demo_db,
    full_period,
    results_app,
    rz1_staff,
)
from staff import Staff

# Fixtures imported from results_world (named here so the imports count as used).
FIXTURES = (demo_db, full_period, results_app, rz1_staff)


pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def app(results_app: Flask) -> Flask:
    """Serve the demo world (the live server serves whatever ``app`` is)."""
    return results_app


@pytest.fixture
def desk(browser: Browser) -> Page:
    """A desktop-sized page: staff use the portal at their desks."""
    context = browser.new_context(**DESKTOP)
    yield context.new_page()
    context.close()


def sign_in(page: Page, base: str, staff: Staff) -> None:
    page.goto(f"{base}/staff/sign-in")
    page.get_by_label("Email address").fill(staff.email)
    page.get_by_label("Password", exact=True).fill(staff.password)
    click_through(page.get_by_role("button", name="Sign in"))


def test_portal_pages_pass_axe_and_show_results(
    desk: Page, live_server: str, rz1_staff: Staff, full_period: str,
    axe: Callable[[Page], str],
) -> None:
    sign_in(desk, live_server, rz1_staff)
    desk.goto(f"{live_server}/provider/RZ1/?period={full_period}")
    assert desk.get_by_role("heading", level=1).inner_text().startswith("Northmoor")
    assert axe(desk) == ""
    desk.get_by_label("Pathway").select_option("stroke")
    click_through(desk.get_by_role("button", name="Apply filters"))  # a plain GET form
    assert "pathway=stroke" in desk.url
    click_through(desk.get_by_role("link", name="Stroke (including early supported discharge)"))
    lead = desk.locator("main p.nhsuk-body-l").inner_text()
    assert lead.startswith("Your CTM-15 score for Stroke (including early supported discharge) ")
    for name in ("Funnel plot", "XmR chart"):
        image = desk.get_by_role("img", name=name).first
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert axe(desk) == ""
    click_through(desk.get_by_role("link", name="How the bands are worked out"))
    assert desk.url.endswith("/provider/how-results-are-worked-out#bands")
    assert desk.get_by_role("heading", level=2, name="Bands: compared with other providers")
    assert axe(desk) == ""


def test_an_invalid_filter_page_passes_axe(
    desk: Page, live_server: str, rz1_staff: Staff, axe: Callable[[Page], str],
) -> None:
    sign_in(desk, live_server, rz1_staff)
    desk.goto(f"{live_server}/provider/RZ1/?period=1999-Q1")
    assert "There is a problem" in desk.locator(".nhsuk-error-summary").inner_text()
    assert axe(desk) == ""
