"""Transition events: one person's move between care settings, e.g. acute ward → home.

Deliberately holds no names or contact details: those live in ``contact_details``,
encrypted and deleted when the survey window closes. What is here is what fair comparison
needs (provider, site, pathway, setting, admission route, age band, sex), the batch it came
in, why it was not invited (if it was not), and a patient key: a keyed HMAC of the NHS
number, which recognises the same person across events (opt-outs, "surveyed recently")
without storing the number.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import db
from survey_app.models.checks import one_of
from survey_app.models.intake import EXCLUSION_REASONS
from survey_app.models.organisation import Organisation
from survey_app.models.pathway import Pathway
from survey_app.models.time import UTCDateTime, utcnow

SETTINGS = (
    "acute_ward",
    "emergency_department",
    "community_hospital",
    "mental_health_unit",
    "home",
    "home_with_care",
    "care_home",
    "community_team",
    "hospice",
    "other",
)
ADMISSION_ROUTES = ("emergency", "elective", "other")
# The bands national patient surveys use (and the about-you instrument asks).
AGE_BANDS = ("16-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85+")
SEXES = ("female", "male", "other", "not_known")


class TransitionEvent(db.Model):
    """A discharge or other transition that may be surveyed."""

    __tablename__ = "transition_events"
    __table_args__ = (
        one_of("from_setting", SETTINGS, name="from_setting"),
        one_of("to_setting", SETTINGS, name="to_setting"),
        one_of("admission_route", ADMISSION_ROUTES, name="admission_route", nullable=True),
        one_of("age_band", AGE_BANDS, name="age_band", nullable=True),
        one_of("sex", SEXES, name="sex", nullable=True),
        one_of("exclusion_reason", EXCLUSION_REASONS, name="exclusion_reason", nullable=True),
        # A pseudonymous reference from the source system makes intake idempotent.
        UniqueConstraint("provider_id", "source_reference", name="uq_transition_events_source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    pathway_id: Mapped[int] = mapped_column(ForeignKey("pathways.id"), index=True)
    source_reference: Mapped[str | None] = mapped_column(String(64))
    discharge_date: Mapped[date] = mapped_column(Date, index=True)
    from_setting: Mapped[str] = mapped_column(String(40))
    to_setting: Mapped[str] = mapped_column(String(40))
    admission_route: Mapped[str | None] = mapped_column(String(20))
    age_band: Mapped[str | None] = mapped_column(String(10))
    sex: Mapped[str | None] = mapped_column(String(20))
    discharged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    patient_key: Mapped[str | None] = mapped_column(String(64), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("intake_batches.id"), index=True)
    exclusion_reason: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Organisation] = relationship(foreign_keys=[provider_id])
    site: Mapped[Organisation | None] = relationship(foreign_keys=[site_id])
    pathway: Mapped[Pathway] = relationship()
