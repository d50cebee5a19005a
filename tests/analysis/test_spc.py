"""XmR charts and the Making Data Count rules: NHSRplotthedots reference values
(statistics.md §6)."""

import numpy as np
import pandas as pd
import pytest

from analysis.spc import (
    COMMON_CAUSE,
    CONCERN,
    FAILING,
    IMPROVEMENT,
    INCONSISTENT,
    OUTSIDE,
    PASSING,
    SHIFT,
    TREND,
    TWO_OF_THREE,
    unit_trends,
    xmr_chart,
)

RANDOM_SERIES = [
    -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774, 1.71506499, 0.46091621,
    -1.26506123, -0.68685285, -0.44566197, 1.22408180, 0.35981383, 0.40077145, 0.11068272,
    -0.55584113, 1.78691314, 0.49785048, -1.96661716, 0.70135590, -0.47279141,
]
SPIKE_SERIES = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]


def test_random_series_matches_reference_with_no_special_cause():
    chart = xmr_chart(RANDOM_SERIES)
    assert chart.mean == pytest.approx(0.1416238, abs=1e-7)
    assert chart.lower == pytest.approx(-3.01138, abs=1e-5)
    assert chart.upper == pytest.approx(3.294627, abs=1e-6)
    assert (chart.points["special_cause"] == "").all()
    assert (chart.points["variation"] == COMMON_CAUSE).all()
    assert not chart.provisional


def test_spike_series_screened_and_unscreened_limits():
    screened = xmr_chart(SPIKE_SERIES)
    assert screened.mean == pytest.approx(1.944444, abs=1e-6)
    assert (screened.lower, screened.upper) == pytest.approx((-0.715556, 4.604444), abs=1e-6)
    unscreened = xmr_chart(SPIKE_SERIES, screen=False)
    assert (unscreened.lower, unscreened.upper) == pytest.approx(
        (-3.062614, 6.951503), abs=1e-6
    )
    assert screened.points["special_cause"].tolist()[4] == OUTSIDE
    assert screened.points["variation"].tolist()[4] == IMPROVEMENT
    assert xmr_chart(SPIKE_SERIES, higher_is_better=False).points["variation"][4] == CONCERN


def test_seven_point_trend_and_a_tie_breaks_it():
    rising = [5, 1, 2, 3, 4, 5, 6, 7, 3, 4, 4, 3]
    flags = xmr_chart(rising).points["special_cause"].tolist()
    assert flags[1:8] == [TREND] * 7
    assert flags[0] == "" and flags[8:] == [""] * 4
    tied = [1, 2, 3, 3, 4, 5, 6, 7, 3, 4]
    assert TREND not in xmr_chart(tied).points["special_cause"].tolist()
    falling = xmr_chart([9, 8, 7, 6, 5, 4, 3, 6, 7, 5], higher_is_better=True).points
    assert falling["special_cause"].tolist()[:7] == [TREND] * 7
    assert falling["variation"].tolist()[:7] == [CONCERN] * 7


def test_shift_of_seven_points_and_a_point_on_the_mean_breaks_it():
    values = [3, 7, 3, 7, 3, 7, 3, 6, 6.5, 6, 6.5, 6, 6.5, 6, 3, 7, 3, 7, 3, 7]
    chart = xmr_chart(values, screen=False)
    flags = chart.points["special_cause"].tolist()
    assert flags[7:14] == [SHIFT] * 7
    assert flags[:7] == [""] * 7 and flags[14:] == [""] * 6
    # Put one run point exactly on the (unchanged) mean: the run is broken.
    others = values[:10] + values[11:]
    on_mean = [*values[:10], sum(others) / len(others), *values[11:]]
    chart = xmr_chart(on_mean, screen=False)
    assert chart.mean == pytest.approx(on_mean[10])
    assert SHIFT not in chart.points["special_cause"].tolist()


def test_two_of_three_beyond_near_limit_flags_only_those_points():
    values = [1, 1.5] * 5 + [3.2, 2.0, 3.3] + [1, 1.5] * 3
    chart = xmr_chart(values, screen=False)
    assert chart.points["near_upper"].iloc[0] < 3.2 and chart.upper > 3.3
    flags = chart.points["special_cause"].tolist()
    assert flags[10] == TWO_OF_THREE and flags[12] == TWO_OF_THREE
    assert flags.count(TWO_OF_THREE) == 2


def test_a_point_beyond_the_process_limit_does_not_count_towards_two_of_three():
    """NHSRplotthedots counts only points between the near limit and the process limit."""
    values = [1, 1.5] * 6 + [4.2, 1.6, 3.0] + [1, 1.5] * 3
    chart = xmr_chart(values, screen=False)
    points = chart.points
    assert points["value"][12] > chart.upper  # beyond 3 sigma
    assert points["near_upper"][14] < points["value"][14] < chart.upper  # beyond 2 sigma
    assert (points["value"][12:15] > chart.mean).all()  # all three on one side
    flags = points["special_cause"].tolist()
    assert flags[12] == OUTSIDE
    assert TWO_OF_THREE not in flags and flags[14] == ""


def test_outside_limits_takes_priority_over_a_shift():
    values = [1, 1.2, 0.8, 1.1, 0.9, 1, 1.1, 0.9, 1, 1.2, 0.8, 1.1, 1.0, 30, 1]
    chart = xmr_chart(values)
    assert chart.points["special_cause"].iloc[13] == OUTSIDE


@pytest.mark.parametrize(
    ("target", "higher_is_better", "verdict"),
    [(-10, True, PASSING), (10, True, FAILING), (0.5, True, INCONSISTENT),
     (-10, False, FAILING), (10, False, PASSING)],
)
def test_target_assurance(target, higher_is_better, verdict):
    chart = xmr_chart(RANDOM_SERIES, target=target, higher_is_better=higher_is_better)
    assert chart.assurance == verdict
    assert xmr_chart(RANDOM_SERIES).assurance is None


def test_fewer_than_twelve_points_are_provisional_and_one_point_is_refused():
    assert xmr_chart(RANDOM_SERIES[:11]).provisional
    assert not xmr_chart(RANDOM_SERIES[:12]).provisional
    with pytest.raises(ValueError, match="two values"):
        xmr_chart([1.0])


def test_unit_trends_sorts_periods_and_skips_missing_values():
    table = pd.DataFrame(
        {
            "provider": ["A"] * 4 + ["B"] * 2,
            "period": ["2025Q2", "2025Q1", "2025Q4", "2025Q3", "2025Q1", "2025Q2"],
            "value": [2.0, 1.0, 4.0, np.nan, 5.0, np.nan],
        }
    )
    trends = unit_trends(table, units=["provider"], period="period", value="value")
    assert trends["provider"].tolist() == ["A", "A", "A"]
    assert trends["period"].tolist() == ["2025Q1", "2025Q2", "2025Q4"]
    assert trends["value"].tolist() == [1.0, 2.0, 4.0]
    assert trends["methodology_version"].nunique() == 1


def test_a_constant_series_has_limits_at_the_mean_and_no_special_cause(recwarn):
    chart = xmr_chart([0.1] * 10)
    assert (chart.lower, chart.mean, chart.upper) == (0.1, 0.1, 0.1)
    assert (chart.points["variation"] == COMMON_CAUSE).all()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_screening_never_removes_every_moving_range():
    # One blip: its two moving ranges are the only non-zero ones and both are ≥ 3.267 × AMR.
    series = [2.0] * 9 + [3.0] + [2.0] * 8
    chart = xmr_chart(series)
    assert chart.upper == xmr_chart(series, screen=False).upper > chart.mean
    assert chart.points.index[chart.points["special_cause"] == OUTSIDE].tolist() == [9]
