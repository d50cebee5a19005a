"""Load the demo world into the database with bulk Core inserts.

Discharges answered online come in through intake, four weeks at a time, as a trust's
would (:mod:`survey_app.demo.intake_feed`); responses, answers and comments are inserted
with ``executemany`` (``INSERT … RETURNING`` where later rows need the ids), not ORM
objects one by one, so thousands of responses load in seconds on SQLite and PostgreSQL
alike. Each intake batch commits as intake does; the rest commits at the end, and the
submitted responses are then scored in bulk, as ``flask results rescore`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Table, func, insert, select
from tqdm import tqdm

from survey_app.demo import intake_feed
from survey_app.demo.catalogue import COMMISSIONERS, PATHWAYS, PROVIDERS
from survey_app.demo.generator import Events, Outcomes, draw_answers, draw_events, draw_outcomes
from survey_app.extensions import db
from survey_app.models import (
    Answer,
    Comment,
    Invitation,
    Organisation,
    Pathway,
    Response,
    SurveyRoute,
    TransitionEvent,
    utcnow,
)
from survey_app.models.event import AGE_BANDS
from survey_app.results import scores as response_scores
from survey_app.services.invitations import hash_token, new_token
from survey_app.services.masking import mask_identifiers
from survey_app.services.questionnaire import build_questions, load_instruments
from survey_app.services.surveys import STANDARD_SURVEYS, ensure_survey

DEMO_SURVEY = "leaving-hospital"
CHUNK = 5000
MODE_FOR_CHANNEL = {"sms": "online", "email": "online", "kiosk": "kiosk", "paper": "paper"}


@dataclass
class DemoSummary:
    """Counts of what the demo loaded."""

    organisations: int = 0
    pathways: int = 0
    events: int = 0
    invitations: int = 0
    submitted: int = 0
    partial: int = 0
    declined: int = 0
    answers: int = 0
    comments: int = 0  # free-text comments with words in them


def insert_rows(table: Table, rows: list[dict[str, Any]], label: str, *, ids: bool) -> list[int]:
    """Insert ``rows`` in chunks with a progress bar; return their new ids if asked."""
    new_ids: list[int] = []
    quiet = len(rows) < CHUNK  # a bar for a handful of rows is noise
    with tqdm(total=len(rows), desc=label, unit=" rows", leave=False, disable=quiet) as bar:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            if ids:
                statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
                new_ids.extend(db.session.execute(statement, chunk).scalars())
            else:
                db.session.execute(insert(table), chunk)
            bar.update(len(chunk))
    return new_ids


def load_organisations() -> tuple[list[int], list[list[int]]]:
    """Insert commissioners, providers and their sites; return provider and site ids."""
    icb_start, trust_start = date(2022, 7, 1), date(2019, 4, 1)
    table = Organisation.__table__
    insert_rows(
        table,
        [
            {"code": code, "name": name, "type_code": "commissioner", "effective_from": icb_start}
            for code, name in COMMISSIONERS
        ],
        "commissioners",
        ids=False,
    )
    provider_ids = insert_rows(
        table,
        [
            {"code": p.code, "name": p.name, "type_code": "provider",
             "effective_from": trust_start}
            for p in PROVIDERS
        ],
        "providers",
        ids=True,
    )
    site_rows = [
        {"code": f"{p.code}{n:02d}", "name": site, "type_code": "site",
         "parent_id": provider_id, "effective_from": trust_start}
        for p, provider_id in zip(PROVIDERS, provider_ids, strict=True)
        for n, site in enumerate(p.sites, start=1)
    ]
    flat = iter(insert_rows(table, site_rows, "sites", ids=True))
    return provider_ids, [[next(flat) for _ in p.sites] for p in PROVIDERS]


def event_rows(
    events: Events, provider_ids: list[int], site_ids: list[list[int]], pathway_ids: list[int]
) -> list[dict[str, Any]]:
    """Turn generated events into ``transition_events`` rows."""
    now = utcnow()
    return [
        {
            "provider_id": provider_ids[p],
            "site_id": site_ids[p][s],
            "pathway_id": pathway_ids[w],
            "discharge_date": events.discharge_date[i],
            "from_setting": "acute_ward",
            "to_setting": events.to_setting[i],
            "admission_route": str(events.admission_route[i]),
            "age_band": AGE_BANDS[a],
            "sex": str(events.sex[i]),
            "created_at": now,
        }
        for i, (p, s, w, a) in enumerate(
            zip(events.provider, events.site, events.pathway, events.age_band, strict=True)
        )
    ]


def invitation_status(outcomes: Outcomes, i: int, expires_at: Any, now: Any) -> str:
    """Return where event ``i``'s invitation ended up."""
    if outcomes.complete[i]:
        return "completed"
    if outcomes.responded[i]:
        return "started"
    if outcomes.declined[i]:
        return "declined"
    return "expired" if expires_at <= now else "sent"


def comment_row(about: dict[str, Any], words: str, at: Any) -> dict[str, Any]:
    """Return a ``comments`` row: the words as written and as providers see them."""
    return {**about, "text": words, "masked_text": mask_identifiers(words),
            "created_at": at, "updated_at": at}


def store_scores() -> None:
    """Score the submitted responses (loaded in bulk, so not through submit) and store
    the scores, as ``flask results rescore`` does."""
    plan = response_scores.rescore_plan()
    with tqdm(total=plan.total, desc="scores", unit=" scores", leave=False,
              disable=plan.total < CHUNK) as bar:
        response_scores.rescore(plan, progress=bar.update)


def load_demo(*, seed: int, event_count: int, today: date | None = None) -> DemoSummary:
    """Load organisations, pathways, events, invitations, responses and answers; commit."""
    rng = np.random.default_rng(seed)
    now = utcnow()
    provider_ids, site_ids = load_organisations()
    pathway_ids = insert_rows(
        Pathway.__table__,
        [{"code": c, "name": n, "care_type": t} for c, n, t, _ in PATHWAYS],
        "pathways",
        ids=True,
    )
    for slug in STANDARD_SURVEYS:
        ensure_survey(slug)
    survey = ensure_survey(DEMO_SURVEY)
    db.session.add(SurveyRoute(survey=survey))  # every demo discharge gets the demo survey
    questions = build_questions(load_instruments(survey, "en"))
    events = draw_events(rng, event_count, today or now.date())
    outcomes = draw_outcomes(rng, events, len(questions))
    invitation_ids = intake_feed.feed(events, outcomes, rng, seed, now)
    direct = [i for i, channel in enumerate(outcomes.channel)
              if channel not in intake_feed.INTAKE_CHANNELS]
    rows = event_rows(events, provider_ids, site_ids, pathway_ids)
    event_ids = insert_rows(TransitionEvent.__table__, [rows[i] for i in direct], "events",
                            ids=True)
    invitation_rows = []
    for i, event_id in zip(direct, event_ids, strict=True):
        invited = outcomes.invited_at[i]
        expires = invited + timedelta(days=42)
        invitation_rows.append({
            "event_id": event_id, "survey_id": survey.id, "token_hash": hash_token(new_token()),
            "channel": str(outcomes.channel[i]), "created_at": invited, "sent_at": invited,
            "expires_at": expires, "status": invitation_status(outcomes, i, expires, now),
            "declined_at": invited + timedelta(days=2) if outcomes.declined[i] else None,
        })
    invitation_ids.update(zip(direct, insert_rows(
        Invitation.__table__, invitation_rows, "invitations", ids=True), strict=True))
    respondents = np.flatnonzero(outcomes.responded)
    response_rows = []
    ended_at: dict[int, Any] = {}
    for i in respondents:
        started = min(outcomes.started_at[i], now - timedelta(hours=1))
        finished = started + timedelta(minutes=int(outcomes.minutes_taken[i]))
        if outcomes.complete[i]:
            ended_at[i] = finished
        response_rows.append({
            "invitation_id": invitation_ids[i], "mode": MODE_FOR_CHANNEL[outcomes.channel[i]],
            "language": "en", "completed_by": str(outcomes.completed_by[i]),
            "status": "submitted" if outcomes.complete[i] else "in_progress",
            "started_at": started, "updated_at": finished,
            "submitted_at": finished if outcomes.complete[i] else None,
        })
    response_ids = insert_rows(Response.__table__, response_rows, "responses", ids=True)
    codes = draw_answers(rng, questions, events, outcomes)
    answer_rows, comment_rows = [], []
    for i, response_id, row in zip(respondents, response_ids, response_rows, strict=True):
        for column, q in enumerate(questions[: outcomes.answered[i]]):
            about = {"response_id": response_id, "instrument_id": q.instrument.id,
                     "instrument_version": q.instrument.version, "item_id": q.item.id}
            if q.item.is_free_text:
                comment_rows.append(comment_row(about, codes[i, column], row["updated_at"]))
            else:
                answer_rows.append(
                    {**about, "code": codes[i, column], "answered_at": row["updated_at"]})
    insert_rows(Answer.__table__, answer_rows, "answers", ids=False)
    insert_rows(Comment.__table__, comment_rows, "comments", ids=False)
    intake_invited = {i: invitation_ids[i] for i in invitation_ids if i not in set(direct)}
    ended_at.update({i: outcomes.invited_at[i] + timedelta(days=2)
                     for i in intake_invited if outcomes.declined[i]})
    expiries = dict(db.session.execute(select(Invitation.id, Invitation.expires_at).where(
        Invitation.id.in_(list(intake_invited.values())))).all())
    intake_feed.settle(intake_invited, {
        i: invitation_status(outcomes, i, expiries[invitation_id], now)
        for i, invitation_id in intake_invited.items()}, ended_at, expiries, now)
    db.session.commit()
    store_scores()
    return DemoSummary(
        organisations=len(COMMISSIONERS) + len(PROVIDERS) + sum(len(s) for s in site_ids),
        pathways=len(pathway_ids),
        events=db.session.scalar(select(func.count()).select_from(TransitionEvent)),
        invitations=len(invitation_ids),
        submitted=int(outcomes.complete.sum()),
        partial=int((outcomes.responded & ~outcomes.complete).sum()),
        declined=int(outcomes.declined.sum()),
        answers=len(answer_rows),
        comments=sum(bool(row["text"]) for row in comment_rows),
    )
