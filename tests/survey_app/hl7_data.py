"""HL7 v2 and FHIR test inputs: ADT^A03 messages built field by field, and the fixture
files (tests/survey_app/fixtures/) with their discharge times filled in.

    a03(1)                                   # a valid discharge of intake_data.row(1)'s person
    a03(2, pv1={45: "", 19: "V9"})           # fields replaced by position
    fixture("hl7/valid.hl7")                 # {DISCHARGED} → yesterday as an HL7 TS
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import hl7
from intake_data import NHS_NUMBERS

from survey_app.models import utcnow

FIXTURES = Path(__file__).parent / "fixtures"


def hl7_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")


def yesterday() -> datetime:
    return (utcnow() - timedelta(days=1)).replace(microsecond=0)


def fixture(name: str, discharged: datetime | None = None) -> bytes:
    """Return a fixture file's bytes with ``{DISCHARGED}`` (HL7 TS) and
    ``{DISCHARGED_ISO}`` (FHIR dateTime) filled in."""
    when = discharged or yesterday()
    return ((FIXTURES / name).read_bytes()
            .replace(b"{DISCHARGED}", hl7_time(when).encode())
            .replace(b"{DISCHARGED_ISO}", when.astimezone(UTC).isoformat().encode()))


def segment(name: str, fields: dict[int, str]) -> str:
    last = max(fields) if fields else 0
    return "|".join([name] + [fields.get(i, "") for i in range(1, last + 1)])


def a03(n: int = 1, *, msh: dict[int, str] | None = None, pid: dict[int, str] | None = None,
        pv1: dict[int, str] | None = None, discharged: datetime | None = None,
        extra: tuple[str, ...] = ()) -> str:
    """Return ADT^A03 number ``n`` (segments ended by \\r): RX1, site RX101, stroke,
    a drama mobile and an email, discharged yesterday home."""
    header = {3: "PAS", 4: "RX1", 5: "CTSURVEY", 6: "NHS", 7: hl7_time(utcnow()),
              9: "ADT^A03^ADT_A03", 10: f"MSG{n:05d}", 11: "P", 12: "2.5.1"}
    header.update(msh or {})
    patient = {1: "1", 3: f"{n}^^^RX1^MR~{NHS_NUMBERS[(n - 1) % 5]}^^^NHS^NH",
               5: "PATIENT^TEST", 7: "19500401", 8: "F",
               13: "^PRN^CP^^^^^^^^^07700900123~^NET^Internet^test.person@example.com"}
    patient.update(pid or {})
    visit = {1: "1", 2: "I", 3: "WARD7^^^RX101", 10: "stroke", 19: f"V{n:06d}", 36: "01",
             45: hl7_time(discharged or yesterday())}
    visit.update(pv1 or {})
    segments = ["MSH|^~\\&|" + "|".join(header.get(i, "") for i in range(3, max(header) + 1)),
                segment("EVN", {1: "A03", 2: hl7_time(utcnow())}), segment("PID", patient),
                *extra, segment("PV1", visit)]
    return "\r".join(segments) + "\r"


def acks(body: bytes) -> list[dict[str, object]]:
    """Parse the ACKs of a response with the hl7 package: code, control id, text, errors."""
    found = []
    for text in hl7.split_file(body.decode("utf-8")):
        message = hl7.parse(text)
        assert str(message.segment("MSH")(9)) == "ACK^A03^ACK"
        msa = message.segment("MSA")
        errors = [(str(err(2)), str(err(3)).split("^")[0], message.unescape(str(err(8))))
                  for err in (message.segments("ERR") if "\rERR" in text else [])]
        found.append({"code": str(msa(1)), "id": message.unescape(str(msa(2))),
                      "text": message.unescape(str(msa(3))), "errors": errors})
    return found
