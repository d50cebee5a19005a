"""The response-rate funnel, per survey and period (quarter of discharge): how many
discharges came in, how many were excluded and why, and of the invited how many were
sent their invitation, had it delivered or failed, were reminded and responded.

Imported and excluded are counted per provider and period: an excluded discharge never
gets a survey (one reason is "no survey" itself). From "invited" on, counts are per
survey, and each counts invitations (people), not messages:

- invited: the invitation was sent (its status is no longer "pending"), as the
  response-rate export counts it;
- delivered / failed: the invitation message's receipt (GOV.UK Notify), or a refusal;
- reminded: at least one reminder went; responded: a submitted response;
- waiting: invitations whose first message has not gone yet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import distinct, func, select

from survey_app.extensions import db
from survey_app.models import Invitation, Message, Response, Survey, TransitionEvent
from survey_app.results.periods import period_label

STEPS = ("invited", "delivered", "failed", "reminded", "responded", "waiting")
EXCLUSION_NAMES = {
    "died": "Died",
    "under_16": "Under 16",
    "opted_out": "Asked not to be contacted about surveys",
    "excluded_by_rule": "Excluded by a trust's rule (for example after a bereavement)",
    "no_survey": "No survey for the pathway, site or care type",
    "recently_surveyed": "Surveyed for the same pathway recently",
    "no_contact": "No usable mobile number or email address",
}


@dataclass
class SurveyFunnel:
    """One survey's invitations through the steps (one provider, or all in scope)."""

    survey: str
    invited: int = 0
    delivered: int = 0
    failed: int = 0
    reminded: int = 0
    responded: int = 0
    waiting: int = 0

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.invited if self.invited else None


@dataclass
class Funnel:
    """The funnel of one provider (or several) for one period."""

    period: str
    imported: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    surveys: list[SurveyFunnel] = field(default_factory=list)

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())


def quarter_range(period: str) -> tuple[date, date]:
    """Return the first day of the quarter and the first day after it."""
    label = period_label(period)
    year, quarter = int(label[:4]), int(label[-1])
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, end


def periods(provider_ids: list[int] | None) -> list[str]:
    """Return the quarters with discharges in scope, latest first."""
    query = select(TransitionEvent.discharge_date).distinct()
    if provider_ids is not None:
        query = query.where(TransitionEvent.provider_id.in_(provider_ids))
    days = db.session.scalars(query)
    return sorted({f"{d.year}-Q{(d.month - 1) // 3 + 1}" for d in days}, reverse=True)


def funnels(period: str, provider_ids: list[int] | None = None) -> dict[int, Funnel]:
    """Return each provider's funnel for the period (all providers when ``None``)."""
    start, end = quarter_range(period)
    label = period_label(period)
    in_scope = [TransitionEvent.discharge_date >= start, TransitionEvent.discharge_date < end]
    if provider_ids is not None:
        in_scope.append(TransitionEvent.provider_id.in_(provider_ids))
    result: dict[int, Funnel] = defaultdict(lambda: Funnel(label))
    for provider_id, reason, count in db.session.execute(
        select(TransitionEvent.provider_id, TransitionEvent.exclusion_reason, func.count())
        .where(*in_scope).group_by(TransitionEvent.provider_id, TransitionEvent.exclusion_reason)
    ):
        result[provider_id].imported += count
        if reason is not None:
            result[provider_id].excluded[reason] = count
    steps: dict[tuple[int, str], SurveyFunnel] = {}

    def step(provider_id: int, title: str) -> SurveyFunnel:
        if (provider_id, title) not in steps:
            steps[(provider_id, title)] = SurveyFunnel(title)
            result[provider_id].surveys.append(steps[(provider_id, title)])
        return steps[(provider_id, title)]

    invitations = (select(TransitionEvent.provider_id, Survey.title)
                   .select_from(Invitation)
                   .join(TransitionEvent, TransitionEvent.id == Invitation.event_id)
                   .join(Survey, Survey.id == Invitation.survey_id).where(*in_scope)
                   .group_by(TransitionEvent.provider_id, Survey.title))
    sent = Invitation.status != "pending"
    for provider_id, title, invited, waiting in db.session.execute(invitations.add_columns(
            func.count().filter(sent), func.count().filter(~sent))):
        row = step(provider_id, title)
        row.invited, row.waiting = invited, waiting
    for provider_id, title, responded in db.session.execute(
            invitations.add_columns(func.count())
            .join(Response, Response.invitation_id == Invitation.id)
            .where(Response.status == "submitted")):
        step(provider_id, title).responded = responded
    first = Message.kind == "invitation"
    reminder = (Message.kind != "invitation") & Message.sent_at.is_not(None)
    for provider_id, title, delivered, failed, reminded in db.session.execute(
            invitations.join(Message, Message.invitation_id == Invitation.id).add_columns(
                func.count().filter(first & (Message.status == "delivered")),
                func.count().filter(first & (Message.status == "failed")),
                func.count(distinct(Message.invitation_id)).filter(reminder))):
        row = step(provider_id, title)
        row.delivered, row.failed, row.reminded = delivered, failed, reminded
    for funnel in result.values():
        funnel.surveys.sort(key=lambda row: row.survey)
    return dict(result)


def total(period: str, parts: list[Funnel]) -> Funnel:
    """Return the sum of several providers' funnels (administrators' overall row)."""
    overall = Funnel(period_label(period))
    by_survey: dict[str, SurveyFunnel] = {}
    for part in parts:
        overall.imported += part.imported
        for reason, count in part.excluded.items():
            overall.excluded[reason] = overall.excluded.get(reason, 0) + count
        for row in part.surveys:
            into = by_survey.setdefault(row.survey, SurveyFunnel(row.survey))
            for name in STEPS:
                setattr(into, name, getattr(into, name) + getattr(row, name))
    overall.surveys = [by_survey[name] for name in sorted(by_survey)]
    return overall
