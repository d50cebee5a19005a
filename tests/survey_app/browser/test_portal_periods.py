"""The portal when the latest quarter has only just begun, in real headless Chromium
(``current_quarter_app``: one response of RZ2 in it, none of RZ1's)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page
from results_world import current_quarter_app, demo_db, quarters
from staff import Staff, make_staff
from test_portal import sign_in

# Fixtures imported from results_world (named here so the imports count as used).
FIXTURES = (current_quarter_app, demo_db, quarters)

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def app(current_quarter_app: Flask) -> Flask:
    return current_quarter_app


@pytest.fixture(scope="module")
def staff(current_quarter_app: Flask) -> Staff:
    return make_staff(current_quarter_app, role="provider", organisations=("RZ1",))


@pytest.fixture
def desk(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(**DESKTOP)
    yield context.new_page()
    context.close()


def test_the_dashboard_opens_on_the_latest_period_with_results_and_says_so(
    desk: Page, live_server: str, staff: Staff, quarters: tuple[str, str],
    axe: Callable[[Page], str],
) -> None:
    latest, current = quarters
    sign_in(desk, live_server, staff)
    desk.goto(f"{live_server}/provider/RZ1/")
    assert desk.get_by_label("Period").input_value() == latest
    shown = desk.locator("main #period-shown").inner_text()
    assert shown == (f"Showing {latest}, the latest period with results for your "
                     f"organisation. There are no results for you in {current} yet: choose "
                     "it under Period to see what has come in so far.")
    assert desk.get_by_role("heading", level=2, name=f"Headline results, {latest}").count() == 1
    stroke = desk.get_by_role("row", name="Stroke (including early supported discharge)")
    assert stroke.get_by_role("cell").nth(0).inner_text().isdigit()  # responses, not 0
    assert stroke.get_by_role("cell").nth(0).inner_text() != "0"
    assert desk.get_by_role("link", name=f"Benchmark report for {latest} (PDF)").count() == 1
    assert axe(desk) == ""


def test_a_period_nobody_of_yours_answered_offers_no_report_and_refuses_one(
    desk: Page, live_server: str, staff: Staff, quarters: tuple[str, str],
    axe: Callable[[Page], str],
) -> None:
    _latest, current = quarters
    sign_in(desk, live_server, staff)
    desk.goto(f"{live_server}/provider/RZ1/?period={current}")
    assert desk.locator("main #period-shown").count() == 0  # chosen, not a default
    downloads = desk.get_by_role("heading", level=2, name="Download the benchmark report")
    assert downloads.count() == 1
    assert desk.locator("main #no-report").inner_text() == (
        f"There is no benchmark report for {current}: nobody from your organisation "
        "answered the survey in that period.")
    assert desk.get_by_role("link", name=f"Benchmark report for {current} (PDF)").count() == 0
    assert axe(desk) == ""

    response = desk.goto(f"{live_server}/provider/RZ1/reports/{current}.pdf")
    assert response is not None and response.status == 404
    assert desk.get_by_role("heading", level=1).inner_text() == (
        f"There is no benchmark report for {current}")
    assert desk.locator("main p").first.inner_text() == (
        f"Nobody from your organisation answered the survey in {current}, so there is "
        "nothing to report.")
    assert desk.get_by_role("link", name="Back to your results").count() == 1
    assert axe(desk) == ""


def test_a_stratum_without_a_benchmark_draws_no_funnel_plot(
    desk: Page, live_server: str, staff: Staff, quarters: tuple[str, str],
    axe: Callable[[Page], str],
) -> None:
    _latest, current = quarters
    sign_in(desk, live_server, staff)
    desk.goto(f"{live_server}/provider/RZ1/pathways/stroke?period={current}")
    heading = desk.get_by_role("heading", level=2, name="Compared with other providers")
    assert heading.count() == 1
    reason = desk.locator("main #funnel + p").inner_text()
    assert reason == (f"No funnel plot: no provider of this pathway had 30 or more "
                      f"responses in {current}, so there is no benchmark to compare with.")
    assert desk.get_by_role("img", name="Funnel plot").count() == 0
    assert desk.get_by_role("region", name="Funnel plot data").count() == 0
    assert "benchmark –" not in desk.locator("main").inner_text()
    assert axe(desk) == ""
