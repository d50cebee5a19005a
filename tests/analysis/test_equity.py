"""Equity breakdowns by respondent characteristic, with the same small-numbers rule."""

import numpy as np
import pandas as pd
import pytest

from analysis import METHODOLOGY_VERSION
from analysis.equity import MISSING_GROUP, equity_breakdown
from analysis.funnel import TOO_FEW


@pytest.fixture()
def responses() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 400
    return pd.DataFrame(
        {
            "provider": np.repeat(["A", "B"], n // 2),
            "sex": rng.choice(["female", "male", None], n, p=[0.55, 0.4, 0.05]),
            "mode": rng.choice(["sms", "kiosk"], n),
            "score": rng.normal(65, 18, n),
        }
    )


def test_groups_add_up_to_the_unit_and_differences_are_from_the_unit(responses):
    table = equity_breakdown(responses, measure="score", by=["provider"],
                             characteristics=["sex", "mode"])
    sex = table.loc[(table["provider"] == "A") & (table["characteristic"] == "sex")]
    assert sex["n"].sum() == 200
    assert MISSING_GROUP in set(sex["group"])
    unit_mean = responses.loc[responses["provider"] == "A", "score"].mean()
    assert sex["unit_value"].iloc[0] == pytest.approx(unit_mean)
    female = sex.loc[sex["group"] == "female"].iloc[0]
    expected = responses.loc[(responses["provider"] == "A") & (responses["sex"] == "female"),
                             "score"].mean()
    assert female["value"] == pytest.approx(expected)
    assert female["difference"] == pytest.approx(expected - unit_mean)
    assert female["ci_lower"] < female["value"] < female["ci_upper"]
    assert (table["methodology_version"] == METHODOLOGY_VERSION).all()


def test_small_groups_are_too_few_responses(responses):
    table = equity_breakdown(responses, measure="score", by=["provider"],
                             characteristics=["sex"])
    small = table["n"] < 30
    assert small.any()
    assert (table.loc[small, "status"] == TOO_FEW).all()
    assert (table.loc[~small, "status"] == "shown").all()


def test_missing_characteristic_is_named(responses):
    with pytest.raises(KeyError, match="language"):
        equity_breakdown(responses, measure="score", by=["provider"], characteristics=["language"])
