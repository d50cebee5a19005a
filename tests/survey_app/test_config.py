"""Configuration from the environment; production fails closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_app import create_app
from survey_app.config import ConfigError, settings_from_environment
from survey_app.extensions import db, rate_limit_key

STRONG_KEY = "Vq3Lr8-NwZ1pTf0yKc7Hd2XbMs5Ej9Ga4Ru6Io_Pk"  # as from secrets.token_urlsafe


CONTACT_KEY = "qRtWQ3J0n3tS8dC9i5x0rQbQ2Zq3mVh7yYp1kX4wq_s="  # as from Fernet.generate_key()
PATIENT_SECRET = "Kp3Lr8-NwZ1pTf0yKc7Hd2XbMs5Ej9Ga4Ru6Io_Vq"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No settings from the machine; the two identifier secrets set (tested apart)."""
    for name in ("APP_ENV", "SECRET_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CONTACT_ENCRYPTION_KEY", CONTACT_KEY)
    monkeypatch.setenv("PATIENT_KEY_SECRET", PATIENT_SECRET)


def test_production_refuses_to_start_without_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/survey")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app()


@pytest.mark.parametrize(
    "weak", ["dev", "changeme", "short-but-random-1234", "a" * 40, "ab" * 20, "0123456" * 6]
)
def test_production_refuses_a_weak_secret_key(monkeypatch: pytest.MonkeyPatch, weak: str) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", weak)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/survey")
    with pytest.raises(ConfigError, match="SECRET_KEY is too weak"):
        create_app()


def test_production_refuses_to_start_without_database_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    with pytest.raises(ConfigError, match="DATABASE_URL is not set"):
        create_app()


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_production_maps_postgres_urls_to_psycopg(
    monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("DATABASE_URL", f"{scheme}://u:p@db.example/survey")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.example/survey"
    assert app.config["SECRET_KEY"] == STRONG_KEY
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_development_defaults_to_sqlite_in_the_instance_folder() -> None:
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{app.instance_path}/survey.db"


def test_development_keeps_a_random_secret_in_the_instance_folder(tmp_path: Path) -> None:
    first = settings_from_environment({}, str(tmp_path / "one"), {})["SECRET_KEY"]
    again = settings_from_environment({}, str(tmp_path / "one"), {})["SECRET_KEY"]
    other = settings_from_environment({}, str(tmp_path / "two"), {})["SECRET_KEY"]
    assert len(first) >= 32 and first == again and first != other
    assert (tmp_path / "one" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_tests_get_a_fresh_secret_per_app(tmp_path: Path) -> None:
    settings = [settings_from_environment({"APP_ENV": "test"}, str(tmp_path), {}) for _ in "ab"]
    assert settings[0]["SECRET_KEY"] != settings[1]["SECRET_KEY"]
    assert not (tmp_path / "secret_key").exists()


def test_an_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(ConfigError, match="APP_ENV='staging'"):
        create_app()


def test_sqlite_connections_use_wal_and_enforce_foreign_keys(tmp_path: Path) -> None:
    app = create_app({"APP_ENV": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db"})
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_rate_limits_are_keyed_by_survey_token_not_address() -> None:
    app = create_app()
    with app.test_request_context("/s/abc", environ_base={"REMOTE_ADDR": "10.1.2.3"}) as ctx:
        ctx.request.view_args = {"token": "abc"}
        first = rate_limit_key()
        ctx.request.view_args = {"token": "xyz"}
        second = rate_limit_key()
        ctx.request.view_args = {}
        by_address = rate_limit_key()
    assert first.startswith("token:") and first != second and "abc" not in first
    assert by_address == "ip:10.1.2.3"


PRODUCTION = {"APP_ENV": "production", "SECRET_KEY": STRONG_KEY,
              "DATABASE_URL": "postgresql://u:p@db/survey",
              "CONTACT_ENCRYPTION_KEY": CONTACT_KEY, "PATIENT_KEY_SECRET": PATIENT_SECRET}


@pytest.mark.parametrize("scale", [{"WEB_CONCURRENCY": "4"}, {"APP_SERVERS": "2"}])
def test_production_refuses_per_process_rate_limits_when_several_processes_serve(
    tmp_path: Path, scale: dict[str, str]
) -> None:
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI .*shared store"):
        settings_from_environment({**PRODUCTION, **scale}, str(tmp_path), {})
    shared = settings_from_environment(
        {**PRODUCTION, **scale, "RATELIMIT_STORAGE_URI": "redis://cache:6379/0"},
        str(tmp_path), {})
    assert shared["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"
    single = settings_from_environment(PRODUCTION, str(tmp_path), {})  # one worker, one server
    assert single["RATELIMIT_STORAGE_URI"] == "memory://"


def test_gunicorns_own_worker_count_is_checked_too() -> None:
    from survey_app.serving import check_workers

    with pytest.raises(SystemExit, match="Refusing to start: RATELIMIT_STORAGE_URI"):
        check_workers(3, PRODUCTION)
    check_workers(3, {**PRODUCTION, "RATELIMIT_STORAGE_URI": "redis://cache:6379/0"})
    check_workers(3, {"APP_ENV": "development"})  # the development server is one process


@pytest.mark.parametrize("name, value", [
    ("TRUSTED_PROXIES", "one"), ("WEB_CONCURRENCY", "-2"), ("STAFF_SESSION_LIFETIME", "12h"),
])
def test_numeric_settings_are_checked_at_start_up(
    tmp_path: Path, name: str, value: str
) -> None:
    with pytest.raises(ConfigError, match=name):
        settings_from_environment({**PRODUCTION, name: value}, str(tmp_path), {})


def test_limits_and_durations_can_be_tuned_from_the_environment(tmp_path: Path) -> None:
    settings = settings_from_environment(
        {"UNKNOWN_LINK_RATE_LIMIT": "10 per minute", "STAFF_SESSION_LIFETIME": "28800",
         "TRUSTED_PROXIES": "2", "MAX_CONTENT_LENGTH": "131072"}, str(tmp_path), {})
    assert settings["UNKNOWN_LINK_RATE_LIMIT"] == "10 per minute"
    assert settings["STAFF_SESSION_LIFETIME"] == 28800.0
    assert settings["TRUSTED_PROXIES"] == 2


@pytest.mark.parametrize("missing, value, message", [
    ("CONTACT_ENCRYPTION_KEY", None, "CONTACT_ENCRYPTION_KEY is not set"),
    ("CONTACT_ENCRYPTION_KEY", "not-a-fernet-key", "not a Fernet key"),
    ("PATIENT_KEY_SECRET", None, "PATIENT_KEY_SECRET is not set"),
    ("PATIENT_KEY_SECRET", "short", "PATIENT_KEY_SECRET is not set"),
])
def test_production_refuses_to_start_without_the_identifier_secrets(
    tmp_path: Path, missing: str, value: str | None, message: str
) -> None:
    environ = {name: v for name, v in PRODUCTION.items() if name != missing}
    if value is not None:
        environ[missing] = value
    with pytest.raises(ConfigError, match=message):
        settings_from_environment(environ, str(tmp_path), {})


def test_development_keeps_its_contact_key_so_contacts_survive_a_restart(tmp_path: Path) -> None:
    first = settings_from_environment({}, str(tmp_path), {})
    again = settings_from_environment({}, str(tmp_path), {})
    assert first["CONTACT_ENCRYPTION_KEY"] == again["CONTACT_ENCRYPTION_KEY"]
    assert first["PATIENT_KEY_SECRET"] == again["PATIENT_KEY_SECRET"]
    assert (tmp_path / "contact_key").stat().st_mode & 0o777 == 0o600
