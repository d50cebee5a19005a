"""Respondent scores, stored with the submitted response they were computed from.

One row per response and scored instrument version: the fixed outcomes of
``analysis.scoring.score_respondents`` as columns (score, n scored, status), the
instrument's variable measures as JSON (``measures``: exactly the further columns
``python -m analysis score --themes --item-indicators`` writes, under the same names —
``ctm3_score``, ``theme_<id>``, ``<item>_top_box``, ``<item>_positive``; an empty cell is
left out), each item's 0–100 score (``item_scores``), and the methodology version and
time it was scored with.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.extensions import db
from survey_app.models.checks import one_of
from survey_app.models.time import UTCDateTime, utcnow

# As analysis reports it (analysis.scoring: SCORED, TOO_FEW_ANSWERS).
SCORE_STATUSES = ("scored", "too_few_answers")
# JSON on SQLite (text), JSONB on PostgreSQL (binary, queryable with ->>).
Measures = JSON().with_variant(JSONB(), "postgresql")


class ResponseScore(db.Model):
    """One submitted response's scores on one instrument version."""

    __tablename__ = "response_scores"
    __table_args__ = (one_of("status", SCORE_STATUSES, name="status"),)

    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True)
    instrument_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    instrument_version: Mapped[str] = mapped_column(String(20), primary_key=True)
    score: Mapped[float | None] = mapped_column(Float)
    n_scored: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(15))
    measures: Mapped[dict[str, Any]] = mapped_column(Measures)
    item_scores: Mapped[dict[str, Any]] = mapped_column(Measures)
    methodology_version: Mapped[str] = mapped_column(String(20))
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
