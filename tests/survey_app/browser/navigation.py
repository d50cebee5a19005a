"""Following links and pressing buttons in a real browser without racing the next page.

``locator.click()`` returns once the click is dispatched, not when the page it leads to
has loaded, so an axe-core run or assertion straight after it can land on the old page or
on a blank one mid-navigation. Every step that leaves the page goes through here.
"""

from __future__ import annotations

from playwright.sync_api import Locator


def click_through(locator: Locator) -> None:
    """Click a link or button and wait until the page it leads to has loaded."""
    with locator.page.expect_navigation():
        locator.click()
