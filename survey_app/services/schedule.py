"""When messages go: the first the configured time after discharge, reminders days after
it, all moved into UK sending hours (09:00 to 20:00, Europe/London local time).

Local time is worked out with the time-zone database, so the hours stay right across the
clock changes (an 09:00 message is 08:00 UTC in summer and 09:00 UTC in winter).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
SENDING_FROM = time(9, 0)
SENDING_UNTIL = time(20, 0)


def within_sending_hours(moment: datetime) -> datetime:
    """Return ``moment`` (aware) or, outside 09:00–20:00 UK time, the next 09:00; in UTC."""
    local = moment.astimezone(UK)
    if local.time() < SENDING_FROM:
        local = datetime.combine(local.date(), SENDING_FROM, tzinfo=UK)
    elif local.time() >= SENDING_UNTIL:
        local = datetime.combine(local.date() + timedelta(days=1), SENDING_FROM, tzinfo=UK)
    return local.astimezone(UTC)


def message_times(
    discharged_at: datetime, *, first_hours: int, reminder_days: tuple[int | None, ...]
) -> list[datetime]:
    """Return when the invitation and each configured reminder are due (UTC)."""
    first = within_sending_hours(discharged_at + timedelta(hours=first_hours))
    times = [first]
    for days in reminder_days:
        if days is not None:
            local = first.astimezone(UK)  # same local time of day, days later
            later = datetime.combine(local.date() + timedelta(days=days), local.time(), tzinfo=UK)
            times.append(within_sending_hours(later))
    return times
