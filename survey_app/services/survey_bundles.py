"""Administering surveys: an ordered bundle of instrument versions from the registry.

Once a survey has been sent to patients its bundle is frozen: stored answers and response
rates must keep meaning what they meant, so a different bundle is a new survey. The title
may still be corrected.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import exists, func, select

from instruments import InstrumentError, get_instrument, list_instruments
from survey_app.extensions import db
from survey_app.models import Invitation, StaffUser, Survey, SurveyInstrument
from survey_app.services import audit
from survey_app.services.errors import FieldError

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,59}$")
InstrumentKey = tuple[str, str]  # (instrument id, version)


def list_surveys() -> list[Survey]:
    """Return every survey, by title."""
    return list(db.session.scalars(select(Survey).order_by(Survey.title, Survey.slug)))


def instrument_choices() -> list[tuple[str, str]]:
    """Return every shipped instrument version as ("id@version", label), for a form."""
    return [
        (inst.key, f"{inst.title} ({inst.id}, version {inst.version})")
        for inst in list_instruments()
    ]


def parse_key(key: str) -> InstrumentKey:
    """Split "id@version" into its parts."""
    instrument_id, _, version = key.partition("@")
    return instrument_id, version


def in_use(survey: Survey) -> bool:
    """Say whether any invitation points at the survey."""
    return bool(db.session.scalar(select(exists().where(Invitation.survey_id == survey.id))))


def first_change(before: Sequence[InstrumentKey], after: Sequence[InstrumentKey]) -> int:
    """Return the first position (from 1) at which two bundles differ."""
    for position, (old, new) in enumerate(zip(before, after, strict=False), start=1):
        if old != new:
            return position
    return min(len(before), len(after)) + 1


def instrument_label(key: InstrumentKey) -> str:
    """Return how the form names an instrument version, e.g. "CTM-3 (ctm3, version 1)"."""
    return dict(instrument_choices()).get(f"{key[0]}@{key[1]}", f"{key[0]}@{key[1]}")


def check_bundle(bundle: Sequence[InstrumentKey]) -> None:
    """Raise :class:`FieldError` unless the bundle is non-empty, unique and all shipped."""
    if not bundle:
        raise FieldError("instrument_1", "Select at least one instrument")
    seen: set[str] = set()
    for position, (instrument_id, version) in enumerate(bundle, start=1):
        field = f"instrument_{position}"
        if instrument_id in seen:
            raise FieldError(field, f"{instrument_id} is already in this survey: "
                                    "each instrument can appear once")
        seen.add(instrument_id)
        try:
            get_instrument(instrument_id, version)
        except InstrumentError as error:
            raise FieldError(field, f"Unknown instrument {instrument_id}@{version}: "
                                    f"{error}") from error


def save_survey(
    survey: Survey | None,
    *,
    slug: str,
    title: str,
    bundle: Sequence[InstrumentKey],
    actor: StaffUser,
) -> Survey:
    """Create a survey (``survey`` None) or change one; a survey in use keeps its bundle."""
    if not title.strip():
        raise FieldError("title", "Enter the survey's title")
    bundle = list(bundle)
    check_bundle(bundle)
    if survey is None:
        slug = slug.strip().lower()
        if not SLUG_PATTERN.match(slug):
            raise FieldError("slug", "Short name must be 2 to 60 lower-case letters, digits "
                                     "or hyphens, like leaving-hospital-2027")
        if db.session.scalar(select(func.count()).where(Survey.slug == slug)):
            raise FieldError("slug", f"There is already a survey called {slug}")
        survey = Survey(slug=slug)
        db.session.add(survey)
        action = "survey_created"
    else:
        action = "survey_updated"
        if bundle != survey.instrument_keys:
            if in_use(survey):
                raise FieldError(
                    f"instrument_{first_change(survey.instrument_keys, bundle)}",
                    "This survey has been sent to patients, so its instruments cannot "
                    "change. Create a new survey with the instruments you want instead",
                )
            survey.instruments.clear()
            db.session.flush()  # old positions go before new rows reuse the keys
    survey.title = title.strip()
    if bundle != survey.instrument_keys:
        survey.instruments = [
            SurveyInstrument(position=position, instrument_id=inst_id, instrument_version=ver)
            for position, (inst_id, ver) in enumerate(bundle, start=1)
        ]
    db.session.flush()
    audit.record(action, actor=actor, object_type="survey", object_id=survey.slug,
                 detail=", ".join(f"{i}@{v}" for i, v in bundle))
    db.session.commit()
    return survey
