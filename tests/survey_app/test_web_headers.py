"""Security headers over real HTTP: no page in any frame, staff pages never cached (signed
in or not), and no source maps in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from production import PRODUCTION_SECRETS
from staff import make_staff, sign_in, signed_in

from survey_app import create_app

MAPS = ("/assets/nhsuk-frontend.min.js.map", "/assets/nhsuk-frontend.min.css.map")


def production_client(tmp_path: Path) -> FlaskClient:
    """A client of the app as production configures it."""
    app = create_app({**PRODUCTION_SECRETS,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}"})
    return app.test_client()


def test_no_page_may_be_framed_and_both_headers_say_so(client: FlaskClient) -> None:
    for path in ("/", "/s/no-such-link", "/staff/sign-in", "/assets/nhsuk-frontend.min.js"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path


def test_staff_pages_are_never_cached_signed_in_or_not(app: Flask) -> None:
    visitor = app.test_client()
    staff = make_staff(app, role="commissioner", organisations=("RY1",))
    signed_out = {
        "sign-in page": visitor.get("/staff/sign-in"),
        "wrong password": sign_in(visitor, staff.email, "not the password"),
        "portal, to sign-in": visitor.get("/provider/"),
        "administration, to sign-in": visitor.get("/admin/users"),
        "unknown staff page": visitor.get("/admin/no-such-page"),
        "signed out": visitor.get("/staff/signed-out"),
    }
    admin, _ = signed_in(app)
    provider, _ = signed_in(app, role="provider", organisations=("RX1",))
    pages = {
        **signed_out,
        "staff home": admin.get("/staff/"),
        "administration": admin.get("/admin/users"),
        "portal": provider.get("/provider/RX1/comments"),
    }
    assert {name: page.headers.get("Cache-Control") for name, page in pages.items()} == {
        name: "no-store" for name in pages
    }


def test_assets_may_still_be_cached(client: FlaskClient) -> None:
    assert client.get("/assets/nhsuk-frontend.min.js").headers["Cache-Control"] == (
        "public, max-age=3600"
    )


@pytest.mark.parametrize("path", MAPS)
def test_production_serves_no_source_maps(tmp_path: Path, path: str) -> None:
    production = production_client(tmp_path)
    https = "https://localhost"  # production redirects plain HTTP
    assert production.get(path, base_url=https).status_code == 404
    assert production.get(path.removesuffix(".map"), base_url=https).status_code == 200


@pytest.mark.parametrize("path", MAPS)
def test_development_keeps_the_source_maps(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 200
