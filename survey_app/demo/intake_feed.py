"""The demo's discharges come in through intake, as a trust's would: four-weekly batches
of discharge records (synthetic NHS numbers from the 999 range, Ofcom's drama mobile
numbers, example.com emails), validated, checked for eligibility, invited, with contact
details encrypted and messages scheduled. Then history is settled: each invitation's
fate (answered, declined, ignored), its messages sent or cancelled by then, and the contact
details of closed windows deleted, so the outbox and funnel look like a deployment's.

Kiosk and paper answers have no discharge-driven invitation to come in through; they are
loaded directly until kiosk mode gives them their own route.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import nhs_number
import numpy as np
from sqlalchemy import bindparam, select, update

from survey_app.demo.catalogue import PATHWAYS, PROVIDERS
from survey_app.demo.generator import Events, Outcomes
from survey_app.extensions import db
from survey_app.models import ContactDetails, Invitation, Message, TransitionEvent
from survey_app.models.event import AGE_BANDS
from survey_app.services.intake import import_discharges
from survey_app.services.intake_validation import RawDischarge
from survey_app.services.schedule import UK

INTAKE_CHANNELS = ("sms", "email")
BATCH_DAYS = 28
DIED_SHARE, NO_CONTACT_SHARE = 0.015, 0.02  # of those who would not have answered


def synthetic_nhs_number(n: int) -> str:
    """Return the ``n``-th valid NHS number of the 999 range (never issued to anyone)."""
    base = 999_000_000 + n * 3
    while True:
        digits = f"{base:09d}"
        check = nhs_number.calculate_checksum(digits)
        if check is not None and 0 <= int(check) <= 9:
            return digits + str(check)
        base += 1


def birth_date(band: int, discharged: date, i: int) -> str:
    """Return a date of birth giving age band ``band`` on the discharge day."""
    low, _, high = AGE_BANDS[band].rstrip("+").partition("-")
    age = int(low) + i % (int(high or int(low) + 9) - int(low) + 1)
    return date(discharged.year - age - 1, 1 + i % 12, 1 + i % 28).isoformat()


def records(events: Events, outcomes: Outcomes, rng: np.random.Generator, seed: int
            ) -> dict[int, tuple[int, RawDischarge]]:
    """Return, per 4-week block, the discharges arriving through intake (index, record)."""
    quiet = ~outcomes.responded & ~outcomes.declined
    draw = rng.random(len(events))
    first = min(events.discharge_date)
    blocks: dict[int, list[tuple[int, RawDischarge]]] = defaultdict(list)
    for i, channel in enumerate(outcomes.channel):
        if channel not in INTAKE_CHANNELS:
            continue
        provider = PROVIDERS[events.provider[i]]
        discharged = events.discharge_date[i]
        died = quiet[i] and draw[i] < DIED_SHARE
        unreachable = quiet[i] and DIED_SHARE <= draw[i] < DIED_SHARE + NO_CONTACT_SHARE
        fields = {
            "source_reference": f"DEMO-{seed}-{i:06d}",
            "nhs_number": synthetic_nhs_number(i),
            "date_of_birth": birth_date(int(events.age_band[i]), discharged, i),
            "sex": str(events.sex[i]), "provider_code": provider.code,
            "site_code": f"{provider.code}{int(events.site[i]) + 1:02d}",
            "pathway_code": PATHWAYS[events.pathway[i]][0],
            "discharged_at": datetime.combine(discharged, time(11), tzinfo=UK).isoformat(),
            "admission_route": str(events.admission_route[i]),
            "to_setting": events.to_setting[i], "died": "yes" if died else "no",
            "mobile_phone": "" if unreachable or channel != "sms" else
            f"07700 900{i % 1000:03d}",
            "email": "" if unreachable or channel != "email" else f"patient{i}@example.com",
            "preferred_channel": "" if unreachable else str(channel),
        }
        blocks[(discharged - first).days // BATCH_DAYS].append(
            (i, RawDischarge(f"demo discharge {i}", fields)))
    return blocks


def feed(events: Events, outcomes: Outcomes, rng: np.random.Generator, seed: int,
         now: datetime) -> dict[int, int]:
    """Import the demo's discharges batch by batch; return event index → invitation id."""
    references: dict[str, int] = {}
    for block, batch in sorted(records(events, outcomes, rng, seed).items()):
        last = max(events.discharge_date[i] for i, _ in batch)
        arrived = min(datetime.combine(last + timedelta(days=1), time(12), tzinfo=UTC), now)
        import_discharges("demo", [record for _, record in batch], sha256=f"demo-{seed}-{block}",
                          filename=f"demo block {block + 1}", now=arrived)
        references.update({record.fields["source_reference"]: i for i, record in batch})
    found = db.session.execute(
        select(TransitionEvent.source_reference, Invitation.id)
        .join(Invitation, Invitation.event_id == TransitionEvent.id)
        .where(TransitionEvent.source_reference.in_(list(references))))
    return {references[reference]: invitation_id for reference, invitation_id in found}


def settle(invited: dict[int, int], statuses: dict[int, str], ended_at: dict[int, datetime],
           expiries: dict[int, datetime], now: datetime) -> None:
    """Give each intake invitation its fate: status, messages sent or cancelled by the time
    it was answered or declined, and contact details gone once its window has closed."""
    by_invitation = {invited[i]: i for i in invited}
    first_due = dict(db.session.execute(
        select(Message.invitation_id, Message.due_at).where(Message.kind == "invitation")).all())
    db.session.execute(update(Invitation.__table__).where(
        Invitation.__table__.c.id == bindparam("target")), [
        {"target": invitation_id, "status": statuses[i],
         "sent_at": first_due.get(invitation_id),
         "declined_at": ended_at.get(i) if statuses[i] == "declined" else None}
        for invitation_id, i in by_invitation.items()])
    changes = []
    for message_id, invitation_id, due in db.session.execute(
            select(Message.id, Message.invitation_id, Message.due_at)
            .where(Message.invitation_id.in_(list(by_invitation)))):
        ended = ended_at.get(by_invitation[invitation_id])
        if ended is not None and due > ended:
            changes.append({"target": message_id, "status": "cancelled", "sent_at": None,
                            "delivered_at": None})
        elif due <= now:
            changes.append({"target": message_id, "status": "delivered", "sent_at": due,
                            "delivered_at": due + timedelta(minutes=1)})
    if changes:
        db.session.execute(update(Message.__table__).where(
            Message.__table__.c.id == bindparam("target")), changes)
    closed = [invitation_id for invitation_id, i in by_invitation.items()
              if statuses[i] in ("completed", "declined") or expiries[invitation_id] <= now]
    for start in range(0, len(closed), 500):
        db.session.execute(ContactDetails.__table__.delete().where(
            ContactDetails.__table__.c.invitation_id.in_(closed[start:start + 500])))
