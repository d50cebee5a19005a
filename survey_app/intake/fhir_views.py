"""``POST /intake/fhir``: a FHIR R4 Bundle of finished Encounters with their Patients,
answered with an OperationOutcome (``application/fhir+json``).

201: imported, something new stored; 200: imported, nothing new (all already stored, or
every Encounter refused by a field rule: each is an issue at its ``Bundle.entry[n]``);
400: not a valid Bundle, nothing stored; 401: no credential; 415: not FHIR JSON.
"""

from __future__ import annotations

from fhir.resources.R4B.operationoutcome import OperationOutcome
from flask import request
from werkzeug.wrappers import Response

from survey_app.intake import bp, credential_required, current_credential
from survey_app.integrations.fhir_discharge import FhirImport, FhirIssue, import_fhir

MEDIA_TYPES = ("application/fhir+json", "application/json")


def outcome_response(issues: list[FhirIssue], status: int, note: str = "") -> Response:
    """Answer an OperationOutcome of ``issues`` (and ``note`` as information)."""
    listed = [{"severity": "error", "code": issue.code, "diagnostics": issue.text,
               "expression": [issue.expression]} for issue in issues]
    if note or not listed:
        listed.append({"severity": "information", "code": "informational",
                       "diagnostics": note or "nothing to report"})
    body = OperationOutcome.model_validate({"resourceType": "OperationOutcome",
                                            "issue": listed}).model_dump_json()
    return Response(body, status=status, content_type="application/fhir+json; charset=utf-8")


def issue_type(problem: str) -> str:
    """Choose the OperationOutcome issue type for a field rule's words."""
    if "missing" in problem:
        return "required"
    if "unknown" in problem or "must be" in problem:
        return "code-invalid"
    return "value" if problem.startswith("not ") or "fails" in problem else "business-rule"


def field_issues(result: FhirImport) -> list[FhirIssue]:
    """Each field rule an Encounter broke, at the FHIRPath the value came from."""
    return [FhirIssue(result.origins.get(issue.location, {}).get(issue.field or "",
                                                                 issue.location),
                      issue_type(issue.problem), f"{issue.location}: {issue.field}: "
                                                 f"{issue.problem}")
            for issue in result.batch.issues]


@bp.post("/fhir")
@credential_required
def receive_fhir() -> Response:
    """Import the posted Bundle as one batch; answer what became of each Encounter."""
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if request.mimetype not in MEDIA_TYPES or charset not in ("utf-8", "utf8"):
        return outcome_response([FhirIssue("Bundle", "not-supported", "send the Bundle as "
                                           "application/fhir+json in UTF-8")], 415)
    result = import_fhir(request.get_data(cache=False), credential=current_credential())
    batch = result.batch
    if batch.status == "refused":
        return outcome_response(result.issues, 400, f"batch {batch.id}: nothing was stored")
    note = (f"batch {batch.id}: {batch.received} Encounters, {batch.accepted} new "
            f"({batch.invited} invited, {batch.excluded} not to be surveyed), "
            f"{batch.duplicates} already stored, {batch.rejected} refused")
    return outcome_response(field_issues(result), 201 if batch.accepted else 200, note)
