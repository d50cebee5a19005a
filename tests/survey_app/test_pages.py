"""Every page a patient can reach has the structure the NHS service manual and WCAG ask
for: one <h1>, a matching <title>, unique ids, CSP with a nonce, no inline styles."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from patient_pages import (
    answer_questions,
    csrf_token,
    parse,
    structure_problems,
    text_of,
)
from werkzeug.test import TestResponse


def every_page_of_a_journey(
    app: Flask, client: FlaskClient, make_invitation
) -> dict[str, TestResponse]:
    """Return one response for each kind of page, reached the way a patient reaches it."""
    token = make_invitation(app)
    pages = {"start": client.get(f"/s/{token}")}
    first = answer_questions(client, token, limit=0).location
    pages["question"] = client.get(first)
    pages["question with error"] = client.post(
        first, data={"csrf_token": csrf_token(pages["question"])}
    )
    pages["section"] = client.get(answer_questions(client, token, limit=1).location)
    pages["welcome back"] = client.get(f"/s/{token}")
    pages["check"] = client.get(answer_questions(client, token).location)
    client.post(f"/s/{token}/submit", data={"csrf_token": csrf_token(pages["check"])})
    pages["done"] = client.get(f"/s/{token}/done")
    pages["used link"] = client.get(f"/s/{token}")

    other = make_invitation(app)
    pages["decline"] = client.get(f"/s/{other}/decline")
    client.post(f"/s/{other}/decline", data={"csrf_token": csrf_token(pages["decline"])})
    pages["declined"] = client.get(f"/s/{other}/decline")
    pages["declined link"] = client.get(f"/s/{other}")

    pages["expired link"] = client.get(f"/s/{make_invitation(app, expired=True)}")
    pages["unknown link"] = client.get("/s/not-a-real-token")
    pages["not found"] = client.get("/no-such-page")
    pages["home"] = client.get("/")
    pages["wrong method"] = client.get(f"/s/{token}/submit")
    pages["form without CSRF token"] = client.post(f"/s/{other}/decline")
    return pages


@pytest.fixture
def pages(app: Flask, client: FlaskClient, make_invitation) -> dict[str, TestResponse]:
    return every_page_of_a_journey(app, client, make_invitation)


def layout_problems(page: TestResponse) -> list[str]:
    """Return what is missing from the NHS layout, and any asset from another origin."""
    html = parse(page)
    problems = [] if html.find("header", class_="nhsuk-header") else ["no NHS header"]
    problems += [] if html.find("main", id="maincontent") else ["no main#maincontent"]
    sources = [tag.get("href") or tag.get("src") for tag in html.find_all(["link", "script"])]
    external = [url for url in sources if url and re.match(r"(https?:)?//", url)]
    return problems + [f"external asset {url}" for url in external]


def test_every_page_has_one_h1_a_matching_title_unique_ids_a_csp_nonce_and_the_nhs_layout(
    pages: dict[str, TestResponse],
) -> None:
    problems = {
        name: structure_problems(page) + layout_problems(page) for name, page in pages.items()
    }
    assert {name: found for name, found in problems.items() if found} == {}


def test_each_page_has_its_status_code_and_link_problems_their_own_plain_page(
    pages: dict[str, TestResponse],
) -> None:
    statuses = {name: page.status_code for name, page in pages.items()}
    assert statuses == {
        "start": 200, "question": 200, "question with error": 200, "section": 200,
        "welcome back": 200, "check": 200,
        "done": 200, "used link": 410, "decline": 200, "declined": 200,
        "declined link": 410, "expired link": 410, "unknown link": 404, "not found": 404,
        "wrong method": 405, "form without CSRF token": 400, "home": 200,
    }
    headings = {
        name: text_of(parse(pages[name]).h1)
        for name in ("used link", "declined link", "expired link", "unknown link", "not found")
    }
    assert headings == {
        "used link": "You have already sent your answers",
        "declined link": "You have told us you do not want to take part",
        "expired link": "This survey link has expired",
        "unknown link": "This survey link does not work",
        "not found": "Page not found",
    }
