"""Free-text comments: a respondent's own words, kept apart from the coded answers.

A comment is not an answer code, so it has its own table: the raw words (for the safety
review by administrators, erased under the retention rule), the masked words (the only
version providers see), and the safety flag with its follow-up. One row per free-text
question answered (UNIQUE); empty words mean the person chose to say nothing. Follow-up
notes are rows of their own (``CommentFollowUp``): each is kept, with who wrote it and when.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.extensions import db
from survey_app.models.response import Response
from survey_app.models.time import UTCDateTime, utcnow
from survey_app.models.user import StaffUser

FLAG_REASON_LIMIT = 500
FOLLOW_UP_NOTE_LIMIT = 1000


class Comment(db.Model):
    """What one respondent wrote in answer to one free-text question."""

    __tablename__ = "comments"
    __table_args__ = (
        UniqueConstraint(
            "response_id", "instrument_id", "instrument_version", "item_id",
            name="uq_comments_item",
        ),
        CheckConstraint(
            "flagged_at IS NOT NULL OR (flag_reason IS NULL AND followed_up_at IS NULL)",
            name="follow_up_needs_flag",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    instrument_id: Mapped[str] = mapped_column(String(60))
    instrument_version: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[str] = mapped_column(String(60))
    text: Mapped[str | None] = mapped_column(Text)  # None once erased (retention rule)
    masked_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    flagged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    flag_reason: Mapped[str | None] = mapped_column(String(FLAG_REASON_LIMIT))
    # The first follow-up, which closed the concern; its note and any later ones are in
    # comment_follow_ups.
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followed_up_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )

    response: Mapped[Response] = relationship()
    flagged_by: Mapped[StaffUser | None] = relationship(foreign_keys=[flagged_by_id])
    followed_up_by: Mapped[StaffUser | None] = relationship(foreign_keys=[followed_up_by_id])

    @property
    def follow_up_status(self) -> str:
        """``not_flagged``, ``awaiting_follow_up`` or ``followed_up``."""
        if self.flagged_at is None:
            return "not_flagged"
        return "awaiting_follow_up" if self.followed_up_at is None else "followed_up"


class CommentFollowUp(db.Model):
    """One note of what was done about a flagged comment: notes are added, never replaced."""

    __tablename__ = "comment_follow_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    written_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    written_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(String(FOLLOW_UP_NOTE_LIMIT))
