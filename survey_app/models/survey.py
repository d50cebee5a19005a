"""Surveys: an ordered bundle of instrument versions sent as one questionnaire.

E.g. "Leaving hospital" = CTM-15, then I statements, then about you. Instruments are data
files (``instruments/``); a survey refers to them by id and version so that a response
always records exactly which wording was answered.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import db
from survey_app.models.time import UTCDateTime, utcnow


class Survey(db.Model):
    """A questionnaire that invitations point to."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The schedule: the first message this many hours after discharge (moved into UK
    # sending hours), reminders this many days after it (None: no such reminder), the link
    # open for ``window_days`` after the first message, and nobody surveyed again for the
    # same pathway within ``resurvey_days``.
    first_message_hours: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    reminder_1_days: Mapped[int | None] = mapped_column(Integer, default=4, server_default="4")
    reminder_2_days: Mapped[int | None] = mapped_column(Integer, default=10, server_default="10")
    window_days: Mapped[int] = mapped_column(Integer, default=42, server_default="42")
    resurvey_days: Mapped[int] = mapped_column(Integer, default=90, server_default="90")

    instruments: Mapped[list[SurveyInstrument]] = relationship(
        order_by="SurveyInstrument.position", cascade="all, delete-orphan"
    )

    @property
    def instrument_keys(self) -> list[tuple[str, str]]:
        """Return the bundle as (instrument id, version) pairs, in order."""
        return [(part.instrument_id, part.instrument_version) for part in self.instruments]


class SurveyInstrument(db.Model):
    """One instrument version at one position in a survey's bundle."""

    __tablename__ = "survey_instruments"
    __table_args__ = (
        UniqueConstraint("survey_id", "instrument_id", name="uq_survey_instruments_instrument"),
    )

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(60))
    instrument_version: Mapped[str] = mapped_column(String(20))
