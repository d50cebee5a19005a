"""Error pages for staff: the portal's layout and words, with a way back to their start
page; patients keep theirs (which promise that their answers are saved)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from patient_pages import parse, structure_problems, text_of
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from staff import signed_in
from werkzeug.test import TestResponse

from survey_app.extensions import db

PORTAL = "Care transitions portal"
PATIENT_SERVICE = "Leaving hospital survey"


def service_name(response: TestResponse) -> str:
    """Return the service name the page's header shows."""
    return text_of(parse(response).find(class_="nhsuk-header__service-name"))


def main_links(response: TestResponse) -> dict[str, str]:
    """Return the links in the page's <main>: text → address."""
    return {text_of(a): a["href"] for a in parse(response).find("main").find_all("a")}


def assert_staff_error(response: TestResponse, status: int, heading: str, body: str,
                       link: tuple[str, str]) -> None:
    assert response.status_code == status
    page = parse(response)
    assert service_name(response) == PORTAL
    assert text_of(page.find("h1")) == heading
    assert [text_of(p) for p in page.find("main").find_all("p")] == [body, link[0]]
    assert main_links(response) == {link[0]: link[1]}
    assert text_of(page.title) == f"{heading} – {PORTAL} – NHS"
    assert "answers" not in text_of(page)
    assert structure_problems(response) == []


def test_a_signed_in_user_without_the_role_gets_the_staff_403_page(app: Flask) -> None:
    client, _staff = signed_in(app, role="provider", organisations=("RX1",))
    assert_staff_error(
        client.get("/admin/users"), 403, "You do not have permission to see this page",
        "Your account does not give you access to this page. If you need it for your work, "
        "ask an administrator.",
        ("Go back to your pages", "/staff/"))


@pytest.mark.parametrize("path", ["/provider/RX2/", "/admin/no-such-page", "/no-such-page"])
def test_a_signed_in_user_gets_the_staff_404_page_anywhere(app: Flask, path: str) -> None:
    client, _staff = signed_in(app, role="provider", organisations=("RX1",))
    assert_staff_error(
        client.get(path), 404, "Page not found",
        "If you typed the web address, check it is correct. If you pasted it, check you "
        "copied the entire address.",
        ("Go back to your pages", "/staff/"))


def test_someone_not_signed_in_gets_the_staff_404_page_in_the_staff_areas(
    client: FlaskClient,
) -> None:
    for path in ("/admin/no-such-page", "/provider/RX1/no-such-page", "/staff/nothing"):
        assert_staff_error(
            client.get(path), 404, "Page not found",
            "If you typed the web address, check it is correct. If you pasted it, check you "
            "copied the entire address.",
            ("Go to the care transitions portal", "/staff/"))


def test_patients_keep_the_patient_error_pages(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert service_name(response) == PATIENT_SERVICE
    page = parse(response)
    assert text_of(page.find("h1")) == "Page not found"
    assert main_links(response) == {}
    assert client.post("/").status_code == 405
    assert "Your earlier answers have been saved" in text_of(parse(client.post("/")))
    assert service_name(client.post("/")) == PATIENT_SERVICE


def test_the_database_down_page_for_staff_is_rendered_without_the_database(
    app: Flask,
) -> None:
    """A signed-in user whose page finds the database gone: the staff 503 page, rendered
    as for someone not signed in, with not one more query."""
    raised = []

    @app.get("/provider/database-gone")
    def database_gone() -> str:
        raised.append(True)
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    client, staff = signed_in(app, role="administrator")
    queries_after: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if raised:
            queries_after.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get("/provider/database-gone")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert raised and queries_after == []
    assert response.headers["Retry-After"] == "30"
    assert_staff_error(response, 503, "Sorry, the service is unavailable",
                       "Try again in a few minutes.",
                       ("Go to the care transitions portal", "/staff/"))
    assert "Sign out" not in response.text and staff.email not in response.text
