"""HL7 v2 ADT^A03 (discharge) messages into the intake, from a file, an HTTP body or an
MLLP frame: each readable message becomes a :class:`RawDischarge` (location
``message 3 (MSG00003)``) for :func:`import_discharges`, and each gets an outcome for its
ACK. One unreadable message (not ADT^A03, truncated, a wrong segment, undecodable) refuses
the whole input: nothing of it is stored and the refusal names each such message.

Field by field (the full table, and what a trust configures: docs/operations.md, "HL7 v2"):
MSH-4 → provider_code (else the credential's or ``--provider``); MSH-10 → the ACK and the
location; PID-3 (type or authority in ``HL7_NHS_NUMBER_CODES``) → nhs_number; PID-7, PID-8;
PID-13 (CP or a UK mobile; NET/Internet email); PID-29/30 → died; PV1-2 → from_setting;
PV1-3 → site_code (mapping "site" of PL-4 or PL-1, else PL-4); PV1-4 → admission_route;
PV1-10 → pathway_code (mapping "pathway"); PV1-19 → source_reference; PV1-36 and PV1-37 →
died and to_setting (mappings "died" and "setting", defaults below); PV1-45 → discharged_at.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from survey_app.integrations.code_maps import CodeMaps, load_code_maps
from survey_app.integrations.hl7_message import (
    Chunk,
    Hl7Message,
    Refusal,
    Unreadable,
    hl7_date,
    hl7_moment,
    part,
    read_message,
    repetitions,
    split_messages,
    unescape,
)
from survey_app.models import IntakeBatch, IntakeCredential, Organisation
from survey_app.models.event import SETTINGS
from survey_app.services.intake import IntakeRefused, import_discharges
from survey_app.services.intake_validation import RawDischarge

# The NHS number's identifier type and assigning authorities as trusts send them (CX-5 NH,
# CX-4 NHS or NHSNBR, or the NHS number's OID); HL7_NHS_NUMBER_CODES replaces the list.
NHS_NUMBER_CODES = ("NH", "NHS", "NHSNBR", "2.16.840.1.113883.2.1.4.1")
# PV1-36 (HL7 table 0112): 20, 40-42 expired; 4 and 5 are the NHS discharge methods
# "patient died" and "stillbirth" (0112 codes have two digits).
DIED_DISPOSITIONS = frozenset({"20", "40", "41", "42", "4", "5"})
DIED_DESTINATIONS = frozenset({"79"})  # NHS discharge destination: patient died
DISPOSITION_SETTINGS = {
    "01": "home", "02": "acute_ward", "03": "care_home", "04": "care_home", "05": "other",
    "06": "home_with_care", "07": "home", "50": "hospice", "51": "hospice",
    "62": "community_hospital", "65": "mental_health_unit",
}
DESTINATION_SETTINGS = {  # NHS Data Dictionary discharge destination codes
    "19": "home", "29": "other", "30": "other", "37": "other", "38": "other", "48":
    "mental_health_unit", "49": "mental_health_unit", "50": "acute_ward", "51": "acute_ward",
    "52": "acute_ward", "53": "mental_health_unit", "54": "care_home", "65": "care_home",
    "66": "other", "79": "other", "84": "mental_health_unit", "85": "care_home",
    "87": "acute_ward", "88": "hospice",
}
ADMISSION_TYPES = {"E": "emergency", "U": "emergency", "A": "emergency", "C": "elective",
                   "R": "elective", "L": "other", "N": "other"}
ORIGINS = {  # where each standard field comes from, for ACKs and reports
    "source_reference": "PV1-19", "nhs_number": "PID-3", "date_of_birth": "PID-7",
    "sex": "PID-8", "provider_code": "MSH-4", "site_code": "PV1-3", "pathway_code": "PV1-10",
    "discharged_at": "PV1-45", "admission_route": "PV1-4", "from_setting": "PV1-2",
    "to_setting": "PV1-37", "died": "PV1-36", "mobile_phone": "PID-13", "email": "PID-13",
    "preferred_channel": "PID-13",
}
MOBILE = re.compile(r"(?:\+?44|0)7\d{9}")
REFUSALS_KEPT = 50


@dataclass(frozen=True)
class Hl7Options:
    """What a deployment configures: which PID-3 codes mark the NHS number, and the
    character set of messages whose MSH-18 is empty."""

    nhs_number_codes: frozenset[str] = frozenset(NHS_NUMBER_CODES)
    default_charset: str = "utf-8"

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> Hl7Options:
        codes = str(config.get("HL7_NHS_NUMBER_CODES") or ",".join(NHS_NUMBER_CODES))
        return cls(frozenset(code.strip().upper() for code in codes.split(",") if code.strip()))


@dataclass
class Outcome:
    """What became of one message: its ACK code (AA, AE, AR) and why."""

    number: int
    control_id: str
    msh: list[str] | None
    code: str = "AA"
    errors: list[Refusal] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return f"message {self.number} ({self.control_id[:40]})" if self.control_id else (
            f"message {self.number}")


@dataclass
class Hl7Import:
    """An imported input: its batch and, when kept, each message's outcome."""

    batch: IntakeBatch
    outcomes: list[Outcome]
    refusals: list[str]  # "message 3 (MSG3, line 12) MSH-9: …" for each unreadable message


def text(message: Hl7Message, segment: str, number: int, *path: int) -> str:
    """Return a field's value (unescaped) at ``path``; "" when absent."""
    fields = message.segment(segment)
    if number >= len(fields):
        return ""
    return unescape(part(fields(number), *path), message.msh[1], message.msh[2]).strip()


def each(message: Hl7Message, segment: str, number: int) -> Iterator[Callable[..., str]]:
    """Yield, for each repetition of a field, a function reading its components."""
    fields = message.segment(segment)
    if number >= len(fields):
        return
    value = fields(number)
    for repetition in range(1, repetitions(value) + 1):
        yield lambda *path, r=repetition: unescape(
            part(value, r, *path), message.msh[1], message.msh[2]).strip()


def nhs_number(message: Hl7Message, codes: frozenset[str]) -> str:
    """Return the PID-3 identifier marked as the NHS number by type or authority."""
    for cx in each(message, "PID", 3):
        marks = {cx(5, 1).upper(), cx(4, 1).upper(), cx(4, 2).upper()} - {""}
        if marks & codes and cx(1, 1):
            return cx(1, 1)
    return ""


def contacts(message: Hl7Message) -> tuple[str, str]:
    """Return (mobile, email) from PID-13's repetitions (telecom use and equipment codes)."""
    mobile = email = ""
    for xtn in each(message, "PID", 13):
        use, equipment = xtn(2, 1).upper(), xtn(3, 1).upper()
        address = xtn(4, 1) or (xtn(1, 1) if "@" in xtn(1, 1) else "")
        if not email and (use == "NET" or equipment in ("INTERNET", "X.400")) and address:
            email = address
            continue
        number = xtn(1, 1) or xtn(12, 1) or (
            ("+" + xtn(5, 1) if xtn(5, 1) else "") + xtn(6, 1) + xtn(7, 1) if xtn(7, 1) else "")
        digits = re.sub(r"[^\d+]", "", number)
        if not mobile and number and (equipment == "CP" or (
                equipment in ("PH", "") and MOBILE.fullmatch(digits))):
            mobile = number
    return mobile, email


def discharge(message: Hl7Message, maps: CodeMaps, options: Hl7Options,
              fixed_provider: str) -> tuple[dict[str, str], dict[str, str]]:
    """Map an ADT^A03 to the standard fields; return them and where each came from."""
    origins = dict(ORIGINS)
    sending = message.msh[4].split(message.msh[2][0])[0].strip().upper() if len(
        message.msh) > 4 else ""
    provider = sending if sending in maps.providers else (fixed_provider or sending)
    facility, ward = text(message, "PV1", 3, 1, 4, 1), text(message, "PV1", 3, 1, 1)
    site = maps.first("site", [facility, ward], provider)
    disposition, destination = text(message, "PV1", 36, 1, 1), text(message, "PV1", 37, 1, 1)
    died = (maps.died([disposition], provider, DIED_DISPOSITIONS)
            or maps.died([destination], provider, DIED_DESTINATIONS)
            or text(message, "PID", 30, 1, 1).upper() == "Y"
            or bool(text(message, "PID", 29, 1, 1)))
    setting = (identity(destination) or maps.first("setting", [destination], provider,
                                                   DESTINATION_SETTINGS))
    if not setting:
        setting = identity(disposition) or maps.first("setting", [disposition], provider,
                                                      DISPOSITION_SETTINGS)
        origins["to_setting"] = "PV1-36" if disposition and not destination else "PV1-37"
    to_setting = setting[1] if setting else ("other" if died else destination or disposition)
    mobile, email = contacts(message)
    fields = {
        "source_reference": text(message, "PV1", 19, 1, 1),
        "nhs_number": nhs_number(message, options.nhs_number_codes),
        "date_of_birth": hl7_date(text(message, "PID", 7, 1, 1)),
        "sex": text(message, "PID", 8, 1, 1),
        "provider_code": provider,
        "site_code": site[1] if site else facility,
        "pathway_code": maps.pathway([text(message, "PV1", 10, 1, 1)], provider),
        "discharged_at": hl7_moment(text(message, "PV1", 45, 1, 1)),
        "admission_route": ADMISSION_TYPES.get(text(message, "PV1", 4, 1, 1).upper(), ""),
        "from_setting": "emergency_department" if text(
            message, "PV1", 2, 1, 1).upper() == "E" else "",
        "to_setting": to_setting,
        "died": "yes" if died else "no",
        "mobile_phone": mobile,
        "email": email,
    }
    return fields, origins


def identity(code: str) -> tuple[str, str] | None:
    """A code that already is one of our settings stands for itself."""
    return (code, code.lower()) if code.lower() in SETTINGS else None


def control_id_of(chunk: Chunk) -> str:
    """Best effort: the MSH-10 of a message that could not be read ("" when none)."""
    if not chunk.segments or len(chunk.segments[0]) < 8:
        return ""
    fields = chunk.segments[0].split(chunk.segments[0][3:4])
    value = fields[9].decode("latin-1") if len(fields) > 9 else ""
    return value if value.isprintable() else ""


def msh_of(chunk: Chunk) -> list[str] | None:
    """Best effort: the MSH fields of a message that could not be read."""
    if not chunk.segments or len(chunk.segments[0]) < 8:
        return None
    segment = chunk.segments[0].decode("latin-1")
    return ["MSH", segment[3], *segment[4:].split(segment[3])]


def import_hl7(
    data: bytes,
    *,
    source: str,
    options: Hl7Options | None = None,
    credential: IntakeCredential | None = None,
    provider: Organisation | None = None,
    filename: str | None = None,
    keep_outcomes: bool = True,
    progress: Callable[[int], None] | None = None,
) -> Hl7Import:
    """Import every message of ``data`` as one batch (or refuse it whole); return the batch,
    the refusals, and (``keep_outcomes``) each message's outcome for its ACK."""
    options = options or Hl7Options()
    maps = load_code_maps()
    scope = credential.provider if credential is not None else provider
    fixed = scope.code if scope is not None else ""
    outcomes: list[Outcome] = []
    refusals: list[str] = []
    seen: dict[str, tuple[int, bytes]] = {}
    unreadable = 0

    def records() -> Iterator[RawDischarge]:
        nonlocal unreadable
        total = 0
        for chunk in split_messages(data):
            total += 1
            try:
                message = read_message(chunk, options.default_charset)
                digest = hashlib.sha256(b"\r".join(chunk.segments)).digest()
                first = seen.setdefault(message.control_id, (chunk.number, digest))
                if first[1] != digest:
                    raise Unreadable("MSH-10", 205, f"MSH-10 repeats the control id of "
                                                    f"message {first[0]} with other content")
                fields, origins = discharge(message, maps, options, fixed)
            except Unreadable as error:
                unreadable += 1
                outcome = Outcome(chunk.number, control_id_of(chunk), msh_of(chunk), "AR",
                                  [error.refusal])
                if len(refusals) < REFUSALS_KEPT:
                    refusals.append(f"{outcome.location}, line {chunk.line}, "
                                    f"{error.refusal.where}: {error.refusal.text}")
                if keep_outcomes:
                    outcomes.append(outcome)
            else:
                if keep_outcomes:
                    outcomes.append(Outcome(chunk.number, message.control_id, message.msh,
                                            origins=origins))
                yield RawDischarge(message.location, fields)
            if progress:
                progress(1)
        if total == 0:
            raise IntakeRefused("there is no HL7 message in the input (a message begins "
                                "with an MSH segment)")
        if unreadable:
            raise IntakeRefused(f"{unreadable} of {total} messages cannot be read, so nothing "
                                f"was imported: " + "; ".join(refusals))

    batch = import_discharges(source, records(), sha256=hashlib.sha256(data).hexdigest(),
                              filename=filename, credential=credential, provider=provider)
    settle(batch, outcomes)
    return Hl7Import(batch, outcomes, refusals)


def settle(batch: IntakeBatch, outcomes: list[Outcome]) -> None:
    """Give each readable message its ACK code: AE with the field rules it broke, or AE
    "not stored" when another message of the input refused it whole."""
    if batch.status == "refused":
        reason = "not stored: another message of this input cannot be read; send this one again"
        for outcome in outcomes:
            if outcome.code == "AA":
                outcome.code, outcome.errors = "AE", [Refusal("", 207, reason)]
        return
    by_location: dict[str, list[Refusal]] = {}
    for issue in batch.issues:
        by_location.setdefault(issue.location, []).append(
            Refusal(issue.field or "", 0, issue.problem))
    for outcome in outcomes:
        problems = by_location.get(outcome.location)
        if outcome.code == "AA" and problems:
            outcome.code = "AE"
            outcome.errors = [Refusal(outcome.origins.get(p.where, ""), 0,
                                      f"{p.where}: {p.text}") for p in problems]
