"""Messaging pages in real Chromium: the decline page's opt-out (a person ticks "Do not
contact me about surveys again" and declines), the administrators' outbox and funnel and
the provider's funnel — zero axe-core violations on each."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from message_data import due, invite
from navigation import click_through
from playwright.sync_api import Page, expect
from sqlalchemy import func, select
from staff import make_staff

from survey_app.extensions import db
from survey_app.integrations.transport import Outbox
from survey_app.models import ContactDetails, OptOut
from survey_app.services.messages import send_due
from survey_app.services.protection import decrypt

pytestmark = pytest.mark.browser

Axe = Callable[[Page], str]


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/staff/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    click_through(page.get_by_role("button", name="Sign in", exact=True))


def test_a_person_opts_out_on_the_decline_page(
    app: Flask, live_server: str, page: Page, axe: Axe
) -> None:
    with app.app_context():
        invite(1, nhs_numbers=True)
        send_due(now=due("invitation"), transport=Outbox())
        token = decrypt(db.session.scalars(select(ContactDetails.link_token)).one())
    page.goto(f"{live_server}/s/{token}/decline")
    reports = {"decline with opt-out": axe(page)}
    page.get_by_label("Do not contact me about surveys again").check()
    click_through(page.get_by_role("button", name="I do not want to take part"))
    expect(page.locator("main")).to_contain_text("we will not invite you to any more")
    reports["declined and opted out"] = axe(page)
    assert {name: report for name, report in reports.items() if report} == {}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OptOut)) == 1


def test_the_outbox_and_funnel_pages_pass_axe(
    app: Flask, live_server: str, page: Page, axe: Axe
) -> None:
    with app.app_context():
        invite(3)
        invite(1, first=4, channel="email")
        send_due(now=due("invitation"), transport=Outbox())
    admin = make_staff(app, role="administrator")
    sign_in(page, live_server, admin.email, admin.password)
    reports = {}
    for path in ("/admin/outbox", "/admin/outbox?status=nothing", "/admin/response-funnel",
                 "/provider/RX1/response-funnel", "/provider/RX1/response-funnel?period=x"):
        page.goto(live_server + path)
        reports[path] = axe(page)
    page.goto(f"{live_server}/staff/")
    click_through(page.get_by_role("link", name="Messages sent and waiting (the outbox)"))
    expect(page.locator("h1")).to_have_text("Messages")
    assert {name: report for name, report in reports.items() if report} == {}
