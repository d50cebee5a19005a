"""Intake: validated discharges become transition events, and eligible ones invitations
with encrypted contact details and their scheduled messages, in one transaction per batch.

    batch = import_discharges("csv", records, sha256=digest, filename="nov.csv", actor=user)

Every route (CSV, HL7 v2, FHIR, the demo) calls :func:`import_discharges` with
:class:`RawDischarge` records. The whole input is checked before anything is written:
rows that break a field rule are reported (where and why) and left out, valid rows are
accepted, and an input that cannot be read at all (an adapter raises
:class:`IntakeRefused`) leaves nothing but the refused batch record. Re-sending a discharge
(same provider and ``source_reference``) creates nothing twice.

Eligibility, in this order, each counted and kept on the event: died; under 16; opted out;
a trust's exclusion rule; no survey route; surveyed for the same pathway within the
survey's ``resurvey_days``; no usable contact details.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from sqlalchemy import func, insert, select, tuple_

from survey_app.extensions import db
from survey_app.models import (
    ContactDetails,
    ExclusionRule,
    IntakeBatch,
    IntakeCredential,
    IntakeIssue,
    Invitation,
    Message,
    OptOut,
    Organisation,
    Pathway,
    StaffUser,
    Survey,
    SurveyRoute,
    TransitionEvent,
    utcnow,
)
from survey_app.services import audit
from survey_app.services.intake_validation import (
    DEFAULT_WINDOW_DAYS,
    Discharge,
    Lookups,
    Problem,
    RawDischarge,
    validate,
)
from survey_app.services.invitations import hash_token, new_token
from survey_app.services.protection import encrypt, patient_key
from survey_app.services.schedule import UK, message_times

CHUNK = 500
STORED_PROBLEMS = 10_000  # a file of nothing but errors still gets a bounded report
MESSAGE_KINDS = ("invitation", "reminder_1", "reminder_2")


class IntakeRefused(ValueError):
    """The input cannot be read at all (encoding, structure): nothing of it is imported."""


@dataclass(slots=True)
class Plan:
    """A discharge that will be stored, and the survey it gets (None when excluded)."""

    discharge: Discharge
    key: str | None
    survey: Survey | None


def load_lookups(provider: Organisation | None) -> Lookups:
    """Load the codes the field rules check, for one batch."""
    organisations = db.session.execute(
        select(Organisation.id, Organisation.code, Organisation.type_code,
               Organisation.parent_id)).all()
    pathways = db.session.execute(select(Pathway.id, Pathway.code, Pathway.care_type)).all()
    longest = db.session.scalar(select(func.max(Survey.window_days)))
    return Lookups(
        providers={code.upper(): id_ for id_, code, kind, _ in organisations if kind == "provider"},
        sites={code.upper(): (id_, parent) for id_, code, kind, parent in organisations
               if kind == "site"},
        pathways={code.lower(): (id_, care_type) for id_, code, care_type in pathways},
        scope_provider_id=provider.id if provider else None,
        window_days=longest or DEFAULT_WINDOW_DAYS,
    )


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def existing_references(discharges: list[Discharge]) -> set[tuple[int, str]]:
    """Return the (provider, source reference) pairs already stored."""
    pairs = [(d.provider_id, d.source_reference) for d in discharges]
    found: set[tuple[int, str]] = set()
    column = tuple_(TransitionEvent.provider_id, TransitionEvent.source_reference)
    for chunk in chunks(pairs):
        found.update(db.session.execute(
            select(TransitionEvent.provider_id, TransitionEvent.source_reference)
            .where(column.in_(chunk))).all())
    return found


def route_for(routes: list[SurveyRoute], d: Discharge) -> Survey | None:
    """Return the survey of the most specific route matching ``d``."""
    best, best_score = None, -1
    for route in routes:
        wanted = ((route.provider_id, d.provider_id), (route.site_id, d.site_id),
                  (route.pathway_id, d.pathway_id), (route.care_type, d.care_type))
        if any(rule is not None and rule != value for rule, value in wanted):
            continue
        score = sum(rule is not None for rule, _ in wanted)
        if score > best_score:
            best, best_score = route.survey, score
    return best


def plan(discharges: list[Discharge], now: datetime) -> list[Plan]:
    """Decide, for each new discharge, its survey or why it is excluded."""
    keys = {d.nhs_number: patient_key(d.nhs_number) for d in discharges if d.nhs_number}
    opted_out: set[str] = set()
    last_surveyed: dict[tuple[str, int], datetime] = {}
    for chunk in chunks(sorted(set(keys.values()))):
        opted_out.update(db.session.scalars(
            select(OptOut.patient_key).where(OptOut.patient_key.in_(chunk))))
        for key, pathway_id, when in db.session.execute(
            select(TransitionEvent.patient_key, TransitionEvent.pathway_id,
                   func.max(Invitation.created_at))
            .join(Invitation, Invitation.event_id == TransitionEvent.id)
            .where(TransitionEvent.patient_key.in_(chunk))
            .group_by(TransitionEvent.patient_key, TransitionEvent.pathway_id)
        ):
            last_surveyed[(key, pathway_id)] = when
    routes = list(db.session.scalars(select(SurveyRoute)))
    rules = list(db.session.scalars(select(ExclusionRule)))
    plans = []
    for d in sorted(discharges, key=lambda d: d.discharged_at):
        key = keys.get(d.nhs_number) if d.nhs_number else None
        survey = route_for(routes, d)
        reason = None
        if d.died:
            reason = "died"
        elif d.age is not None and d.age < 16:
            reason = "under_16"
        elif key in opted_out:
            reason = "opted_out"
        elif any(excludes(rule, d) for rule in rules):
            reason = "excluded_by_rule"
        elif survey is None:
            reason = "no_survey"
        elif key and (when := last_surveyed.get((key, d.pathway_id))) and (
            d.discharged_at - when < timedelta(days=survey.resurvey_days)
        ):
            reason = "recently_surveyed"
        elif d.channel is None:
            reason = "no_contact"
        d.exclusion_reason = reason
        if reason is None and key:
            last_surveyed[(key, d.pathway_id)] = d.discharged_at  # twice in one batch
        plans.append(Plan(d, key, survey if reason is None else None))
    return plans


def excludes(rule: ExclusionRule, d: Discharge) -> bool:
    """Say whether a trust's exclusion rule covers ``d``."""
    return (rule.provider_id in (None, d.provider_id)
            and rule.pathway_id in (None, d.pathway_id)
            and rule.to_setting in (None, d.to_setting))


def store(batch: IntakeBatch, plans: list[Plan], now: datetime) -> int:
    """Insert the events, and for the invited their invitations, contacts and messages;
    return how many were invited. Bulk statements: intake is measured in bench/."""
    if not plans:
        return 0
    events, invitations = TransitionEvent.__table__, Invitation.__table__  # Core: fast
    db.session.execute(insert(events), [
        {"provider_id": p.discharge.provider_id, "site_id": p.discharge.site_id,
         "pathway_id": p.discharge.pathway_id, "source_reference": p.discharge.source_reference,
         "discharge_date": p.discharge.discharged_at.astimezone(UK).date(),
         "discharged_at": p.discharge.discharged_at, "from_setting": p.discharge.from_setting,
         "to_setting": p.discharge.to_setting, "admission_route": p.discharge.admission_route,
         "age_band": p.discharge.age_band, "sex": p.discharge.sex, "patient_key": p.key,
         "batch_id": batch.id, "exclusion_reason": p.discharge.exclusion_reason,
         "created_at": now} for p in plans])
    # Ids by the unique (provider, source reference), in one query: RETURNING with ordered
    # rows would make SQLite insert one row per statement.
    ids_by_reference = {
        (provider_id, reference): event_id for event_id, provider_id, reference in
        db.session.execute(select(events.c.id, events.c.provider_id, events.c.source_reference)
                           .where(events.c.batch_id == batch.id))}
    event_ids = [ids_by_reference[(p.discharge.provider_id, p.discharge.source_reference)]
                 for p in plans]
    invited = [(p, event_id) for p, event_id in zip(plans, event_ids, strict=True) if p.survey]
    if not invited:
        return 0
    tokens, times = [], []
    rows = []
    for p, event_id in invited:
        survey = p.survey
        assert survey is not None
        due = message_times(p.discharge.discharged_at, first_hours=survey.first_message_hours,
                            reminder_days=(survey.reminder_1_days, survey.reminder_2_days))
        token = new_token()
        tokens.append(token)
        times.append(due)
        rows.append({"event_id": event_id, "survey_id": survey.id, "token_hash": hash_token(token),
                     "channel": p.discharge.channel, "status": "pending", "created_at": now,
                     "expires_at": due[0] + timedelta(days=survey.window_days)})
    db.session.execute(insert(invitations), rows)
    id_by_event = dict(db.session.execute(
        select(invitations.c.event_id, invitations.c.id)
        .join(events, events.c.id == invitations.c.event_id)
        .where(events.c.batch_id == batch.id)).all())
    invitation_ids = [id_by_event[row["event_id"]] for row in rows]
    contacts, messages = [], []
    for (p, _), invitation_id, token, due in zip(invited, invitation_ids, tokens, times,
                                                 strict=True):
        d = p.discharge
        contacts.append({"invitation_id": invitation_id, "created_at": now,
                         "phone": encrypt(d.phone) if d.phone else None,
                         "email": encrypt(d.email) if d.email else None,
                         "link_token": encrypt(token)})
        messages += [{"invitation_id": invitation_id, "kind": kind, "channel": d.channel,
                      "due_at": when, "status": "scheduled", "attempts": 0}
                     for kind, when in zip(MESSAGE_KINDS, due, strict=False)]
    db.session.execute(insert(ContactDetails.__table__), contacts)
    db.session.execute(insert(Message.__table__), messages)
    return len(invited)


def import_discharges(
    source: str,
    records: Iterable[RawDischarge],
    *,
    sha256: str | Callable[[], str],
    filename: str | None = None,
    actor: StaffUser | None = None,
    credential: IntakeCredential | None = None,
    provider: Organisation | None = None,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> IntakeBatch:
    """Import one batch; return it (complete, or refused with the reason).

    ``provider`` limits the batch to that provider's discharges (a provider user's upload;
    a credential's provider); ``progress`` is called once per record read. ``sha256`` may
    be a callable, asked once the records are read (a stream hashed as it is read).
    """
    now = now or utcnow()
    if credential is not None:
        provider = credential.provider
    batch = IntakeBatch(source=source, filename=filename,
                        sha256=sha256 if isinstance(sha256, str) else "", received_by=actor,
                        credential=credential, provider=provider, status="running",
                        started_at=now)
    db.session.add(batch)
    db.session.commit()
    batch_id = batch.id
    try:
        lookups = load_lookups(provider)
        problems: list[Problem] = []
        accepted: dict[tuple[int, str], Discharge] = {}
        received = rejected = repeats = 0
        for raw in records:
            received += 1
            result = validate(raw, lookups, now)
            if isinstance(result, list):
                rejected += 1
                if len(problems) < STORED_PROBLEMS:  # memory stays bounded on a bad file
                    problems += result
            elif (result.provider_id, result.source_reference) in accepted:
                repeats += 1  # the same discharge twice in one input
            else:
                accepted[(result.provider_id, result.source_reference)] = result
            if progress:
                progress(1)
        seen = existing_references(list(accepted.values()))
        new = [d for pair, d in accepted.items() if pair not in seen]
        plans = plan(new, now)
        invited = store(batch, plans, now)
    except IntakeRefused as refusal:
        db.session.rollback()
        return finish_refused(batch_id, str(refusal), actor, sha256)
    except Exception:
        db.session.rollback()
        finish_refused(batch_id, "the import failed unexpectedly; nothing was imported", actor)
        raise
    batch.received, batch.rejected, batch.accepted = received, rejected, len(new)
    batch.duplicates = repeats + len(accepted) - len(new)
    batch.excluded = len(new) - invited
    batch.invited = invited
    batch.status, batch.finished_at = "complete", utcnow()
    if callable(sha256):
        batch.sha256 = sha256()
    if problems:
        db.session.execute(insert(IntakeIssue), [
            {"batch_id": batch.id, "location": p.location, "field": p.field, "value": p.value,
             "problem": p.problem} for p in problems[:STORED_PROBLEMS]])
    audit.record("intake_imported", actor=actor, object_type="intake_batch", object_id=batch.id,
                 detail=f"{source}: {received} received, {len(new)} new, {rejected} rejected, "
                        f"{invited} invited")
    db.session.commit()
    return batch


def finish_refused(batch_id: int, reason: str, actor: StaffUser | None,
                   sha256: str | Callable[[], str] = "") -> IntakeBatch:
    """Mark the batch refused (its input left nothing behind) and say why."""
    batch = db.session.get(IntakeBatch, batch_id)
    assert batch is not None
    if callable(sha256):
        batch.sha256 = sha256()
    batch.status, batch.refusal, batch.finished_at = "refused", reason[:500], utcnow()
    audit.record("intake_refused", actor=actor, object_type="intake_batch", object_id=batch_id,
                 detail=reason[:500])
    db.session.commit()
    return batch


def exclusion_counts(batch_id: int) -> dict[str, int]:
    """Return how many of a batch's events were excluded, by reason."""
    return dict(db.session.execute(
        select(TransitionEvent.exclusion_reason, func.count())
        .where(TransitionEvent.batch_id == batch_id,
               TransitionEvent.exclusion_reason.is_not(None))
        .group_by(TransitionEvent.exclusion_reason)).all())
