"""Trends and equity breakdowns at any level of the benchmark table (issue 4)."""

import numpy as np
import pandas as pd
import pytest
from synthetic_providers import make_respondents

from analysis.benchmark import ALL, BenchmarkSpec, benchmark_table
from analysis.breakdowns import choose_levels, level_equity, level_trends, levels_with_period
from analysis.disclosure import shown
from analysis.spc import unit_trends

SPEC = BenchmarkSpec(by=("provider", "pathway", "period"), min_respondents=30)


@pytest.fixture(scope="module")
def respondents() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    frame = make_respondents(
        rng=rng, effects=rng.normal(0, 4, 6), respondents_per_provider=240,
        pathways=("frailty", "stroke", "respiratory", "falls"),
        periods=("2025Q1", "2025Q2", "2025Q3"),
    )
    frame["sex"] = rng.choice(["female", "male"], len(frame))
    return frame


def test_trend_is_drawn_for_roll_ups_when_the_finest_units_are_too_small(respondents):
    result = benchmark_table(respondents, SPEC)
    table = result.table
    charted = shown(table["n"], SPEC.min_respondents) & table["value"].notna()
    finest = table.loc[table["level"] == result.levels[0].name]
    assert not charted[finest.index].any()  # ~20 respondents per provider × pathway × period
    levels = levels_with_period(result.levels, SPEC)
    trend = level_trends(table, levels, SPEC, value="value", charted=charted)
    assert set(trend["level"]) == {"provider × period", "pathway × period",
                                   "all providers × period"}
    providers = trend.loc[trend["level"] == "provider × period"]
    assert providers["provider"].nunique() == 6 and (providers["pathway"] == ALL).all()
    assert (providers["n"] >= 30).all() and (trend["measure"] == "score").all()
    everyone = trend.loc[trend["level"] == "all providers × period"]
    assert everyone["period"].tolist() == ["2025Q1", "2025Q2", "2025Q3"]


def test_trend_with_nothing_to_chart_keeps_its_columns(respondents):
    result = benchmark_table(respondents, SPEC)
    never = pd.Series(False, index=result.table.index)
    trend = level_trends(result.table, result.levels[:1], SPEC, value="value", charted=never)
    always = pd.Series(True, index=result.table.index)
    charted = level_trends(result.table, result.levels[1:2], SPEC, value="value",
                           charted=always)
    assert trend.empty and len(charted)
    assert trend.columns.tolist() == charted.columns.tolist()


def test_equity_at_the_provider_by_period_level(respondents):
    result = benchmark_table(respondents, SPEC)
    level = choose_levels(result.levels, ["provider/period"], [])
    equity = level_equity(respondents, level, SPEC, kind=result.kind, characteristics=["sex"])
    assert set(equity["level"]) == {"provider × period"} and (equity["pathway"] == ALL).all()
    assert len(equity) == 6 * 3 * 2
    shown_rows = equity["status"] == "shown"
    assert shown_rows.tolist() == (equity["n"] >= 30).tolist() and shown_rows.mean() > 0.8
    one = respondents.loc[(respondents["provider"] == "P00") & (respondents["period"] == "2025Q1")
                          & (respondents["sex"] == "male"), "score"]
    row = equity.loc[(equity["provider"] == "P00") & (equity["period"] == "2025Q1")
                     & (equity["group"] == "male")].iloc[0]
    assert row["n"] == len(one) and row["value"] == pytest.approx(one.mean())


def test_levels_are_chosen_by_their_columns_and_unknown_ones_are_named(respondents):
    levels = benchmark_table(respondents, SPEC).levels
    chosen = choose_levels(levels, ["Provider / period", "all providers×period"], [])
    assert [level.name for level in chosen] == ["provider × period", "all providers × period"]
    assert choose_levels(levels, None, levels[:1]) == levels[:1]
    with pytest.raises(ValueError, match="no level 'ward/period'; the levels are provider/"):
        choose_levels(levels, ["ward/period"], [])


def test_unit_trends_without_unit_columns_is_one_series_and_carries_columns():
    table = pd.DataFrame({"period": ["2025Q2", "2025Q1"], "value": [2.0, 1.0], "n": [40, 50]})
    trend = unit_trends(table, units=[], period="period", value="value", carry=["n"])
    assert trend["period"].tolist() == ["2025Q1", "2025Q2"] and trend["n"].tolist() == [50, 40]


def test_shown_matches_what_publish_table_hides():
    counts = pd.Series([0, 5, 8, 29, 30, None])
    assert shown(counts, 30).tolist() == [False, False, False, False, True, True]
    assert shown(counts).tolist() == [True, False, True, True, True, True]
