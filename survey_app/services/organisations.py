"""Administering organisations: providers, their sites, commissioners and systems.

Organisations are never deleted (old responses point at them); one that closes or merges
gets an end date. Codes are fixed once created because URLs, exports and reports use them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Organisation, OrganisationType, StaffUser
from survey_app.services import audit
from survey_app.services.errors import FieldError

CODE_PATTERN = re.compile(r"^[A-Z0-9]{3,10}$")
# The type a parent must have, for each type that needs or allows one.
PARENT_TYPES = {"site": ("provider",), "provider": ("system",), "commissioner": ("system",)}


@dataclass(frozen=True)
class OrganisationDetails:
    """What an administrator types about an organisation."""

    code: str
    name: str
    type_code: str
    parent_id: int | None
    effective_from: date
    effective_to: date | None


def list_organisations() -> list[Organisation]:
    """Return every organisation, by type then code."""
    query = select(Organisation).order_by(Organisation.type_code, Organisation.code)
    return list(db.session.scalars(query))


def organisation_types() -> list[OrganisationType]:
    """Return the organisation types (rows, not code), by label."""
    return list(db.session.scalars(select(OrganisationType).order_by(OrganisationType.label)))


def check_parent(details: OrganisationDetails) -> None:
    """Raise :class:`FieldError` unless the parent suits the type.

    Types only ever point upwards (site → provider → system), so no chain can loop.
    """
    allowed = PARENT_TYPES.get(details.type_code, ())
    if details.parent_id is None:
        if details.type_code == "site":
            raise FieldError("parent_id", "Select the provider this site belongs to")
        return
    parent = db.session.get(Organisation, details.parent_id)
    if parent is None:
        raise FieldError("parent_id", f"There is no organisation with id {details.parent_id}")
    if not allowed:
        raise FieldError("parent_id", f"A {details.type_code} cannot belong to another "
                                      "organisation: choose Nothing (top level)")
    if parent.type_code not in allowed:
        raise FieldError("parent_id", f"A {details.type_code} can only belong to a "
                                      f"{' or '.join(allowed)} ({parent.name} is a "
                                      f"{parent.type_code})")


def check_details(org: Organisation | None, details: OrganisationDetails) -> None:
    """Raise :class:`FieldError` for the first value that breaks a rule."""
    if org is None:
        if not CODE_PATTERN.match(details.code):
            raise FieldError("code", "Code must be 3 to 10 capital letters or digits, "
                                     "like RX1 or RX101")
        taken = select(func.count()).where(Organisation.code == details.code)
        if db.session.scalar(taken):
            raise FieldError("code", f"There is already an organisation with code "
                                     f"{details.code}")
    if not details.name.strip():
        raise FieldError("name", "Enter the organisation's name")
    if db.session.get(OrganisationType, details.type_code) is None:
        raise FieldError("type_code", f"Unknown organisation type {details.type_code!r}")
    if details.effective_to is not None and details.effective_to < details.effective_from:
        raise FieldError("effective_to", "The end date must be the same as or after the "
                                         "start date")
    if org is not None and org.children and details.type_code != org.type_code:
        raise FieldError("type_code", f"{len(org.children)} organisations belong to "
                                      f"{org.name}, so its type cannot change")
    check_parent(details)


def save_organisation(
    org: Organisation | None, details: OrganisationDetails, *, actor: StaffUser
) -> Organisation:
    """Create an organisation (``org`` None) or change one; the code cannot change."""
    details = OrganisationDetails(
        code=details.code.strip().upper() if org is None else org.code,
        name=details.name.strip(),
        type_code=details.type_code,
        parent_id=details.parent_id,
        effective_from=details.effective_from,
        effective_to=details.effective_to,
    )
    check_details(org, details)
    action = "organisation_updated"
    if org is None:
        org = Organisation(code=details.code)
        db.session.add(org)
        action = "organisation_created"
    org.name = details.name
    org.type_code = details.type_code
    org.parent_id = details.parent_id
    org.effective_from = details.effective_from
    org.effective_to = details.effective_to
    db.session.flush()
    audit.record(action, actor=actor, object_type="organisation", object_id=org.code,
                 detail=f"{org.name} ({org.type_code})")
    db.session.commit()
    return org
