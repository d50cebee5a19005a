"""Staff sign-in over real HTTP: success, one message for every failure, lockout, idle
timeout, CSRF, safe redirects, and sessions that end when the password changes."""

from __future__ import annotations

import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from patient_pages import csrf_token, parse, structure_problems, text_of
from sqlalchemy import select
from staff import make_staff, sign_in

from survey_app import create_app
from survey_app.auth import SEEN_AT, SIGNED_IN_AT
from survey_app.extensions import db
from survey_app.models import AuditEvent, StaffUser, utcnow
from survey_app.services import accounts, passwords


def error_text(response) -> str:
    summary = parse(response).find(class_="nhsuk-error-summary")
    return text_of(summary) if summary else ""


def actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_right_password_signs_in_and_lands_on_the_staff_home(
    app: Flask, client: FlaskClient
) -> None:
    staff = make_staff(app, role="provider", organisations=("RX1",))
    response = sign_in(client, staff.email.upper(), staff.password)  # email case ignored
    assert response.status_code == 302
    assert response.location == "/staff/"
    home = client.get("/staff/")
    assert home.status_code == 200
    assert structure_problems(home) == []
    assert "Test Provider RX1" in home.text
    assert home.headers["Cache-Control"] == "no-store"
    assert actions(app) == ["user_created", "sign_in"]


def test_unknown_email_wrong_password_and_inactive_account_get_the_same_message(
    app: Flask, client: FlaskClient
) -> None:
    staff = make_staff(app, role="administrator")
    gone = make_staff(app, role="administrator", email="gone@example.nhs.uk")
    with app.app_context():
        db.session.get(StaffUser, gone.id).active = False
        db.session.commit()
    wrong = sign_in(client, staff.email, "not the password at all")
    unknown = sign_in(client, "nobody@example.nhs.uk", staff.password)
    inactive = sign_in(client, gone.email, gone.password)
    assert wrong.status_code == unknown.status_code == inactive.status_code == 200
    assert error_text(wrong) == error_text(unknown) == error_text(inactive)
    assert "Enter a correct email address and password" in error_text(wrong)
    assert structure_problems(wrong) == []  # title starts "Error: "
    assert client.get("/staff/").status_code == 302  # still signed out


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(
    app: Flask, client: FlaskClient
) -> None:
    staff = make_staff(app, role="administrator")
    for _ in range(5):
        sign_in(client, staff.email, "wrong password guess")
    locked = sign_in(client, staff.email, staff.password)
    unknown = sign_in(client, "nobody@example.nhs.uk", "wrong password guess")
    assert locked.status_code == 200
    assert error_text(locked) == error_text(unknown)  # a lockout reveals nothing either
    with app.app_context():
        user = db.session.get(StaffUser, staff.id)
        assert user.is_locked()
        assert timedelta(minutes=14) < user.locked_until - utcnow() <= timedelta(minutes=15)
        user.locked_until = utcnow() - timedelta(seconds=1)  # fifteen minutes later
        db.session.commit()
    assert sign_in(client, staff.email, staff.password).status_code == 302
    assert actions(app).count("lockout") == 1
    assert actions(app)[-1] == "sign_in"


def test_the_lockout_threshold_and_length_are_settings(app: Flask, client: FlaskClient) -> None:
    app.config.update(STAFF_LOCKOUT_ATTEMPTS=2, STAFF_LOCKOUT_MINUTES=60)
    staff = make_staff(app, role="administrator")
    sign_in(client, staff.email, "wrong password guess")
    refused = sign_in(client, staff.email, "wrong password guess")
    assert "After 2 wrong attempts an account is locked for 60 minutes" in error_text(refused)
    with app.app_context():
        user = db.session.get(StaffUser, staff.id)
        assert user.locked_until - utcnow() > timedelta(minutes=59)


def test_a_success_clears_the_count_of_failures(app: Flask, client: FlaskClient) -> None:
    staff = make_staff(app, role="administrator")
    for _ in range(4):
        sign_in(client, staff.email, "wrong password guess")
    assert sign_in(client, staff.email, staff.password).status_code == 302
    client.post("/staff/sign-out", data={"csrf_token": csrf_token(client.get("/staff/"))})
    for _ in range(4):
        sign_in(client, staff.email, "wrong password guess")
    assert sign_in(client, staff.email, staff.password).status_code == 302


def test_sign_out_ends_the_session(app: Flask, client: FlaskClient) -> None:
    staff = make_staff(app, role="administrator")
    sign_in(client, staff.email, staff.password)
    home = client.get("/staff/")
    assert "Sign out" in home.text
    out = client.post("/staff/sign-out", data={"csrf_token": csrf_token(home)})
    assert out.location == "/staff/signed-out"
    assert client.get("/staff/").status_code == 302
    assert actions(app)[-1] == "sign_out"


def test_sign_in_and_sign_out_refuse_posts_without_a_csrf_token(
    app: Flask, client: FlaskClient
) -> None:
    staff = make_staff(app, role="administrator")
    forged = client.post("/staff/sign-in", data={"email": staff.email,
                                                 "password": staff.password})
    assert forged.status_code == 400
    sign_in(client, staff.email, staff.password)
    assert client.post("/staff/sign-out").status_code == 400
    assert client.get("/staff/").status_code == 200  # still signed in


def test_an_idle_session_ends_and_says_why(app: Flask, client: FlaskClient) -> None:
    staff = make_staff(app, role="administrator")
    sign_in(client, staff.email, staff.password)
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        session[SEEN_AT] = time.time() - 31 * 60  # 31 minutes without a request
    expired = client.get("/admin/users")
    assert expired.status_code == 302
    assert expired.location.startswith("/staff/sign-in")
    page = client.get("/staff/sign-in")
    assert "You were signed out because you had not done anything" in page.text
    assert actions(app)[-1] == "sign_out"


def test_after_an_idle_timeout_the_sign_in_page_says_so_once(
    app: Flask, client: FlaskClient
) -> None:
    """Timed out, then sent to sign in twice (the page they were on, then the header's
    link): each sign-in page has one message, never "Sign in to see this page" twice."""
    staff = make_staff(app, role="administrator")
    sign_in(client, staff.email, staff.password)
    with client.session_transaction() as session:
        session[SEEN_AT] = time.time() - 31 * 60
    messages = []
    for path in ("/admin/users", "/staff/"):
        sent = client.get(path)
        assert sent.status_code == 302 and sent.location.startswith("/staff/sign-in")
        page = parse(client.get(sent.location))
        messages.append([text_of(p) for p in page.select("main .nhsuk-inset-text p")])
    assert messages == [
        ["You were signed out because you had not done anything for a while. Sign in again "
         "to carry on."],
        ["Sign in to see this page."],
    ]


def test_activity_keeps_a_session_alive_past_the_timeout(app: Flask, client: FlaskClient) -> None:
    app.config["STAFF_IDLE_TIMEOUT"] = timedelta(seconds=60)
    staff = make_staff(app, role="administrator")
    sign_in(client, staff.email, staff.password)
    for _ in range(3):  # each request 50 s after the last: 150 s in all, never 60 idle
        with client.session_transaction() as session:
            session[SEEN_AT] = session[SEEN_AT] - 50
        assert client.get("/staff/").status_code == 200


def test_next_page_is_followed_only_within_the_site(app: Flask, client: FlaskClient) -> None:
    staff = make_staff(app, role="administrator")
    asked = client.get("/admin/users")
    assert asked.location == "/staff/sign-in?next=%2Fadmin%2Fusers"
    page = client.get(asked.location)
    response = client.post(asked.location, data={
        "email": staff.email, "password": staff.password, "csrf_token": csrf_token(page)})
    assert response.location == "/admin/users"
    client.post("/staff/sign-out", data={"csrf_token": csrf_token(client.get("/staff/"))})
    for evil in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        page = client.get("/staff/sign-in")
        response = client.post("/staff/sign-in", query_string={"next": evil}, data={
            "email": staff.email, "password": staff.password, "csrf_token": csrf_token(page)})
        assert response.location == "/staff/", evil
        client.post("/staff/sign-out", data={"csrf_token": csrf_token(client.get("/staff/"))})


def test_changing_a_password_ends_other_sessions_but_keeps_this_one(app: Flask) -> None:
    staff = make_staff(app, role="provider", organisations=("RX1",))
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, staff.email, staff.password)
    sign_in(phone, staff.email, staff.password)
    form = laptop.get("/staff/password")
    changed = laptop.post("/staff/password", data={
        "current_password": staff.password, "new_password": "a brand new passphrase",
        "confirm_password": "a brand new passphrase", "csrf_token": csrf_token(form)})
    assert changed.location == "/staff/?changed=yes"
    assert "Your password has been changed" in laptop.get(changed.location).text
    assert phone.get("/staff/").status_code == 302
    fresh = app.test_client()
    assert sign_in(fresh, staff.email, staff.password).status_code == 200  # old one refused
    assert sign_in(fresh, staff.email, "a brand new passphrase").status_code == 302


def test_a_weak_or_mistyped_new_password_is_refused_with_a_clear_error(
    app: Flask, client: FlaskClient
) -> None:
    staff = make_staff(app, role="administrator")
    sign_in(client, staff.email, staff.password)
    cases = {
        ("short", "short"): "Password must be 12 characters or more",
        ("long enough pass", "long enough pasS"): "The passwords do not match",
        (staff.email, staff.email): "Password must not be your email address",
        (staff.password, staff.password): "Choose a password you have not just used",
    }
    for (new, confirm), message in cases.items():
        form = client.get("/staff/password")
        refused = client.post("/staff/password", data={
            "current_password": staff.password, "new_password": new,
            "confirm_password": confirm, "csrf_token": csrf_token(form)})
        assert refused.status_code == 200
        assert message in error_text(refused), message
    form = client.get("/staff/password")
    wrong = client.post("/staff/password", data={
        "current_password": "not my password", "new_password": "a brand new passphrase",
        "confirm_password": "a brand new passphrase", "csrf_token": csrf_token(form)})
    assert "Your current password is not right" in error_text(wrong)
    fresh = app.test_client()
    assert sign_in(fresh, staff.email, staff.password).status_code == 302  # unchanged


def test_sign_in_is_rate_limited_per_email_not_per_address(
    tmp_path: Path, migrated_template: Path
) -> None:
    path = tmp_path / "limited.db"
    shutil.copyfile(migrated_template, path)
    app = create_app({
        "APP_ENV": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "RATELIMIT_ENABLED": True, "STAFF_SIGN_IN_RATE_LIMIT": "3 per minute",
    })
    staff = make_staff(app, role="administrator")
    client = app.test_client()
    statuses = [sign_in(client, "attacker-target@example.nhs.uk", "guess number x").status_code
                for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = sign_in(client, "attacker-target@example.nhs.uk", "guess number y")
    assert "ask an administrator to reset your password" in refused.text
    assert structure_problems(refused) == []
    assert sign_in(client, staff.email, staff.password).status_code == 302  # same IP
    with app.app_context():
        db.engine.dispose()


def test_passwords_are_stored_as_standard_argon2id_hashes(app: Flask) -> None:
    with app.app_context():
        user, temporary = accounts.create_user(
            email="real@example.nhs.uk", full_name="Real Hash", role="administrator")
        assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert temporary is not None and temporary not in user.password_hash
        assert accounts.authenticate("real@example.nhs.uk", temporary) == user


def test_the_cheap_test_hash_profile_is_refused_outside_tests(app: Flask) -> None:
    app.config.update(APP_ENV="production", PASSWORD_HASH_PROFILE="CHEAPEST")
    with app.app_context(), pytest.raises(RuntimeError, match="only allowed in tests"):
        passwords.hash_password("any long password at all")


def test_accounts_lockout_and_audit_work_on_every_database(any_app: Flask) -> None:
    staff = make_staff(any_app, role="provider", organisations=("RX1",))
    client = any_app.test_client()
    for _ in range(5):
        sign_in(client, staff.email, "wrong password guess")
    assert sign_in(client, staff.email, staff.password).status_code == 200  # locked
    with any_app.app_context():
        user = db.session.get(StaffUser, staff.id)
        assert user.is_locked() and user.locked_until.tzinfo is not None
        temporary = accounts.reset_password(user, actor=None)
    assert sign_in(client, staff.email, temporary).status_code == 302
    assert client.get("/staff/").location == "/staff/password"
    assert actions(any_app).count("sign_in_failed") == 6


def limited_app(tmp_path: Path, migrated_template: Path, **limits: str) -> Flask:
    """An app on its own database with rate limiting on and these limits."""
    path = tmp_path / "limited.db"
    shutil.copyfile(migrated_template, path)
    return create_app({"APP_ENV": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                       "RATELIMIT_ENABLED": True, **limits})


def test_a_session_ends_twelve_hours_after_sign_in_however_busy(
    app: Flask, client: FlaskClient
) -> None:
    staff = make_staff(app, role="administrator")
    sign_in(client, staff.email, staff.password)
    with client.session_transaction() as session:
        session[SIGNED_IN_AT] = time.time() - 12 * 3600 - 60  # busy all day: SEEN_AT is now
    assert client.get("/staff/").status_code == 302
    assert client.get("/staff/").status_code == 302  # and stays ended
    with app.app_context():
        detail = db.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "sign_out")).one()
    assert detail == "session lifetime"


def test_strangers_wrong_passwords_lock_the_account_everywhere_but_its_owners_device(
    app: Flask
) -> None:
    staff = make_staff(app, role="provider", organisations=("RX1",))
    owner = app.test_client()
    assert sign_in(owner, staff.email, staff.password).status_code == 302  # a known device now
    owner.post("/staff/sign-out", data={"csrf_token": csrf_token(owner.get("/staff/"))})
    attacker = app.test_client()
    for _ in range(10):
        sign_in(attacker, staff.email, "wrong password guess")
    assert sign_in(attacker, staff.email, staff.password).status_code == 200  # locked there
    assert sign_in(app.test_client(), staff.email, staff.password).status_code == 200
    assert sign_in(owner, staff.email, staff.password).status_code == 302  # not for the owner
    forged = app.test_client()
    forged.set_cookie("staff_device", "forged-value", path="/staff/")
    assert sign_in(forged, staff.email, staff.password).status_code == 200


def test_wrong_passwords_on_the_owners_device_do_not_lock_the_account(app: Flask) -> None:
    staff = make_staff(app, role="administrator")
    owner = app.test_client()
    sign_in(owner, staff.email, staff.password)
    owner.post("/staff/sign-out", data={"csrf_token": csrf_token(owner.get("/staff/"))})
    for _ in range(6):
        sign_in(owner, staff.email, "a mistyped password")
    with app.app_context():
        assert not db.session.get(StaffUser, staff.id).is_locked()
    assert "wrong password (known device)" in " ".join(
        detail or "" for detail in audit_details(app))


def audit_details(app: Flask) -> list[str | None]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.detail).order_by(AuditEvent.id)))


def test_password_spraying_from_one_address_is_throttled(
    tmp_path: Path, migrated_template: Path
) -> None:
    app = limited_app(tmp_path, migrated_template)
    sprayer = app.test_client()
    statuses = [sign_in(sprayer, f"person{n}@example.nhs.uk", "Winter2026!").status_code
                for n in range(25)]
    assert statuses == [200] * 10 + [429] * 15  # 10 failures per address per 15 minutes
    staff = make_staff(app, role="administrator")
    colleague = app.test_client()  # someone at another address is not held up
    elsewhere = {"REMOTE_ADDR": "10.9.8.7"}
    page = colleague.get("/staff/sign-in", environ_base=elsewhere)
    signed_in = colleague.post("/staff/sign-in", environ_base=elsewhere, data={
        "email": staff.email, "password": staff.password, "csrf_token": csrf_token(page)})
    assert signed_in.status_code == 302
    with app.app_context():
        db.engine.dispose()


def test_failed_sign_ins_across_the_service_are_throttled_but_known_devices_pass(
    tmp_path: Path, migrated_template: Path
) -> None:
    app = limited_app(tmp_path, migrated_template, STAFF_SERVICE_FAILURE_LIMIT="5 per minute")
    staff = make_staff(app, role="administrator")
    owner = app.test_client()
    assert sign_in(owner, staff.email, staff.password).status_code == 302
    owner.post("/staff/sign-out", data={"csrf_token": csrf_token(owner.get("/staff/"))})
    statuses = []
    for n in range(7):  # a botnet: every attempt from its own address
        client = app.test_client()
        address = {"REMOTE_ADDR": f"10.0.0.{n + 1}"}
        page = client.get("/staff/sign-in", environ_base=address)
        statuses.append(client.post("/staff/sign-in", environ_base=address, data={
            "email": f"person{n}@example.nhs.uk", "password": "Winter2026!",
            "csrf_token": csrf_token(page)}).status_code)
    assert statuses == [200] * 5 + [429] * 2
    assert sign_in(owner, staff.email, staff.password).status_code == 302
    with app.app_context():
        db.engine.dispose()
