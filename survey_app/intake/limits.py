"""The larger body limit of ``/intake/*`` (``INTAKE_MAX_CONTENT_LENGTH``, 10 MB by default,
instead of the 64 KiB every form gets) and its 413, in the caller's format."""

from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from survey_app.intake import bp


@bp.before_request
def allow_larger_bodies() -> None:
    """Let this request's body be as large as intake allows (read only behind the
    credential check, so a stranger's large body is never read)."""
    request.max_content_length = int(current_app.config["INTAKE_MAX_CONTENT_LENGTH"])


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error: RequestEntityTooLarge) -> Response:
    """Say how large a body may be, as FHIR for /intake/fhir, else as text."""
    limit = int(current_app.config["INTAKE_MAX_CONTENT_LENGTH"])
    words = (f"The body is larger than {limit} bytes (INTAKE_MAX_CONTENT_LENGTH); send "
             f"fewer messages or Encounters at a time.")
    if request.path.startswith("/intake/fhir"):
        from survey_app.intake.fhir_views import outcome_response
        from survey_app.integrations.fhir_discharge import FhirIssue

        return outcome_response([FhirIssue("Bundle", "too-costly", words)], 413)
    return Response(words + "\n", status=413, mimetype="text/plain")
