"""Submitted answers as one wide table per instrument, and sent invitations: the hand-off
to ``analysis``.

Answers: one row per submitted response: ``response_id``, the columns fair comparison needs
(provider, site, pathway, care type, period, admission route, the about-you answers, response
language and mode), then one column per item holding the option code. This is the input
``python -m analysis score`` reads. Only submitted responses are exported; nothing in it
identifies a patient. Invitations: one row per sent invitation (provider, site, pathway,
period, mode, responded), the input ``python -m analysis response-rate`` reads.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, and_, select
from sqlalchemy.orm import aliased

import instruments
from survey_app.extensions import db
from survey_app.models import (
    Answer,
    Invitation,
    Organisation,
    Pathway,
    Response,
    SurveyInstrument,
    TransitionEvent,
)

CASE_MIX_INSTRUMENT = "about_you"
CHUNK = 50_000  # rows fetched at a time when reading every submitted response
CONTEXT_COLUMNS = [
    "response_id", "provider", "site", "pathway", "care_type", "discharge_date",
    "admission_route", "language", "mode", "survey_id",
]


def join_event_context(query: Select, provider: Any, site: Any) -> Select:
    """Join a query that has ``Invitation`` to its discharge event, provider, site and
    pathway (``provider`` and ``site`` are aliases of Organisation the query selects from)."""
    return (
        query.join(TransitionEvent, TransitionEvent.id == Invitation.event_id)
        .join(provider, provider.id == TransitionEvent.provider_id)
        .outerjoin(site, site.id == TransitionEvent.site_id)
        .join(Pathway, Pathway.id == TransitionEvent.pathway_id)
    )


def stream(statement: Select, chunk: int = CHUNK) -> Iterator[Sequence[Any]]:
    """Yield a query's rows ``chunk`` at a time, on a server-side cursor where the
    database has one (PostgreSQL), so a million rows are never in memory at once. Core
    rows, not the ORM's: the ORM's per-row bookkeeping would double the reading time."""
    result = db.session.connection().execute(statement.execution_options(yield_per=chunk))
    yield from result.partitions()


def quarter(days: pd.Series) -> pd.Series:
    """Return the calendar quarter of each date as the exports spell it, e.g. ``2025Q3``."""
    return pd.to_datetime(days).dt.to_period("Q").astype(str)


def response_context() -> pd.DataFrame:
    """Return one row per submitted response with its provider, pathway, period and mode."""
    provider, site = aliased(Organisation), aliased(Organisation)
    columns = select(
        Response.id.label("response_id"),
        provider.code.label("provider"),
        site.code.label("site"),
        Pathway.code.label("pathway"),
        Pathway.care_type,
        TransitionEvent.discharge_date,
        TransitionEvent.admission_route,
        Response.language,
        Response.mode,
        Invitation.survey_id,
    ).join(Invitation, Invitation.id == Response.invitation_id)
    rows = db.session.execute(
        join_event_context(columns, provider, site)
        .where(Response.status == "submitted")
        .order_by(Response.id)
    ).all()
    table = pd.DataFrame([tuple(row) for row in rows], columns=CONTEXT_COLUMNS)
    table["period"] = quarter(table.pop("discharge_date"))
    return table


def item_answers(instrument: instruments.Instrument, response_ids: list[int]) -> pd.DataFrame:
    """Return response × item option codes for one instrument version (wide); free-text
    items are left out (comments live in their own table and are never analysed)."""
    rows = db.session.execute(
        select(Answer.response_id, Answer.item_id, Answer.code).where(
            and_(
                Answer.instrument_id == instrument.id,
                Answer.instrument_version == instrument.version,
                Answer.response_id.in_(response_ids),
            )
        )
    ).all()
    # Plain tuples: pandas probes each SQLAlchemy Row for namedtuple fields, 5× slower.
    long = pd.DataFrame([tuple(row) for row in rows], columns=["response_id", "item_id", "code"])
    wide = long.pivot(index="response_id", columns="item_id", values="code")
    choices = [item.id for item in instrument.items if not item.is_free_text]
    return wide.reindex(index=response_ids, columns=choices)


def _short_codes(wide: pd.DataFrame, about: instruments.Instrument) -> pd.DataFrame:
    """Return the about-you option codes of a wide table as their short codes."""
    for item in about.items:
        labels = {o.code: o.short_code for o in about.options_for(item.id)}
        wide[item.id] = wide[item.id].map(labels)
    return wide


def case_mix(response_ids: list[int]) -> pd.DataFrame:
    """Return the about-you answers as readable short codes (e.g. ``75-84``, ``PROXY``)."""
    about = instruments.get_instrument(CASE_MIX_INSTRUMENT)
    return _short_codes(item_answers(about, response_ids), about)


def submitted_case_mix(chunk: int = CHUNK) -> pd.DataFrame:
    """Return ``case_mix`` of every submitted response that answered any about-you
    question, indexed by response id: one query, fetched ``chunk`` answers at a time and
    kept as categories, so memory stays small however many responses there are."""
    about = instruments.get_instrument(CASE_MIX_INSTRUMENT)
    choices = [item.id for item in about.items if not item.is_free_text]
    codes = list(dict.fromkeys(o.code for item in about.items for o in about.options_for(item.id)))
    rows = select(Answer.response_id, Answer.item_id, Answer.code).join(
        Response, Response.id == Answer.response_id).where(
        Response.status == "submitted", Answer.instrument_id == about.id,
        Answer.instrument_version == about.version)
    parts = []
    for got in stream(rows, chunk):
        parts.append(pd.DataFrame({
            "response_id": np.array([row[0] for row in got], dtype=np.int64),
            "item_id": pd.Categorical([row[1] for row in got], categories=choices),
            "code": pd.Categorical([row[2] for row in got], categories=codes),
        }))
    long = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {"response_id": pd.array([], dtype="int64"), "item_id": pd.Categorical([], choices),
         "code": pd.Categorical([], codes)})
    wide = long.pivot(index="response_id", columns="item_id", values="code")
    wide = wide.sort_index().reindex(columns=choices).astype(object)
    return _short_codes(wide.rename_axis(columns="item_id"), about)


def answers_table(instrument_id: str, version: str | None = None) -> pd.DataFrame:
    """Return the wide answers table of every submitted response that used the instrument."""
    instrument = instruments.get_instrument(instrument_id, version)
    if all(item.is_free_text for item in instrument.items):
        raise instruments.InstrumentError(
            f"{instrument.key} asks only for free-text comments, which are never exported "
            "for analysis (providers read them, masked, in the portal)")
    surveys = set(
        db.session.scalars(
            select(SurveyInstrument.survey_id).where(
                SurveyInstrument.instrument_id == instrument.id,
                SurveyInstrument.instrument_version == instrument.version,
            )
        )
    )
    context = response_context()
    context = context[context["survey_id"].isin(surveys)].drop(columns="survey_id")
    ids = [int(i) for i in context["response_id"]]
    parts = [context.set_index("response_id"), item_answers(instrument, ids)]
    if instrument.id != CASE_MIX_INSTRUMENT:
        parts.insert(1, case_mix(ids))
    return pd.concat(parts, axis=1).rename_axis("response_id").reset_index()


def invitations_table() -> pd.DataFrame:
    """Return one row per sent invitation: provider, site, pathway, period, mode, responded.

    Invitations not yet sent (``pending``) are left out; ``mode`` is the invitation
    channel (SMS, email, kiosk, paper), as response rates are reported by how people were
    asked; ``responded`` is true for a submitted response.
    """
    provider, site = aliased(Organisation), aliased(Organisation)
    rows = db.session.execute(
        join_event_context(
            select(provider.code, site.code, Pathway.code, TransitionEvent.discharge_date,
                   Invitation.channel, Response.status),
            provider,
            site,
        )
        .outerjoin(Response, Response.invitation_id == Invitation.id)
        .where(Invitation.status != "pending")
        .order_by(Invitation.id)
    ).all()
    table = pd.DataFrame([tuple(row) for row in rows],
                         columns=["provider", "site", "pathway", "day", "mode", "status"])
    table.insert(3, "period", quarter(table.pop("day")))
    table["responded"] = table.pop("status") == "submitted"
    return table
