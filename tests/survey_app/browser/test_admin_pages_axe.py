"""Sign-in and administration pages in real Chromium: zero axe-core violations (WCAG 2.2
AA and best practice), on a phone and on a desktop, including pages showing errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from event_data import make_event
from flask import Flask
from navigation import click_through
from playwright.sync_api import Browser, Page, expect
from staff import make_staff

from survey_app.extensions import db
from survey_app.models import StaffUser
from survey_app.services import accounts
from survey_app.services.invitations import issue_invitation
from survey_app.services.surveys import ensure_survey

pytestmark = pytest.mark.browser

Axe = Callable[[Page], str]
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def press(page: Page, button: str) -> None:
    click_through(page.get_by_role("button", name=button, exact=True))


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/staff/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    press(page, "Sign in")


def sent_survey(app: Flask) -> int:
    """Send the short survey to a patient; return its id."""
    with app.app_context():
        survey = ensure_survey("leaving-hospital-short")
        issue_invitation(event=make_event(provider_code="RQ1"), survey=survey, channel="sms")
        return survey.id


def visit_admin_pages(page: Page, base: str, axe: Axe, app: Flask) -> dict[str, str]:
    """Walk every kind of staff page as an administrator; return axe reports by page."""
    reports: dict[str, str] = {}
    page.goto(f"{base}/staff/sign-in")
    reports["sign in"] = axe(page)
    press(page, "Sign in")  # empty form: the error summary and messages
    reports["sign in with errors"] = axe(page)

    admin = make_staff(app, role="administrator")
    provider = make_staff(app, role="provider", organisations=("RX1",))
    sign_in(page, base, admin.email, admin.password)
    expect(page.locator("h1")).to_have_text("Your pages")
    reports["home"] = axe(page)
    for path in ("/admin/organisations", "/admin/organisations/new", "/admin/pathways",
                 "/admin/pathways/new", "/admin/surveys", "/admin/surveys/new", "/admin/users",
                 "/admin/users/new", f"/admin/users/{provider.id}", "/staff/password"):
        page.goto(base + path)
        reports[path] = axe(page)

    page.goto(f"{base}/admin/organisations/new")
    page.get_by_label("Start date").fill("")
    press(page, "Add organisation")
    expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    reports["organisation with errors"] = axe(page)

    page.goto(f"{base}/admin/users/new")
    press(page, "Add user")
    reports["user with errors"] = axe(page)
    page.get_by_label("Email address").fill("new.person@example.nhs.uk")
    page.get_by_label("Full name").fill("New Person")
    page.get_by_label("Test Provider RX1 (RX1, provider)").check()
    press(page, "Add user")
    expect(page.locator("h1")).to_have_text("Account created for New Person")
    reports["temporary password"] = axe(page)

    page.goto(f"{base}/admin/audit")
    reports["audit log"] = axe(page)
    page.goto(f"{base}/admin/surveys/{sent_survey(app)}")
    expect(page.locator(".nhsuk-summary-list")).to_be_visible()
    reports["survey sent to patients"] = axe(page)
    page.goto(f"{base}/admin/no-such-page")
    expect(page.locator("h1")).to_have_text("Page not found")
    reports["staff error page"] = axe(page)
    press(page, "Sign out")
    expect(page.locator("h1")).to_have_text("You have signed out")
    reports["signed out"] = axe(page)
    page.goto(f"{base}/provider/no-such-page/at-all")
    expect(page.locator("h1")).to_have_text("Page not found")
    reports["staff error page, signed out"] = axe(page)
    return reports


def test_staff_pages_pass_axe_on_a_phone(
    app: Flask, live_server: str, page: Page, axe: Axe
) -> None:
    reports = visit_admin_pages(page, live_server, axe, app)
    assert len(reports) == 21
    assert {name: report for name, report in reports.items() if report} == {}


def test_staff_pages_pass_axe_on_a_desktop(
    app: Flask, live_server: str, browser: Browser, axe: Axe
) -> None:
    context = browser.new_context(**DESKTOP)
    reports = visit_admin_pages(context.new_page(), live_server, axe, app)
    context.close()
    assert {name: report for name, report in reports.items() if report} == {}


def test_a_temporary_password_leads_to_the_change_password_page(
    app: Flask, live_server: str, page: Page, axe: Axe
) -> None:
    staff = make_staff(app, role="provider", organisations=("RX1",))
    with app.app_context():
        temporary = accounts.reset_password(db.session.get(StaffUser, staff.id), actor=None)
    sign_in(page, live_server, staff.email, temporary)
    expect(page.locator("h1")).to_have_text("Change your password")
    expect(page.locator(".nhsuk-inset-text")).to_contain_text("temporary password")
    assert axe(page) == ""
    page.get_by_label("Current password").fill(temporary)
    page.get_by_label("New password", exact=True).fill("my own long passphrase")
    page.get_by_label("Confirm new password").fill("my own long passphrase")
    press(page, "Change password")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("password has been changed")
    assert axe(page) == ""
