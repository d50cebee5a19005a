"""Synthetic respondents and their answers, drawn with numpy from a seeded generator.

Pure functions (no database): each returns plain arrays or rows that the loader inserts.
The model is deliberately simple but shaped like real survey data: a latent experience per
respondent (provider quality + pathway + case mix + noise), item answers from thresholds on
that latent scale, strong acquiescence (many answer every item "Agree" or "Strongly agree",
as published for the CTM), some "don't know", and partial responses that stop midway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import NormalDist

import numpy as np

from survey_app.demo.catalogue import PATHWAY_EFFECTS, PATHWAY_SHARES, PATHWAYS, PROVIDERS
from survey_app.demo.comments import draw_comments
from survey_app.models.event import AGE_BANDS
from survey_app.services.questionnaire import Question

# Respondent-level shares (platform assumptions for the demo, not published figures).
ALL_AGREE_SHARE = 0.22
ALL_STRONGLY_AGREE_SHARE = 0.08
DONT_KNOW_SHARE = 0.04
RESPONSE_RATE = 0.55
PARTIAL_SHARE = 0.15
DECLINE_SHARE = 0.04
# Target shares of the scored options, lowest to highest, for an average respondent.
TARGET_SHARES = {4: (0.06, 0.14, 0.50, 0.30), 5: (0.05, 0.10, 0.15, 0.45, 0.25)}
NATIONAL_AGE_MIX = np.array([0.03, 0.04, 0.05, 0.08, 0.14, 0.22, 0.26, 0.18])
ITEM_NOISE = 0.7


@dataclass(frozen=True)
class Events:
    """Columns of the generated transition events (one entry per event)."""

    provider: np.ndarray  # index into PROVIDERS
    site: np.ndarray  # index into that provider's sites
    pathway: np.ndarray  # index into PATHWAYS
    discharge_date: list[date]
    age_band: np.ndarray  # index into AGE_BANDS
    sex: np.ndarray  # "female" / "male"
    admission_route: np.ndarray
    to_setting: list[str]

    def __len__(self) -> int:
        return len(self.provider)


@dataclass(frozen=True)
class Outcomes:
    """What happened to each event's invitation, and who the respondents were."""

    channel: np.ndarray
    responded: np.ndarray  # bool: a response exists
    complete: np.ndarray  # bool: submitted
    declined: np.ndarray  # bool
    invited_at: list[datetime]
    started_at: list[datetime]
    minutes_taken: np.ndarray
    latent: np.ndarray  # respondent's latent experience
    general_health: np.ndarray  # 1 (excellent) … 5 (poor)
    completed_by: np.ndarray  # 1 patient, 2 patient with help, 3 carer or relative
    answered: np.ndarray  # number of questions answered (all, for complete responses)


def last_four_quarters(today: date) -> tuple[date, date]:
    """Return the first and last day of the four complete quarters before ``today``."""
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    return date(quarter_start.year - 1, quarter_start.month, 1), quarter_start - timedelta(days=1)


def draw_events(rng: np.random.Generator, count: int, today: date) -> Events:
    """Draw ``count`` discharges over the last four quarters with each provider's case mix."""
    volumes = np.array([p.volume for p in PROVIDERS])
    provider = rng.choice(len(PROVIDERS), size=count, p=volumes / volumes.sum())
    site = np.array([rng.integers(len(PROVIDERS[p].sites)) for p in provider])
    shares = np.array([PATHWAY_SHARES[p[0]] for p in PATHWAYS])
    pathway = rng.choice(len(PATHWAYS), size=count, p=shares / shares.sum())
    first, last = last_four_quarters(today)
    offsets = rng.integers(0, (last - first).days + 1, size=count)
    older = np.array([PROVIDERS[p].older for p in provider])
    # Shift each provider's age mix towards older bands by tilting the national mix.
    tilt = np.exp(np.outer(older, np.arange(len(AGE_BANDS)) - 5) * 0.35) * NATIONAL_AGE_MIX
    age = np.array([rng.choice(len(AGE_BANDS), p=row / row.sum()) for row in tilt])
    elective = np.array([PATHWAYS[p][2] == "planned_episode" for p in pathway])
    return Events(
        provider=provider,
        site=site,
        pathway=pathway,
        discharge_date=[first + timedelta(days=int(d)) for d in offsets],
        age_band=age,
        sex=np.where(rng.random(count) < 0.54, "female", "male"),
        admission_route=np.where(elective, "elective", "emergency"),
        to_setting=[str(rng.choice(PATHWAYS[p][3])) for p in pathway],
    )


def draw_outcomes(rng: np.random.Generator, events: Events, total_questions: int) -> Outcomes:
    """Draw who responded, who they were and how they felt about leaving hospital."""
    n = len(events)
    providers = [PROVIDERS[p] for p in events.provider]
    sicker = np.array([p.sicker for p in providers]) + (events.age_band - 5) * 0.15
    health = np.clip(np.rint(2.8 + sicker + rng.normal(0, 1.0, n)), 1, 5).astype(int)
    oldest = np.where(events.age_band >= 7, 1.8, 1.0)  # the over-85s more often need help
    proxy_rate = np.array([p.proxy_rate for p in providers]) * oldest
    draw = rng.random(n)
    completed_by = np.where(draw < proxy_rate, 3, np.where(draw < proxy_rate + 0.15, 2, 1))
    latent = (
        np.array([p.quality for p in providers])
        + np.array([PATHWAY_EFFECTS[PATHWAYS[p][0]] for p in events.pathway])
        + (events.age_band - 5) * 0.06  # older respondents report better experience
        - (health - 3) * 0.2  # and sicker ones worse
        - (completed_by == 3) * 0.2  # carers are more critical
        + rng.normal(0, 1.0, n)
    )
    responded = rng.random(n) < RESPONSE_RATE + (events.age_band - 5) * 0.02
    declined = ~responded & (rng.random(n) < DECLINE_SHARE / (1 - RESPONSE_RATE))
    complete = responded & (rng.random(n) >= PARTIAL_SHARE)
    answered = np.where(complete, total_questions, rng.integers(1, total_questions, size=n))
    invited_at = [
        datetime.combine(d + timedelta(days=1), time(10), UTC) for d in events.discharge_date
    ]
    delays = rng.gamma(2.0, 4.0, size=n) + 0.1
    return Outcomes(
        channel=rng.choice(["sms", "email", "kiosk", "paper"], p=[0.8, 0.1, 0.05, 0.05], size=n),
        responded=responded,
        complete=complete,
        declined=declined,
        invited_at=invited_at,
        started_at=[t + timedelta(days=float(d)) for t, d in zip(invited_at, delays, strict=True)],
        minutes_taken=rng.integers(4, 30, size=n),
        latent=latent,
        general_health=health,
        completed_by=completed_by,
        answered=answered,
    )


def scored_codes(question: Question) -> list[str]:
    """Return the codes of a question's scored options, lowest score first."""
    scored = [o for o in question.options if o.scored and o.score is not None]
    return [o.code for o in sorted(scored, key=lambda o: o.score or 0.0)]


def code_with_short(question: Question, short_code: str) -> str | None:
    """Return the code of the option with ``short_code``, if the question has one."""
    return next((o.code for o in question.options if o.short_code == short_code), None)


def rated_answers(
    rng: np.random.Generator, question: Question, latent: np.ndarray, style: np.ndarray
) -> np.ndarray:
    """Answer one scored question for every respondent (``style``: 0 free, 1 all-Agree,
    2 all-Strongly-agree)."""
    codes = scored_codes(question)
    if question.item.reverse:
        # A negatively worded statement: a better experience means disagreeing with it.
        codes = codes[::-1]
    shares = TARGET_SHARES.get(len(codes), tuple([1 / len(codes)] * len(codes)))
    spread = float(np.sqrt(1.0 + ITEM_NOISE**2))
    cuts = [NormalDist(0, spread).inv_cdf(c) for c in np.cumsum(shares)[:-1]]
    shift = rng.normal(0, 0.25)  # some items are harder to agree with than others
    level = np.searchsorted(cuts, latent + shift + rng.normal(0, ITEM_NOISE, len(latent)))
    answers = np.array(codes, dtype=object)[level]
    for value, short in ((1, "A"), (2, "SA")):
        code = code_with_short(question, short)
        if code is not None:
            answers[style == value] = code
    unscored = [o.code for o in question.options if not o.scored]
    if unscored:
        out = (rng.random(len(latent)) < DONT_KNOW_SHARE) & (style == 0)
        answers[out] = rng.choice(unscored, size=int(out.sum()))
    return answers


def about_you_answers(
    rng: np.random.Generator, question: Question, events: Events, outcomes: Outcomes
) -> np.ndarray:
    """Answer an unscored about-you question from the respondent's own attributes."""
    n = len(events)
    item = question.item.id
    if item == "age_band":
        return (events.age_band + 1).astype(str).astype(object)
    if item == "sex":
        return np.where(events.sex == "female", "1", "2").astype(object)
    if item == "general_health":
        return outcomes.general_health.astype(str).astype(object)
    if item == "completed_by":
        return outcomes.completed_by.astype(str).astype(object)
    if item == "main_language":
        return np.where(rng.random(n) < 0.93, "1", "2").astype(object)
    return rng.choice([o.code for o in question.options], size=n).astype(object)


def draw_answers(
    rng: np.random.Generator, questions: list[Question], events: Events, outcomes: Outcomes
) -> np.ndarray:
    """Return a respondents × questions matrix of option codes (a free-text question's
    words, "" for none), in journey order."""
    n = len(events)
    draw = rng.random(n)
    style = np.where(
        draw < ALL_AGREE_SHARE, 1, np.where(draw < ALL_AGREE_SHARE + ALL_STRONGLY_AGREE_SHARE, 2, 0)
    )
    columns = [
        draw_comments(rng, outcomes.latent, outcomes.responded & (outcomes.answered > column))
        if q.item.is_free_text
        else rated_answers(rng, q, outcomes.latent, style)
        if q.instrument.scoring is not None
        else about_you_answers(rng, q, events, outcomes)
        for column, q in enumerate(questions)
    ]
    return np.column_stack(columns) if columns else np.empty((n, 0), dtype=object)
