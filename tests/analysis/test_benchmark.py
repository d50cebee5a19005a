"""The benchmark table: levels, roll-ups, like-with-like comparison and the rules of
issue 4 (too few responses, methodology version)."""

import numpy as np
import pandas as pd
import pytest
from synthetic_providers import make_respondents

from analysis import METHODOLOGY_VERSION
from analysis.benchmark import ALL, BenchmarkSpec, benchmark_table, levels_for
from analysis.casemix import adjust_respondents
from analysis.funnel import BANDS, TOO_FEW, funnel_mean, pooled_sd


@pytest.fixture(scope="module")
def respondents() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    frame = make_respondents(
        rng=rng, effects=rng.normal(0, 4, 20), respondents_per_provider=240,
        pathways=("frailty", "stroke"), periods=("2025Q1", "2025Q2"),
    )
    frame["footprint"] = np.where(frame["provider"] < "P10", "ICB North", "ICB South")
    # Stroke scores run 10 points higher everywhere: comparing across pathways would be unfair.
    frame.loc[frame["pathway"] == "stroke", "score"] += 10
    frame["top_box"] = (frame["score"] >= 75).astype(int)
    # One small provider: too few responses in every unit.
    small = frame.iloc[:40].assign(provider="TINY", footprint="ICB North")
    return pd.concat([frame, small], ignore_index=True)


def test_levels_are_unit_and_roll_ups_within_period():
    spec = BenchmarkSpec(footprint="footprint")
    names = [(level.name, level.columns, level.entity) for level in levels_for(spec)]
    assert names == [
        ("provider × pathway × period", ("provider", "pathway", "period"), "provider"),
        ("provider × period", ("provider", "period"), "provider"),
        ("pathway × period", ("pathway", "period"), "pathway"),
        ("footprint × period", ("footprint", "period"), "footprint"),
        ("all providers × period", ("period",), None),
    ]
    assert [lv.name for lv in levels_for(BenchmarkSpec(by=("provider",)))] == [
        "provider", "all providers",
    ]


def test_table_has_every_unit_roll_up_and_methodology_version(respondents):
    table = benchmark_table(respondents, BenchmarkSpec(footprint="footprint")).table
    counts = table["level"].value_counts()
    assert counts["provider × pathway × period"] == 21 * 2 * 2
    assert counts["provider × period"] == 21 * 2
    assert counts["pathway × period"] == 4
    assert counts["footprint × period"] == 4
    assert counts["all providers × period"] == 2
    assert (table["methodology_version"] == METHODOLOGY_VERSION).all()
    assert set(table["band"].dropna()) <= set(BANDS)
    everyone = table.loc[table["level"] == "all providers × period"]
    assert (everyone[["provider", "pathway", "footprint"]] == ALL).all().all()
    assert everyone["n"].sum() == len(respondents)
    assert everyone["band"].isna().all()


def test_units_under_the_minimum_get_no_band_and_do_not_move_phi(respondents):
    table = benchmark_table(respondents, BenchmarkSpec()).table
    tiny = table.loc[table["provider"] == "TINY"]
    assert (tiny["n"] < 30).all() and (tiny["band"] == TOO_FEW).all()
    changed = respondents.copy()
    changed.loc[changed["provider"] == "TINY", "score"] = 0.0
    again = benchmark_table(changed, BenchmarkSpec()).table
    unit = table["level"] == "provider × pathway × period"
    assert again.loc[unit, "phi"].to_numpy() == pytest.approx(table.loc[unit, "phi"].to_numpy())
    assert again.loc[unit, "tau2"].to_numpy() == pytest.approx(table.loc[unit, "tau2"].to_numpy())


def test_units_are_compared_within_their_pathway_and_period(respondents):
    table = benchmark_table(respondents, BenchmarkSpec()).table
    units = table.loc[table["level"] == "provider × pathway × period"]
    stroke = units.loc[(units["pathway"] == "stroke") & (units["period"] == "2025Q2")]
    rows = respondents.loc[(respondents["pathway"] == "stroke")
                           & (respondents["period"] == "2025Q2")]
    compared = rows.loc[rows["provider"] != "TINY", "score"]
    assert stroke["target"].iloc[0] == pytest.approx(compared.mean())
    sd = rows.groupby("provider")["score"].std().to_numpy()
    expected = funnel_mean(stroke["n"].to_numpy(), stroke["value"].to_numpy(), sd)
    assert stroke["z_adjusted"].to_numpy() == pytest.approx(expected["z_adjusted"].to_numpy())
    assert stroke["band"].tolist() == expected["band"].tolist()
    # Stroke's higher scores do not make every stroke unit "better".
    assert (stroke["band"] == "as expected").mean() > 0.5


def test_interval_columns_and_raw_value(respondents):
    table = benchmark_table(respondents, BenchmarkSpec(by=("provider",))).table
    row = table.loc[table["provider"] == "P03"].iloc[0]
    scores = respondents.loc[respondents["provider"] == "P03", "score"]
    assert row["n"] == len(scores)
    assert row["value"] == pytest.approx(scores.mean())
    assert row["ci_lower"] < row["value"] < row["ci_upper"]


def test_adjusted_value_is_reported_beside_the_raw_one(respondents):
    result = benchmark_table(
        respondents, BenchmarkSpec(by=("provider",), adjust=("age_band", "general_health"))
    )
    assert result.model is not None
    assert {"age_band=80+", "general_health=poor"} <= set(result.model.coefficients["term"])
    table = result.table
    assert "adjusted_value" in table.columns and "value" in table.columns
    assert (table["adjusted_for"] == "age_band,general_health").all()
    providers = table.loc[table["level"] == "provider"]
    assert (providers["adjusted_value"] != providers["value"]).any()


def test_adjusted_bands_use_sigma_of_the_adjusted_scores(respondents):
    """σ behind adjusted limits and bands is the pooled SD of respondents' adjusted scores."""
    adjusters = ("age_band", "general_health")
    table = benchmark_table(respondents, BenchmarkSpec(adjust=adjusters)).table
    units = table.loc[table["level"] == "provider × pathway × period"]
    stroke = units.loc[(units["pathway"] == "stroke") & (units["period"] == "2025Q2")]
    _, adjusted = adjust_respondents(respondents, "score", adjusters)
    rows = respondents.assign(adjusted=adjusted)
    rows = rows.loc[(rows["pathway"] == "stroke") & (rows["period"] == "2025Q2")
                    & (rows["provider"] != "TINY")]
    sd = rows.groupby("provider")["adjusted"].agg(["count", "std"])
    sigma = pooled_sd(sd["count"].to_numpy(), sd["std"].to_numpy())
    raw_sd = rows.groupby("provider")["score"].std()
    assert abs(sigma - pooled_sd(sd["count"].to_numpy(), raw_sd.to_numpy())) > 0.5
    row = stroke.loc[stroke["provider"] == "P03"].iloc[0]
    spread = (row["upper95"] - row["target"]) / 1.959964
    assert spread**2 - row["tau2"] == pytest.approx(sigma**2 / row["n"])


def test_a_zero_one_measure_is_benchmarked_as_a_proportion(respondents):
    result = benchmark_table(respondents, BenchmarkSpec(measure="top_box", by=("provider",)))
    assert result.kind == "proportion"
    row = result.table.iloc[0]
    assert 0 <= row["lower95"] <= row["target"] <= row["upper95"] <= 1
    assert 0 <= row["shrunken_value"] <= 1


def test_peer_group_target_is_the_peers_average(respondents):
    peers = frozenset({"P00", "P01", "P02"})
    table = benchmark_table(respondents, BenchmarkSpec(by=("provider",), peer_group=peers)).table
    expected = respondents.loc[respondents["provider"].isin(peers), "score"].mean()
    assert table.loc[table["level"] == "provider", "target"].iloc[0] == pytest.approx(expected)


def test_shrunken_value_lies_between_value_and_target(respondents):
    table = benchmark_table(respondents, BenchmarkSpec(by=("provider",))).table
    rows = table.loc[table["level"] == "provider"]
    low = np.minimum(rows["value"], rows["target"]) - 1e-9
    high = np.maximum(rows["value"], rows["target"]) + 1e-9
    assert ((rows["shrunken_value"] >= low) & (rows["shrunken_value"] <= high)).all()
    assert ((rows["reliability"] >= 0) & (rows["reliability"] <= 1)).all()


def test_bad_input_names_the_column(respondents):
    with pytest.raises(KeyError, match="ward"):
        benchmark_table(respondents, BenchmarkSpec(by=("ward",)))
    with pytest.raises(ValueError, match="not numeric"):
        benchmark_table(respondents, BenchmarkSpec(measure="pathway"))
    with pytest.raises(ValueError, match="not a proportion"):
        benchmark_table(respondents, BenchmarkSpec(measure="score", kind="proportion"))


def test_peers_all_under_the_minimum_set_no_benchmark_for_anybody(respondents):
    spec = BenchmarkSpec(peer_group=frozenset({"TINY"}))
    table = benchmark_table(respondents, spec).table
    units = table.loc[table["level"] == "provider × pathway × period"]
    assert units["target"].isna().all() and units["z"].isna().all()
    assert set(units.loc[units["provider"] == "TINY", "band"]) == {TOO_FEW}
    assert units.loc[units["provider"] != "TINY", "band"].isna().all()
