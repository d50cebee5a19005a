"""The app as production runs it: gunicorn, ``APP_ENV=production``, real TLS, on loopback,
directly or behind a real reverse proxy (Debian's nginx ending TLS).

    with gunicorn_server(database_url, certificate, log) as server:
        requests.get(server.url, verify=certificate.cert)
    with gunicorn_server(database_url, None, log, TRUSTED_PROXIES="1") as app_server, \
            nginx_proxy(app_server, certificate, folder) as proxy: …

The server runs from the repository root (so it reads ``gunicorn.conf.py`` and serves the
npm assets), with a fresh production secret; its access and error logs go to
``server.log``, which tests read back and which must hold no personal data.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from cryptography.fernet import Fernet
from log_scan import personal_data_in

REPOSITORY = Path(__file__).resolve().parents[2]
# The secrets production refuses to start without, for apps built in-process by tests.
PRODUCTION_SECRETS = {
    "APP_ENV": "production",
    "SECRET_KEY": "Vq3Lr8-NwZ1pTf0yKc7Hd2XbMs5Ej9Ga4Ru6Io_Pk",  # as from secrets.token_urlsafe
    "CONTACT_ENCRYPTION_KEY": "qRtWQ3J0n3tS8dC9i5x0rQbQ2Zq3mVh7yYp1kX4wq_s=",  # a Fernet key
    "PATIENT_KEY_SECRET": "Kp3Lr8-NwZ1pTf0yKc7Hd2XbMs5Ej9Ga4Ru6Io_Vq",
}
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Certificate:
    """A throw-away self-signed certificate for 127.0.0.1."""

    cert: Path
    key: Path


def self_signed_certificate(folder: Path) -> Certificate:
    """Make a one-day certificate for 127.0.0.1 with openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return Certificate(cert, key)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A running gunicorn: its base URL and the file its logs go to."""

    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def production_environment(database_url: str, **settings: str) -> dict[str, str]:
    """Return the environment of a production server on ``database_url``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("APP_")}
    env.update({"APP_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
                "CONTACT_ENCRYPTION_KEY": Fernet.generate_key().decode(),
                "PATIENT_KEY_SECRET": secrets.token_urlsafe(48),
                "DATABASE_URL": database_url, "RATELIMIT_STORAGE_URI": "memory://"})
    env.update(settings)
    return env


@contextmanager
def gunicorn_server(
    database_url: str,
    certificate: Certificate | None,
    log: Path,
    *,
    workers: int = 1,
    **settings: str,
) -> Iterator[Server]:
    """Run ``gunicorn wsgi:app`` in production mode until the block ends."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
               "--workers", str(workers), "--access-logfile", str(log),
               "--error-logfile", str(log), "--graceful-timeout", "2"]
    if certificate:
        command += ["--certfile", str(certificate.cert), "--keyfile", str(certificate.key)]
    scheme = "https" if certificate else "http"
    process = subprocess.Popen(command, cwd=REPOSITORY,
                               env=production_environment(database_url, **settings),
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    server = Server(f"{scheme}://127.0.0.1:{port}", log, process)
    try:
        wait_until_serving(server, certificate)
        yield server
        found = personal_data_in(server.log_text())
        assert found == [], f"personal data in gunicorn's log: {found}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_serving(server: Server, certificate: Certificate | None) -> None:
    """Wait until the server answers, or fail with what its log says."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            log = server.log_text() if server.log.exists() else ""
            raise AssertionError(f"gunicorn exited:\n{log}")
        try:
            requests.get(server.url + "/", timeout=START_TIMEOUT, allow_redirects=False,
                         verify=str(certificate.cert) if certificate else True)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not start:\n{server.log_text()}")


NGINX_CONFIG = """
worker_processes 1;
error_log {folder}/nginx-error.log;
pid {folder}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        location / {{
            proxy_pass {upstream};
            proxy_set_header Host $host:$server_port;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Forwarded-Port $server_port;
        }}
    }}
}}
"""


@contextmanager
def nginx_proxy(upstream: Server, certificate: Certificate, folder: Path) -> Iterator[str]:
    """Run nginx ending TLS in front of ``upstream`` (plain HTTP); yield its https URL.

    It forwards the client's address, scheme, host and port as X-Forwarded-* headers, as
    the operations guide tells a deployment to.
    """
    port = free_port()
    config = folder / "nginx.conf"
    config.write_text(NGINX_CONFIG.format(
        folder=folder, port=port, cert=certificate.cert, key=certificate.key,
        upstream=upstream.url), encoding="utf-8")
    process = subprocess.Popen(["nginx", "-c", str(config), "-p", str(folder),
                                "-g", "daemon off; user root;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                requests.get(url + "/", timeout=5, allow_redirects=False,
                             verify=str(certificate.cert))
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    error_log = folder / "nginx-error.log"
                    raise AssertionError("nginx did not start: " + (
                        error_log.read_text() if error_log.exists() else "")) from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
