"""Administering the pathway catalogue (stroke, hip fracture, …) and each one's care type.

A pathway's code is fixed once created: exports, URLs and benchmarks are keyed by it.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import Pathway, StaffUser
from survey_app.models.pathway import CARE_TYPES
from survey_app.services import audit
from survey_app.services.errors import FieldError

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,39}$")


def list_pathways() -> list[Pathway]:
    """Return every pathway, by name."""
    return list(db.session.scalars(select(Pathway).order_by(Pathway.name)))


def save_pathway(
    pathway: Pathway | None, *, code: str, name: str, care_type: str, actor: StaffUser
) -> Pathway:
    """Create a pathway (``pathway`` None) or rename it / change its care type."""
    if pathway is None:
        code = code.strip().lower()
        if not CODE_PATTERN.match(code):
            raise FieldError("code", "Code must be 2 to 40 lower-case letters, digits, "
                                     "hyphens or underscores, like hip_fracture")
        if db.session.scalar(select(func.count()).where(Pathway.code == code)):
            raise FieldError("code", f"There is already a pathway with code {code}")
    if not name.strip():
        raise FieldError("name", "Enter the pathway's name")
    if care_type not in CARE_TYPES:
        raise FieldError("care_type", f"Care type must be one of: {', '.join(CARE_TYPES)}")
    action = "pathway_updated"
    if pathway is None:
        pathway = Pathway(code=code)
        db.session.add(pathway)
        action = "pathway_created"
    pathway.name = name.strip()
    pathway.care_type = care_type
    db.session.flush()
    audit.record(action, actor=actor, object_type="pathway", object_id=pathway.code,
                 detail=f"{pathway.name} ({care_type})")
    db.session.commit()
    return pathway
