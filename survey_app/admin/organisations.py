"""Organisations and sites: list, add, change (codes are fixed once created)."""

from __future__ import annotations

from flask import abort, render_template, url_for
from werkzeug.wrappers import Response

from survey_app.admin import bp
from survey_app.admin.forms import NO_PARENT, OrganisationForm
from survey_app.admin.pages import form_page
from survey_app.auth import current_staff
from survey_app.extensions import db
from survey_app.models import Organisation
from survey_app.services import organisations as service


def organisation_form(org: Organisation | None) -> OrganisationForm:
    """Build the form with its choices; a new organisation also asks for its code."""
    form = OrganisationForm(obj=org)
    form.type_code.choices = [(t.code, t.label) for t in service.organisation_types()]
    form.parent_id.choices = [(NO_PARENT, "Nothing (top level)")] + [
        (other.id, f"{other.name} ({other.code}, {other.type_code})")
        for other in service.list_organisations()
        if org is None or other.id != org.id
    ]
    if org is not None:
        del form.code
    return form


def details(form: OrganisationForm, org: Organisation | None) -> service.OrganisationDetails:
    """Turn the posted form into the service's plain value."""
    return service.OrganisationDetails(
        code=form.code.data if org is None else org.code,
        name=form.name.data or "",
        type_code=form.type_code.data or "",
        parent_id=form.parent_id.data,
        effective_from=form.effective_from.data,
        effective_to=form.effective_to.data,
    )


@bp.get("/")
@bp.get("/organisations")
def organisations() -> str:
    return render_template("admin/organisations.html",
                           organisations=service.list_organisations())


@bp.route("/organisations/new", methods=["GET", "POST"])
def organisation_new() -> str | Response:
    form = organisation_form(None)
    return form_page(
        form, lambda: service.save_organisation(None, details(form, None), actor=current_staff()),
        title="Add an organisation", back_url=url_for("admin.organisations"),
        button="Add organisation",
    )


@bp.route("/organisations/<int:org_id>", methods=["GET", "POST"])
def organisation_edit(org_id: int) -> str | Response:
    org = db.session.get(Organisation, org_id) or abort(404)
    form = organisation_form(org)
    return form_page(
        form, lambda: service.save_organisation(org, details(form, org), actor=current_staff()),
        title=f"Change {org.name} ({org.code})", back_url=url_for("admin.organisations"),
    )
