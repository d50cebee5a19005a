"""The report's tables as downloads: one XLSX sheet per table, or one tidy CSV.

The cells are the report's published values (``*`` for 1–7 people, empty for too few
responses); numbers are rounded as on the page so a download never carries more
precision than the report. The CSV stacks every table with a ``table`` column naming it,
so one file holds the same tables as the workbook's sheets.
"""

from __future__ import annotations

import io

import pandas as pd

from analysis.disclosure import SUPPRESSED
from survey_app.reports.formatting import is_missing
from survey_app.results.report import ProviderReport

# Each download table's columns, fixed so that an empty table (say, no question below
# other providers) is still a sheet with its header rather than a blank one.
HEADLINE = ["pathway", "measure", "respondents", "score_adjusted", "score_unadjusted",
            "ci_lower", "ci_upper", "all_providers", "compared", "responses",
            "response_rate_percent", "trend"]
FUNNEL = ["pathway", "provider", "yours", "respondents", "score_adjusted", "all_providers",
          "compared"]
TREND = ["pathway", "period", "score_adjusted", "mean", "lower_limit", "upper_limit",
         "variation"]
QUESTIONS = ["pathway", "instrument", "item", "question", "reverse_scored",
             "most_favourable_answer", "favourable_answers", "respondents",
             "most_favourable_percent", "most_favourable_all_providers_percent",
             "favourable_percent", "favourable_all_providers_percent"]
PRIORITIES = ["pathway", "question", "score", "all_providers", "difference", "priority_rank"]
PROFILE = ["characteristic", "group", "respondents", "score", "difference"]


def _number(value: object, decimals: int = 1) -> object:
    """Return a published cell for a download: rounded number, ``*`` or empty."""
    if value == SUPPRESSED:
        return SUPPRESSED
    if is_missing(value):
        return None
    if isinstance(value, int | float):
        return round(float(value), decimals)
    return value


def _percent(value: object) -> object:
    """Return a published proportion as a percentage with one decimal."""
    number = _number(value, 4)
    return round(100 * number, 1) if isinstance(number, float) else number


def headline_table(report: ProviderReport) -> pd.DataFrame:
    """Return every measure of every pathway with its benchmark and band."""
    rows = []
    for row in report.rows:
        detail = next((p for p in report.pathways if p.pathway == row.pathway), None)
        for s in (detail.scores if detail else row.scores):
            rows.append({
                "pathway": row.name, "measure": s.measure.label, "respondents": s.n,
                "score_adjusted": _number(s.value), "score_unadjusted": _number(s.raw_value),
                "ci_lower": _number(s.ci_lower), "ci_upper": _number(s.ci_upper),
                "all_providers": _number(s.target), "compared": s.band,
                "responses": row.responses, "response_rate_percent": _percent(row.response_rate),
                "trend": row.trend.words if row.trend and s.measure.column == "ctm15" else None,
            })
    return pd.DataFrame(rows, columns=HEADLINE)


def funnel_table(report: ProviderReport) -> pd.DataFrame:
    """Return the funnel plot data of every pathway (peers anonymised)."""
    return pd.DataFrame([
        {"pathway": p.name, "provider": point.label, "yours": point.own,
         "respondents": point.n, "score_adjusted": _number(point.value),
         "all_providers": _number(p.funnel.target), "compared": point.band}
        for p in report.pathways for point in p.funnel.points
    ], columns=FUNNEL)


def trend_table(report: ProviderReport) -> pd.DataFrame:
    """Return the XmR chart data of every pathway."""
    return pd.DataFrame([
        {"pathway": p.name, "period": t.period, "score_adjusted": _number(t.value),
         "mean": _number(t.mean), "lower_limit": _number(t.lower),
         "upper_limit": _number(t.upper), "variation": t.variation}
        for p in report.pathways for t in p.trend
    ], columns=TREND)


def item_table(report: ProviderReport) -> pd.DataFrame:
    """Return each question's most favourable answer share and % favourable, yours and all
    providers', naming the answers counted (the other end of the scale when reversed)."""
    return pd.DataFrame([
        {"pathway": p.name, "instrument": item["instrument"], "item": item["item_id"],
         "question": item["text"], "reverse_scored": item["reverse"],
         "most_favourable_answer": item["most_favourable"],
         "favourable_answers": item["favourable"], "respondents": item["n"],
         "most_favourable_percent": _percent(item["top_box"]),
         "most_favourable_all_providers_percent": _percent(item["benchmark_top_box"]),
         "favourable_percent": _percent(item["percent_positive"]),
         "favourable_all_providers_percent": _percent(item["benchmark_percent_positive"])}
        for p in report.pathways for item in p.items
    ], columns=QUESTIONS)


def priority_table(report: ProviderReport) -> pd.DataFrame:
    """Return the "what matters most" questions of every pathway."""
    return pd.DataFrame([
        {"pathway": p.name, "question": row["text"], "score": _number(row["value"]),
         "all_providers": _number(row["benchmark"]), "difference": _number(row["gap"]),
         "priority_rank": row["priority_rank"] if row["priority"] else None}
        for p in report.pathways for row in p.priorities
    ], columns=PRIORITIES)


def profile_table(report: ProviderReport) -> pd.DataFrame:
    """Return who answered (all pathways) with the CTM-15 score of each group."""
    return pd.DataFrame([
        {"characteristic": row["characteristic_label"], "group": row["group_label"],
         "respondents": row["n"], "score": _number(row["value"]),
         "difference": _number(row["difference"])}
        for row in report.profile
    ], columns=PROFILE)


def report_tables(report: ProviderReport) -> dict[str, pd.DataFrame]:
    """Return the report's tables by name, in report order."""
    return {
        "headline": headline_table(report),
        "funnel": funnel_table(report),
        "trend": trend_table(report),
        "questions": item_table(report),
        "what_matters_most": priority_table(report),
        "who_answered": profile_table(report),
    }


def csv_bytes(report: ProviderReport) -> bytes:
    """Return every table stacked in one CSV, headed by provider, period and table."""
    frames = [
        table.astype(object).assign(table=name).reindex(columns=["table", *table.columns])
        for name, table in report_tables(report).items() if len(table)
    ]
    stacked = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    stacked.insert(0, "report_period", report.period)
    stacked.insert(0, "report_provider", report.provider_name)
    stacked.insert(2, "methodology_version", report.methodology_version)
    return stacked.to_csv(index=False).encode("utf-8-sig")  # BOM: Excel reads UTF-8


def xlsx_bytes(report: ProviderReport) -> bytes:
    """Return the tables as an XLSX workbook, one sheet per table (openpyxl)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        about = pd.DataFrame({
            "": ["Provider", "Period", "Methodology version", "Suppression"],
            "value": [report.provider_name, report.period, report.methodology_version,
                      f"* = 1 to 7 people; empty = fewer than {report.min_respondents} "
                      "respondents; counts rounded to the nearest 5, never to "
                      f"{report.min_respondents} or more from under it"],
        })
        about.to_excel(writer, sheet_name="about", index=False)
        for name, table in report_tables(report).items():
            table.to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()
