"""The database goes away and comes back: patients and staff get the NHS 503 page with
``Retry-After`` (rendered without the database), and the app recovers by itself.

A real PostgreSQL server is reached through a TCP forwarder the test cuts and restores, as
a crashed or restarting database server (or a broken network) would look to the app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlalchemy.engine import make_url
from staff import make_staff, sign_in
from tcp_proxy import TcpProxy

from survey_app import create_app
from survey_app.extensions import db

pytestmark = pytest.mark.postgres


@pytest.fixture
def proxied(pg_app: Flask) -> Iterator[tuple[Flask, TcpProxy]]:
    """An app on ``pg_app``'s database, connected through a forwarder."""
    url = make_url(pg_app.config["SQLALCHEMY_DATABASE_URI"])
    with TcpProxy((url.host or "127.0.0.1", url.port or 5432)) as proxy:
        app = create_app({"APP_ENV": "test", "SQLALCHEMY_DATABASE_URI": url.set(
            host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)})
        yield app, proxy
        with app.app_context():
            db.engine.dispose()


def test_while_the_database_is_down_everyone_gets_the_503_page_then_it_recovers(
    pg_app: Flask, proxied: tuple[Flask, TcpProxy], make_invitation: Callable[..., str]
) -> None:
    app, proxy = proxied
    token = make_invitation(pg_app)
    staff = make_staff(pg_app, role="administrator")
    patient, colleague = app.test_client(), app.test_client()
    assert sign_in(colleague, staff.email, staff.password).status_code == 302
    assert patient.get(f"/s/{token}").status_code == 200
    assert colleague.get("/admin/users").status_code == 200

    proxy.cut()
    for client, path in ((patient, f"/s/{token}"), (colleague, "/admin/users"),
                         (colleague, "/staff/")):
        down = client.get(path)
        assert down.status_code == 503, path
        assert down.headers["Retry-After"] == "30"
        assert "Sorry, the service is unavailable" in down.text
        assert "Traceback" not in down.text and "psycopg" not in down.text

    proxy.restore()  # no restart of the app: the pool reconnects by itself
    assert patient.get(f"/s/{token}").status_code == 200
    assert colleague.get("/admin/users").status_code == 200  # still signed in
