"""Funnel plots with over-dispersion: FunnelPlotR reference values and the banding rules
(statistics.md §3)."""

import numpy as np
import pandas as pd
import pytest

from analysis.funnel import (
    AS_EXPECTED,
    BANDS,
    BETTER,
    FUNNEL_COLUMNS,
    MUCH_BETTER,
    MUCH_WORSE,
    TOO_FEW,
    WORSE,
    Z95,
    Z998,
    aggregate_ratios,
    assign_bands,
    dersimonian_laird_tau2,
    funnel_mean,
    funnel_proportion,
    funnel_ratio,
    poisson_limits,
    pooled_sd,
    truncation_mask,
    winsorised_phi,
)

EXPECTED = np.array([15.0, 20.0, 30.0])


def test_exact_poisson_limits_match_funnelplotr():
    lower95, upper95 = poisson_limits(EXPECTED, 0.95)
    lower998, upper998 = poisson_limits(EXPECTED, 0.998)
    assert lower95 == pytest.approx([0.5596924, 0.6108260, 0.6746958], abs=1e-7)
    assert upper95 == pytest.approx([1.649348, 1.544419, 1.427562], abs=1e-6)
    assert lower998 == pytest.approx([0.3862650, 0.4479107, 0.5289724], abs=1e-7)
    assert upper998 == pytest.approx([2.082907, 1.902094, 1.702771], abs=1e-6)


def test_ratio_dispersion_uses_shmi_truncation_and_matches_funnelplotr():
    observed = np.array([100, 150, 180, 80, 120, 225])
    expected = np.array([108, 112, 165, 95, 100, 220])
    table = funnel_ratio(observed, expected)
    assert table["phi"].iloc[0] == pytest.approx(2.948033, abs=1e-6)
    assert table["z"].to_numpy() == pytest.approx(np.sqrt(expected) * np.log(observed / expected))
    assert list(table.columns) == FUNNEL_COLUMNS


def test_truncation_removes_the_outer_tenth_by_rank():
    z = np.arange(20.0)[::-1]
    keep = truncation_mask(z)
    assert keep.sum() == 16
    assert not keep[[0, 1, 18, 19]].any()
    assert truncation_mask(np.arange(6.0)).all()


def test_ratio_aggregation_matches_funnelplotr():
    rows = pd.DataFrame(
        {
            "group": list("aaabbc"),
            "observed": [100, 150, 180, 89, 120, 225],
            "expected": [102, 135, 165, 95, 100, 220],
        }
    )
    totals = aggregate_ratios(rows, "group", "observed", "expected")
    assert totals["ratio"].to_numpy() == pytest.approx([1.069652, 1.071795, 1.022727], abs=1e-6)


def test_ratio_without_overdispersion_uses_exact_poisson_limits():
    table = funnel_ratio(EXPECTED, EXPECTED, overdispersion=False)
    assert table["lower95"].to_numpy() == pytest.approx(poisson_limits(EXPECTED, 0.95)[0])
    assert (table["tau2"] == 0).all()


def test_winsorised_phi_clips_at_type_7_percentiles():
    z = np.arange(1.0, 11.0)
    # 10th/90th percentiles by linear interpolation are 1.9 and 9.1.
    expected = (1.9**2 + sum(k**2 for k in range(2, 10)) + 9.1**2) / 10
    assert winsorised_phi(z) == pytest.approx(expected)
    assert winsorised_phi(z) == pytest.approx(37.042)


def test_dersimonian_laird_tau2():
    se = np.ones(10)
    assert dersimonian_laird_tau2(37.042, se) == pytest.approx((370.42 - 9) / (10 - 1))
    # Under-dispersed: I·φ < I − 1 gives no between-unit variance.
    assert dersimonian_laird_tau2(0.5, se) == 0.0
    assert dersimonian_laird_tau2(5.0, np.ones(1)) == 0.0


def test_bands_and_a_value_exactly_on_a_limit_is_inside():
    z = np.array([-4.0, -Z998, -2.5, -Z95, 0.0, Z95, 2.5, Z998, 4.0, 9.0])
    eligible = np.array([True] * 9 + [False])
    assert assign_bands(z, eligible).tolist() == [
        MUCH_WORSE, WORSE, WORSE, AS_EXPECTED, AS_EXPECTED, AS_EXPECTED,
        BETTER, BETTER, MUCH_BETTER, TOO_FEW,
    ]


def test_no_benchmark_means_no_band_rather_than_as_expected():
    bands = assign_bands(np.array([np.nan, np.nan, 0.5]), np.array([True, False, True]))
    assert bands.tolist() == [None, TOO_FEW, AS_EXPECTED]
    n, value = _units()
    table = funnel_mean(n, value, sigma=20.0, reference=np.zeros(n.size, dtype=bool))
    assert np.isnan(table["target"].iloc[0])
    assert table["band"].iloc[:8].isna().all() and table["band"].iloc[8] == TOO_FEW


def test_pooled_sd():
    assert pooled_sd(np.array([10, 20, 1]), np.array([2.0, 3.0, np.nan])) == pytest.approx(
        np.sqrt((9 * 4 + 19 * 9) / 28)
    )


def _units():
    n = np.array([200, 150, 300, 120, 250, 180, 90, 400, 10])
    value = np.array([60.0, 63.0, 58.0, 70.0, 61.0, 55.0, 59.0, 62.0, 20.0])
    return n, value


def test_mean_funnel_target_limits_and_small_units():
    n, value = _units()
    table = funnel_mean(n, value, sigma=20.0)
    target = np.sum(n[:-1] * value[:-1]) / np.sum(n[:-1])  # the small unit sets nothing
    assert table["target"].iloc[0] == pytest.approx(target)
    assert table["z"].to_numpy() == pytest.approx((value - target) / (20 / np.sqrt(n)))
    spread = np.sqrt(400 / n + table["tau2"].iloc[0])
    assert table["upper998"].to_numpy() == pytest.approx(target + Z998 * spread)
    assert table["z_adjusted"].to_numpy() == pytest.approx((value - target) / spread)
    assert table["band"].iloc[-1] == TOO_FEW
    assert table["tau2"].iloc[0] > 0


def test_small_units_are_excluded_from_phi_and_tau2():
    n, value = _units()
    first = funnel_mean(n, value, sigma=20.0, target=60.0)
    value[-1] = 95.0
    second = funnel_mean(n, value, sigma=20.0, target=60.0)
    assert first["phi"].iloc[0] == second["phi"].iloc[0]
    assert first["tau2"].iloc[0] == second["tau2"].iloc[0]
    first_eligible = funnel_mean(n, value, sigma=20.0, target=60.0, min_respondents=5)
    assert first_eligible["phi"].iloc[0] != first["phi"].iloc[0]


def test_sigma_is_pooled_from_units_with_enough_respondents():
    n, value = _units()
    sd = np.array([18.0, 22.0, 20.0, 19.0, 21.0, 20.0, 20.0, 20.0, 90.0])
    table = funnel_mean(n, value, sd)
    sigma = pooled_sd(n[:-1], sd[:-1])
    assert table["z"].to_numpy() == pytest.approx((value - table["target"]) / (sigma / np.sqrt(n)))
    assert table["target"].iloc[0] == pytest.approx(np.sum(n[:-1] * value[:-1]) / np.sum(n[:-1]))
    with pytest.raises(ValueError, match="sd or sigma"):
        funnel_mean(n, value)


def test_peer_group_sets_the_target():
    n, value = _units()
    peers = np.array([True, True, False, False, False, False, False, False, False])
    table = funnel_mean(n, value, sigma=20.0, reference=peers)
    assert table["target"].iloc[0] == pytest.approx((200 * 60 + 150 * 63) / 350)


def test_proportion_funnel_on_the_arcsine_scale():
    n = np.array([100, 400, 50, 900, 20])
    value = np.array([0.5, 0.55, 0.0, 0.48, 1.0])
    table = funnel_proportion(n, value, target=0.5)
    theta0 = np.arcsin(np.sqrt(0.5))
    assert table["z"].to_numpy() == pytest.approx(
        (np.arcsin(np.sqrt(value)) - theta0) * 2 * np.sqrt(n)
    )
    spread = np.sqrt(1 / (4 * n) + table["tau2"].iloc[0])
    assert table["lower95"].to_numpy() == pytest.approx(np.sin(theta0 - Z95 * spread) ** 2)
    limits = table[["lower95", "upper95", "lower998", "upper998"]].to_numpy()
    assert ((limits >= 0) & (limits <= 1)).all()
    assert table["band"].tolist()[-1] == TOO_FEW


def test_proportion_limits_clamp_to_zero_and_one():
    table = funnel_proportion(np.array([2, 2, 2, 40]), np.array([0.5, 0.5, 0.5, 0.5]),
                              target=0.02, min_respondents=1)
    assert table["lower998"].iloc[0] == 0.0
    table = funnel_proportion(np.array([2, 40]), np.array([0.5, 0.5]), target=0.98,
                              min_respondents=1)
    assert table["upper998"].iloc[0] == 1.0


def test_peers_all_under_the_minimum_give_no_target_and_no_band():
    table = funnel_mean(np.array([10, 12, 100, 200]), np.array([50.0, 52.0, 70.0, 65.0]),
                        np.full(4, 15.0), reference=np.array([True, True, False, False]))
    assert table["target"].isna().all()
    assert table["band"].iloc[:2].tolist() == [TOO_FEW, TOO_FEW]
    assert table["band"].iloc[2:].isna().all() and table["z"].isna().all()
    proportions = funnel_proportion(np.array([10, 12, 100]), np.array([0.5, 0.4, 0.9]),
                                    reference=np.array([True, True, False]))
    assert proportions["target"].isna().all() and pd.isna(proportions["band"].iloc[2])


def test_a_unit_without_a_value_is_too_few_responses_not_blank():
    n, value = _units()
    n[0], value[1] = 0, np.nan
    table = funnel_mean(n, value, sigma=20.0)
    assert table["band"].iloc[:2].tolist() == [TOO_FEW, TOO_FEW]
    assert set(table["band"]) <= set(BANDS)
    assert table["target"].iloc[0] == pytest.approx(np.sum(n[2:-1] * value[2:-1]) / np.sum(n[2:-1]))
