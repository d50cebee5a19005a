"""The content of one provider's benchmark report for one period.

Built from the published bundle only (no database, no Flask), so the report command's
worker processes can build reports from a bundle computed once in the parent. The PDF,
CSV and XLSX of a report are all rendered from this one object, so they always agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import instruments
from analysis import METHODOLOGY_VERSION
from analysis.funnel import MIN_RESPONDENTS
from survey_app.results.data import Names
from survey_app.results.measures import SCORED_INSTRUMENTS, SHORT_NAMES
from survey_app.results.tables import ALL_PATHWAYS, Bundle
from survey_app.results.views import (
    PathwayResults,
    PathwayRow,
    Published,
    pathway_results,
    pathway_row,
    profile_rows,
    provider_pathways,
)

PATHWAYS_PER_TABLE = 5  # columns of the question-by-question table that fit across A4


@dataclass(frozen=True)
class QuestionRow:
    """One question's most favourable answer share in each pathway: (yours, all
    providers'), published cells; ``note`` names that answer for a reverse-scored item."""

    label: str
    cells: list[tuple[Published, Published]]
    note: str = ""


@dataclass(frozen=True)
class QuestionTable:
    """The question-by-question table for a few pathways (one column each).

    One table across pathways instead of one per pathway: the same top box and
    benchmark in an eighth of the table cells, which is most of a PDF's layout time.
    """

    pathways: list[str]
    rows: list[QuestionRow]


@dataclass
class ProviderReport:
    """Everything a provider's report shows, all published."""

    provider: str
    provider_name: str
    period: str
    overall: PathwayRow
    rows: list[PathwayRow]
    pathways: list[PathwayResults]
    profile: list[dict[str, object]]
    attributions: list[tuple[str, str]]
    question_tables: list[QuestionTable]
    generated: date
    methodology_version: str = METHODOLOGY_VERSION
    min_respondents: int = MIN_RESPONDENTS


def attributions() -> list[tuple[str, str]]:
    """Return (instrument title, attribution) of every instrument whose results appear."""
    found = []
    for instrument_id in SCORED_INSTRUMENTS:
        instrument = instruments.get_instrument(instrument_id)
        if instrument.attribution:
            name = SHORT_NAMES.get(instrument.id, instrument.title)
            found.append((name, instrument.attribution))
    return found


def question_tables(pathways: Sequence[PathwayResults],
                    per_table: int = PATHWAYS_PER_TABLE) -> list[QuestionTable]:
    """Return the pathways' item results as question × pathway tables of top box (yours
    and all providers'), at most ``per_table`` pathways each, split evenly."""
    if not pathways:
        return []
    count = math.ceil(len(pathways) / per_table)
    size = math.ceil(len(pathways) / count)
    tables = []
    for start in range(0, len(pathways), size):
        chosen = pathways[start:start + size]
        cells: dict[tuple[object, object], dict[str, tuple[Published, Published]]] = {}
        labels: dict[tuple[object, object], str] = {}
        notes: dict[tuple[object, object], str] = {}
        for pathway in chosen:
            for item in pathway.items:
                key = (item["instrument"], item["item_id"])
                labels.setdefault(key, str(item["label"]))
                if item["reverse"]:
                    notes[key] = (f"Negatively worded: most favourable answer "
                                  f"“{str(item['most_favourable']).lower()}”")
                cells.setdefault(key, {})[pathway.pathway] = (
                    item["top_box"], item["benchmark_top_box"])  # type: ignore[assignment]
        rows = [QuestionRow(labels[key], [cells[key].get(p.pathway, (None, None))
                                          for p in chosen], notes.get(key, ""))
                for key in labels]
        tables.append(QuestionTable([p.name for p in chosen], rows))
    return tables


def build_report(bundle: Bundle, names: Names, labels: Mapping[str, str], provider: str,
                 period: str, today: date | None = None) -> ProviderReport:
    """Return the report of ``provider`` for ``period``; peers named only by ``labels``."""
    pathways = provider_pathways(bundle, provider)
    rows = [pathway_row(bundle, names.pathways, provider, p, period) for p in pathways]
    answered = [row.pathway for row in rows if row.responses not in (0, None)]
    details = [
        pathway_results(bundle, names.pathways, labels, provider, pathway, period)
        for pathway in answered
    ] if bundle.measures else []
    return ProviderReport(
        provider=provider,
        provider_name=labels.get(provider) or names.organisation_names.get(provider, provider),
        period=period,
        overall=pathway_row(bundle, names.pathways, provider, ALL_PATHWAYS, period),
        rows=rows,
        pathways=details,
        profile=profile_rows(bundle, provider, period),
        attributions=attributions(),
        question_tables=question_tables(details),
        generated=today or date.today(),
    )
