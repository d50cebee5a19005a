"""Surveys: list, add, change (a survey already sent to patients keeps its instruments:
its page shows them, with no field to change them in)."""

from __future__ import annotations

from flask import abort, render_template, url_for
from werkzeug.wrappers import Response

from survey_app.admin import bp
from survey_app.admin.forms import SurveyForm
from survey_app.admin.pages import form_page
from survey_app.auth import current_staff
from survey_app.extensions import db
from survey_app.models import Survey
from survey_app.services import survey_bundles as service


def survey_form(survey: Survey | None, frozen: bool = False) -> SurveyForm:
    """Build the form, pre-filled with the survey's bundle in order; a ``frozen`` survey
    (sent to patients) has no instrument fields at all, only its title."""
    form = SurveyForm(obj=survey)
    if frozen:
        for field in list(form.instrument_fields):
            del form[field.name]
        del form.slug
        return form
    choices = [("", "None"), *service.instrument_choices()]
    for position, field in enumerate(form.instrument_fields):
        field.choices = choices
        if survey is not None and not form.is_submitted() and position < len(survey.instruments):
            part = survey.instruments[position]
            field.data = f"{part.instrument_id}@{part.instrument_version}"
    if survey is not None:
        del form.slug
    return form


def save(form: SurveyForm, survey: Survey | None, frozen: bool = False) -> Survey:
    bundle = (list(survey.instrument_keys) if frozen and survey is not None
              else [service.parse_key(key) for key in form.bundle_keys()])
    return service.save_survey(
        survey,
        slug=form.slug.data or "" if survey is None else survey.slug,
        title=form.title.data or "",
        bundle=bundle,
        actor=current_staff(),
    )


@bp.get("/surveys")
def surveys() -> str:
    listed = service.list_surveys()
    return render_template("admin/surveys.html", surveys=listed,
                           in_use={s.id for s in listed if service.in_use(s)})


@bp.route("/surveys/new", methods=["GET", "POST"])
def survey_new() -> str | Response:
    form = survey_form(None)
    return form_page(form, lambda: save(form, None), title="Add a survey",
                     back_url=url_for("admin.surveys"), button="Add survey")


@bp.route("/surveys/<int:survey_id>", methods=["GET", "POST"])
def survey_edit(survey_id: int) -> str | Response:
    survey = db.session.get(Survey, survey_id) or abort(404)
    frozen = service.in_use(survey)
    form = survey_form(survey, frozen)
    notice, fixed = None, []
    if frozen:
        notice = ("This survey has been sent to patients, so it keeps its instruments. You "
                  "can correct its title; to ask different questions, add a new survey.")
        fixed = [(f"Instrument {position}", service.instrument_label(key))
                 for position, key in enumerate(survey.instrument_keys, start=1)]
    return form_page(form, lambda: save(form, survey, frozen), title=f"Change {survey.title}",
                     back_url=url_for("admin.surveys"), notice=notice, fixed=fixed)
