"""What only production does, run the way production runs it: gunicorn with
``APP_ENV=production`` on loopback, over real TLS or behind a (simulated) reverse proxy,
with rate limits in a real Redis server when several workers serve.

Requests are sent as a browser under the app's Referrer-Policy sends them: same-origin
posts carry a Referer, which the strict HTTPS CSRF check requires.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests
from bs4 import BeautifulSoup
from flask import Flask
from production import (
    REPOSITORY,
    Certificate,
    Server,
    gunicorn_server,
    nginx_proxy,
    production_environment,
    self_signed_certificate,
)
from requests.adapters import HTTPAdapter
from staff import make_staff


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def redis_url() -> str:
    """Return the Redis server to test on, or fail saying how to get one."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.fail("TEST_REDIS_URL is not set. Run the suite with scripts/test, or start "
                    "Redis with `source scripts/lib.sh && start_redis` (it exports the URL).")
    return url


class SourceAddress(HTTPAdapter):
    """Connect from a given local address (any of 127.0.0.0/8 reaches loopback)."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args: object, **kwargs: object) -> None:
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def csrf_token(page: requests.Response) -> str:
    """Return the CSRF token of the page's (first) form."""
    field = BeautifulSoup(page.text, "html.parser").find("input", attrs={"name": "csrf_token"})
    assert field is not None, f"no CSRF token on {page.url}"
    return str(field["value"])


class Browser:
    """A requests session that behaves like a browser on the app: cookies, the page's CSRF
    token, and a same-origin Referer on every post; optionally from another loopback
    address (``source``), as another person would be."""

    def __init__(self, server: Server | str, certificate: Certificate | None, *,
                 source: str | None = None, headers: dict[str, str] | None = None):
        self.url = server if isinstance(server, str) else server.url
        self.session = requests.Session()
        self.session.headers.update(headers or {})
        if source:
            for scheme in ("http://", "https://"):
                self.session.mount(scheme, SourceAddress(source))
        # Per request: a session-wide value loses to REQUESTS_CA_BUNDLE in the environment.
        self.verify = str(certificate.cert) if certificate else True

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def request(self, method: str, path: str, **kwargs: object) -> requests.Response:
        return self.session.request(method, self.url + path, allow_redirects=False,
                                    verify=self.verify, **kwargs)

    def submit(self, path: str, data: dict[str, str], **kwargs: object) -> requests.Response:
        """Open the form at ``path`` and post ``data`` with its CSRF token."""
        page = self.get(path, **kwargs)
        assert page.status_code == 200, f"GET {path}: {page.status_code}"
        referer = self.url + path
        return self.request("POST", path, data={**data, "csrf_token": csrf_token(page)},
                                headers={"Referer": referer}, **kwargs)


@pytest.fixture
def https_server(app: Flask, certificate: Certificate, tmp_path: Path) -> Iterator[Server]:
    with gunicorn_server(app.config["SQLALCHEMY_DATABASE_URI"], certificate,
                         tmp_path / "server.log", UNKNOWN_LINK_RATE_LIMIT="5/minute") as server:
        yield server


def test_a_copied_staff_cookie_stops_working_once_its_owner_signs_out(
    app: Flask, https_server: Server, certificate: Certificate
) -> None:
    staff = make_staff(app, role="provider", organisations=("RX1",))
    owner = Browser(https_server, certificate)
    signed_in = owner.submit("/staff/sign-in", {"email": staff.email, "password": staff.password})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/staff/"
    copied = dict(owner.session.cookies.items())  # what an attacker lifted from the browser
    assert owner.get("/staff/").status_code == 200

    home = owner.get("/staff/")
    signed_out = owner.request("POST", "/staff/sign-out", data={"csrf_token": csrf_token(home)},
                                   headers={"Referer": https_server.url + "/staff/"})
    assert signed_out.status_code == 302

    thief = Browser(https_server, certificate)
    thief.session.cookies.update(copied)
    replay = thief.get("/staff/")
    assert replay.status_code == 302 and "/staff/sign-in" in replay.headers["Location"]


def test_guessing_links_never_blocks_a_real_link_from_the_same_address(
    app: Flask, https_server: Server, certificate: Certificate, make_invitation
) -> None:
    token = make_invitation(app)
    guesser = Browser(https_server, certificate)
    statuses = [guesser.get(f"/s/{secrets.token_urlsafe(24)}").status_code for _ in range(7)]
    assert statuses == [404] * 5 + [429] * 2
    real = guesser.get(f"/s/{token}")
    assert real.status_code == 200 and "Start now" in real.text
    log = https_server.log_text()
    assert token not in log and "/s/<token>" in log  # the access log keeps no link


def test_behind_a_reverse_proxy_posts_work_and_each_patient_keeps_their_own_address(
    app: Flask, certificate: Certificate, tmp_path: Path, make_invitation
) -> None:
    """nginx ends TLS and forwards plain HTTP with X-Forwarded-* headers (TRUSTED_PROXIES=1).

    Clients connect from different loopback addresses, as different people would.
    """
    token = make_invitation(app)
    with gunicorn_server(app.config["SQLALCHEMY_DATABASE_URI"], None, tmp_path / "server.log",
                         TRUSTED_PROXIES="1", UNKNOWN_LINK_RATE_LIMIT="3/minute") as upstream, \
            nginx_proxy(upstream, certificate, tmp_path) as proxy:
        patient = Browser(proxy, certificate, source="127.0.0.2")
        started = patient.submit(f"/s/{token}", {})
        assert started.status_code == 302, started.text[:300]
        assert f"/s/{token}/q/" in started.headers["Location"]

        # A forged X-Forwarded-For does not let a guesser pose as someone else.
        guesser = Browser(proxy, certificate, source="127.0.0.3",
                          headers={"X-Forwarded-For": "192.0.2.1"})
        assert [guesser.get(f"/s/guess-{n}").status_code for n in range(4)] == [404] * 3 + [429]
        neighbour = Browser(proxy, certificate, source="127.0.0.4")
        assert neighbour.get("/s/guess-0").status_code == 404  # another person's address
        assert patient.get(f"/s/{token}").status_code in (200, 302)


def test_production_refuses_several_workers_counting_limits_in_memory(
    app: Flask, tmp_path: Path
) -> None:
    env = production_environment(app.config["SQLALCHEMY_DATABASE_URI"])
    started = subprocess.run(
        [sys.executable, "-m", "gunicorn", "wsgi:app", "--workers", "2",
         "--bind", "127.0.0.1:0"],
        cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=60,
    )
    assert started.returncode != 0
    assert "RATELIMIT_STORAGE_URI" in started.stderr and "2 worker(s)" in started.stderr


def test_several_workers_share_one_limit_in_redis(
    app: Flask, certificate: Certificate, tmp_path: Path
) -> None:
    prefix = f"survey-test-{secrets.token_hex(4)}"
    with gunicorn_server(app.config["SQLALCHEMY_DATABASE_URI"], certificate,
                         tmp_path / "server.log", workers=2,
                         RATELIMIT_STORAGE_URI=redis_url(), RATELIMIT_KEY_PREFIX=prefix,
                         UNKNOWN_LINK_RATE_LIMIT="6/minute") as server:
        statuses = []
        for n in range(12):  # a fresh connection each time: either worker may answer
            statuses.append(Browser(server, certificate).get(f"/s/guess-{n}").status_code)
    assert statuses == [404] * 6 + [429] * 6  # not 6 per worker
    store = redis.Redis.from_url(redis_url())
    assert list(store.scan_iter(f"*{prefix}/unknown-link*")), "the counts were not kept in Redis"
