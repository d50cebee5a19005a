"""Machine-to-machine intake over HTTP, at ``/intake/…``: hospital integration engines
post HL7 v2 messages and FHIR Bundles with ``Authorization: Bearer <credential>``.

No session, no CSRF token (no browser is involved; the bearer credential is the proof),
answers in the caller's format (an HL7 ACK, a FHIR OperationOutcome), never an HTML page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Flask, g, request
from werkzeug.wrappers import Response

from survey_app.extensions import csrf
from survey_app.models import IntakeCredential
from survey_app.services.intake_credentials import credential_for

bp = Blueprint("intake", __name__, url_prefix="/intake")
csrf.exempt(bp)

View = TypeVar("View", bound=Callable[..., Any])


def current_credential() -> IntakeCredential:
    """Return the credential the request presented (call only behind the decorator)."""
    return cast(IntakeCredential, g.intake_credential)


def credential_required(view: View) -> View:
    """Answer 401 (with ``WWW-Authenticate``) unless a live intake credential is presented."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        credential = credential_for(secret.strip()) if scheme.lower() == "bearer" else None
        if credential is None:
            return Response("A valid intake credential is required.\n", status=401,
                            mimetype="text/plain",
                            headers={"WWW-Authenticate": 'Bearer realm="intake"'})
        g.intake_credential = credential
        return view(*args, **kwargs)

    return cast(View, guarded)


def init_app(app: Flask) -> None:
    """Register the blueprint and ``flask intake``."""
    import survey_app.intake.fhir_views  # noqa: F401  (POST /intake/fhir)
    import survey_app.intake.hl7_commands  # noqa: F401  (flask intake hl7, mllp)
    import survey_app.intake.hl7_views  # noqa: F401  (POST /intake/hl7)
    import survey_app.intake.limits  # noqa: F401  (INTAKE_MAX_CONTENT_LENGTH)
    import survey_app.intake.map_commands  # noqa: F401  (flask intake map)
    from survey_app.intake import csv_commands  # noqa: F401  (flask intake csv, template)
    from survey_app.intake.commands import intake_group

    app.register_blueprint(bp)
    app.cli.add_command(intake_group)
