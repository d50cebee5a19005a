"""The safety review: every comment flagged as a safety concern, with the words exactly as
the patient wrote them (while the retention rule keeps them), for administrators only.

Opening it is audited: raw comments may name people, which providers never see.
"""

from __future__ import annotations

from flask import render_template

from survey_app.admin import bp
from survey_app.auth import current_staff
from survey_app.extensions import db
from survey_app.services import audit
from survey_app.services.comments import DEFAULT_RAW_TEXT_DAYS, safety_review, shown_comments


@bp.get("/safety-review")
def safety_review_page() -> str:
    """List flagged comments, awaiting follow-up first, with their raw words."""
    items = safety_review()
    audit.record("safety_review_viewed", actor=current_staff(),
                 detail=shown_comments([item.id for item in items]))
    db.session.commit()
    return render_template("admin/safety_review.html", items=items,
                           keep_days=DEFAULT_RAW_TEXT_DAYS)
