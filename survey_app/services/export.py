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

from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals
from sqlalchemy import Select, and_, case, func, select
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
from survey_app.services.bulk import CHUNK, read_floats, stream

CASE_MIX_INSTRUMENT = "about_you"
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


def quarter(days: pd.Series) -> pd.Series:
    """Return the calendar quarter of each date as the exports spell it, e.g. ``2025Q3``."""
    return pd.to_datetime(days).dt.to_period("Q").astype(str)


def response_context(chunk: int = CHUNK) -> pd.DataFrame:
    """Return one row per submitted response with its provider, pathway, period and mode.

    Read ``chunk`` rows at a time and each column of codes kept as categories until the
    end: a million responses share a few hundred code strings instead of holding ten
    million, and no more than a chunk of database rows is in memory at once.
    """
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
    statement = join_event_context(columns, provider, site).where(Response.status == "submitted")
    parts = []
    for rows in stream(statement, chunk):  # no ORDER BY: a cursor would plan for it row by row
        part = {name: [row[n] for row in rows] for n, name in enumerate(CONTEXT_COLUMNS)}
        part["period"] = quarter(pd.Series(part.pop("discharge_date"), dtype=object)).tolist()
        parts.append({name: np.array(values, dtype=np.int64) if name in _IDS
                      else pd.Categorical(values) for name, values in part.items()})
    names = [c for c in CONTEXT_COLUMNS if c != "discharge_date"] + ["period"]
    if not parts:
        return pd.DataFrame(columns=names)
    table = pd.DataFrame({
        name: np.concatenate([p[name] for p in parts]) if name in _IDS
        else _plain(union_categoricals([p[name] for p in parts]))
        for name in names
    })
    return table.sort_values("response_id", ignore_index=True)


_IDS = ("response_id", "survey_id")


def _plain(codes: pd.Categorical) -> pd.Series:
    """Return categories as the plain column a DataFrame of the rows would have had (text;
    all-empty as objects), each value one of the categories' strings."""
    if len(codes.categories) == 0:
        return pd.Series([None] * len(codes), dtype=object)
    return pd.Series(np.asarray(codes, dtype=object))


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


def submitted_case_mix() -> pd.DataFrame:
    """Return ``case_mix`` of every submitted response that answered any about-you
    question, indexed by response id, in one query however many responses there are: the
    database pivots the answers to one row per response, each answer as the position of
    its option (``bulk.read_floats`` reads numbers without a Python object per value), and
    positions become short codes here (an unknown code, like no answer, is empty)."""
    about = instruments.get_instrument(CASE_MIX_INSTRUMENT)
    items = [item for item in about.items if not item.is_free_text]
    options = [about.options_for(item.id) for item in items]
    pivot = select(Answer.response_id, *(
        func.max(case((Answer.item_id == item.id,
                       case({o.code: n for n, o in enumerate(offered)}, value=Answer.code)),
                      else_=None))
        for item, offered in zip(items, options, strict=True)
    )).join(Response, Response.id == Answer.response_id).where(
        Response.status == "submitted", Answer.instrument_id == about.id,
        Answer.instrument_version == about.version).group_by(Answer.response_id)
    values = read_floats(pivot)
    order = np.argsort(values[:, 0], kind="stable")
    values = values[order]
    index = pd.Index(values[:, 0].astype(np.int64), name="response_id")
    columns = {}
    for number, (item, offered) in enumerate(zip(items, options, strict=True), start=1):
        labels = np.array([o.short_code for o in offered] + [np.nan], dtype=object)
        positions = np.nan_to_num(values[:, number], nan=len(offered)).astype(np.intp)
        columns[item.id] = pd.Series(labels[positions], index=index, dtype="str")
    return pd.DataFrame(columns, index=index).rename_axis(columns="item_id")


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
