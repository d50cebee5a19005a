"""Pathways: list, add, change name or care type (codes are fixed once created)."""

from __future__ import annotations

from flask import abort, render_template, url_for
from werkzeug.wrappers import Response

from survey_app.admin import bp
from survey_app.admin.forms import PathwayForm
from survey_app.admin.pages import form_page
from survey_app.auth import current_staff
from survey_app.extensions import db
from survey_app.models import Pathway
from survey_app.models.pathway import CARE_TYPES
from survey_app.services import pathways as service


def pathway_form(pathway: Pathway | None) -> PathwayForm:
    form = PathwayForm(obj=pathway)
    form.care_type.choices = list(CARE_TYPES.items())
    if pathway is not None:
        del form.code
    return form


def save(form: PathwayForm, pathway: Pathway | None) -> Pathway:
    return service.save_pathway(
        pathway,
        code=form.code.data or "" if pathway is None else pathway.code,
        name=form.name.data or "",
        care_type=form.care_type.data or "",
        actor=current_staff(),
    )


@bp.get("/pathways")
def pathways() -> str:
    return render_template("admin/pathways.html", pathways=service.list_pathways(),
                           care_types=CARE_TYPES)


@bp.route("/pathways/new", methods=["GET", "POST"])
def pathway_new() -> str | Response:
    form = pathway_form(None)
    return form_page(form, lambda: save(form, None), title="Add a pathway",
                     back_url=url_for("admin.pathways"), button="Add pathway")


@bp.route("/pathways/<int:pathway_id>", methods=["GET", "POST"])
def pathway_edit(pathway_id: int) -> str | Response:
    pathway = db.session.get(Pathway, pathway_id) or abort(404)
    form = pathway_form(pathway)
    return form_page(form, lambda: save(form, pathway), title=f"Change {pathway.name}",
                     back_url=url_for("admin.pathways"))
