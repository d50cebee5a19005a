"""HL7 v2 acknowledgements (original mode): one ACK per message received.

    MSH|^~\\&|CTSURVEY|NHS|PAS|RX1|20261130140500+0000||ACK^A03^ACK|A1B2…|P|2.5.1
    MSA|AE|MSG00003|PID-3: nhs_number: the NHS number fails the modulus 11 check
    ERR||PID^1^3|102^Data type error^HL70357|E||||nhs_number: the NHS number fails …

AA: accepted (stored, or already stored, or excluded from surveying). AE: refused by a
field rule, or not stored because another message of the same input was unreadable (send
it again). AR: rejected, cannot be read (not ADT^A03, truncated, a wrong segment, bad
encoding). MSA-3 holds the first reason; one ERR segment per reason (HL7 table 0357 code,
location, ERR-8 text). Values are never echoed.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

from survey_app.integrations.hl7_discharge import Outcome
from survey_app.integrations.hl7_message import unescape

APPLICATION = "CTSURVEY"
SEPARATORS = "|^~\\&"
CODE_NAMES = {
    100: "Segment sequence error", 101: "Required field missing", 102: "Data type error",
    103: "Table value not found", 200: "Unsupported message type",
    201: "Unsupported event code", 205: "Duplicate key identifier",
    207: "Application internal error",
}
WHERE = re.compile(r"([A-Z][A-Z0-9]{2})(?:-(\d+))?")
MOST_ERRORS = 20
# The field rules' examples are ISO 8601; an HL7 sender writes TS.
HL7_WORDING = {"like 2026-11-30T14:05": "like 202611301405+0000",
               "like 1950-04-01": "like 19500401"}


def escape(text: str) -> str:
    """Escape our separators in ``text`` (HL7 v2 section 2.7) and drop control characters
    (an echoed ``<VT>`` or ``<FS>`` would break the MLLP frame)."""
    for plain, escaped in (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"),
                           ("~", "\\R\\")):
        text = text.replace(plain, escaped)
    return "".join(char if char.isprintable() else " " for char in text)


def echoed(msh: list[str] | None, number: int) -> str:
    """Return MSH-``number`` of the message answered, re-encoded with our separators."""
    if not msh or len(msh) <= number or len(msh[2]) < 4:
        return ""
    components = msh[number].split(msh[2][1])[0].split(msh[2][0])
    return "^".join(escape(unescape(c, msh[1], msh[2]))[:50] for c in components[:3])


def error_code(text: str) -> int:
    """Choose the HL7 table 0357 code for a field rule's words."""
    if "missing" in text:
        return 101
    if "unknown" in text or "must be" in text:
        return 103
    if text.startswith("not ") or "fails" in text:
        return 102
    return 207


def location(where: str) -> str:
    """Return an ERL (segment^sequence^field) for ``PID-3``, ``PV1``; "" otherwise."""
    match = WHERE.fullmatch(where)
    if not match:
        return ""
    return f"{match[1]}^1^{match[2]}" if match[2] else f"{match[1]}^1"


def ack(outcome: Outcome, *, note: str = "", now: datetime | None = None) -> str:
    """Return the ACK for one message's outcome (segments ended by ``\\r``)."""
    msh = outcome.msh
    version = echoed(msh, 12)
    processing = echoed(msh, 11)[:1]
    header = [
        APPLICATION, echoed(msh, 6), echoed(msh, 3), echoed(msh, 4),
        (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S+0000"), "", "ACK^A03^ACK",
        secrets.token_hex(10).upper(), processing if processing in ("P", "T", "D") else "P",
        version if re.fullmatch(r"2\.\d+(?:\.\d+)?", version) else "2.5.1",
    ]
    texts = []
    for error in outcome.errors:
        words = error.text
        for iso, hl7 in HL7_WORDING.items():
            words = words.replace(iso, hl7)
        texts.append((f"{error.where}: " if error.where else "") + words)
    control_id = escape(outcome.control_id)
    segments = [f"MSH|{SEPARATORS[1:]}|" + "|".join(header),
                "|".join(["MSA", outcome.code, control_id,
                          escape(texts[0] if texts else note)[:80]])]
    for error, words in list(zip(outcome.errors, texts, strict=True))[:MOST_ERRORS]:
        code = error.code or error_code(error.text.partition(": ")[2] or error.text)
        segments.append("|".join(["ERR", "", location(error.where),
                                  f"{code}^{CODE_NAMES.get(code, CODE_NAMES[207])}^HL70357",
                                  "E", "", "", "", escape(words)]))
    return "\r".join(segments) + "\r"
