"""The surveys every deployment ships with, and creating them idempotently."""

from __future__ import annotations

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Survey, SurveyInstrument

# slug → (title, ordered instrument (id, version) bundle)
STANDARD_SURVEYS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "leaving-hospital": (
        "Leaving hospital",
        (("ctm15", "1"), ("i_statements", "1"), ("comments", "1"), ("about_you", "1")),
    ),
    "leaving-hospital-short": ("Leaving hospital (short)", (("ctm3", "1"), ("about_you", "1"))),
}


def ensure_survey(slug: str) -> Survey:
    """Return the standard survey ``slug``, creating it (uncommitted) if it does not exist."""
    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is not None:
        return survey
    try:
        title, bundle = STANDARD_SURVEYS[slug]
    except KeyError:
        raise ValueError(
            f"no standard survey {slug!r}; known: {', '.join(STANDARD_SURVEYS)}"
        ) from None
    survey = Survey(slug=slug, title=title)
    survey.instruments = [
        SurveyInstrument(position=position, instrument_id=inst_id, instrument_version=version)
        for position, (inst_id, version) in enumerate(bundle, start=1)
    ]
    db.session.add(survey)
    db.session.flush()
    return survey


def find_survey(slug: str) -> Survey:
    """Return the survey ``slug``, or raise FieldError naming the surveys there are."""
    from survey_app.services.errors import FieldError

    survey = db.session.scalar(select(Survey).where(Survey.slug == slug))
    if survey is None:
        known = ", ".join(db.session.scalars(select(Survey.slug).order_by(Survey.slug)))
        raise FieldError("survey", f"There is no survey {slug!r}; there are: {known or 'none'}")
    return survey
