"""The CSV upload in real Chromium: a provider user uploads a file through NHS.UK's file
upload component, reads the batch report, has a refused file explained; the pages pass
axe-core (WCAG 2.2 AA and best practice) on a phone and a desktop."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from event_data import provider_with_site
from flask import Flask
from intake_data import intake_world, row
from navigation import click_through
from playwright.sync_api import Browser, Page, expect
from staff import Staff, make_staff

from survey_app.extensions import db
from survey_app.services.intake_validation import FIELDS

pytestmark = pytest.mark.browser

Axe = Callable[[Page], str]
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def sign_in(page: Page, base: str, staff: Staff) -> None:
    page.goto(f"{base}/staff/sign-in")
    page.get_by_label("Email address").fill(staff.email)
    page.get_by_label("Password", exact=True).fill(staff.password)
    click_through(page.get_by_role("button", name="Sign in"))


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def upload(page: Page, path: Path) -> None:
    """Choose the file as a person does (the component's button opens the file chooser)."""
    with page.expect_file_chooser() as chooser:
        page.get_by_label("Upload a CSV file").click()
    chooser.value.set_files(path)
    expect(page.get_by_text(path.name)).to_be_visible()
    click_through(page.get_by_role("button", name="Upload and import"))


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_provider_user_uploads_a_file_and_reads_its_report(
    browser: Browser, live_server: str, app: Flask, tmp_path: Path, axe: Axe, size: str
) -> None:
    with app.app_context():
        intake_world()
        provider_with_site("RX2")
        db.session.commit()
    user = make_staff(app, role="provider", organisations=("RX1",))
    context = browser.new_context(**({} if size == "phone" else DESKTOP))
    page = context.new_page()
    try:
        sign_in(page, live_server, user)
        page.goto(f"{live_server}/provider/RX1/")
        click_through(page.get_by_role("link", name="Bring in discharges (CSV upload)",
                                       exact=False))
        expect(page.locator("h1")).to_have_text("Bring in discharges")
        page.get_by_text("What each column holds").click()
        expect(page.get_by_role("cell", name="source_reference (required)")).to_be_visible()
        assert axe(page) == ""

        upload(page, write_csv(tmp_path / "nov.csv", [
            row(1), row(2, provider_code="RX2", site_code="RX201")]))
        expect(page.locator("h1")).to_have_text("Batch 1: nov.csv")
        expect(page.get_by_role("row", name="row 3 provider_code RX2 this provider is not "
                                             "your organisation")).to_be_visible()
        assert axe(page) == ""

        page.goto(f"{live_server}/provider/RX1/intake")
        (tmp_path / "bad.csv").write_bytes(b"source_reference;provider_code\nV1;RX1\n")
        upload(page, tmp_path / "bad.csv")
        summary = page.locator(".nhsuk-error-summary")
        expect(summary).to_contain_text("bad.csv: row 1 looks semicolon-separated")
        assert axe(page) == ""
        click_through(page.get_by_role("link", name="Batch 2"))
        expect(page.locator(".nhsuk-card--warning")).to_contain_text("semicolon-separated")
        assert axe(page) == ""
    finally:
        context.close()


def test_the_administrators_upload_page_passes_axe(
    page: Page, live_server: str, app: Flask, axe: Axe
) -> None:
    admin = make_staff(app, role="administrator")
    sign_in(page, live_server, admin)
    page.goto(f"{live_server}/admin/intake")
    expect(page.get_by_label("Whose discharges are these?")).to_be_visible()
    assert axe(page) == ""
    click_through(page.get_by_role("button", name="Upload and import"))  # no file chosen
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Select a CSV file")
    assert axe(page) == ""
