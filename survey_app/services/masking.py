"""Masking obvious identifiers in free-text comments before any provider reads them.

Pure text processing (no Flask, no database), applied when a comment is saved. It replaces:

- email addresses → ``[email]``;
- NHS numbers (10 digits, run together or spaced 3-3-4, whose modulus-11 check digit is
  valid, so other 10-digit numbers are left alone) → ``[NHS number]``;
- UK phone numbers written with a leading 0 or an international prefix (07…, 01…/02…/03…,
  0800…, +44…, with spaces, dashes or brackets; found by Google's libphonenumber) →
  ``[phone]``;
- postcodes (``SW1A 1AA``, ``m1 1ae``) → ``[postcode]``;
- names, where the words around them show they are names: after a title ("Dr Patel",
  "Nurse Jane", "Mrs O'Neill" → "Dr [name]"), after a relative ("my son David" → "my son
  [name]") or after "called"/"named"/"my name is".

It is pattern-based, so it is a safety net, not anonymisation: a name with no title or
relative before it ("Jane was lovely"), an address without its postcode, a date of birth or a
rare condition can still identify someone (docs/methodology.md, "Free-text comments").
"""

from __future__ import annotations

import re

import nhs_number
from phonenumbers import Leniency, PhoneNumberMatcher

EMAIL, NHS_NUMBER, PHONE, POSTCODE, NAME = (
    "[email]", "[NHS number]", "[phone]", "[postcode]", "[name]")

EMAIL_PATTERN = re.compile(
    r"[\w.!#$%&'*+/=?^`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
NHS_NUMBER_PATTERN = re.compile(r"(?<![\w-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\w-])")
POSTCODE_PATTERN = re.compile(
    r"\b(?:GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][ABD-HJLNP-UW-Z]{2})\b", re.IGNORECASE
)

# A capitalised word as names are written: Patel, McDonald, O'Neill, D’Souza, Smith-Jones.
_NAME_WORD = r"(?:[A-Z][a-z]+(?:[A-Z][a-z]+)?|[A-Z]['’][A-Z][a-z]+)(?:-[A-Z][a-z]+)*"
_NAME = rf"(?:[A-Z]\.? )?{_NAME_WORD}(?: {_NAME_WORD})?"
_TITLES = (
    r"Dr|Doctor|Nurse|Sister|Matron|Staff Nurse|Mr|Mrs|Ms|Miss|Mx|Prof|Professor|Sir|Dame|"
    r"Consultant|Surgeon|Physio|Reverend|Rev|Father|Auntie|Uncle"
)
_RELATIVES = (
    r"son|daughter|wife|husband|partner|mum|mother|mam|mom|dad|father|brother|sister|"
    r"carer|friend|neighbour|neighbor|grandson|granddaughter|grandmother|grandfather|gran|"
    r"nan|nanna|grandad|grandma|grandpa|aunt|auntie|uncle|niece|nephew|cousin|boyfriend|"
    r"girlfriend|fiancé|fiance|fiancée|fiancee|stepson|stepdaughter|son-in-law|"
    r"daughter-in-law"
)
_RELATIVE = rf"(?i:my) (?i:{_RELATIVES})(?:['’]s(?: (?i:{_RELATIVES}))?)?,?"  # my mum's carer,
_CALLED = r"(?i:called|named|known as|(?:my|her|his|their) name is)"
NAME_PATTERN = re.compile(
    rf"(?P<lead>\b(?:(?i:{_TITLES})\.?|{_RELATIVE}|{_CALLED}) )(?P<name>{_NAME})"
)
# Capitalised words that follow a title or relative without being a name.
NOT_NAMES = frozenset({
    "The", "And", "But", "Or", "So", "Then", "When", "Who", "Which", "That", "This", "He",
    "She", "They", "We", "You", "It", "Was", "Is", "Had", "Has", "Did", "Said", "Told",
    "Came", "Went", "Got", "Never", "Always", "Also", "Just", "Still", "After", "Before",
    "On", "In", "At", "From", "To", "For", "With", "About", "Not", "Please", "Thank",
    "Thanks", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December", "Christmas", "Easter", "Ward", "Hospital", "Unit",
})


def mask_identifiers(text: str) -> str:
    """Return ``text`` with emails, NHS numbers, phone numbers, postcodes and names masked."""
    masked = EMAIL_PATTERN.sub(EMAIL, text)
    masked = NHS_NUMBER_PATTERN.sub(_mask_nhs_number, masked)
    masked = _mask_phones(masked)
    masked = POSTCODE_PATTERN.sub(POSTCODE, masked)
    return NAME_PATTERN.sub(_mask_name, masked)


def is_nhs_number(digits: str) -> bool:
    """Say whether ten digits form a valid NHS number (modulus-11 check digit)."""
    return len(digits) == 10 and digits.isdigit() and bool(nhs_number.is_valid(digits))


def _mask_nhs_number(match: re.Match[str]) -> str:
    return NHS_NUMBER if is_nhs_number("".join(match.groups())) else match.group(0)


def _mask_phones(text: str) -> str:
    """Replace each number libphonenumber could dial from the UK, when it is written the
    way phone numbers are (a leading 0 or an international +/00 prefix): bare digit runs
    such as years, ages or reference numbers are left alone."""
    spans = [
        (match.start, match.end)
        for match in PhoneNumberMatcher(text, "GB", leniency=Leniency.POSSIBLE)
        if match.raw_string.lstrip("(").startswith(("0", "+"))
    ]
    for start, end in reversed(spans):
        text = text[:start] + PHONE + text[end:]
    return text


def _mask_name(match: re.Match[str]) -> str:
    words = match.group("name").split(" ")
    if words[0] in NOT_NAMES:
        return match.group(0)
    kept = next((i for i, word in enumerate(words) if i and word in NOT_NAMES), len(words))
    rest = " ".join(words[kept:])
    return f"{match.group('lead')}{NAME}{' ' + rest if rest else ''}"

