"""Reading and walking the patient's pages over real HTTP (Flask test client).

Plain functions, imported by the page tests: parse a page, check the structure every page
must have, and answer a whole questionnaire the way a browser would.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from survey_app.services.questionnaire import Question

NONCE = re.compile(r"script-src [^;]*'nonce-([^']+)'")


def parse(response: TestResponse) -> BeautifulSoup:
    """Return the response body as parsed HTML."""
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(element: object) -> str:
    """Return an element's text with whitespace collapsed, as a person reads it."""
    return " ".join(element.get_text().split())  # type: ignore[attr-defined]


def csrf_token(response: TestResponse) -> str:
    """Return the CSRF token of the page's form."""
    field = parse(response).find("input", attrs={"name": "csrf_token"})
    assert field is not None, "page has no CSRF token"
    return str(field["value"])


def structure_problems(response: TestResponse) -> list[str]:
    """Return what is wrong with a page's structure (empty when it is right).

    Every page: exactly one <h1>; a <title> that starts with the <h1> text (after "Error: "
    on pages showing an error); no duplicate ids; a CSP header with a nonce that every
    script carries; no inline style attributes or <style> elements.
    """
    page = parse(response)
    problems = []
    headings = page.find_all("h1")
    if len(headings) != 1:
        problems.append(f"{len(headings)} <h1> elements")
    title = text_of(page.title) if page.title else ""
    if headings:
        expected = text_of(headings[0])
        if page.find(class_="nhsuk-error-summary"):
            expected = "Error: " + expected
        if not title.startswith(expected + " – "):
            problems.append(f"title {title!r} does not start with {expected!r}")
    ids = Counter(tag["id"] for tag in page.find_all(id=True))
    problems += [f"id {id_!r} used {n} times" for id_, n in ids.items() if n > 1]
    match = NONCE.search(response.headers.get("Content-Security-Policy", ""))
    if match is None:
        problems.append("no CSP header with a script nonce")
    else:
        for script in page.find_all("script"):
            if script.get("nonce") != match.group(1) and not script.get("src"):
                problems.append("inline script without this response's nonce")
    if page.find_all(style=True) or page.find_all("style"):
        problems.append("inline styles")
    return problems


def first_option(response: TestResponse) -> str:
    """Choose the first radio on a question page (on a free-text question, type nothing)."""
    radio = parse(response).find("input", attrs={"type": "radio"})
    return "" if radio is None else str(radio["value"])


def start_survey(client: FlaskClient, token: str) -> TestResponse:
    """Open the start page and press "Start now"; return the redirect to where to carry on."""
    csrf = csrf_token(client.get(f"/s/{token}?intro=yes"))
    return client.post(f"/s/{token}", data={"csrf_token": csrf})


def continue_link(response: TestResponse) -> str:
    """Return where a page's "Continue" button (a link: a section page, "Welcome back")
    leads."""
    button = parse(response).find("a", class_="nhsuk-button")
    assert button is not None and text_of(button) == "Continue", "page has no Continue link"
    return str(button["href"])


def answer_questions(
    client: FlaskClient,
    token: str,
    choose: Callable[[TestResponse], str] = first_option,
    *,
    limit: int | None = None,
) -> TestResponse:
    """Start and answer questions in order (``limit`` of them, or all), pressing Continue
    on each section's page on the way; return the last redirect (to the next question or
    section page, or to "Check your answers")."""
    redirect = start_survey(client, token)
    location = redirect.location
    answered = 0
    while limit is None or answered < limit:
        if "/section/" in location:
            location = continue_link(client.get(location))
            continue
        if "/q/" not in location:
            break
        page = client.get(location)
        redirect = client.post(
            location, data={"csrf_token": csrf_token(page), "answer": choose(page)}
        )
        assert redirect.status_code == 302, f"answer to {page.request.path} was not accepted"
        location = redirect.location
        answered += 1
    return redirect


def some_answer(question: Question, index: int = 0) -> str:
    """Return an answer the journey service accepts for ``question``: the option at
    ``index``, or, for a free-text question, a short comment."""
    if question.item.is_free_text:
        return "The ward staff were kind."
    return question.options[index].code
