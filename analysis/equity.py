"""Equity breakdowns: does a unit's score differ by who the respondent is?

For each unit and each respondent characteristic (age band, sex, who completed the
questionnaire, language, mode …) this gives every group's n, value and 95% interval, its
difference from the unit's overall value, and "too few responses" below the minimum
respondent count, the same rule as the benchmark table. See docs/methodology.md, 2.9.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis import METHODOLOGY_VERSION
from analysis.funnel import MIN_RESPONDENTS, TOO_FEW
from analysis.summary import measure_kind, summarise_units

DEFAULT_CHARACTERISTICS = ("age_band", "sex", "completed_by", "language", "mode")
MISSING_GROUP = "(not stated)"


def equity_breakdown(
    responses: pd.DataFrame,
    *,
    measure: str,
    by: Sequence[str],
    characteristics: Sequence[str] = DEFAULT_CHARACTERISTICS,
    kind: str | None = None,
    min_respondents: int = MIN_RESPONDENTS,
) -> pd.DataFrame:
    """Return one row per unit × characteristic × group with n, value, interval and gap.

    A respondent who did not state the characteristic is counted in "(not stated)", so the
    groups add up to the unit. Columns: methodology_version, the ``by`` columns,
    characteristic, group, n, value, ci_lower, ci_upper, unit_value, difference, status.
    """
    missing = [c for c in [measure, *by, *characteristics] if c not in responses.columns]
    if missing:
        raise KeyError(f"column(s) not found: {', '.join(missing)}")
    data = responses.loc[responses[measure].notna()]
    kind = measure_kind(data[measure], kind)
    overall = summarise_units(data, by, measure, kind)[[*by, "value"]]
    overall = overall.rename(columns={"value": "unit_value"})
    parts = []
    for characteristic in characteristics:
        grouped = data.assign(
            group=data[characteristic].astype("string").fillna(MISSING_GROUP)
        )
        part = summarise_units(grouped, [*by, "group"], measure, kind).drop(columns="sd")
        part.insert(len(by), "characteristic", characteristic)
        parts.append(part)
    table = pd.concat(parts, ignore_index=True).merge(overall, on=list(by), how="left")
    table["difference"] = table["value"] - table["unit_value"]
    table["status"] = (table["n"] >= min_respondents).map({True: "shown", False: TOO_FEW})
    table.insert(0, "methodology_version", METHODOLOGY_VERSION)
    return table
