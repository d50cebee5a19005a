"""Real headless Chromium (Debian's, driven by Playwright) against the app on a live port.

One browser per test session; each test gets a fresh phone-sized context (no shared
cookies) and its own app and database, served from a background thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
# Without the networking flags Debian's chromium tries to reach outside hosts and stalls.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# WCAG 2.2 AA and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

AXE_SCRIPT = Axe().axe_script  # axe-core, as bundled by axe-playwright-python


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` on an ephemeral local port; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh phone-sized browser context."""
    context = browser.new_context(**PHONE)
    yield context
    context.close()


@pytest.fixture
def page(phone: BrowserContext) -> Page:
    return phone.new_page()


def axe_violations(page: Page) -> str:
    """Run axe-core on the page; return a report of its violations ("" when there are none).

    Only the violations cross back from the browser: axe's full result set (every rule that
    passed) is large, and serialising it for 30-odd pages made the suite slow.
    """
    page.evaluate(AXE_SCRIPT)
    violations = page.evaluate(
        "options => axe.run(document, options).then(results => results.violations)",
        {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    return "\n".join(
        f"{rule['id']} ({rule['impact']}): {rule['help']} at "
        + ", ".join(" ".join(node["target"]) for node in rule["nodes"])
        for rule in violations
    )


@pytest.fixture
def axe() -> Callable[[Page], str]:
    """``axe(page)`` → the axe-core report of the page's violations, "" when none."""
    return axe_violations
