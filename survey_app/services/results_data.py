"""What the results are computed from: scored respondents and sent invitations, read from
the database once per data version.

The respondent table is ``export.answers_table`` (the same hand-off analysts get) scored
with ``analysis.scoring``: one row per submitted response with its provider, site,
pathway, period, mode and case-mix answers, the CTM-15, CTM-3 and I-statements scores,
the I-statement theme scores and every item's 0–100 score (for "what matters most").
Nothing here calculates a statistic; it only joins and labels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import func, select

import instruments
from analysis.scoring import score_respondents, theme_scores
from analysis.scoring_matrix import item_ranges, score_matrix
from analysis.scoring_methods import to_percent
from survey_app.extensions import db
from survey_app.models import (
    Invitation,
    Organisation,
    Pathway,
    Response,
)
from survey_app.services.export import answers_table, invitations_table

# Instruments whose results the portal shows, and the column each overall score goes in.
HEADLINE = "ctm15"
SCORED_INSTRUMENTS = ("ctm15", "ctm3", "i_statements")
ITEM_INSTRUMENTS = ("ctm15", "i_statements")
CONTEXT = [
    "response_id", "provider", "site", "pathway", "period", "mode", "language",
    "age_band", "sex", "general_health", "completed_by",
]
PERIOD_PATTERN = re.compile(r"^(\d{4})-?Q([1-4])$")


class UnknownPeriod(ValueError):
    """A period that is not a calendar quarter such as ``2026-Q2``."""


def period_label(quarter: str) -> str:
    """Return a quarter as the platform labels it: ``2025Q3`` or ``2025-Q3`` → ``2025-Q3``."""
    match = PERIOD_PATTERN.match(quarter.strip())
    if match is None:
        raise UnknownPeriod(f"period {quarter!r} is not a calendar quarter such as 2026-Q2")
    return f"{match.group(1)}-Q{match.group(2)}"


def period_of(day: date) -> str:
    """Return the calendar quarter a date falls in, e.g. 2026-05-04 → ``2026-Q2``."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def item_column(instrument_id: str, item_id: str) -> str:
    """Return the respondent-table column holding one item's 0–100 score."""
    return f"{instrument_id}.{item_id}"


def theme_column(theme: str) -> str:
    """Return the respondent-table column holding one I-statement theme score."""
    return f"theme.{theme}"


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


def score_answers(instrument_id: str, answers: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                      pd.DataFrame]:
    """Score one instrument's wide answers table (``export.answers_table`` shape).

    Returns the context, overall, theme and item scores per response, and the answer
    codes indexed by response id.
    """
    instrument = instruments.get_instrument(instrument_id)
    items = [item.id for item in instrument.items if item.id in answers.columns]
    codes = answers.set_index("response_id")[items]
    if answers.empty:
        return pd.DataFrame(columns=["response_id"]), codes
    scores = score_respondents(answers, instrument)
    table = scores[[c for c in CONTEXT if c in scores.columns]]
    table[instrument_id] = scores["score"].to_numpy()
    for derived in instrument.derived_instruments:
        table[derived.id] = scores[f"{derived.id}_score"].to_numpy()
    if instrument_id in ITEM_INSTRUMENTS:
        percent = to_percent(score_matrix(answers, instrument),
                             item_ranges(instrument, instrument.items))
        for position, item in enumerate(instrument.items):
            table[item_column(instrument_id, item.id)] = percent[:, position]
    if instrument.themes:
        themes = theme_scores(answers, instrument)
        for theme in instrument.themes:
            if theme in themes.columns:
                table[theme_column(theme)] = themes[theme].to_numpy()
    return table, codes


def merge_scored(
    parts: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Join each instrument's scored table into one row per response; keep item codes.

    A response that answered the CTM-15 carries the CTM-3 derived from it; one that
    answered the CTM-3 on its own (the short survey) carries that score in the same column.
    """
    merged: pd.DataFrame | None = None
    answers: dict[str, pd.DataFrame] = {}
    for instrument_id, (part, codes) in parts.items():
        if len(part) == 0:
            continue
        if instrument_id in ITEM_INSTRUMENTS:
            answers[instrument_id] = codes
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
    merged["period"] = merged["period"].map(period_label)
    return merged.sort_values("response_id", ignore_index=True), answers


def load_respondents() -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Return one row per submitted response that answered any scored instrument, and the
    answer codes of each item instrument (indexed by response id)."""
    return merge_scored({
        instrument_id: score_answers(instrument_id, answers_table(instrument_id))
        for instrument_id in SCORED_INSTRUMENTS
    })


def load_invitations() -> pd.DataFrame:
    """Return ``export.invitations_table`` (one row per sent invitation) with periods
    labelled as the portal labels them (``2026-Q2``)."""
    table = invitations_table()
    table["period"] = table["period"].map(period_label)
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
