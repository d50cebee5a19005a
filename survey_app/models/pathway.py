"""Pathways: a configurable catalogue, each with a care type from seed 003 (L577–624).

A condition does not fix the care type (end of life appears in three), so the care type
is its own field rather than derived from the pathway's name.
"""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.extensions import db
from survey_app.models.checks import one_of

CARE_TYPES = {
    "unplanned_episode": "Unplanned episode",
    "planned_episode": "Planned episode",
    "ongoing_complex_packages": "Ongoing – complex packages",
    "ongoing_complex_pathways": "Ongoing – complex pathways",
}


class Pathway(db.Model):
    """A care pathway, e.g. stroke or hip fracture."""

    __tablename__ = "pathways"
    __table_args__ = (one_of("care_type", CARE_TYPES, name="care_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    care_type: Mapped[str] = mapped_column(String(40))
