"""FHIR R4 intake: ``POST /intake/fhir`` with a Bundle of finished Encounters and their
Patients, answered with an OperationOutcome; invalid Bundles store nothing — on SQLite
and PostgreSQL."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome
from flask import Flask
from flask.testing import FlaskClient
from hl7_data import fixture
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from intake_data import intake_world
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.integrations.fhir_discharge import DISPOSITION_SETTINGS, NHS_NUMBER
from survey_app.models import (
    ContactDetails,
    IntakeBatch,
    IntakeCredential,
    Invitation,
    Organisation,
    TransitionEvent,
)
from survey_app.services.intake_credentials import create_credential, revoke_credential
from survey_app.services.protection import decrypt

FHIR = "application/fhir+json"


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def secret_for(app: Flask) -> str:
    with app.app_context():
        intake_world()
        provider = db.session.scalar(select(Organisation).where(Organisation.code == "RX1"))
        return create_credential(provider, "Trust FHIR engine")[1]


def post(client: FlaskClient, secret: str, body: bytes | dict, content_type: str = FHIR):
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    return client.post("/intake/fhir", data=data, content_type=content_type,
                       headers={"Authorization": f"Bearer {secret}"})


def issues(response) -> list[tuple[str, str, str, str]]:
    """Read the answer as an OperationOutcome (validated by fhir.resources)."""
    assert response.mimetype == FHIR
    outcome = OperationOutcome.model_validate_json(response.data)
    return [(i.severity, i.code, (i.expression or [""])[0], i.diagnostics or "")
            for i in outcome.issue]


def bundle(name: str) -> dict[str, Any]:
    return json.loads(fixture(f"fhir/{name}"))


def test_a_bundle_of_discharges_is_stored_and_answered_201(any_app: Flask) -> None:
    secret = secret_for(any_app)
    response = post(any_app.test_client(), secret, fixture("fhir/valid_bundle.json"))
    assert response.status_code == 201
    [(severity, code, _where, note)] = issues(response)
    assert (severity, code) == ("information", "informational")
    assert "2 Encounters, 2 new (1 invited, 1 not to be surveyed), 0 already stored" in note
    with any_app.app_context():
        events = {e.source_reference: e for e in db.session.scalars(select(TransitionEvent))}
        first = events["V000001"]
        assert (first.provider.code, first.site.code, first.pathway.code, first.to_setting,
                first.sex, first.age_band) == ("RX1", "RX101", "stroke", "home", "female",
                                               "75-84")
        assert events["V000002"].exclusion_reason == "died"
        contact = db.session.scalars(select(ContactDetails)).one()
        assert decrypt(contact.phone) == "+447700900123"
        assert decrypt(contact.email) == "test.person@example.com"
        assert contact.invitation.channel == "sms"
        batch = db.session.scalars(select(IntakeBatch)).one()
        assert (batch.source, batch.credential.name) == ("fhir", "Trust FHIR engine")
    again = post(any_app.test_client(), secret, fixture("fhir/valid_bundle.json"))
    assert again.status_code == 200 and "2 already stored" in issues(again)[0][3]
    with any_app.app_context():
        assert count(TransitionEvent) == 2 and count(Invitation) == 1


def test_field_rule_failures_are_issues_at_their_entry_and_the_rest_is_stored(
    any_app: Flask
) -> None:
    secret = secret_for(any_app)
    response = post(any_app.test_client(), secret, fixture("fhir/field_errors_bundle.json"))
    assert response.status_code == 201
    found = issues(response)
    assert found[:2] == [
        ("error", "value", "Bundle.entry[2].resource.identifier",
         "Bundle.entry[3]: nhs_number: the NHS number fails the modulus 11 check"),
        ("error", "code-invalid", "Bundle.entry[5].resource.serviceType",
         "Bundle.entry[5]: pathway_code: unknown pathway code"),
    ]
    assert "3 Encounters, 1 new" in found[2][3] and "2 refused" in found[2][3]
    with any_app.app_context():
        assert db.session.scalars(select(TransitionEvent.source_reference)).all() == ["V000003"]


@pytest.mark.parametrize("name, expected", [
    ("unfinished_bundle.json", [
        ("business-rule", "Bundle.entry[4].resource.status",
         "only finished Encounters (discharges) are accepted"),
        ("required", "Bundle.entry[5].resource.subject",
         "the subject must reference a Patient in this Bundle")]),
    ("invalid_fhir_bundle.json", [
        ("invalid", "Bundle.entry[3].resource.class", "Field required"),
        ("invalid", "Bundle.entry[3].resource.period.end",
         "Value error, DateTime value string does not match spec regex.")]),
    ("not_json.json", [("structure", "Bundle", "the body is not JSON: Unterminated string "
                                               "starting at (line 1, column 147)")]),
    ("wrong_encoding_bundle.json", [("invalid", "Bundle", "the body is not UTF-8 (byte 0xe9 "
                                                          "at offset 1236)")]),
    ("patient_not_bundle.json", [("structure", "Bundle", "the body is not a FHIR Bundle "
                                                         "(resourceType Bundle)")]),
])
def test_an_invalid_bundle_is_answered_400_and_stores_nothing(
    any_app: Flask, name: str, expected: list[tuple[str, str, str]]
) -> None:
    secret = secret_for(any_app)
    response = post(any_app.test_client(), secret, fixture(f"fhir/{name}"))
    assert response.status_code == 400
    found = issues(response)
    assert [(code, where, text) for _, code, where, text in found[:-1]] == expected
    assert found[-1][3].endswith("nothing was stored")
    with any_app.app_context():
        assert count(TransitionEvent) == count(Invitation) == count(ContactDetails) == 0
        batch = db.session.scalars(select(IntakeBatch)).one()
        assert batch.status == "refused" and batch.refusal.startswith("invalid Bundle")


def test_other_bundle_types_and_resources_are_refused(app: Flask) -> None:
    secret = secret_for(app)
    data = bundle("valid_bundle.json")
    data["type"] = "searchset"
    data["entry"].append({"resource": {"resourceType": "Observation", "status": "final"}})
    data["entry"].append({"request": {"method": "DELETE", "url": "Encounter/1"}})
    found = issues(post(app.test_client(), secret, data))
    assert [(code, where) for _, code, where, _ in found[:-1]] == [
        ("value", "Bundle.type"), ("not-supported", "Bundle.entry[6].resource"),
        ("not-supported", "Bundle.entry[7].resource")]


def test_nulls_that_fhir_resources_lets_through_are_read_as_absent(app: Flask) -> None:
    secret = secret_for(app)
    data = bundle("valid_bundle.json")
    encounter = data["entry"][3]["resource"]
    encounter["location"] = [{"location": None}]  # required, yet let through
    encounter["class"] = None
    response = post(app.test_client(), secret, data)
    assert response.status_code == 201, issues(response)
    with app.app_context():
        event = db.session.scalars(select(TransitionEvent).where(
            TransitionEvent.source_reference == "V000001")).one()
        assert (event.site_id, event.pathway.code) == (None, "stroke")


def test_a_service_provider_of_another_trust_is_not_the_credentials_to_send(
    app: Flask
) -> None:
    secret = secret_for(app)
    data = bundle("valid_bundle.json")
    data["entry"][3]["resource"]["serviceProvider"] = {"identifier": {
        "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RX2"}}
    data["entry"][5]["resource"]["serviceProvider"] = {"display": "no code"}
    found = issues(post(app.test_client(), secret, data))
    assert found[0][2:] == ("Bundle.entry[5].resource.serviceProvider", "the serviceProvider "
                            "has no identifier with system "
                            "https://fhir.nhs.uk/Id/ods-organization-code")
    del data["entry"][5]["resource"]["serviceProvider"]  # then the credential's provider
    found = issues(post(app.test_client(), secret, data))
    assert found[0][2:] == ("Bundle.entry[3].resource.serviceProvider", "Bundle.entry[3]: "
                            "provider_code: unknown provider code")


def test_the_trusts_codes_are_mapped(app: Flask) -> None:
    secret = secret_for(app)
    runner = app.test_cli_runner()
    for args in (["--kind", "pathway", "--code", "300", "--value", "stroke"],
                 ["--provider", "RX1", "--kind", "site", "--code", "WARD9", "--value", "RX101"],
                 ["--kind", "setting", "--code", "other-hcf", "--value", "community_hospital"]):
        assert runner.invoke(args=["intake", "map", "add", *args]).exit_code == 0
    data = bundle("valid_bundle.json")
    encounter = data["entry"][3]["resource"]
    encounter["serviceType"]["coding"][0]["code"] = "300"
    encounter["location"] = [{"location": {"identifier": {"value": "WARD9"}}}]
    encounter["hospitalization"]["dischargeDisposition"]["coding"][0]["code"] = "other-hcf"
    data["entry"][5]["resource"]["hospitalization"]["dischargeDisposition"] = {
        "coding": [{"code": "19"}]}  # NHS discharge destination: usual place of residence
    del data["entry"][4]["resource"]["deceasedBoolean"]
    assert post(app.test_client(), secret, data).status_code == 201
    with app.app_context():
        events = {e.source_reference: e for e in db.session.scalars(select(TransitionEvent))}
        assert (events["V000001"].site.code, events["V000001"].pathway.code,
                events["V000001"].to_setting) == ("RX101", "stroke", "community_hospital")
        assert (events["V000002"].to_setting, events["V000002"].exclusion_reason) == (
            "home", None)


def test_the_endpoint_needs_a_live_credential_and_fhir_json(app: Flask) -> None:
    secret = secret_for(app)
    client = app.test_client()
    body = fixture("fhir/valid_bundle.json")
    assert client.post("/intake/fhir", data=body, content_type=FHIR).status_code == 401
    assert post(client, "ctsi_wrong", body).status_code == 401
    wrong = post(client, secret, body, "text/plain")
    assert wrong.status_code == 415 and issues(wrong)[0][1] == "not-supported"
    assert post(client, secret, body, f"{FHIR}; charset=iso-8859-1").status_code == 415
    assert post(client, secret, body, "application/json").status_code == 201
    with app.app_context():
        revoke_credential(db.session.scalars(select(IntakeCredential)).one())
    assert post(client, secret, body).status_code == 401


def test_a_bundle_over_the_intake_limit_is_413_as_fhir(app: Flask) -> None:
    secret = secret_for(app)
    app.config["INTAKE_MAX_CONTENT_LENGTH"] = 1000
    response = post(app.test_client(), secret, fixture("fhir/valid_bundle.json"))
    assert response.status_code == 413
    assert issues(response)[0][1:3] == ("too-costly", "Bundle")


def test_operations_documents_the_fhir_mapping_and_its_defaults() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "operations.md").read_text()
    section = docs.split("### FHIR", 1)[1].split("\n## ", 1)[0]
    for code in (code.lower() for code in DISPOSITION_SETTINGS if not code.isdigit()):
        assert f"`{code}`" in section, code
    for text in ("POST /intake/fhir", NHS_NUMBER, "**201**", "**200**", "**400**", "**401**",
                 "**413**", "**415**"):
        assert text in section, text


# ---- No input makes it fail ----------------------------------------------------------------

VALID = json.loads(fixture("fhir/valid_bundle.json"))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=12)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON value (as keys and indexes)."""
    found = [prefix]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(
        value, list) else []
    for key, inner in items:
        found += paths(inner, (*prefix, key))
    return found


PLACES = [place for place in paths(VALID) if place]


@st.composite
def mangled_bundles(draw: st.DrawFn) -> bytes:
    """The valid Bundle with a few values replaced by arbitrary JSON."""
    data = copy.deepcopy(VALID)
    for place in draw(st.lists(st.sampled_from(PLACES), max_size=4)):
        target = data
        try:
            for key in place[:-1]:
                target = target[key]
            target[place[-1]] = draw(JSON)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier replacement removed this place
    return json.dumps(data).encode()


BODIES = st.one_of(st.binary(max_size=300), JSON.map(lambda v: json.dumps(v).encode()),
                   mangled_bundles())
SECRETS: dict[Flask, str] = {}


@settings(max_examples=150, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture])
@given(body=BODIES)
def test_no_body_makes_the_endpoint_fail(app: Flask, body: bytes) -> None:
    secret = SECRETS.get(app) or SECRETS.setdefault(app, secret_for(app))
    response = post(app.test_client(), secret, body)
    assert response.status_code in (200, 201, 400)
    assert issues(response)
