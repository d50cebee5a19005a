"""Invited people for the messaging tests, brought in through the real intake.

    with app.app_context():
        invite(3)                       # three discharged yesterday, by SMS
        now = due("invitation")         # when the last of their invitations is due
        send_due(now=now)

Phone numbers and emails come from the ranges kept for drama and documentation (Ofcom's
07700 900xxx, example.org), so a leak in a test is still nobody's number.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from intake_data import intake_world, raw, row
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import IntakeBatch, Message, utcnow
from survey_app.services.intake import import_discharges
from survey_app.services.schedule import UK

BASE_URL = "https://care-transitions-survey.nhs.uk"
# Long names of real NHS trusts: every SMS must fit in 2 fragments with them.
LONGEST_NAMES = (
    "The Robert Jones and Agnes Hunt Orthopaedic Hospital NHS Foundation Trust",
    "Barking, Havering and Redbridge University Hospitals NHS Trust",
    "University Hospitals of Derby and Burton NHS Foundation Trust",
    "Cumbria, Northumberland, Tyne and Wear NHS Foundation Trust",
    "Birmingham Women's and Children's NHS Foundation Trust",
)


def phone(n: int) -> str:
    return f"07700 900{n % 1000:03d}"


def email(n: int) -> str:
    return f"person{n}@example.org"


def yesterday_morning() -> datetime:
    """Return 10:00 UK time yesterday: its invitations fall due at 10:00 today, mid-way
    through sending hours, whatever the time the tests run."""
    local = datetime.combine(utcnow().astimezone(UK).date() - timedelta(days=1),
                             time(10, 0), tzinfo=UK)
    return local.astimezone(UTC)


def invite(count: int, *, first: int = 1, channel: str = "sms", nhs_numbers: bool = False,
           discharged_at: datetime | None = None, **fields: Any) -> IntakeBatch:
    """Import ``count`` invitable discharges (numbered from ``first``); return the batch."""
    intake_world()
    when = discharged_at or yesterday_morning()
    rows = []
    for n in range(first, first + count):
        values = {"mobile_phone": phone(n), "email": email(n), "preferred_channel": channel,
                  "discharged_at": when}
        if not nhs_numbers:
            values["nhs_number"] = ""
        rows.append(raw(row(n, **(values | fields)), f"row {n + 1}"))
    batch = import_discharges("csv", rows, sha256=f"{first:064d}", filename="test.csv")
    assert batch.status == "complete", batch.refusal
    return batch


def due(kind: str) -> datetime:
    """Return when the last message of ``kind`` falls due (a moment in sending hours)."""
    return db.session.scalar(select(func.max(Message.due_at)).where(Message.kind == kind))


def statuses(kind: str | None = None) -> dict[str, int]:
    """Return how many messages (of ``kind``) have each status."""
    query = select(Message.status, func.count()).group_by(Message.status)
    if kind:
        query = query.where(Message.kind == kind)
    return dict(db.session.execute(query).all())
