"""Response rates by mode where invitations exist."""

import pandas as pd
import pytest

from analysis.response_rate import ALL_MODES, response_rates


def test_rates_by_mode_and_overall_with_wilson_interval():
    invitations = pd.DataFrame(
        {
            "provider": ["A"] * 10 + ["B"] * 4,
            "mode": ["SMS"] * 6 + ["email"] * 4 + ["paper"] * 4,
            "responded": [True, True, False, False, False, True, True, False, False, False,
                          1, 0, 0, 0],
        }
    )
    table = response_rates(invitations, by=["provider"]).set_index(["provider", "mode"])
    assert table.loc[("A", "sms"), ["invited", "responded"]].tolist() == [6, 3]
    assert table.loc[("A", "email"), "rate"] == pytest.approx(0.25)
    assert table.loc[("A", ALL_MODES), "rate"] == pytest.approx(0.4)
    assert table.loc[("B", ALL_MODES), "invited"] == 4
    row = table.loc[("A", ALL_MODES)]
    assert row["ci_lower"] < 0.4 < row["ci_upper"]


def test_responded_must_be_true_or_false():
    invitations = pd.DataFrame({"provider": ["A"], "mode": ["sms"], "responded": ["maybe"]})
    with pytest.raises(ValueError, match="responded"):
        response_rates(invitations, by=["provider"])
    with pytest.raises(KeyError, match="mode"):
        response_rates(invitations.drop(columns="mode"), by=["provider"])
