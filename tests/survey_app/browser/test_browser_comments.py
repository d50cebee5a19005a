"""The comments pages in real Chromium: a provider user reads, flags and follows up a
comment, an administrator reviews it; zero axe-core violations on every page, errors
included, on a phone and on a desktop."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from comment_data import comment_on
from flask import Flask
from navigation import click_through
from playwright.sync_api import Browser, Page, expect
from staff import make_staff
from test_admin_pages_axe import DESKTOP, press, sign_in

from survey_app.extensions import db
from survey_app.models import Comment

pytestmark = pytest.mark.browser

Axe = Callable[[Page], str]
WORDS = "Dr Patel said a nurse would visit. Nobody came and I have no dressings."


def visit_comment_pages(page: Page, base: str, axe: Axe, app: Flask) -> dict[str, str]:
    """Walk the comments pages as a provider user, then an administrator; return axe
    reports by page."""
    app.config["COMMENTS_PER_PAGE"] = 1  # two comments: two pages
    with app.app_context():
        comment_on("RX1", "An older comment about the ward")
        comment_id = comment_on("RX1", WORDS)
    provider = make_staff(app, role="provider", organisations=("RX1",),
                          email=f"provider-{page.viewport_size}@example.nhs.uk".replace(" ", ""))
    admin = make_staff(app, role="administrator",
                       email=f"admin-{page.viewport_size}@example.nhs.uk".replace(" ", ""))
    reports: dict[str, str] = {}
    sign_in(page, base, provider.email, provider.password)
    page.goto(f"{base}/provider/RX1/comments")
    expect(page.locator(".nhsuk-card__description").last).to_have_text(
        "Dr [name] said a nurse would visit. Nobody came and I have no dressings.")
    reports["comments"] = axe(page)
    click_through(page.get_by_role("link", name="Page 2"))
    expect(page.locator(".nhsuk-card__description")).to_have_text(
        "An older comment about the ward")
    reports["comments, page 2"] = axe(page)
    page.get_by_label("Words in the comment").fill("dressings")
    page.get_by_label("Safety flag").select_option("none")
    click_through(page.get_by_role("button", name="Apply filters"))
    assert "words=dressings" in page.url and "flag=none" in page.url
    expect(page.locator("main h2").first).to_have_text("1 comment")
    reports["comments found"] = axe(page)
    page.goto(f"{base}/provider/RX1/comments")
    click_through(page.get_by_role("link", name=f"Flag as a safety concern (comment {comment_id})"))
    reports["flag"] = axe(page)
    press(page, "Flag as a safety concern")  # no reason given
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    reports["flag with errors"] = axe(page)
    page.get_by_label("Why is this a safety concern?").fill("Wound care not arranged")
    press(page, "Flag as a safety concern")
    expect(page.locator("h1")).to_have_text("Safety concerns")
    reports["flagged"] = axe(page)
    click_through(page.get_by_role("link", name=f"Mark as followed up (comment {comment_id})"))
    reports["follow up"] = axe(page)
    page.get_by_label("What was done to follow this up?").fill("District nurse visited")
    press(page, "Mark as followed up")
    expect(page.get_by_text("Safety concern: followed up").last).to_be_visible()
    reports["followed up"] = axe(page)

    page.context.clear_cookies()
    sign_in(page, base, admin.email, admin.password)
    page.goto(f"{base}/admin/safety-review")
    expect(page.get_by_text(WORDS).last).to_be_visible()
    reports["safety review"] = axe(page)
    with app.app_context():
        assert db.session.get(Comment, comment_id).follow_up_status == "followed_up"
    return {name: report for name, report in reports.items() if report}


def test_comment_pages_pass_axe_on_a_phone(
    app: Flask, live_server: str, page: Page, axe: Axe
) -> None:
    assert visit_comment_pages(page, live_server, axe, app) == {}


def test_comment_pages_pass_axe_on_a_desktop(
    app: Flask, live_server: str, browser: Browser, axe: Axe
) -> None:
    context = browser.new_context(**DESKTOP)
    try:
        assert visit_comment_pages(context.new_page(), live_server, axe, app) == {}
    finally:
        context.close()
