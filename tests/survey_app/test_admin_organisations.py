"""Administrators manage organisations and sites over HTTP; bad input is named and stores
nothing."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from patient_pages import parse, structure_problems, text_of
from sqlalchemy import func, select
from staff import organisation, signed_in, submit_form

from survey_app.extensions import db
from survey_app.models import AuditEvent, Organisation

NEW = "/admin/organisations/new"


def trust(**changes: object) -> dict[str, object]:
    """The form for a new provider, with ``changes``."""
    return {"code": "RQ5", "name": "Riverside NHS Trust", "type_code": "provider",
            "parent_id": "", "effective_from": "2020-04-01", "effective_to": "", **changes}


def errors(response) -> str:
    summary = parse(response).find(class_="nhsuk-error-summary")
    return text_of(summary) if summary else ""


def snapshot(app: Flask) -> list[tuple[object, ...]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(select(
            Organisation.code, Organisation.name, Organisation.type_code,
            Organisation.parent_id, Organisation.effective_from, Organisation.effective_to,
        ).order_by(Organisation.code))]


def test_an_administrator_adds_a_provider_and_its_site_then_closes_the_site(
    app: Flask
) -> None:
    client, admin = signed_in(app)
    assert submit_form(client, NEW, trust(code="rq5 ")).location == "/admin/organisations"
    with app.app_context():
        provider_id = db.session.scalar(select(Organisation.id).where(Organisation.code == "RQ5"))
    site = trust(code="RQ501", name="Riverside General", type_code="site",
                 parent_id=str(provider_id))
    assert submit_form(client, NEW, site).status_code == 302
    listing = client.get("/admin/organisations")
    assert structure_problems(listing) == []
    assert "Riverside General" in listing.text
    with app.app_context():
        site_row = db.session.scalar(select(Organisation).where(Organisation.code == "RQ501"))
        assert site_row.parent.code == "RQ5"
        site_id = site_row.id
    edit = f"/admin/organisations/{site_id}"
    changed = submit_form(client, edit, {**site, "name": "Riverside General Hospital",
                                         "effective_to": "2026-03-31"})
    assert changed.status_code == 302
    with app.app_context():
        site_row = db.session.get(Organisation, site_id)
        assert (site_row.code, site_row.name, site_row.effective_to) == (
            "RQ501", "Riverside General Hospital", date(2026, 3, 31))
        audit = db.session.execute(select(AuditEvent.action, AuditEvent.object_id,
                                          AuditEvent.actor_id).order_by(AuditEvent.id)).all()
    assert [tuple(row) for row in audit[-3:]] == [
        ("organisation_created", "RQ5", admin.id), ("organisation_created", "RQ501", admin.id),
        ("organisation_updated", "RQ501", admin.id)]


@pytest.mark.parametrize(("changes", "message"), [
    ({"code": "R 1"}, "Code must be 3 to 10 capital letters or digits"),
    ({"code": "RX1"}, "There is already an organisation with code RX1"),
    ({"name": "  "}, "Enter the organisation's name"),
    ({"type_code": "site"}, "Select the provider this site belongs to"),
    ({"effective_to": "2019-01-01"}, "The end date must be the same as or after the start"),
    ({"effective_from": "2026-02-30"}, "Enter a real date, for example 2026-04-01"),
    ({"effective_from": ""}, "Enter the date the organisation started"),
    ({"type_code": "region"}, "Not a valid choice"),
    ({"parent_id": "999999"}, "There is no organisation with id 999999"),
    ({"parent_id": "PARENT_SITE"}, "A provider can only belong to a system"),
    ({"type_code": "system", "parent_id": "PARENT_PROVIDER"},
     "A system cannot belong to another organisation"),
])
def test_bad_organisation_details_are_named_and_nothing_is_stored(
    app: Flask, changes: dict[str, str], message: str
) -> None:
    with app.app_context():
        existing = organisation("RX1")
        site = Organisation(code="RX101", name="Site", type_code="site", parent=existing,
                            effective_from=existing.effective_from)
        db.session.add(site)
        db.session.commit()
        parents = {"PARENT_SITE": str(site.id), "PARENT_PROVIDER": str(existing.id)}
    changes = {key: parents.get(value, value) for key, value in changes.items()}
    client, _admin = signed_in(app)
    before = snapshot(app)
    refused = submit_form(client, NEW, trust(**changes))
    assert refused.status_code == 200
    assert message in errors(refused)
    assert structure_problems(refused) == []
    assert snapshot(app) == before


def test_an_organisation_with_sites_keeps_its_type_and_its_code(app: Flask) -> None:
    with app.app_context():
        provider = organisation("RX1")
        db.session.add(Organisation(code="RX101", name="Site", type_code="site",
                                    parent=provider, effective_from=provider.effective_from))
        db.session.commit()
        provider_id = provider.id
    client, _admin = signed_in(app)
    before = snapshot(app)
    form = trust(code="HACKED", name="Renamed", type_code="commissioner")
    refused = submit_form(client, f"/admin/organisations/{provider_id}", form)
    assert "1 organisations belong to Test Provider RX1, so its type cannot change" in errors(
        refused)
    assert snapshot(app) == before
    renamed = submit_form(client, f"/admin/organisations/{provider_id}", {**form,
                                                                         "type_code": "provider"})
    assert renamed.status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, provider_id).code == "RX1"  # code field ignored
        assert db.session.scalar(select(func.count()).where(Organisation.code == "HACKED")) == 0


def test_an_unknown_organisation_is_a_404(app: Flask) -> None:
    client, _admin = signed_in(app)
    assert client.get("/admin/organisations/424242").status_code == 404
