"""FHIR R4 discharges: a Bundle (``transaction`` or ``collection``) of finished Encounters
with their Patients, validated with ``fhir.resources`` (its R4B models, which read R4's
Encounter and Patient), each Encounter a :class:`RawDischarge` located ``Bundle.entry[3]``.

A Bundle that is not valid FHIR, or whose Encounters are not finished, do not name their
Patient, or name a serviceProvider without an ODS code, is invalid: :class:`InvalidBundle`
lists every such issue (FHIRPath and reason) and nothing of it is stored.

Field by field (the full table: docs/operations.md, "FHIR"): Encounter.identifier →
source_reference; period.end → discharged_at; serviceProvider (ods-organization-code,
else the credential's provider) → provider_code; the last location → site_code (mapping
"site", else its ODS code); serviceType/type → pathway_code (mapping "pathway");
hospitalization.dischargeDisposition → to_setting and died (mappings, defaults below);
class EMER → from_setting; priority → admission_route; Patient identifier (nhs-number),
birthDate, gender, telecom (sms/mobile phone, email), deceased[x].
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from survey_app.integrations.code_maps import CodeMaps, load_code_maps
from survey_app.integrations.hl7_discharge import DESTINATION_SETTINGS, MOBILE
from survey_app.models import IntakeBatch, IntakeCredential, utcnow
from survey_app.models.event import SETTINGS
from survey_app.services.intake import IntakeRefused, import_discharges
from survey_app.services.intake_validation import RawDischarge

NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
ODS_ORGANISATION = "https://fhir.nhs.uk/Id/ods-organization-code"
ODS_SITE = "https://fhir.nhs.uk/Id/ods-site-code"
BUNDLE_TYPES = ("transaction", "collection")
RESOURCE_TYPES = ("Encounter", "Patient", "Organization", "Location")
MOST_ISSUES = 100
# http://terminology.hl7.org/CodeSystem/discharge-disposition, and the NHS discharge
# destinations (UK Core): "exp" and 79 mean the patient died.
DIED_DISPOSITIONS = frozenset({"EXP", "79"})
DISPOSITION_SETTINGS = {
    "HOME": "home", "ALT-HOME": "home", "OTHER-HCF": "other", "HOSP": "hospice",
    "LONG": "care_home", "AADVICE": "home", "EXP": "other", "PSY": "mental_health_unit",
    "REHAB": "community_hospital", "SNF": "care_home", "OTH": "other", **DESTINATION_SETTINGS,
}
PRIORITIES = {"EM": "emergency", "UR": "emergency", "EL": "elective", "R": "elective"}


@dataclass(frozen=True)
class FhirIssue:
    """One problem: where (FHIRPath), the OperationOutcome issue type, and why."""

    expression: str
    code: str
    text: str


class InvalidBundle(ValueError):
    """The Bundle cannot be imported; every issue found says where and why."""

    def __init__(self, issues: list[FhirIssue]) -> None:
        self.issues = issues[:MOST_ISSUES]
        super().__init__("; ".join(f"{i.expression}: {i.text}" for i in self.issues[:5]))


@dataclass
class FhirImport:
    """An imported (or refused) Bundle: its batch, why it was invalid, and for each
    Encounter where each field came from (for the OperationOutcome)."""

    batch: IntakeBatch
    issues: list[FhirIssue]
    origins: dict[str, dict[str, str]]


def path_of(loc: tuple[Any, ...]) -> str:
    """Return a pydantic error location as FHIRPath: ``Bundle.entry[0].resource.status``."""
    path = "Bundle"
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_]\w*", str(part)):
            path += "." + {"resource_type": "resourceType", "class_fhir": "class"}.get(
                str(part), str(part))
    return path


def parse_json(body: bytes) -> Any:
    """Return the body as JSON, or raise InvalidBundle saying why it is not."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidBundle([FhirIssue("Bundle", "invalid", f"the body is not UTF-8 (byte "
                                       f"0x{body[error.start]:02x} at offset {error.start})")]
                            ) from None

    def no_constants(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    try:
        return json.loads(text, parse_constant=no_constants)
    except json.JSONDecodeError as error:
        raise InvalidBundle([FhirIssue("Bundle", "structure", f"the body is not JSON: "
                                       f"{error.msg} (line {error.lineno}, column "
                                       f"{error.colno})")]) from None
    except (ValueError, RecursionError) as error:
        reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        raise InvalidBundle([FhirIssue("Bundle", "structure", f"the body is not JSON: "
                                       f"{reason}")]) from None


def shape_issues(data: Any) -> list[FhirIssue]:
    """Check what fhir.resources needs to read a Bundle of the resources we take."""
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        return [FhirIssue("Bundle", "structure", "the body is not a FHIR Bundle "
                                                 "(resourceType Bundle)")]
    issues = []
    if data.get("type") not in BUNDLE_TYPES:
        issues.append(FhirIssue("Bundle.type", "value", "a Bundle of discharges is a "
                                                        "transaction or a collection"))
    entries = data.get("entry")
    if not isinstance(entries, list) or not entries:
        return [*issues, FhirIssue("Bundle.entry", "required", "the Bundle has no entries")]
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if kind not in RESOURCE_TYPES:
            issues.append(FhirIssue(f"Bundle.entry[{index}].resource", "not-supported",
                                    "each entry must be an Encounter, Patient, Organization "
                                    "or Location"))
    return issues


def validated(data: Any) -> Bundle:
    """Return the Bundle as fhir.resources models, or raise InvalidBundle."""
    issues = shape_issues(data)
    if issues:
        raise InvalidBundle(issues)
    try:
        return Bundle.model_validate(data)
    except ValidationError as error:
        raise InvalidBundle([FhirIssue(path_of(e["loc"]), "invalid",
                                       " ".join(str(e["msg"]).split()))
                             for e in error.errors(include_input=False)]) from None
    except (TypeError, ValueError, KeyError, RecursionError):
        raise InvalidBundle([FhirIssue("Bundle", "invalid", "the Bundle is not valid FHIR "
                                                            "R4")]) from None


def identifier(identifiers: list[Any] | None, *systems: str) -> str:
    """Return the value of the first identifier with one of ``systems`` (any when none)."""
    for item in identifiers or []:
        if item is not None and item.value and (not systems or item.system in systems):
            return str(item.value).strip()
    return ""


def codes(*concepts: Any) -> list[str]:
    """Return every coding's code of the given CodeableConcepts, in order."""
    return [str(coding.code) for concept in concepts if concept is not None
            for coding in concept.coding or [] if coding is not None and coding.code]


def moment(value: Any) -> str:
    """Return a FHIR date/dateTime as ISO 8601 text ("" when absent)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value or "")


class Entries:
    """The Bundle's resources, found by fullUrl or ``Type/id`` as references name them."""

    def __init__(self, bundle: Bundle) -> None:
        self.by_key: dict[str, tuple[int, Any]] = {}
        for index, entry in enumerate(bundle.entry or []):
            resource = entry.resource
            keys = [entry.fullUrl] if entry.fullUrl else []
            if resource.id:
                keys.append(f"{resource.get_resource_type()}/{resource.id}")
            if entry.fullUrl and "/" in entry.fullUrl:
                keys.append("/".join(entry.fullUrl.rstrip("/").split("/")[-2:]))
            for key in keys:
                self.by_key.setdefault(str(key), (index, resource))

    def find(self, reference: Any, kind: str) -> tuple[int, Any] | None:
        if reference is None or not reference.reference:
            return None
        found = self.by_key.get(str(reference.reference))
        return found if found and found[1].get_resource_type() == kind else None


def contacts(patient: Any) -> tuple[str, str]:
    """Return (mobile, email): current telecoms, best rank first, mobile use preferred."""
    now = utcnow()
    current = [t for t in patient.telecom or [] if t is not None and t.value and not (
        t.period and isinstance(t.period.end, datetime) and t.period.end < now)]
    current.sort(key=lambda t: (t.rank or 10_000, t.use != "mobile"))
    mobile = next((t.value for t in current if t.system == "sms" or (
        t.system == "phone" and (t.use == "mobile" or MOBILE.fullmatch(
            re.sub(r"[^\d+]", "", t.value))))), "")
    email = next((t.value for t in current if t.system == "email"), "")
    return str(mobile).strip(), str(email).strip()


def encounter_fields(index: int, encounter: Any, entries: Entries, maps: CodeMaps,
                     fixed: str) -> tuple[dict[str, str], dict[str, str], list[FhirIssue]]:
    """Map one Encounter (and its Patient) to the standard fields and their FHIRPaths."""
    here = f"Bundle.entry[{index}].resource"
    issues = []
    if encounter.status != "finished":
        issues.append(FhirIssue(f"{here}.status", "business-rule", "only finished Encounters "
                                                                   "(discharges) are accepted"))
    patient_entry = entries.find(encounter.subject, "Patient")
    if patient_entry is None:
        issues.append(FhirIssue(f"{here}.subject", "required", "the subject must reference a "
                                                               "Patient in this Bundle"))
    provider = fixed
    if encounter.serviceProvider is not None:
        named = entries.find(encounter.serviceProvider, "Organization")
        provider = identifier([encounter.serviceProvider.identifier], ODS_ORGANISATION) or (
            identifier(named[1].identifier, ODS_ORGANISATION) if named else "")
        if not provider:
            issues.append(FhirIssue(f"{here}.serviceProvider", "required", "the serviceProvider "
                                    f"has no identifier with system {ODS_ORGANISATION}"))
    if issues:
        return {}, {}, issues
    assert patient_entry is not None
    at, patient = patient_entry
    person = f"Bundle.entry[{at}].resource"
    site_codes, ods_site = [], ""  # the last location is where the patient left from
    places = [place.location for place in encounter.location or []
              if place is not None and place.location is not None]
    for place in places[-1:]:
        named = [place.identifier]
        found = entries.find(place, "Location")
        named += found[1].identifier or [] if found else []
        site_codes = [identifier([item]) for item in named]
        ods_site = identifier(named, ODS_SITE, ODS_ORGANISATION)
    site = maps.first("site", site_codes, provider)
    hospitalization = encounter.hospitalization
    disposition = codes(hospitalization.dischargeDisposition if hospitalization else None)
    died = maps.died(disposition, provider, DIED_DISPOSITIONS) or bool(
        patient.deceasedBoolean or patient.deceasedDateTime)
    setting = next(((c, c.lower()) for c in disposition if c.lower() in SETTINGS), None) or (
        maps.first("setting", disposition, provider, DISPOSITION_SETTINGS))
    mobile, email = contacts(patient)
    fields = {
        "source_reference": identifier(encounter.identifier),
        "nhs_number": identifier(patient.identifier, NHS_NUMBER),
        "date_of_birth": moment(patient.birthDate),
        "sex": patient.gender or "",
        "provider_code": provider,
        "site_code": site[1] if site else ods_site,
        "pathway_code": maps.pathway(codes(encounter.serviceType, *(encounter.type or [])),
                                     provider),
        "discharged_at": moment(encounter.period.end if encounter.period else None),
        "admission_route": next((PRIORITIES[c.upper()] for c in codes(encounter.priority)
                                 if c.upper() in PRIORITIES), ""),
        "from_setting": "emergency_department" if encounter.class_fhir and (
            encounter.class_fhir.code == "EMER") else "",
        "to_setting": setting[1] if setting else ("other" if died else (disposition or [""])[0]),
        "died": "yes" if died else "no",
        "mobile_phone": mobile,
        "email": email,
    }
    origins = {
        "source_reference": f"{here}.identifier", "nhs_number": f"{person}.identifier",
        "date_of_birth": f"{person}.birthDate", "sex": f"{person}.gender",
        "provider_code": f"{here}.serviceProvider", "site_code": f"{here}.location",
        "pathway_code": f"{here}.serviceType", "discharged_at": f"{here}.period.end",
        "admission_route": f"{here}.priority", "from_setting": f"{here}.class",
        "to_setting": f"{here}.hospitalization.dischargeDisposition",
        "died": f"{here}.hospitalization.dischargeDisposition",
        "mobile_phone": f"{person}.telecom", "email": f"{person}.telecom",
        "preferred_channel": f"{person}.telecom",
    }
    return fields, origins, []


def read_bundle(body: bytes, maps: CodeMaps, fixed_provider: str
                ) -> tuple[list[RawDischarge], dict[str, dict[str, str]]]:
    """Return a discharge per Encounter and their fields' FHIRPaths, or raise InvalidBundle."""
    bundle = validated(parse_json(body))
    entries = Entries(bundle)
    discharges, origins, issues = [], {}, []
    for index, entry in enumerate(bundle.entry or []):
        if entry.resource.get_resource_type() != "Encounter":
            continue
        fields, where, found = encounter_fields(index, entry.resource, entries, maps,
                                                fixed_provider)
        issues += found
        location = f"Bundle.entry[{index}]"
        discharges.append(RawDischarge(location, fields))
        origins[location] = where
    if not discharges:
        issues.append(FhirIssue("Bundle.entry", "required", "the Bundle holds no Encounter"))
    if issues:
        raise InvalidBundle(issues)
    return discharges, origins


def refused(reason: str) -> Iterator[RawDischarge]:
    raise IntakeRefused(reason)
    yield  # a generator: import_discharges records the refusal as it reads


def import_fhir(body: bytes, *, credential: IntakeCredential) -> FhirImport:
    """Import a posted Bundle as one batch for the credential's provider (or refuse it)."""
    digest = hashlib.sha256(body).hexdigest()
    try:
        discharges, origins = read_bundle(body, load_code_maps(), credential.provider.code)
    except InvalidBundle as invalid:
        batch = import_discharges("fhir", refused(f"invalid Bundle, nothing was imported: "
                                                  f"{invalid}"), sha256=digest,
                                  credential=credential)
        return FhirImport(batch, invalid.issues, {})
    batch = import_discharges("fhir", discharges, sha256=digest, credential=credential)
    return FhirImport(batch, [], origins)
