"""Finding personal data in log text: survey-link tokens, email addresses, UK phone
numbers and NHS numbers (ten digits passing the modulus-11 check).

Every test of the web app runs with its log records scanned (the autouse fixture in
conftest.py), and the production tests scan what gunicorn wrote; a hit fails the test.
"""

from __future__ import annotations

import re

import nhs_number

PATTERNS = {
    "survey token": re.compile(r"/s/(?!<token>)[A-Za-z0-9_-]{16,}"),
    "email address": re.compile(r"[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    "phone number": re.compile(r"(?:\+44\s?7\d{3}|\b07\d{3})\s?\d{3}\s?\d{3}\b"),
}
TEN_DIGITS = re.compile(r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b")


def personal_data_in(text: str) -> list[str]:
    """Return each piece of personal data found in ``text`` as "kind: value"."""
    found = [f"{kind}: {match}" for kind, pattern in PATTERNS.items()
             for match in pattern.findall(text)]
    found += [f"NHS number: {match}" for match in TEN_DIGITS.findall(text)
              if nhs_number.is_valid(re.sub(r"\D", "", match))]
    return found
