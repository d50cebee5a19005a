"""The shared web layer: NHS.UK templates and assets, security headers, error pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Blueprint, Flask, render_template
from flask.testing import FlaskClient
from patient_pages import NONCE, parse, text_of
from production import PRODUCTION_SECRETS

from survey_app import create_app
from survey_app.web import NHSUK_FRONTEND_VERSION, FrontendAssetsMissing


def test_frontend_assets_are_served_by_the_app_without_the_remote_nhs_font(
    client: FlaskClient,
) -> None:
    css = client.get("/assets/nhsuk-frontend.min.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert b".nhsuk-radios__input" in css.data
    assert b"assets.nhs.uk" not in css.data and b"@font-face" not in css.data
    assert client.get("/assets/nhsuk-frontend.min.css", headers={
        "If-None-Match": css.headers["ETag"]}).status_code == 304
    assert b"initAll" in client.get("/assets/nhsuk-frontend.min.js").data
    # The CSS and the page template ask for these exact paths.
    for path in ("/assets/images/nhsuk-icon-cross.svg", "/assets/images/favicon.ico",
                 "/assets/manifest.json"):
        assert client.get(path).status_code == 200, path


def test_our_stylesheet_replaces_the_nhs_font_with_a_system_font(client: FlaskClient) -> None:
    css = client.get("/static/css/survey.css").get_data(as_text=True)
    assert 'font-family: arial, "Liberation Sans"' in css


@pytest.mark.parametrize("path", [
    "/assets/../package.json", "/assets/%2e%2e/package.json", "/assets/index.scss",
    "/assets/images/no-such-icon.svg",
])
def test_only_the_packaged_assets_are_reachable(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def fake_frontend(root: Path, version: str) -> Path:
    """Write a minimal nhsuk-frontend package of ``version`` under ``root``."""
    dist = root / "dist" / "nhsuk"
    dist.mkdir(parents=True)
    (dist / "nhsuk-frontend.min.css").write_text("html{}")
    (root / "package.json").write_text(json.dumps({"version": version}))
    return root


def test_start_up_fails_clearly_when_npm_ci_has_not_been_run(tmp_path: Path) -> None:
    with pytest.raises(FrontendAssetsMissing, match=r"not found in .*Run `npm ci`"):
        create_app({"APP_ENV": "test", "NHSUK_FRONTEND_DIR": str(tmp_path / "missing")})


def test_start_up_refuses_an_nhsuk_frontend_version_the_templates_do_not_match(
    tmp_path: Path,
) -> None:
    package = fake_frontend(tmp_path / "nhsuk-frontend", "9.6.1")
    with pytest.raises(FrontendAssetsMissing, match=rf"9\.6\.1.*need {NHSUK_FRONTEND_VERSION}"):
        create_app({"APP_ENV": "test", "NHSUK_FRONTEND_DIR": str(package)})


def test_csp_allows_only_our_origin_with_a_fresh_nonce_per_response(client: FlaskClient) -> None:
    first, second = client.get("/s/any-token"), client.get("/s/any-token")
    policy = first.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "http" not in policy
    nonces = [NONCE.search(r.headers["Content-Security-Policy"]).group(1) for r in (first, second)]
    assert nonces[0] != nonces[1]
    assert parse(first).find("script", nonce=nonces[0]) is not None
    # Links carry the token: never sent to another site, kept for our own CSRF check.
    assert first.headers["Referrer-Policy"] == "same-origin"


def test_unexpected_errors_show_a_plain_500_page_without_details(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/broken")
    def broken() -> str:
        raise RuntimeError("database password is hunter2")

    response = app.test_client().get("/broken")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert text_of(parse(response).h1) == "Sorry, there is a problem with the service"
    assert "hunter2" not in body and "Traceback" not in body and "RuntimeError" not in body
    assert "Content-Security-Policy" in response.headers


def test_http_is_redirected_to_https_in_production_only(
    tmp_path: Path, client: FlaskClient
) -> None:
    production = create_app({
        **PRODUCTION_SECRETS, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.db'}",
    })
    redirected = production.test_client().get("/s/some-token")
    assert redirected.status_code == 302
    assert redirected.location.startswith("https://")
    assert "Strict-Transport-Security" in production.test_client().get(
        "/s/x", base_url="https://localhost").headers
    assert client.get("/s/some-token").status_code == 404  # development/test: plain HTTP


def test_pages_declare_their_language(client: FlaskClient) -> None:
    for headers in ({}, {"Accept-Language": "fr-FR,fr;q=0.9"}):
        assert parse(client.get("/s/x", headers=headers)).html["lang"] == "en"


def test_blueprint_template_folders_still_work_beside_the_nhs_templates(
    app: Flask, tmp_path: Path
) -> None:
    (tmp_path / "only_in_blueprint.html").write_text(
        '{% extends "layout.html" %}{% block title %}Kiosk{% endblock %}'
        '{% block page %}<h1>Kiosk {{ absent.nested.value }}</h1>{% endblock %}'
    )
    app.register_blueprint(Blueprint("kiosk", __name__, template_folder=str(tmp_path)))
    with app.test_request_context("/"):
        html = render_template("only_in_blueprint.html")
    assert "<h1>Kiosk </h1>" in html and "nhsuk-header" in html


def test_the_home_page_names_the_service_once_in_its_title(client: FlaskClient) -> None:
    page = parse(client.get("/"))
    assert text_of(page.title) == "Leaving hospital survey – NHS"
    assert text_of(page.h1) == "Leaving hospital survey"
