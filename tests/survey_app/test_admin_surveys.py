"""Administrators build surveys from the instruments registry; once a survey has been sent
to patients its instruments are frozen (a different bundle is a new survey)."""

from __future__ import annotations

import pytest
from flask import Flask
from patient_pages import parse, structure_problems, text_of
from sqlalchemy import select
from staff import make_staff, signed_in, submit_form

from instruments import list_instruments
from survey_app.extensions import db
from survey_app.models import StaffUser, Survey
from survey_app.services.errors import FieldError
from survey_app.services.survey_bundles import save_survey


def bundles(app: Flask) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    with app.app_context():
        return {survey.slug: (survey.title, survey.instrument_keys)
                for survey in db.session.scalars(select(Survey))}


def survey_id(app: Flask, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Survey.id).where(Survey.slug == slug))


def errors(response) -> str:
    summary = parse(response).find(class_="nhsuk-error-summary")
    return text_of(summary) if summary else ""


def test_the_form_offers_every_shipped_instrument_version(app: Flask) -> None:
    client, _admin = signed_in(app)
    page = client.get("/admin/surveys/new")
    assert structure_problems(page) == []
    offered = [option["value"] for option in parse(page).select("#instrument_1 option")]
    assert offered == ["", *(instrument.key for instrument in list_instruments())]
    assert {"ctm15@1", "ctm3@1", "i_statements@1", "about_you@1"} <= set(offered)


def test_an_administrator_builds_a_survey_and_reorders_it_before_it_is_sent(
    app: Flask
) -> None:
    client, _admin = signed_in(app)
    added = submit_form(client, "/admin/surveys/new", {
        "slug": "discharge-2027", "title": "Leaving hospital 2027",
        "instrument_1": "ctm3@1", "instrument_2": "", "instrument_3": "about_you@1"})
    assert added.location == "/admin/surveys"
    assert bundles(app) == {"discharge-2027": (
        "Leaving hospital 2027", [("ctm3", "1"), ("about_you", "1")])}
    edit = f"/admin/surveys/{survey_id(app, 'discharge-2027')}"
    form = parse(client.get(edit))
    assert form.select_one("#instrument_1 option[selected]")["value"] == "ctm3@1"
    submit_form(client, edit, {"title": "Leaving hospital 2027", "instrument_1": "ctm15@1",
                               "instrument_2": "i_statements@1", "instrument_3": "about_you@1"})
    assert bundles(app)["discharge-2027"][1] == [
        ("ctm15", "1"), ("i_statements", "1"), ("about_you", "1")]
    listing = client.get("/admin/surveys")
    assert "ctm15@1, i_statements@1, about_you@1" in listing.text


def test_a_survey_sent_to_patients_keeps_its_instruments_but_may_be_retitled(
    app: Flask, make_invitation
) -> None:
    """Its instruments are shown, not offered: no drop-down a change could be made in."""
    make_invitation(app, survey="leaving-hospital-short")
    client, _admin = signed_in(app)
    edit = f"/admin/surveys/{survey_id(app, 'leaving-hospital-short')}"
    page = client.get(edit)
    assert structure_problems(page) == []
    form = parse(page).find("main").find("form")
    assert [field["name"] for field in form.select("input, select, textarea")] == [
        "csrf_token", "title"]
    assert text_of(parse(page).select_one("main .nhsuk-inset-text p")) == (
        "This survey has been sent to patients, so it keeps its instruments. You can correct "
        "its title; to ask different questions, add a new survey.")
    listed = [(text_of(row.dt), text_of(row.dd)) for row in
              parse(page).select("main .nhsuk-summary-list__row")]
    assert listed == [("Instrument 1", "Leaving hospital (ctm3, version 1)"),
                      ("Instrument 2", "About you (about_you, version 1)")]
    before = bundles(app)
    forged = submit_form(client, edit, {"title": "Short", "instrument_1": "ctm15@1"})
    assert forged.status_code == 302 and bundles(app)["leaving-hospital-short"] == (
        "Short", before["leaving-hospital-short"][1])  # only the title is a field
    retitled = submit_form(client, edit, {"title": "Leaving hospital (3 questions)"})
    assert retitled.status_code == 302
    assert bundles(app)["leaving-hospital-short"] == (
        "Leaving hospital (3 questions)", [("ctm3", "1"), ("about_you", "1")])


@pytest.mark.parametrize(("bundle", "field"), [
    ([("ctm15", "1"), ("about_you", "1")], "instrument_1"),
    ([("ctm3", "1"), ("i_statements", "1")], "instrument_2"),
    ([("ctm3", "1"), ("about_you", "1"), ("i_statements", "1")], "instrument_3"),
    ([("ctm3", "1")], "instrument_2"),
])
def test_changing_a_sent_surveys_instruments_is_refused_at_the_first_changed_place(
    app: Flask, make_invitation, bundle: list[tuple[str, str]], field: str
) -> None:
    make_invitation(app, survey="leaving-hospital-short")  # ctm3@1, about_you@1
    staff = make_staff(app, role="administrator")
    with app.app_context():
        actor = db.session.get(StaffUser, staff.id)
        survey = db.session.get(Survey, survey_id(app, "leaving-hospital-short"))
        with pytest.raises(FieldError) as refused:
            save_survey(survey, slug=survey.slug, title=survey.title, bundle=bundle,
                        actor=actor)
    assert refused.value.field == field
    assert "its instruments cannot change" in refused.value.message


@pytest.mark.parametrize(("form", "message"), [
    ({"slug": "Has Spaces"}, "Short name must be 2 to 60 lower-case letters"),
    ({"slug": "taken"}, "There is already a survey called taken"),
    ({"title": ""}, "Enter the survey's title"),
    ({"instrument_1": ""}, "Select at least one instrument"),
    ({"instrument_2": "ctm15@1"}, "ctm15 is already in this survey"),
    ({"instrument_2": "ctm15@9"}, "Not a valid choice"),
])
def test_bad_survey_details_are_named_and_nothing_is_stored(
    app: Flask, form: dict[str, str], message: str
) -> None:
    with app.app_context():
        db.session.add(Survey(slug="taken", title="Taken"))
        db.session.commit()
    client, _admin = signed_in(app)
    before = bundles(app)
    refused = submit_form(client, "/admin/surveys/new", {
        "slug": "new-one", "title": "New", "instrument_1": "ctm15@1", **form})
    assert refused.status_code == 200
    assert message in errors(refused)
    assert bundles(app) == before


def test_the_service_refuses_a_version_the_registry_does_not_ship(app: Flask) -> None:
    staff = make_staff(app, role="administrator")
    with app.app_context():
        actor = db.session.get(StaffUser, staff.id)
        with pytest.raises(FieldError, match=r"instrument_2: Unknown instrument ctm15@9"):
            save_survey(None, slug="x-survey", title="X", bundle=[("ctm3", "1"), ("ctm15", "9")],
                        actor=actor)
    assert "x-survey" not in bundles(app)
