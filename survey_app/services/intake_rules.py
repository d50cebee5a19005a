"""The rules a deployment sets for intake: which survey each discharge gets (routes),
which discharges a trust must not survey (exclusion rules), and who asked not to be
contacted (opt-outs, by patient key). Each change is audited."""

from __future__ import annotations

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import (
    ExclusionRule,
    Message,
    OptOut,
    Organisation,
    Pathway,
    StaffUser,
    SurveyRoute,
)
from survey_app.models.event import SETTINGS
from survey_app.models.pathway import CARE_TYPES
from survey_app.services import audit
from survey_app.services.errors import FieldError
from survey_app.services.intake_validation import nhs_number_problem, normalised_nhs_number
from survey_app.services.protection import patient_key
from survey_app.services.surveys import find_survey


def organisation(code: str | None, kind: str, field: str) -> Organisation | None:
    """Return the organisation ``code`` of ``kind`` (None for no code), or FieldError."""
    if not code:
        return None
    found = db.session.scalar(select(Organisation).where(
        Organisation.code == code.upper(), Organisation.type_code == kind))
    if found is None:
        raise FieldError(field, f"There is no {kind} with code {code}")
    return found


def pathway(code: str | None) -> Pathway | None:
    if not code:
        return None
    found = db.session.scalar(select(Pathway).where(Pathway.code == code.lower()))
    if found is None:
        raise FieldError("pathway", f"There is no pathway with code {code}")
    return found


def add_route(*, survey_slug: str, provider: str | None = None, site: str | None = None,
              pathway_code: str | None = None, care_type: str | None = None,
              actor: StaffUser | None = None) -> SurveyRoute:
    """Send discharges matching every given field to the survey ``survey_slug``."""
    if care_type and care_type not in CARE_TYPES:
        raise FieldError("care_type", f"Care type must be one of {', '.join(CARE_TYPES)}")
    route = SurveyRoute(
        survey=find_survey(survey_slug),
        provider_id=getattr(organisation(provider, "provider", "provider"), "id", None),
        site_id=getattr(organisation(site, "site", "site"), "id", None),
        pathway_id=getattr(pathway(pathway_code), "id", None), care_type=care_type or None)
    db.session.add(route)
    db.session.flush()
    audit.record("survey_route_added", actor=actor, object_type="survey_route",
                 object_id=route.id, detail=describe_route(route))
    db.session.commit()
    return route


def describe_route(route: SurveyRoute) -> str:
    """Say in words what a route matches and where it sends it."""
    parts = [f"{label} {value}" for label, value in (
        ("provider", route.provider_id and db.session.get(Organisation, route.provider_id).code),
        ("site", route.site_id and db.session.get(Organisation, route.site_id).code),
        ("pathway", route.pathway and route.pathway.code), ("care type", route.care_type))
        if value]
    return f"{' and '.join(parts) or 'every discharge'} → {route.survey.slug}"


def add_exclusion(*, reason: str, provider: str | None = None,
                  pathway_code: str | None = None, to_setting: str | None = None,
                  actor: StaffUser | None = None) -> ExclusionRule:
    """Never survey discharges on ``pathway_code`` and/or to ``to_setting`` (at
    ``provider``, or everywhere)."""
    if not pathway_code and not to_setting:
        raise FieldError("pathway", "Name a pathway or a destination setting to exclude")
    if to_setting and to_setting not in SETTINGS:
        raise FieldError("to_setting", f"Setting must be one of {', '.join(SETTINGS)}")
    if not reason.strip():
        raise FieldError("reason", "Say why these discharges must not be surveyed")
    rule = ExclusionRule(
        provider_id=getattr(organisation(provider, "provider", "provider"), "id", None),
        pathway_id=getattr(pathway(pathway_code), "id", None), to_setting=to_setting or None,
        reason=reason.strip()[:200])
    db.session.add(rule)
    db.session.flush()
    audit.record("exclusion_rule_added", actor=actor, object_type="exclusion_rule",
                 object_id=rule.id, detail=rule.reason)
    db.session.commit()
    return rule


def record_opt_out(nhs_number: str, *, source: str = "administrator",
                   actor: StaffUser | None = None) -> bool:
    """Record that the person with this NHS number is not to be contacted again, and
    cancel their messages still waiting; return False if they had already opted out."""
    if problem := nhs_number_problem(nhs_number):
        raise FieldError("nhs_number", problem)
    key = patient_key(normalised_nhs_number(nhs_number))
    if db.session.get(OptOut, key) is not None:
        return False
    db.session.add(OptOut(patient_key=key, source=source))
    cancel_waiting_messages(key)
    audit.record("opted_out", actor=actor, object_type="opt_out", detail=source)
    db.session.commit()
    return True


def cancel_waiting_messages(key: str) -> int:
    """Cancel every scheduled message to the person with patient key ``key``."""
    from survey_app.models import Invitation, TransitionEvent

    waiting = select(Message.id).join(Invitation).join(TransitionEvent).where(
        TransitionEvent.patient_key == key, Message.status == "scheduled")
    ids = list(db.session.scalars(waiting))
    for message in db.session.scalars(select(Message).where(Message.id.in_(ids))):
        message.status = "cancelled"
    return len(ids)
