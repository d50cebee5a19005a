"""Administrators manage the pathway catalogue; codes are fixed once created."""

from __future__ import annotations

import pytest
from flask import Flask
from patient_pages import parse, structure_problems, text_of
from sqlalchemy import select
from staff import signed_in, submit_form

from survey_app.extensions import db
from survey_app.models import AuditEvent, Pathway


def pathways(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(Pathway.code, Pathway.name, Pathway.care_type).order_by(Pathway.code))]


def test_an_administrator_adds_and_renames_a_pathway(app: Flask) -> None:
    client, admin = signed_in(app)
    added = submit_form(client, "/admin/pathways/new", {
        "code": "Hip_Fracture", "name": "Hip fracture", "care_type": "unplanned_episode"})
    assert added.location == "/admin/pathways"
    assert pathways(app) == [("hip_fracture", "Hip fracture", "unplanned_episode")]
    listing = client.get("/admin/pathways")
    assert structure_problems(listing) == []
    assert [text_of(row) for row in parse(listing).select("tbody tr")] == [
        "Hip fracture hip_fracture Unplanned episode"]
    with app.app_context():
        pathway_id = db.session.scalar(select(Pathway.id))
    edit = f"/admin/pathways/{pathway_id}"
    assert parse(client.get(edit)).find(id="code") is None  # the code cannot change
    submit_form(client, edit, {"code": "other", "name": "Hip fracture (over 60s)",
                               "care_type": "planned_episode"})
    assert pathways(app) == [("hip_fracture", "Hip fracture (over 60s)", "planned_episode")]
    with app.app_context():
        logged = db.session.execute(select(AuditEvent.action, AuditEvent.object_id)
                                    .where(AuditEvent.actor_id == admin.id)).all()
    assert [tuple(row) for row in logged][-2:] == [
        ("pathway_created", "hip_fracture"), ("pathway_updated", "hip_fracture")]


@pytest.mark.parametrize(("form", "message"), [
    ({"code": "a"}, "Code must be 2 to 40 lower-case letters"),
    ({"code": "stroke unit"}, "Code must be 2 to 40 lower-case letters"),
    ({"code": "stroke"}, "There is already a pathway with code stroke"),
    ({"name": " "}, "Enter the pathway's name"),
    ({"care_type": "emergency"}, "Not a valid choice"),
])
def test_bad_pathway_details_are_named_and_nothing_is_stored(
    app: Flask, form: dict[str, str], message: str
) -> None:
    with app.app_context():
        db.session.add(Pathway(code="stroke", name="Stroke", care_type="unplanned_episode"))
        db.session.commit()
    client, _admin = signed_in(app)
    before = pathways(app)
    refused = submit_form(client, "/admin/pathways/new", {
        "code": "falls", "name": "Falls", "care_type": "unplanned_episode", **form})
    assert refused.status_code == 200
    assert message in text_of(parse(refused).find(class_="nhsuk-error-summary"))
    assert pathways(app) == before
