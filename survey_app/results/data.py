"""What the results are computed from: scored respondents and sent invitations, read from
the database once per data version.

The respondent table is every submitted response's scores as they were stored when it was
submitted (``response_scores``, written by ``scores.store_submitted`` and rewritten by
``flask results rescore``): one row per submitted response with its provider, site,
pathway, period, mode and case-mix answers (read as ``export.answers_table`` reads them),
the CTM-15, CTM-3 and I-statements scores, the I-statement theme scores and every item's
0–100 score (for "what matters most"); and, per item instrument, each response's item
scores and top-box and positive indicators (``SCORED_ITEM_VALUES``: what the item tables
are computed from). Each response's scores are those of the instrument version its survey
asks. Nothing here scores or calculates a statistic; it only reads, joins and labels. A
submitted response without its stored scores stops the build (``UnscoredResponses``)
rather than being left out of every result, until ``flask results rescore`` scores it.

``score_answers`` and ``merge_scored`` make the same tables by scoring answers tables
with ``analysis``: the reference the stored scores are tested against, and how the
report benchmark (bench/report_build.py) scores synthetic answers without a database.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, select

import instruments
from analysis.commands.score import THEME_PREFIX
from analysis.scoring import score_respondents, theme_scores
from analysis.scoring_items import (
    INDICATOR_BANDS,
    SCORED_ITEM_VALUES,
    item_indicators,
    scored_item_values,
)
from analysis.scoring_matrix import item_ranges, score_matrix
from analysis.scoring_methods import to_percent
from survey_app.extensions import db
from survey_app.models import (
    Invitation,
    Organisation,
    Pathway,
    Response,
    ResponseScore,
)
from survey_app.results.measures import (
    ITEM_INSTRUMENTS,
    SCORED_INSTRUMENTS,
    item_column,
    theme_column,
)
from survey_app.results.periods import label_periods
from survey_app.results.scores import in_use, stored_for, unscored
from survey_app.services.bulk import read_floats
from survey_app.services.export import (
    invitations_table,
    response_context,
    submitted_case_mix,
)

CONTEXT = [
    "response_id", "provider", "site", "pathway", "period", "mode", "language",
    "age_band", "sex", "general_health", "completed_by",
]


class UnscoredResponses(RuntimeError):
    """Submitted responses have no stored scores: results without them would be wrong."""


@dataclass(frozen=True)
class DataVersion:
    """What the results were computed from; any new response or invitation changes it."""

    responses: int
    last_response: int
    last_submitted: str
    invitations: int
    last_invitation: int


def data_version() -> DataVersion:
    """Return the current data version (two cheap aggregate queries)."""
    responses = db.session.execute(
        select(func.count(Response.id), func.max(Response.id), func.max(Response.submitted_at))
        .where(Response.status == "submitted")
    ).one()
    invitations = db.session.execute(
        select(func.count(Invitation.id), func.max(Invitation.id))
    ).one()
    return DataVersion(
        responses=int(responses[0] or 0),
        last_response=int(responses[1] or 0),
        last_submitted=str(responses[2] or ""),
        invitations=int(invitations[0] or 0),
        last_invitation=int(invitations[1] or 0),
    )


def _themes(instrument: instruments.Instrument) -> list[str]:
    """Return the themes ``analysis.scoring.theme_scores`` scores (those with items)."""
    return [theme for theme in instrument.themes
            if any(item.theme == theme for item in instrument.items)]


def score_answers(instrument_id: str, answers: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                      pd.DataFrame]:
    """Score one instrument's wide answers table (``export.answers_table`` shape).

    Returns the context, overall, theme and item scores per response, and (for an item
    instrument) the ``SCORED_ITEM_VALUES`` of each item indexed by response id.
    """
    instrument = instruments.get_instrument(instrument_id)
    if answers.empty:
        return pd.DataFrame(columns=["response_id"]), pd.DataFrame()
    scores = score_respondents(answers, instrument)
    table = scores[[c for c in CONTEXT if c in scores.columns]]
    table[instrument_id] = scores["score"].to_numpy()
    for derived in instrument.derived_instruments:
        table[derived.id] = scores[f"{derived.id}_score"].to_numpy()
    items = pd.DataFrame()
    if instrument_id in ITEM_INSTRUMENTS:
        percent = to_percent(score_matrix(answers, instrument),
                             item_ranges(instrument, instrument.items))
        for position, item in enumerate(instrument.items):
            table[item_column(instrument_id, item.id)] = percent[:, position]
        items = scored_item_values(percent, item_indicators(answers, instrument), instrument,
                                   pd.Index(answers["response_id"], name="response_id"))
    if instrument.themes:
        themes = theme_scores(answers, instrument)
        for theme in instrument.themes:
            if theme in themes.columns:
                table[theme_column(theme)] = themes[theme].to_numpy()
    return table, items


def merge_scored(
    parts: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Join each instrument's scored table into one row per response; keep item values.

    A response that answered the CTM-15 carries the CTM-3 derived from it; one that
    answered the CTM-3 on its own (the short survey) carries that score in the same column.
    """
    merged: pd.DataFrame | None = None
    answers: dict[str, pd.DataFrame] = {}
    for instrument_id, (part, items) in parts.items():
        if len(part) == 0:
            continue
        if instrument_id in ITEM_INSTRUMENTS:
            answers[instrument_id] = items
        if merged is None:
            merged = part
            continue
        shared = [c for c in part.columns if c in merged.columns and c != "response_id"]
        merged = merged.merge(part, on="response_id", how="outer", suffixes=("", "_new"))
        for column in shared:
            merged[column] = merged[column].combine_first(merged.pop(f"{column}_new"))
    if merged is None:
        return pd.DataFrame(columns=[*CONTEXT, *SCORED_INSTRUMENTS]), answers
    for instrument_id in SCORED_INSTRUMENTS:
        if instrument_id not in merged.columns:
            merged[instrument_id] = float("nan")
    merged["period"] = label_periods(merged["period"])
    return merged.sort_values("response_id", ignore_index=True), answers


def _stored(instrument: instruments.Instrument) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return one instrument version's stored scores as ``score_answers`` makes them
    (without the context, indexed by response id) and its ``SCORED_ITEM_VALUES``.

    One query; the database takes each value out of the JSON (``->>`` on PostgreSQL,
    ``json_extract`` on SQLite) and ``bulk.read_floats`` turns the rows into one float
    array (binary COPY on PostgreSQL), so no response's scores are ever Python objects.
    """
    scores = ResponseScore.score
    columns = [(instrument.id, scores)]
    columns += [(derived.id, ResponseScore.measures[f"{derived.id}_score"].as_float())
                for derived in instrument.derived_instruments]
    items = [item.id for item in instrument.items] if instrument.id in ITEM_INSTRUMENTS else []
    columns += [(item_column(instrument.id, item), ResponseScore.item_scores[item].as_float())
                for item in items]
    columns += [(theme_column(theme), ResponseScore.measures[f"{THEME_PREFIX}{theme}"].as_float())
                for theme in _themes(instrument)]
    columns += [((band, item), ResponseScore.measures[f"{item}_{band}"].as_float())
                for band in INDICATOR_BANDS for item in items]
    statement = stored_for(instrument, *(value for _, value in columns))
    values = read_floats(statement)
    index = pd.Index(values[:, 0].astype(np.int64), name="response_id")
    position = {name: number for number, (name, _) in enumerate(columns, start=1)}
    flat = [name for name, _ in columns if isinstance(name, str)]
    table = pd.DataFrame(values[:, [position[name] for name in flat]], columns=flat,
                         index=index)
    if not items:
        return table, pd.DataFrame(index=index)
    levels = {"score": [item_column(instrument.id, item) for item in items],
              **{band: [(band, item) for item in items] for band in INDICATOR_BANDS}}
    chosen = [position[name] for level in SCORED_ITEM_VALUES for name in levels[level]]
    return table, pd.DataFrame(values[:, chosen], index=index,
                               columns=pd.MultiIndex.from_product([SCORED_ITEM_VALUES, items]))


def _by_instrument(context: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Return each scored instrument's part for ``merge_scored``: context and stored
    scores of its responses (every version in use, the current version's columns first)
    and its item values."""
    versions: dict[str, list[instruments.Instrument]] = {}
    for instrument in in_use():
        if instrument.id in SCORED_INSTRUMENTS:
            versions.setdefault(instrument.id, []).append(instrument)
    parts = {}
    for instrument_id in SCORED_INSTRUMENTS:
        current = instruments.get_instrument(instrument_id).version
        listed = sorted(versions.get(instrument_id, []), key=lambda i: i.version != current)
        stored = [_stored(instrument) for instrument in listed]
        if not stored:
            parts[instrument_id] = (pd.DataFrame(columns=["response_id"]), pd.DataFrame())
            continue
        scores = pd.concat([table for table, _ in stored]).sort_index()
        table = context.join(scores, how="inner").rename_axis("response_id").reset_index()
        items = pd.concat([values for _, values in stored]).sort_index()
        if len(items) != len(table):  # stored scores of a response with no context row
            items = items.loc[items.index.isin(table["response_id"])]
        parts[instrument_id] = (table, items)
    return parts


def check_scored() -> None:
    """Raise ``UnscoredResponses`` if any submitted response lacks the stored scores of an
    instrument version its survey asks (one aggregate query per version)."""
    missing = {instrument.key: unscored(instrument) for instrument in in_use()
               if instrument.id in SCORED_INSTRUMENTS}
    missing = {key: count for key, count in missing.items() if count}
    if missing:
        counts = ", ".join(f"{key}: {count:,}" for key, count in missing.items())
        raise UnscoredResponses(
            f"stored scores are missing for submitted responses ({counts}); results built "
            "without them would be wrong. Run `flask results rescore`, then build again.")


def load_respondents() -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Return one row per submitted response with stored scores of any scored instrument,
    and the ``SCORED_ITEM_VALUES`` of each item instrument (indexed by response id).
    ``UnscoredResponses`` if a submitted response has no stored scores."""
    check_scored()
    context = response_context().set_index("response_id").join(submitted_case_mix())
    context = context[[c for c in CONTEXT if c != "response_id"]]
    return merge_scored(_by_instrument(context))


def load_invitations() -> pd.DataFrame:
    """Return ``export.invitations_table`` (one row per sent invitation) with periods
    labelled as the portal labels them (``2026-Q2``)."""
    table = invitations_table()
    table["period"] = label_periods(table["period"])
    return table


@dataclass(frozen=True)
class Names:
    """Display names and database ids behind the codes the results tables use."""

    organisation_ids: dict[str, int]
    organisation_names: dict[str, str]
    sites: dict[str, list[tuple[str, str]]]  # provider code → [(site code, site name)]
    pathways: dict[str, str]


def load_names() -> Names:
    """Return organisation ids/names, each provider's sites and pathway names."""
    organisations = db.session.execute(
        select(Organisation.id, Organisation.code, Organisation.name, Organisation.parent_id,
               Organisation.type_code)
    ).all()
    code_of = {row.id: row.code for row in organisations}
    sites: dict[str, list[tuple[str, str]]] = {}
    for row in sorted(organisations, key=lambda r: r.code):
        if row.type_code == "site" and row.parent_id in code_of:
            sites.setdefault(code_of[row.parent_id], []).append((row.code, row.name))
    pathways = {code: name for code, name in db.session.execute(select(Pathway.code, Pathway.name))}
    return Names(
        organisation_ids={row.code: row.id for row in organisations},
        organisation_names={row.code: row.name for row in organisations},
        sites=sites,
        pathways=pathways,
    )
