"""A small intake world for tests: provider RX1 with site RX101, the stroke pathway, the
standard survey routed to everything, and discharge rows in the standard field names.

    with app.app_context():
        intake_world()
        batch = import_discharges("csv", [raw(row(nhs_number=...))], sha256="x")
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from event_data import provider_with_site
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Pathway, SurveyRoute, utcnow
from survey_app.services.intake_validation import RawDischarge
from survey_app.services.surveys import ensure_survey

# Valid NHS numbers (modulus 11) from the synthetic range NHS Digital publishes for tests.
NHS_NUMBERS = ("9434765919", "9434765870", "9434765862", "9434765854", "9434765846")


def intake_world() -> None:
    """Create RX1/RX101, the stroke pathway and a catch-all route to the standard survey."""
    provider_with_site("RX1")
    if db.session.scalar(select(Pathway).where(Pathway.code == "stroke")) is None:
        db.session.add(Pathway(code="stroke", name="Stroke", care_type="unplanned_episode"))
    survey = ensure_survey("leaving-hospital")
    if db.session.scalar(select(SurveyRoute)) is None:
        db.session.add(SurveyRoute(survey=survey))
    db.session.commit()


def row(n: int = 1, *, discharged_at: datetime | None = None, **fields: Any) -> dict[str, str]:
    """Return discharge ``n`` as text fields (a valid, invitable row unless overridden)."""
    when = discharged_at or utcnow() - timedelta(days=1)
    values = {
        "source_reference": f"V{n:06d}", "nhs_number": NHS_NUMBERS[(n - 1) % len(NHS_NUMBERS)],
        "date_of_birth": "1950-04-01", "sex": "F", "provider_code": "RX1",
        "site_code": "RX101", "pathway_code": "stroke",
        "discharged_at": when.isoformat(), "mobile_phone": "07700 900123",
        "email": "", "preferred_channel": "", "to_setting": "home",
    }
    values.update({key: str(value) for key, value in fields.items()})
    return values


def raw(fields: dict[str, str], location: str = "row 2") -> RawDischarge:
    return RawDischarge(location, dict(fields))
