"""Organisations: providers (ODS-style codes), their sites, commissioners and systems.

Organisations merge, split and change type over time (domain.md, "Organisations change"),
so the type is data in a lookup table, each organisation has a parent (site → trust,
trust → system) and effective dates.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import db


class OrganisationType(db.Model):
    """A kind of organisation, e.g. provider or commissioner.

    The initial migration loads the standard types: provider, site, commissioner, system.
    """

    __tablename__ = "organisation_types"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))


class Organisation(db.Model):
    """One organisation, identified by its ODS-style code."""

    __tablename__ = "organisations"
    __table_args__ = (
        CheckConstraint(
            "effective_to IS NULL OR effective_to >= effective_from", name="effective_dates"
        ),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type_code: Mapped[str] = mapped_column(ForeignKey("organisation_types.code"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)

    type: Mapped[OrganisationType] = relationship()
    parent: Mapped[Organisation | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Organisation]] = relationship(back_populates="parent")

    def is_active_on(self, day: date) -> bool:
        """Say whether the organisation existed on ``day``."""
        ended = self.effective_to is not None and day > self.effective_to
        return self.effective_from <= day and not ended
