"""``POST /intake/hl7``: HL7 v2 ADT^A03 messages over HTTPS, answered with their ACKs.

The body is one message or several (as in a file); the answer is one ACK per message, in
order, as ``application/hl7-v2`` with status 200. A body holding no message at all gets a
single AR ACK with status 400; a body of another media type 415.
"""

from __future__ import annotations

import codecs

from flask import current_app, request
from werkzeug.wrappers import Response

from survey_app.intake import bp, credential_required, current_credential
from survey_app.integrations.hl7_ack import ack
from survey_app.integrations.hl7_discharge import Hl7Options, Outcome, import_hl7
from survey_app.integrations.hl7_message import Refusal

MEDIA_TYPES = ("application/hl7-v2", "x-application/hl7-v2+er7", "text/plain")
# What Content-Type's charset may name (as Python's codec names).
CHARSETS = frozenset(codecs.lookup(name).name for name in ("utf-8", "ascii", "latin-1",
                                                          "iso8859-15"))


def hl7_response(body: str, status: int = 200) -> Response:
    return Response(body.encode("utf-8"), status=status,
                    content_type="application/hl7-v2; charset=utf-8")


@bp.post("/hl7")
@credential_required
def receive_hl7() -> Response:
    """Import the posted messages as one batch; answer their ACKs."""
    charset = request.mimetype_params.get("charset", "utf-8")
    try:
        charset = codecs.lookup(charset).name
    except LookupError:
        charset = ""
    if request.mimetype not in MEDIA_TYPES or charset not in CHARSETS:
        return Response("Send HL7 v2 as application/hl7-v2 (UTF-8, or the character set "
                        "MSH-18 names).\n", status=415, mimetype="text/plain")
    options = Hl7Options.from_config(current_app.config)
    options = Hl7Options(options.nhs_number_codes, charset)
    result = import_hl7(request.get_data(cache=False), source="hl7_http", options=options,
                        credential=current_credential())
    if not result.outcomes:
        outcome = Outcome(0, "", None, "AR", [Refusal("", 100, result.batch.refusal or "")])
        return hl7_response(ack(outcome), 400)
    note = f"batch {result.batch.id}"
    return hl7_response("".join(ack(outcome, note=note) for outcome in result.outcomes))
