"""HL7 v2 ADT^A03 intake: the field mapping, files on the command line (``flask intake
hl7``), ``POST /intake/hl7`` with its ACKs, and malformed input that leaves nothing behind
— on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hl7_data import a03, acks, fixture, yesterday
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from intake_data import NHS_NUMBERS, intake_world
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.integrations.code_maps import CodeMaps
from survey_app.integrations.hl7_discharge import (
    DESTINATION_SETTINGS,
    DISPOSITION_SETTINGS,
    ORIGINS,
    Hl7Options,
    discharge,
    import_hl7,
)
from survey_app.integrations.hl7_message import (
    hl7_moment,
    read_message,
    split_messages,
    unescape,
)
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

MAPS = CodeMaps({}, frozenset({"RX1", "RX2"}), frozenset({"stroke"}))
HL7 = "application/hl7-v2"


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fields_of(message: str, maps: CodeMaps = MAPS, options: Hl7Options | None = None,
              provider: str = "") -> dict[str, str]:
    chunk = next(split_messages(message.encode()))
    return discharge(read_message(chunk), maps, options or Hl7Options(), provider)[0]


def secret_for(app: Flask, code: str = "RX1") -> str:
    with app.app_context():
        intake_world()
        provider = db.session.scalar(select(Organisation).where(Organisation.code == code))
        return create_credential(provider, "Trust engine")[1]


def post(client: FlaskClient, secret: str, body: bytes | str, content_type: str = HL7):
    data = body.encode() if isinstance(body, str) else body
    return client.post("/intake/hl7", data=data, content_type=content_type,
                       headers={"Authorization": f"Bearer {secret}"})


def run_file(app: Flask, tmp_path: Path, data: bytes, *options: str, name: str = "in.hl7"):
    path = tmp_path / name
    path.write_bytes(data)
    return app.test_cli_runner().invoke(args=["intake", "hl7", str(path), *options])


# ---- The mapping, message by message -------------------------------------------------------


def test_an_a03_becomes_the_standard_fields() -> None:
    when = yesterday()
    fields = fields_of(a03(1, discharged=when, pv1={4: "E"}))
    assert fields == {
        "source_reference": "V000001", "nhs_number": NHS_NUMBERS[0],
        "date_of_birth": "1950-04-01", "sex": "F", "provider_code": "RX1", "site_code": "RX101",
        "pathway_code": "stroke", "discharged_at": hl7_moment(when.strftime("%Y%m%d%H%M%S")
                                                              + "+0000"),
        "admission_route": "emergency", "from_setting": "", "to_setting": "home", "died": "no",
        "mobile_phone": "07700900123", "email": "test.person@example.com",
    }


@pytest.mark.parametrize("pid3, codes, expected", [
    ("123^^^RX1^MR~9434765919^^^NHS^NH", None, "9434765919"),  # type NH
    ("9434765919^^^NHSNBR", None, "9434765919"),  # authority only
    ("9434765919^^^&2.16.840.1.113883.2.1.4.1&ISO", None, "9434765919"),  # the OID
    ("123^^^RX1^MR", None, ""),  # a local number is not the NHS number
    ("9434765919^^^LOCALNHS^XX", None, ""),
    ("9434765919^^^LOCALNHS^XX", "LOCALNHS", "9434765919"),  # HL7_NHS_NUMBER_CODES
])
def test_the_nhs_number_is_the_pid3_identifier_of_the_configured_type_or_authority(
    pid3: str, codes: str | None, expected: str
) -> None:
    options = Hl7Options.from_config({"HL7_NHS_NUMBER_CODES": codes} if codes else {})
    assert fields_of(a03(1, pid={3: pid3}), options=options)["nhs_number"] == expected


@pytest.mark.parametrize("pid13, mobile, email", [
    ("^PRN^CP^^^^^^^^^07700900123", "07700900123", ""),  # XTN-12 unformatted
    ("07700 900123^PRN^CP", "07700 900123", ""),  # XTN-1
    ("^ORN^CP^^44^7700^900123", "+447700900123", ""),  # country, area, local
    ("01132496000^PRN^PH~07700900123^PRN^PH", "07700900123", ""),  # a landline is skipped
    ("^NET^Internet^a.person@example.com", "", "a.person@example.com"),
    ("a.person@example.com^NET", "", "a.person@example.com"),  # older: email in XTN-1
    ("^NET^X.400^a.person@example.com~^PRN^CP^^^^^^^^^07700900124",
     "07700900124", "a.person@example.com"),
    ("", "", ""),
])
def test_pid13_gives_a_mobile_and_an_email_by_use_and_equipment_codes(
    pid13: str, mobile: str, email: str
) -> None:
    fields = fields_of(a03(1, pid={13: pid13}))
    assert (fields["mobile_phone"], fields["email"]) == (mobile, email)


@pytest.mark.parametrize("ts, iso", [
    ("202611301405", "2026-11-30T14:05:00"),  # no offset: UK local time
    ("20261130140512+0100", "2026-11-30T14:05:12+01:00"),
    ("20261130140512.1234-0500", "2026-11-30T14:05:12-05:00"),
    ("2026113014", "2026-11-30T14:00:00"),
    ("20261130", "2026-11-30T00:00:00"),
    ("20261330", "20261330"),  # not a date: left for the field rule to refuse
    ("2026-11-30", "2026-11-30"),
    ("yesterday", "yesterday"),
])
def test_hl7_timestamps_become_iso_8601(ts: str, iso: str) -> None:
    assert hl7_moment(ts) == iso


@pytest.mark.parametrize("pv1, mappings, died, to_setting", [
    ({36: "01"}, {}, "no", "home"),
    ({36: "20"}, {}, "yes", "other"),  # table 0112: expired
    ({36: "41"}, {}, "yes", "other"),
    ({36: "4"}, {}, "yes", "other"),  # NHS discharge method: patient died
    ({36: "", 37: "79"}, {}, "yes", "other"),  # NHS discharge destination: died
    ({36: "01", 37: "54"}, {}, "no", "care_home"),  # PV1-37 before PV1-36
    ({36: "51"}, {}, "no", "hospice"),
    ({36: "09"}, {}, "no", "09"),  # unmapped: the field rule says what settings are
    ({36: "09"}, {("RX1", "setting", "09"): "acute_ward"}, "no", "acute_ward"),
    ({36: "20"}, {("", "died", "20"): "no"}, "no", "20"),  # a trust's own meaning wins
    ({36: "X1"}, {("RX1", "died", "X1"): "yes"}, "yes", "other"),
    ({37: "care_home"}, {}, "no", "care_home"),
])
def test_dispositions_and_destinations_give_died_and_the_setting(
    pv1: dict[int, str], mappings: dict, died: str, to_setting: str
) -> None:
    maps = CodeMaps(mappings, MAPS.providers, MAPS.pathways)
    fields = fields_of(a03(1, pv1=pv1), maps)
    assert (fields["died"], fields["to_setting"]) == (died, to_setting)


def test_sites_and_pathways_come_from_the_trusts_mappings() -> None:
    maps = CodeMaps({("RX1", "site", "WARD9"): "RX101", ("", "pathway", "300"): "stroke"},
                    MAPS.providers, MAPS.pathways)
    fields = fields_of(a03(1, pv1={3: "WARD9", 10: "300"}), maps)
    assert (fields["site_code"], fields["pathway_code"]) == ("RX101", "stroke")
    unmapped = fields_of(a03(1, pv1={3: "WARD8", 10: "301"}), maps)
    assert (unmapped["site_code"], unmapped["pathway_code"]) == ("", "301")


def test_the_provider_is_msh4_or_else_the_credentials() -> None:
    assert fields_of(a03(1, msh={4: "RX2"}), provider="RX1")["provider_code"] == "RX2"
    assert fields_of(a03(1, msh={4: "ADDENBROOKES"}), provider="RX1")["provider_code"] == "RX1"
    assert fields_of(a03(1, msh={4: "ZZ9"}))["provider_code"] == "ZZ9"  # the rule says unknown


def test_hl7_escapes_are_undone() -> None:
    assert unescape(r"A\F\B\S\C\T\D\R\E\E\\X41\\H\x", "|", "^~\\&") == "A|B^C&D~E\\Ax"
    assert unescape("no escape \\F", "|", "^~\\&") == "no escape \\F"


@pytest.mark.parametrize("join", ["\r", "\n", "\r\n"])
def test_messages_split_on_any_segment_end_blank_lines_and_frames(join: str) -> None:
    messages = [a03(n).replace("\r", join) for n in (1, 2, 3)]
    plain = "".join(messages).encode()
    blank = "\n\n".join(messages).encode()
    framed = b"".join(b"\x0b" + m.encode() + b"\x1c\r" for m in messages)
    batch = ("FHS|^~\\&\rBHS|^~\\&\r" + "".join(messages) + "BTS|3\rFTS|1\r").encode()
    for data in (plain, blank, framed, batch):
        ids = [read_message(chunk).control_id for chunk in split_messages(data)]
        assert ids == ["MSG00001", "MSG00002", "MSG00003"]


def test_operations_documents_each_field_default_and_setting() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "operations.md").read_text()
    section = docs.split("### HL7 v2", 1)[1].split("### FHIR", 1)[0]
    for where in set(ORIGINS.values()):
        assert f"| {where} " in section or f"| {where}/" in section, where
    for code in {**DISPOSITION_SETTINGS, **DESTINATION_SETTINGS}:
        assert code in section, code
    for name in ("INTAKE_MAX_CONTENT_LENGTH", "HL7_NHS_NUMBER_CODES", "MLLP_PROVIDER"):
        assert f"| `{name}` |" in docs, name
    for command in ("intake hl7", "intake mllp", "intake map add", "intake map list",
                    "intake map remove"):
        assert f"flask --app wsgi {command}" in section, command


# ---- Files on the command line -------------------------------------------------------------


@pytest.mark.parametrize("name", ["hl7/valid.hl7", "hl7/valid_mllp.hl7"])
def test_a_file_of_discharges_imports_every_message(
    any_app: Flask, tmp_path: Path, name: str
) -> None:
    with any_app.app_context():
        intake_world()
    result = run_file(any_app, tmp_path, fixture(name))
    assert result.exit_code == 0, result.output
    assert "received           3" in result.output and "invited            2" in result.output
    with any_app.app_context():
        batch = db.session.scalars(select(IntakeBatch)).one()
        assert (batch.source, batch.status, batch.accepted, batch.excluded) == (
            "hl7_file", "complete", 3, 1)
        events = {e.source_reference: e for e in db.session.scalars(select(TransitionEvent))}
        first = events["V000001"]
        assert (first.site.code, first.pathway.code, first.to_setting, first.admission_route,
                first.sex, first.age_band) == ("RX101", "stroke", "home", "emergency",
                                               "female", "75-84")
        assert events["V000003"].exclusion_reason == "died"
        channels = {c.invitation.event.source_reference: c for c in
                    db.session.scalars(select(ContactDetails))}
        assert decrypt(channels["V000001"].phone) == "+447700900123"
        assert channels["V000002"].invitation.channel == "email"
        assert decrypt(channels["V000002"].email) == "test.person@example.com"


def test_sending_a_file_again_creates_nothing_twice(any_app: Flask, tmp_path: Path) -> None:
    with any_app.app_context():
        intake_world()
    data = fixture("hl7/valid.hl7")
    run_file(any_app, tmp_path, data)
    again = run_file(any_app, tmp_path, data)
    assert again.exit_code == 0 and "duplicates         3" in again.output
    with any_app.app_context():
        assert count(TransitionEvent) == 3 and count(Invitation) == 2


@pytest.mark.parametrize("name, said", [
    ("hl7/truncated.hl7", "message 2 (MSG00002), line 9, PV1: there is no PV1 segment "
                          "(the message may be truncated)"),
    ("hl7/truncated_mllp.hl7", "message 2, line 10, MLLP: the MLLP frame is not closed"),
    ("hl7/wrong_segment.hl7", "message 2 (MSG00002), line 9, segment 6: segment 6 does not "
                              "begin with a segment id"),
    ("hl7/wrong_type.hl7", "message 2 (MSG00002), line 9, MSH-9: the event is not A03"),
    ("hl7/wrong_encoding.hl7", "message 2 (MSG00002), line 9, PID: the PID segment is not "
                               "UTF-8 (byte 0xc9); say its character set in MSH-18"),
])
def test_a_malformed_file_is_refused_whole_naming_the_message(
    any_app: Flask, tmp_path: Path, name: str, said: str
) -> None:
    with any_app.app_context():
        intake_world()
    result = run_file(any_app, tmp_path, fixture(name))
    assert result.exit_code == 2
    assert "1 of 2 messages cannot be read, so nothing was imported" in result.output
    assert said in result.output
    with any_app.app_context():
        batch = db.session.scalars(select(IntakeBatch)).one()
        assert batch.status == "refused" and said in batch.refusal
        assert count(TransitionEvent) == count(Invitation) == count(ContactDetails) == 0


def test_a_file_with_no_message_is_refused(app: Flask, tmp_path: Path) -> None:
    result = run_file(app, tmp_path, b"\n\n")
    assert result.exit_code == 2 and "there is no HL7 message in the input" in result.output


def test_field_rule_failures_are_listed_by_message_and_field_and_the_rest_imported(
    any_app: Flask, tmp_path: Path
) -> None:
    with any_app.app_context():
        intake_world()
    result = run_file(any_app, tmp_path, fixture("hl7/field_errors.hl7"))
    assert result.exit_code == 0, result.output
    for line in ("message 1 (MSG00001), PID-3 nhs_number (•••••••918): the NHS number fails "
                 "the modulus 11 check",
                 "message 2 (MSG00002), PV1-10 pathway_code (999): unknown pathway code",
                 "message 3 (MSG00003), PV1-45 discharged_at: discharged_at is missing"):
        assert line in result.output
    with any_app.app_context():
        assert db.session.scalars(select(TransitionEvent.source_reference)).all() == ["V000004"]


def test_a_discharge_outside_the_window_names_pv1_45(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        intake_world()
    old = a03(1, discharged=yesterday() - timedelta(days=100))
    result = run_file(app, tmp_path, old.encode())
    assert "PV1-45 discharged_at" in result.output and "older than the survey window" in (
        result.output)


def test_the_provider_option_limits_a_file_to_that_provider(app: Flask, tmp_path: Path) -> None:
    from event_data import provider_with_site

    with app.app_context():
        intake_world()
        provider_with_site("RX2")
        db.session.commit()
    result = run_file(app, tmp_path, a03(1).encode(), "--provider", "RX2")
    assert "MSH-4 provider_code (RX1): this provider is not your organisation" in result.output
    unknown = run_file(app, tmp_path, a03(1).encode(), "--provider", "NOPE")
    assert unknown.exit_code == 2 and "There is no provider with code NOPE" in unknown.output


def test_the_trusts_codes_are_mapped_with_flask_intake_map(
    any_app: Flask, tmp_path: Path
) -> None:
    runner = any_app.test_cli_runner()
    with any_app.app_context():
        intake_world()
    for args in (["--provider", "RX1", "--kind", "pathway", "--code", "300", "--value", "stroke"],
                 ["--provider", "RX1", "--kind", "site", "--code", "ward9", "--value", "RX101"],
                 ["--kind", "setting", "--code", "09", "--value", "community_hospital"],
                 ["--kind", "died", "--code", "09", "--value", "no"]):
        added = runner.invoke(args=["intake", "map", "add", *args])
        assert added.exit_code == 0, added.output
    listed = runner.invoke(args=["intake", "map", "list", "--provider", "RX1"]).output
    assert "RX1 pathway 300 → stroke" in listed and "every provider setting 09 → " in listed
    result = run_file(any_app, tmp_path, a03(1, pv1={3: "WARD9", 10: "300", 36: "09"}).encode())
    assert result.exit_code == 0, result.output
    with any_app.app_context():
        event = db.session.scalars(select(TransitionEvent)).one()
        assert (event.site.code, event.pathway.code, event.to_setting) == (
            "RX101", "stroke", "community_hospital")
    bad = runner.invoke(args=["intake", "map", "add", "--kind", "pathway", "--code", "1",
                              "--value", "knees"])
    assert bad.exit_code == 1 and "There is no pathway with code knees" in bad.output
    removed = runner.invoke(args=["intake", "map", "remove", "--provider", "RX1", "--kind",
                                  "pathway", "--code", "300"])
    assert removed.exit_code == 0 and "Removed the pathway mapping for 300" in removed.output
    again = runner.invoke(args=["intake", "map", "remove", "--provider", "RX1", "--kind",
                                "pathway", "--code", "300"])
    assert again.exit_code == 1 and "There is no pathway mapping for 300 at RX1" in again.output


# ---- POST /intake/hl7 ----------------------------------------------------------------------


def test_a_posted_discharge_is_acknowledged_aa_and_stored(
    any_app: Flask, tmp_path: Path
) -> None:
    secret = secret_for(any_app)
    response = post(any_app.test_client(), secret, a03(1))
    assert response.status_code == 200 and response.mimetype == HL7
    [answer] = acks(response.data)
    assert (answer["code"], answer["id"], answer["errors"]) == ("AA", "MSG00001", [])
    again = acks(post(any_app.test_client(), secret, a03(1)).data)  # resent: still AA
    assert again[0]["code"] == "AA"
    with any_app.app_context():
        assert count(TransitionEvent) == 1
        sources = db.session.scalars(select(IntakeBatch.source)).all()
        assert sources == ["hl7_http", "hl7_http"]
        assert db.session.scalars(select(IntakeBatch.duplicates)).all() == [0, 1]


def test_a_field_rule_failure_is_acknowledged_ae_with_where_and_why(any_app: Flask) -> None:
    secret = secret_for(any_app)
    body = a03(1, pid={3: "9434765918^^^NHS^NH"}) + a03(2, pv1={10: "knees"}) + a03(3)
    answers = acks(post(any_app.test_client(), secret, body).data)
    assert [a["code"] for a in answers] == ["AE", "AE", "AA"]
    assert answers[0]["errors"] == [("PID^1^3", "102", "PID-3: nhs_number: the NHS number "
                                                       "fails the modulus 11 check")]
    assert answers[0]["text"].startswith("PID-3: nhs_number: the NHS number fails")
    assert answers[1]["errors"] == [("PV1^1^10", "103", "PV1-10: pathway_code: unknown "
                                                        "pathway code")]
    with any_app.app_context():
        assert db.session.scalars(select(TransitionEvent.source_reference)).all() == ["V000003"]


def test_an_unreadable_message_is_rejected_ar_and_nothing_of_its_request_is_stored(
    any_app: Flask
) -> None:
    secret = secret_for(any_app)
    body = a03(1) + a03(2, msh={9: "ADT^A01^ADT_A01"}) + a03(3).split("PV1|")[0]
    answers = acks(post(any_app.test_client(), secret, body).data)
    assert [(a["code"], a["id"]) for a in answers] == [
        ("AE", "MSG00001"), ("AR", "MSG00002"), ("AR", "MSG00003")]
    assert answers[1]["errors"] == [("MSH^1^9", "201", "MSH-9: the event is not A03: only "
                                                       "discharges (ADT^A03) are accepted")]
    assert answers[2]["errors"][0][:2] == ("PV1^1", "100")
    assert "another message of this input cannot be read" in answers[0]["text"]
    with any_app.app_context():
        assert count(TransitionEvent) == count(Invitation) == 0
        assert db.session.scalars(select(IntakeBatch.status)).all() == ["refused"]


def test_the_endpoint_needs_a_live_credential_and_hl7(app: Flask) -> None:
    secret = secret_for(app)
    client = app.test_client()
    assert post(client, "ctsi_not-a-credential", a03(1)).status_code == 401
    assert client.post("/intake/hl7", data=a03(1)).status_code == 401
    assert post(client, secret, a03(1), "application/json").status_code == 415
    assert post(client, secret, a03(1), "application/hl7-v2; charset=koi8-r").status_code == 415
    empty = post(client, secret, b"")
    assert empty.status_code == 400 and acks(empty.data)[0]["code"] == "AR"
    with app.app_context():
        revoke_credential(db.session.scalars(select(IntakeCredential)).one())
    assert post(client, secret, a03(1)).status_code == 401


def test_a_content_type_charset_decodes_messages_without_msh18(app: Flask) -> None:
    secret = secret_for(app)
    body = a03(1, pid={5: "PATIENT^JOSÉ"}).encode("latin-1")
    refused = acks(post(app.test_client(), secret, body).data)
    assert refused[0]["code"] == "AR" and "not UTF-8 (byte 0xc9)" in refused[0]["text"]
    named = post(app.test_client(), secret, body, f"{HL7}; charset=ISO-8859-1")
    assert acks(named.data)[0]["code"] == "AA"
    own = a03(2, msh={18: "8859/1"}, pid={5: "PATIENT^JOSÉ"}).encode("latin-1")
    assert acks(post(app.test_client(), secret, own).data)[0]["code"] == "AA"


def test_intake_bodies_may_be_larger_than_forms_up_to_their_own_limit(app: Flask) -> None:
    secret = secret_for(app)
    body = "".join(a03(n) for n in range(1, 201))  # ~95 KB: more than the forms' 64 KiB
    assert len(body) > app.config["MAX_CONTENT_LENGTH"] > 50_000
    answers = acks(post(app.test_client(), secret, body).data)
    assert len(answers) == 200 and {a["code"] for a in answers} == {"AA"}
    app.config["INTAKE_MAX_CONTENT_LENGTH"] = 50_000
    too_big = post(app.test_client(), secret, body)
    assert too_big.status_code == 413 and too_big.mimetype == "text/plain"
    assert b"larger than 50000 bytes (INTAKE_MAX_CONTENT_LENGTH)" in too_big.data


# ---- No input makes it fail ----------------------------------------------------------------

SAMPLE = a03(1) + a03(2)
HL7_BITS = "|^~\\&\r\n\x0b\x1c MSHPIDV1EVNADTA03^0123456789+-.é"


@st.composite
def mangled_messages(draw: st.DrawFn) -> bytes:
    """A valid input with random cuts and insertions of HL7's own characters."""
    text = SAMPLE
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 30))
        text = text[:at] + draw(st.text(alphabet=HL7_BITS, max_size=12)) + text[at + cut:]
    return text.encode(draw(st.sampled_from(["utf-8", "latin-1", "utf-16"])), "replace")


SECRETS: dict[Flask, str] = {}
INPUTS = st.one_of(st.binary(max_size=600), mangled_messages(),
                   st.text(max_size=300).map(lambda t: ("MSH|^~\\&|" + t).encode()))


@settings(max_examples=150, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=INPUTS)
def test_no_input_makes_the_importer_fail(app: Flask, data: bytes) -> None:
    with app.app_context():
        intake_world()
        result = import_hl7(data, source="hl7_file")
        assert result.batch.status in ("complete", "refused")
        from survey_app.integrations.hl7_ack import ack

        for outcome in result.outcomes:
            answer = ack(outcome)
            assert acks(answer.encode())[0]["code"] in ("AA", "AE", "AR")
            assert answer.replace("\r", "").isprintable()  # nothing that breaks a frame


@settings(max_examples=100, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=INPUTS)
def test_no_body_makes_the_endpoint_answer_500(app: Flask, data: bytes) -> None:
    secret = SECRETS.get(app) or SECRETS.setdefault(app, secret_for(app))
    response = post(app.test_client(), secret, data)
    assert response.status_code in (200, 400)
    assert {a["code"] for a in acks(response.data)} <= {"AA", "AE", "AR"}
