"""Staff users: list, add (with a one-time temporary password), change role, organisations
or active flag, reset a password; and the audit log of what everyone did."""

from __future__ import annotations

from flask import abort, render_template, url_for
from werkzeug.wrappers import Response

from survey_app.admin import bp
from survey_app.admin.forms import UserForm
from survey_app.admin.pages import form_page
from survey_app.auth import current_staff
from survey_app.extensions import db
from survey_app.models import StaffUser
from survey_app.models.user import ROLES
from survey_app.services import accounts, audit


def user_form(user: StaffUser | None) -> UserForm:
    """Build the form; the email of an existing account cannot change (nor is it retyped)."""
    form = UserForm(obj=user)
    form.role.choices = list(ROLES.items())
    form.organisations.choices = [
        (org.id, f"{org.name} ({org.code}, {org.type_code})")
        for org in accounts.membership_choices()
    ]
    if user is None:
        del form.active
    else:
        del form.email
        if not form.is_submitted():
            form.organisations.data = [m.organisation_id for m in user.memberships]
    return form


def temporary_password_page(user: StaffUser, password: str, *, new: bool) -> str:
    """Show a temporary password once; it is not stored anywhere it could be shown again."""
    return render_template("admin/temporary_password.html", user=user, password=password,
                           new=new)


@bp.get("/users")
def users() -> str:
    return render_template("admin/users.html", users=accounts.list_users(), roles=ROLES)


@bp.route("/users/new", methods=["GET", "POST"])
def user_new() -> str | Response:
    form = user_form(None)
    created: dict[str, tuple[StaffUser, str | None]] = {}

    def save() -> None:
        created["user"] = accounts.create_user(
            email=form.email.data or "", full_name=form.full_name.data or "",
            role=form.role.data or "", organisation_ids=form.organisations.data or [],
            actor=current_staff(),
        )

    page = form_page(form, save, title="Add a user", back_url=url_for("admin.users"),
                     button="Add user")
    if "user" in created:
        user, password = created["user"]
        return temporary_password_page(user, password or "", new=True)
    return page


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int) -> str | Response:
    user = db.session.get(StaffUser, user_id) or abort(404)
    form = user_form(user)
    return form_page(
        form,
        lambda: accounts.update_user(
            user, full_name=form.full_name.data or "", role=form.role.data or "",
            organisation_ids=form.organisations.data or [], active=bool(form.active.data),
            actor=current_staff(),
        ),
        title=f"Change {user.full_name}", back_url=url_for("admin.users"),
        template="admin/user_form.html", user=user,
    )


@bp.post("/users/<int:user_id>/reset-password")
def user_reset_password(user_id: int) -> str:
    user = db.session.get(StaffUser, user_id) or abort(404)
    password = accounts.reset_password(user, actor=current_staff())
    return temporary_password_page(user, password, new=False)


@bp.get("/audit")
def audit_log() -> str:
    return render_template("admin/audit_log.html", events=audit.recent())
