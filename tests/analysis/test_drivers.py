"""What matters most: items below the benchmark that drive the overall score."""

import numpy as np
import pandas as pd
import pytest

from analysis.drivers import driver_strength, what_matters_most


@pytest.fixture(scope="module")
def responses() -> pd.DataFrame:
    rng = np.random.default_rng(9)
    n = 3000
    provider = rng.choice(["A", "B", "C"], n)
    experience = rng.normal(0, 1, n)
    frame = pd.DataFrame({"provider": provider})
    # q1 and q2 follow the overall experience closely; q3 and q4 hardly at all.
    for item, weight in {"q1": 1.0, "q2": 0.9, "q3": 0.15, "q4": 0.1}.items():
        frame[item] = 60 + 20 * (weight * experience + rng.normal(0, 0.6, n))
    # Provider A is weak on q2 (a driver) and on q4 (not a driver).
    frame.loc[provider == "A", ["q2", "q4"]] -= 12
    frame["score"] = frame[["q1", "q2", "q3", "q4"]].mean(axis=1)
    return frame


def test_driver_strength_ranks_the_items_that_move_the_score(responses):
    strength = driver_strength(responses, ["q1", "q2", "q3", "q4"], "score")
    assert strength["q1"] > strength["q3"] and strength["q2"] > strength["q4"]


def test_the_weak_driver_is_provider_a_first_priority(responses):
    table = what_matters_most(responses, items=["q1", "q2", "q3", "q4"])
    a = table.loc[table["provider"] == "A"].set_index("item")
    assert a.loc["q2", "priority_rank"] == 1
    assert bool(a.loc["q2", "priority"])
    assert not bool(a.loc["q4", "priority"])  # below benchmark, but not a driver
    assert a.loc["q2", "gap"] < 0 and a.loc["q2", "z"] < -1.96
    assert {a.loc["q2", "below_rank"], a.loc["q4", "below_rank"]} == {1, 2}
    assert table.iloc[0]["provider"] == "A" and table.iloc[0]["item"] == "q2"


def test_providers_under_the_minimum_have_no_priorities(responses):
    table = what_matters_most(responses, items=["q1", "q2"], min_respondents=5000)
    assert not table["priority"].any()
    assert (table["status"] == "too few responses").all()


def test_strata_in_one_pass_equal_one_call_per_stratum() -> None:
    """``strata=`` analyses each stratum on its own: the same rows as calling once per
    stratum (an item nobody in a stratum answered has no rows there)."""
    rng = np.random.default_rng(7)
    n = 3000
    frame = pd.DataFrame({
        "provider": rng.choice(["A", "B", "C", "D"], n),
        "pathway": rng.choice(["stroke", "copd"], n),
        "period": rng.choice(["2026-Q1", "2026-Q2"], n),
        "q1": rng.integers(0, 5, n) * 25.0,
        "q2": rng.integers(0, 2, n).astype(float),
        "q3": rng.integers(0, 5, n) * 25.0,
    })
    frame["score"] = frame[["q1", "q3"]].mean(axis=1) + rng.normal(0, 10, n)
    frame.loc[frame["pathway"] == "copd", "q3"] = np.nan  # not asked on one pathway
    every = what_matters_most(frame, items=["q1", "q2", "q3"], strata=["pathway", "period"])
    for (pathway, period), rows in frame.groupby(["pathway", "period"]):
        items = [c for c in ("q1", "q2", "q3") if rows[c].notna().any()]
        alone = what_matters_most(rows, items=items)
        part = every.loc[(every["pathway"] == pathway) & (every["period"] == period)]
        pd.testing.assert_frame_equal(part.drop(columns=["pathway", "period"])
                                      .reset_index(drop=True), alone, check_dtype=False)
    assert not every.loc[every["pathway"] == "copd", "item"].eq("q3").any()
