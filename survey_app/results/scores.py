"""Respondent scores stored with each submitted response: scored once, in the submission's
transaction, and again in bulk by ``flask results rescore`` (a new methodology or
instrument version).

The scoring is ``analysis``'s, as ``python -m analysis score --themes --item-indicators``
does it, on the answers ``export.item_answers`` reads; this module only reads answers,
turns the scored table into rows and writes them with ``INSERT … ON CONFLICT DO UPDATE``,
so scoring a response again replaces its rows and a rerun is safe.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, func, select

import instruments
from analysis import METHODOLOGY_VERSION
from analysis.answers import RESPONSE_ID, normalise_answers
from analysis.commands.score import THEME_PREFIX
from analysis.scoring import OUTCOME_COLUMNS, output_columns, score_respondents, theme_scores
from analysis.scoring_items import item_indicators
from analysis.scoring_matrix import item_ranges, score_matrix
from analysis.scoring_methods import to_percent
from survey_app.extensions import db
from survey_app.models import Invitation, Response, ResponseScore, SurveyInstrument, utcnow
from survey_app.services.export import item_answers
from survey_app.services.upsert import insert_for

CHUNK = 5000  # responses per read, score and write: memory stays bounded
_scores = ResponseScore.__table__
_KEY = ["response_id", "instrument_id", "instrument_version"]


def scored_instruments(keys: Iterable[tuple[str, str]]) -> list[instruments.Instrument]:
    """Return the instruments among (id, version) ``keys`` that have a scoring rule."""
    bundle = (instruments.get_instrument(i, v) for i, v in keys)
    return [instrument for instrument in bundle if instrument.scoring is not None]


def _plain(values: pd.Series) -> list[object]:
    """Return a column as Python scalars, None for empty (JSON has no NaN)."""
    return values.astype(object).where(values.notna(), None).tolist()


def _measures(table: pd.DataFrame) -> list[dict[str, object]]:
    """Return each row's non-empty cells as {column: value}."""
    columns = list(table.columns)
    cells = zip(*(_plain(table[c]) for c in columns), strict=True) if columns else (
        () for _ in range(len(table)))
    return [{c: v for c, v in zip(columns, row, strict=True) if v is not None}
            for row in cells]


def score_table(instrument: instruments.Instrument,
                wide: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Score one instrument version's wide answers (``RESPONSE_ID`` and item columns) as
    ``python -m analysis score --themes --item-indicators`` does. Returns the fixed
    outcomes (score, n scored, status), the variable measures under the command's column
    names, and each item's 0–100 score, one row per response in ``wide``'s order."""
    answers = normalise_answers(wide, instrument, source=f"{instrument.key} answers")
    scores = score_respondents(answers, instrument)
    added = [c for c in output_columns(instrument) if c not in OUTCOME_COLUMNS]
    extra = [scores[added]]
    if instrument.themes:
        themes = theme_scores(answers, instrument).drop(columns=RESPONSE_ID)
        extra.append(themes.rename(columns=lambda theme: f"{THEME_PREFIX}{theme}"))
    extra.append(item_indicators(answers, instrument))
    items = pd.DataFrame(
        to_percent(score_matrix(answers, instrument), item_ranges(instrument, instrument.items)),
        columns=[item.id for item in instrument.items])
    measures = pd.concat([part.reset_index(drop=True) for part in extra], axis=1)
    return scores, measures, items


def score_rows(instrument: instruments.Instrument, response_ids: list[int],
               now: datetime) -> list[dict[str, object]]:
    """Score the responses' answers to one instrument version; return ``response_scores``
    rows (one per response, answered or not)."""
    wide = item_answers(instrument, response_ids).rename_axis(RESPONSE_ID).reset_index()
    scores, measures, items = score_table(instrument, wide)
    return [
        {"response_id": response_id, "instrument_id": instrument.id,
         "instrument_version": instrument.version, "score": score, "n_scored": int(n),
         "status": str(status), "measures": measure, "item_scores": item,
         "methodology_version": METHODOLOGY_VERSION, "scored_at": now}
        for response_id, score, n, status, measure, item in zip(
            response_ids, _plain(scores["score"]), scores["n_scored"], scores["status"],
            _measures(measures), _measures(items), strict=True)
    ]


def write_rows(rows: list[dict[str, object]]) -> None:
    """Insert the rows, replacing any stored for the same response and instrument version."""
    if not rows:
        return
    statement = insert_for(_scores)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=_KEY,
        set_={c.name: statement.excluded[c.name] for c in _scores.c if c.name not in _KEY},
    ), rows)


def store_submitted(response_id: int, survey_keys: Iterable[tuple[str, str]]) -> None:
    """Score one response on each scored instrument of its survey, in the caller's
    transaction. On any failure the whole transaction (the submission with it) is rolled
    back and the error raised, so nothing is half-committed."""
    try:
        now = utcnow()
        for instrument in scored_instruments(survey_keys):
            write_rows(score_rows(instrument, [response_id], now))
    except Exception:
        db.session.rollback()
        raise


@dataclass
class Plan:
    """What a rescore will do: each instrument version with its submitted responses."""

    targets: list[tuple[instruments.Instrument, int]]

    @property
    def total(self) -> int:
        """Return how many (response, instrument) scores the plan writes."""
        return sum(count for _, count in self.targets)


@dataclass
class RescoreSummary:
    """Per instrument version (``ctm15@1``): responses by status."""

    statuses: dict[str, Counter[str]] = field(default_factory=dict)


def _submitted_using(instrument: instruments.Instrument) -> Select[tuple[int]]:
    """Select submitted responses whose survey asks this instrument version (as the export
    chooses them)."""
    return (
        select(Response.id)
        .join(Invitation, Invitation.id == Response.invitation_id)
        .join(SurveyInstrument, SurveyInstrument.survey_id == Invitation.survey_id)
        .where(Response.status == "submitted",
               SurveyInstrument.instrument_id == instrument.id,
               SurveyInstrument.instrument_version == instrument.version)
    )


def rescore_plan(instrument_id: str | None = None, version: str | None = None) -> Plan:
    """Return every scored instrument version the surveys use (or the one asked for,
    which must exist and be scored) with its number of submitted responses."""
    if instrument_id is not None:
        asked = instruments.get_instrument(instrument_id, version)  # unknown: InstrumentError
        if asked.scoring is None:
            raise instruments.InstrumentError(f"{asked.key} is never scored")
    targets = []
    for instrument in in_use():
        if instrument_id in (None, instrument.id) and version in (None, instrument.version):
            count = db.session.scalar(
                select(func.count()).select_from(_submitted_using(instrument).subquery()))
            targets.append((instrument, int(count or 0)))
    return Plan(targets)


def in_use() -> list[instruments.Instrument]:
    """Return every scored instrument version a survey asks, by id then version."""
    used = db.session.execute(
        select(SurveyInstrument.instrument_id, SurveyInstrument.instrument_version).distinct()
        .order_by(SurveyInstrument.instrument_id, SurveyInstrument.instrument_version)
    ).all()
    return scored_instruments((i, v) for i, v in used)


def stored_for(instrument: instruments.Instrument,
               *columns: ColumnElement[Any]) -> Select[Any]:
    """Select the response id and ``columns`` of the stored scores of this instrument
    version of every submitted response whose survey asks it: the rows a reader of
    results uses (a response missing its row is left out: see :func:`unscored`).

    Shaped for a million rows on PostgreSQL: one pass over ``response_scores`` that probes
    a hash of the (narrow) submitted response ids, rather than a join that hashes or looks
    up every wide JSON row."""
    return select(ResponseScore.response_id, *columns).where(
        ResponseScore.instrument_id == instrument.id,
        ResponseScore.instrument_version == instrument.version,
        ResponseScore.response_id.in_(_submitted_using(instrument)))


def unscored(instrument: instruments.Instrument) -> int:
    """Return how many submitted responses whose survey asks this instrument version have
    no stored scores of it (scored before the table existed, or a stopped rescore)."""
    stored = select(ResponseScore.response_id).where(
        ResponseScore.response_id == Response.id,
        ResponseScore.instrument_id == instrument.id,
        ResponseScore.instrument_version == instrument.version).exists()
    return int(db.session.scalar(select(func.count()).select_from(
        _submitted_using(instrument).where(~stored).subquery())) or 0)


def rescore(plan: Plan, *, chunk: int = CHUNK,
            progress: Callable[[int], object] | None = None) -> RescoreSummary:
    """Score every response of the plan again, ``chunk`` responses per transaction (in
    response order, so memory stays bounded and a stopped run can simply be rerun)."""
    summary = RescoreSummary()
    for instrument, _count in plan.targets:
        statuses: Counter[str] = Counter()
        after = 0
        while True:
            ids = list(db.session.scalars(
                _submitted_using(instrument).where(Response.id > after)
                .order_by(Response.id).limit(chunk)))
            if not ids:
                break
            rows = score_rows(instrument, ids, utcnow())
            write_rows(rows)
            db.session.commit()
            statuses.update(str(row["status"]) for row in rows)
            if progress is not None:
                progress(len(ids))
            after = ids[-1]
        summary.statuses[instrument.key] = statuses
    return summary
