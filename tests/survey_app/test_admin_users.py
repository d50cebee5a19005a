"""Administrators manage staff users: create with a one-time password, assign organisations,
deactivate, reset passwords; the person must then choose their own password."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from patient_pages import csrf_token, parse, structure_problems, text_of
from sqlalchemy import select
from staff import make_staff, organisation, sign_in, signed_in, submit_form

from survey_app.extensions import db
from survey_app.models import AuditEvent, StaffUser

NEW = "/admin/users/new"


def errors(response) -> str:
    summary = parse(response).find(class_="nhsuk-error-summary")
    return text_of(summary) if summary else ""


def shown_password(response) -> str:
    code = parse(response).find("code", class_="app-temporary-password")
    assert code is not None, "no temporary password on the page"
    return code.get_text()


def org_ids(app: Flask, *codes: str, type_code: str = "provider") -> list[str]:
    with app.app_context():
        ids = [str(organisation(code, type_code=type_code).id) for code in codes]
        db.session.commit()
        return ids


def users(app: Flask) -> list[tuple[object, ...]]:
    with app.app_context():
        return [(u.email, u.role, u.active, [o.code for o in u.organisations])
                for u in db.session.scalars(select(StaffUser).order_by(StaffUser.email))]


def change_own_password(client: FlaskClient, current: str, new: str):
    return submit_form(client, "/staff/password", {
        "current_password": current, "new_password": new, "confirm_password": new})


def test_a_new_user_gets_a_one_time_password_and_must_change_it(app: Flask) -> None:
    rx1, ry1 = org_ids(app, "RX1", "RY1")
    admin_client, admin = signed_in(app)
    created = submit_form(admin_client, NEW, {
        "email": "Nurse.Lead@Example.NHS.uk", "full_name": "Nia Lead", "role": "provider",
        "organisations": [rx1, ry1]})
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    assert structure_problems(created) == []
    password = shown_password(created)
    assert len(password) >= 12
    assert password not in admin_client.get("/admin/users").text
    assert ("nurse.lead@example.nhs.uk", "provider", True, ["RX1", "RY1"]) in users(app)

    nurse = app.test_client()
    assert sign_in(nurse, "nurse.lead@example.nhs.uk", password).status_code == 302
    for path in ("/staff/", "/admin/users", "/provider/RX1/"):
        held = nurse.get(path)
        assert (held.status_code, held.location) == (302, "/staff/password"), path
    assert "You signed in with a temporary password" in nurse.get("/staff/password").text
    assert change_own_password(nurse, password, "my own long passphrase").status_code == 302
    assert nurse.get("/staff/").status_code == 200
    with app.app_context():
        logged = db.session.execute(select(AuditEvent.action, AuditEvent.actor_id)
                                    .where(AuditEvent.action == "user_created")).all()
    assert [tuple(row) for row in logged][-1] == ("user_created", admin.id)


def test_a_reset_ends_the_users_sessions_and_unlocks_the_account(app: Flask) -> None:
    staff = make_staff(app, role="provider", organisations=("RX1",))
    desk = app.test_client()
    sign_in(desk, staff.email, staff.password)
    for _ in range(5):
        sign_in(app.test_client(), staff.email, "a wrong password")  # locks the account
    admin_client, _admin = signed_in(app)
    page = admin_client.get(f"/admin/users/{staff.id}")
    assert "Locked until" in page.text
    reset = admin_client.post(f"/admin/users/{staff.id}/reset-password",
                              data={"csrf_token": csrf_token(page)})
    temporary = shown_password(reset)
    assert "Password reset for" in reset.text
    assert desk.get("/staff/").status_code == 302  # signed out everywhere
    fresh = app.test_client()
    assert sign_in(fresh, staff.email, staff.password).status_code == 200  # old one is gone
    assert sign_in(fresh, staff.email, temporary).status_code == 302  # and unlocked
    assert fresh.get("/staff/").location == "/staff/password"


def test_a_reset_needs_a_csrf_token(app: Flask) -> None:
    staff = make_staff(app, role="provider", organisations=("RX1",))
    admin_client, _admin = signed_in(app)
    assert admin_client.post(f"/admin/users/{staff.id}/reset-password").status_code == 400
    assert sign_in(app.test_client(), staff.email, staff.password).status_code == 302


def test_deactivating_a_user_signs_them_out_and_keeps_them_out(app: Flask) -> None:
    staff = make_staff(app, role="provider", organisations=("RX1",))
    desk = app.test_client()
    sign_in(desk, staff.email, staff.password)
    admin_client, _admin = signed_in(app)
    rx1 = org_ids(app, "RX1")
    done = submit_form(admin_client, f"/admin/users/{staff.id}", {
        "full_name": "Test Provider", "role": "provider", "organisations": rx1})  # no "active"
    assert done.location == "/admin/users"
    assert desk.get("/staff/").status_code == 302
    assert sign_in(app.test_client(), staff.email, staff.password).status_code == 200
    assert "Deactivated" in admin_client.get("/admin/users").text
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action)).all()[-1] == "user_deactivated"


def test_an_administrator_changes_a_users_role_and_organisations(app: Flask) -> None:
    staff = make_staff(app, role="provider", organisations=("RX1",))
    ry1, rz1 = org_ids(app, "RY1", "RZ1")
    admin_client, _admin = signed_in(app)
    form = admin_client.get(f"/admin/users/{staff.id}")
    assert parse(form).find("input", attrs={"value": org_ids(app, "RX1")[0]}).has_attr("checked")
    submit_form(admin_client, f"/admin/users/{staff.id}", {
        "full_name": "Renamed Person", "role": "provider", "organisations": [ry1, rz1],
        "active": "y"})
    assert (staff.email, "provider", True, ["RY1", "RZ1"]) in users(app)
    submit_form(admin_client, f"/admin/users/{staff.id}", {
        "full_name": "Renamed Person", "role": "administrator", "active": "y"})
    assert (staff.email, "administrator", True, []) in users(app)


@pytest.mark.parametrize(("form", "message"), [
    ({"email": "not-an-email"}, "Enter an email address in the right format"),
    ({"email": "administrator.all@example.nhs.uk"}, "There is already an account for"),
    ({"full_name": ""}, "Enter the person's full name"),
    ({"role": "superuser"}, "Not a valid choice"),
    ({"organisations": []}, "Select at least one provider organisation"),
    ({"organisations": ["COMMISSIONER"]}, "is a commissioner; a provider user can only "
                                          "belong to: provider"),
    ({"organisations": ["999999"]}, "There is no organisation with id 999999"),
    ({"organisations": ["not-a-number"]}, "Invalid choice(s)"),
])
def test_bad_user_details_are_named_and_nothing_is_stored(
    app: Flask, form: dict[str, object], message: str
) -> None:
    commissioner = org_ids(app, "QX1", type_code="commissioner")[0]
    provider = org_ids(app, "RX1")[0]
    admin_client, _admin = signed_in(app)
    before = users(app)
    if "organisations" in form:
        form["organisations"] = [commissioner if value == "COMMISSIONER" else value
                                 for value in form["organisations"]]  # type: ignore[union-attr]
    posted = {"email": "new.person@example.nhs.uk", "full_name": "New Person",
              "role": "provider", "organisations": [provider], **form}
    refused = submit_form(admin_client, NEW, posted)
    assert refused.status_code == 200
    assert message in errors(refused)
    assert structure_problems(refused) == []
    assert users(app) == before


def test_an_administrator_cannot_lock_themselves_out(app: Flask) -> None:
    admin_client, admin = signed_in(app)
    before = users(app)
    for form, message in (
        ({"role": "administrator"}, "You cannot deactivate or change the role of your own"),
        ({"role": "provider", "active": "y", "organisations": org_ids(app, "RX1")},
         "You cannot deactivate or change the role of your own"),
    ):
        refused = submit_form(admin_client, f"/admin/users/{admin.id}",
                              {"full_name": "Me", **form})
        assert message in errors(refused)
    assert users(app) == before
    assert admin_client.get("/admin/users").status_code == 200


def test_the_users_page_lists_everyone_with_their_status(app: Flask) -> None:
    make_staff(app, role="provider", organisations=("RX1", "RY1"))
    admin_client, _admin = signed_in(app)
    page = admin_client.get("/admin/users")
    assert structure_problems(page) == []
    rows = [text_of(row) for row in parse(page).select("tbody tr")]
    assert rows == [
        "Test Administrator administrator.all@example.nhs.uk Administrator Active",
        "Test Provider provider.rx1-ry1@example.nhs.uk Provider user RX1, RY1 Active",
    ]
    assert admin_client.get("/admin/users/424242").status_code == 404


def test_the_audit_log_shows_who_did_what(app: Flask) -> None:
    staff = make_staff(app, role="provider", organisations=("RX1",))
    sign_in(app.test_client(), staff.email, "a wrong password")
    admin_client, admin = signed_in(app)
    page = admin_client.get("/admin/audit")
    assert structure_problems(page) == []
    rows = [text_of(row) for row in parse(page).select("tbody tr")]
    assert rows[0].endswith(f"{admin.email} sign in")
    assert any("sign in failed" in row and "wrong password (1)" in row for row in rows)
