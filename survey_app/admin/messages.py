"""The outbox (recent messages with status, channel, masked recipient and, for
administrators only, the words) and the response-rate funnel across providers.

Opening the outbox is audited: the words carry working survey links.
"""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from survey_app.admin import bp
from survey_app.auth import current_staff
from survey_app.extensions import db
from survey_app.models import Organisation
from survey_app.provider.filters import select_items
from survey_app.results.periods import UnknownPeriod, period_label
from survey_app.services import audit
from survey_app.services.funnel import EXCLUSION_NAMES, funnels, periods, total
from survey_app.services.outbox import STATUSES, recent_messages

OUTBOX_SIZE = 200


@bp.get("/outbox")
def outbox() -> tuple[str, int]:
    """List the latest messages, newest first, optionally of one status."""
    status = request.args.get("status") or None
    problems = []
    if status is not None and status not in STATUSES:
        problems.append(("status", f"Choose a status from the list ({status!r} is not one)"))
        status = None
    items = recent_messages(limit=OUTBOX_SIZE, status=status, bodies=True)
    audit.record("outbox_viewed", actor=current_staff(),
                 detail=f"{len(items)} messages{f' ({status})' if status else ''}")
    db.session.commit()
    choices = {"status": select_items([(s, s) for s in STATUSES], status, "Any status")}
    return render_template("admin/outbox.html", items=items, choices=choices,
                           problems=problems, has_error=bool(problems),
                           size=OUTBOX_SIZE), 400 if problems else 200


def chosen_period(known: list[str]) -> tuple[str | None, list[tuple[str, str]]]:
    """Return the period asked for (default: the latest with discharges) and problems."""
    asked = (request.args.get("period") or "").strip()
    if not asked:
        return (known[0] if known else None), []
    try:
        return period_label(asked), []
    except UnknownPeriod as error:
        return (known[0] if known else None), [("period", str(error).capitalize())]


@bp.get("/response-funnel")
def response_funnel() -> tuple[str, int]:
    """Every provider's funnel for one period, and all providers together."""
    known = periods(None)
    period, problems = chosen_period(known)
    parts = funnels(period) if period else {}
    names = dict(db.session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(parts))).all())
    rows = sorted(((names[pid], funnel) for pid, funnel in parts.items()),
                  key=lambda pair: pair[0])
    return render_template(
        "admin/response_funnel.html", period=period, rows=rows,
        overall=total(period, [f for _, f in rows]) if period else None,
        reasons=EXCLUSION_NAMES, problems=problems, has_error=bool(problems),
        choices={"period": select_items([(p, p) for p in known], period, None)},
    ), 400 if problems else 200
