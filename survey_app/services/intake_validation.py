"""One validated discharge from whatever arrived: the field rules every intake route shares.

Adapters (CSV, HL7 v2, FHIR) turn their format into a :class:`RawDischarge`: the standard
field names below, as text, with where it came from ("row 12", "message MSG0001"). This
module checks each field and returns a :class:`Discharge` or the list of
:class:`Problem`\\ s saying which field and why, so every route reports alike.

| field | form | rule |
|---|---|---|
| `source_reference` | text ≤ 64 | the source system's id (visit number): sent twice, stored once |
| `nhs_number` | 10 digits (spaces allowed) | passes the modulus 11 check; optional |
| `date_of_birth` | YYYY-MM-DD | not in the future; gives the age band (and under-16s) |
| `sex` | female/male/other/not_known or F/M/O/U | |
| `provider_code`, `site_code` | ODS codes we know | the site belongs to the provider |
| `pathway_code` | a pathway we know | |
| `discharged_at` | ISO 8601; no offset means UK time | not in the future or older than the window |
| `admission_route` | emergency/elective/other | optional |
| `from_setting`, `to_setting` | a setting code | default acute_ward and home |
| `died` | yes/no | yes excludes the discharge |
| `mobile_phone` | a UK mobile number | |
| `email` | an email address | |
| `preferred_channel` | sms/email | needs that contact; default: sms if a mobile, else email |
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import nhs_number as nhs
import phonenumbers

from survey_app.models.event import ADMISSION_ROUTES, AGE_BANDS, SETTINGS
from survey_app.services.schedule import UK
from survey_app.services.text import text_problem

FIELDS = (
    "source_reference", "nhs_number", "date_of_birth", "sex", "provider_code", "site_code",
    "pathway_code", "discharged_at", "admission_route", "from_setting", "to_setting", "died",
    "mobile_phone", "email", "preferred_channel",
)
REQUIRED = ("source_reference", "provider_code", "pathway_code", "discharged_at")
SEX_CODES = {"f": "female", "female": "female", "m": "male", "male": "male", "o": "other",
             "other": "other", "u": "not_known", "unknown": "not_known",
             "not_known": "not_known", "a": "other", "n": "not_known"}
YES, NO = frozenset({"yes", "y", "true", "1"}), frozenset({"no", "n", "false", "0", ""})
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULT_WINDOW_DAYS = 42
# Ofcom's 07700 900000–900999, reserved for drama: they reach nobody, so tests and the demo
# use them, and they are accepted although no network owns them.
DRAMA_MOBILES = "+447700900"
# UK mobile numbers (07 then 1–5 or 7–9; 076 is mostly pagers): +44 7…, 0044 7…, 07….
UK_MOBILE = re.compile(r"^(?:\+44|0044|0)7([1-57-9]\d{8})$")


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a row or message was refused: where, which field, the value (masked), what."""

    location: str
    field: str | None
    value: str | None
    problem: str


@dataclass
class RawDischarge:
    """A discharge as it arrived: standard field names, text values, and where it was."""

    location: str
    fields: dict[str, str | None]


@dataclass(slots=True)  # a batch holds every accepted discharge until it is stored
class Discharge:
    """A discharge that passed every field rule."""

    location: str
    source_reference: str
    provider_id: int
    site_id: int | None
    pathway_id: int
    care_type: str
    discharged_at: datetime
    from_setting: str
    to_setting: str
    admission_route: str | None = None
    nhs_number: str | None = None
    age: int | None = None
    sex: str | None = None
    died: bool = False
    phone: str | None = None
    email: str | None = None
    channel: str | None = None
    exclusion_reason: str | None = field(default=None)

    @property
    def age_band(self) -> str | None:
        """The survey age band (None under 16 or unknown)."""
        if self.age is None or self.age < 16:
            return None
        for band in AGE_BANDS:
            low, _, high = band.rstrip("+").partition("-")
            if self.age >= int(low) and (not high or self.age <= int(high)):
                return band
        return None


@dataclass
class Lookups:
    """What the rules check against, loaded once per batch: codes → ids."""

    providers: dict[str, int]
    sites: dict[str, tuple[int, int | None]]  # site code → (site id, provider id)
    pathways: dict[str, tuple[int, str]]  # pathway code → (id, care type)
    scope_provider_id: int | None = None  # a provider user's upload: only their own
    window_days: int = DEFAULT_WINDOW_DAYS


def masked(field_name: str, value: str | None) -> str | None:
    """Return ``value`` fit for a stored report: identifiers keep only their last digits."""
    if value is None:
        return None
    value = value[:80]
    if field_name in {"nhs_number", "mobile_phone"}:
        digits = re.sub(r"\D", "", value)
        return "•" * max(len(digits) - 3, 0) + digits[-3:]
    if field_name == "email":
        name, _, domain = value.partition("@")
        return (name[:1] + "•••@" + domain) if domain else "•••"
    if field_name == "date_of_birth":
        return value[:4] + "-••-••"
    return value


def normalised_nhs_number(text: str) -> str:
    """Return an NHS number without the spaces or dashes it is often written with."""
    return re.sub(r"[\s-]", "", text)


def nhs_number_problem(text: str) -> str | None:
    """Say what is wrong with an NHS number (10 digits passing modulus 11), or None."""
    number = normalised_nhs_number(text)
    if len(number) == 10 and number.isdigit() and nhs.is_valid(number):
        return None
    return "the NHS number fails the modulus 11 check"


def parse_moment(text: str) -> datetime:
    """Parse an ISO 8601 date-time; without an offset it is UK local time."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment.replace(tzinfo=UK) if moment.tzinfo is None else moment).astimezone(UTC)


def validate(raw: RawDischarge, lookups: Lookups, now: datetime) -> Discharge | list[Problem]:
    """Apply every field rule; return the discharge, or every problem found."""
    values = {name: (raw.fields.get(name) or "").strip() for name in FIELDS}
    problems: list[Problem] = []

    def refuse(name: str, message: str) -> None:
        problems.append(Problem(raw.location, name, masked(name, values[name] or None), message))

    for name, value in values.items():
        if value and (issue := text_problem(value)):
            refuse(name, issue)
    if problems:
        return problems
    for name in REQUIRED:
        if not values[name]:
            refuse(name, f"{name} is missing")
    if len(values["source_reference"]) > 64:
        refuse("source_reference", "source_reference must be 64 characters or fewer")

    provider_id = lookups.providers.get(values["provider_code"].upper())
    if values["provider_code"] and provider_id is None:
        refuse("provider_code", "unknown provider code")
    elif provider_id is not None and lookups.scope_provider_id not in (None, provider_id):
        refuse("provider_code", "this provider is not your organisation")
    site_id = None
    if values["site_code"]:
        site = lookups.sites.get(values["site_code"].upper())
        if site is None:
            refuse("site_code", "unknown site code")
        elif provider_id is not None and site[1] != provider_id:
            refuse("site_code", "this site does not belong to the provider")
        else:
            site_id = site[0]
    pathway = lookups.pathways.get(values["pathway_code"].lower())
    if values["pathway_code"] and pathway is None:
        refuse("pathway_code", "unknown pathway code")

    discharged_at = None
    if values["discharged_at"]:
        try:
            discharged_at = parse_moment(values["discharged_at"])
        except ValueError:
            refuse("discharged_at", "not a date and time like 2026-11-30T14:05")
        else:
            if discharged_at > now + timedelta(minutes=5):
                refuse("discharged_at", "the discharge is in the future")
            elif discharged_at < now - timedelta(days=lookups.window_days):
                refuse("discharged_at", f"the discharge is older than the survey window "
                                        f"({lookups.window_days} days)")

    number = normalised_nhs_number(values["nhs_number"])
    if number and (issue := nhs_number_problem(number)):
        refuse("nhs_number", issue)

    age = None
    if values["date_of_birth"]:
        try:
            born = date.fromisoformat(values["date_of_birth"])
        except ValueError:
            refuse("date_of_birth", "not a date like 1950-04-01")
        else:
            on = (discharged_at or now).astimezone(UK).date()
            if born > on:
                refuse("date_of_birth", "the date of birth is after the discharge")
            else:
                age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    sex = None
    if values["sex"]:
        sex = SEX_CODES.get(values["sex"].lower())
        if sex is None:
            refuse("sex", "sex must be female, male, other or not_known")
    route = values["admission_route"].lower() or None
    if route and route not in ADMISSION_ROUTES:
        refuse("admission_route", f"admission_route must be one of {', '.join(ADMISSION_ROUTES)}")
    settings = {}
    for name, default in (("from_setting", "acute_ward"), ("to_setting", "home")):
        settings[name] = values[name].lower() or default
        if settings[name] not in SETTINGS:
            refuse(name, f"{name} must be one of {', '.join(SETTINGS)}")
    died_text = values["died"].lower()
    if died_text not in YES | NO:
        refuse("died", "died must be yes or no")

    phone = None
    if values["mobile_phone"] and (match := UK_MOBILE.match(
            re.sub(r"[\s()-]", "", values["mobile_phone"]))):
        phone = "+447" + match[1]  # the common case, without phonenumbers' slower checks
    elif values["mobile_phone"]:
        try:
            parsed = phonenumbers.parse(values["mobile_phone"], "GB")
            phone = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
            mobile = phonenumbers.is_valid_number(parsed) and phonenumbers.number_type(
                parsed) in (phonenumbers.PhoneNumberType.MOBILE,
                            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
            if not (mobile or phone.startswith(DRAMA_MOBILES)):
                raise phonenumbers.NumberParseException(0, "not a mobile")
        except phonenumbers.NumberParseException:
            refuse("mobile_phone", "not a UK mobile number")
    email = values["email"] or None
    if email and (not EMAIL.match(email) or len(email) > 254):
        refuse("email", "not an email address")
    channel = values["preferred_channel"].lower() or None
    if channel not in (None, "sms", "email"):
        refuse("preferred_channel", "preferred_channel must be sms or email")
    elif channel == "sms" and not values["mobile_phone"]:
        refuse("mobile_phone", "missing contact for the sms channel")
    elif channel == "email" and not email:
        refuse("email", "missing contact for the email channel")

    if problems:
        return problems
    assert provider_id is not None and pathway is not None and discharged_at is not None
    return Discharge(
        location=raw.location, source_reference=values["source_reference"],
        provider_id=provider_id, site_id=site_id, pathway_id=pathway[0], care_type=pathway[1],
        discharged_at=discharged_at, from_setting=settings["from_setting"],
        to_setting=settings["to_setting"], admission_route=route, nhs_number=number or None,
        age=age, sex=sex, died=died_text in YES, phone=phone, email=email,
        channel=channel or ("sms" if phone else "email" if email else None),
    )
