"""Disclosure control: the NHS Digital small-numbers rule (statistics.md §5), and no
published column gives a suppressed count away."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from disclosure_attack import recovered_counts, zero_of_n
from synthetic_providers import make_respondents

from analysis.cli import main
from analysis.disclosure import SUPPRESSED, publish_table, round_count

SMALL_UNITS = {f"S{n}": n for n in range(1, 8)}  # providers of 1–7 respondents
STRATA = ["level", "pathway", "period"]


@pytest.mark.parametrize(
    ("count", "published"),
    [(0, 0), (1, "*"), (7, "*"), (8, 10), (9, 10), (12, 10), (13, 15), (27, 25), (28, 25),
     (29, 25), (30, 30), (32, 30), (33, 35), (1234, 1235)],
)
def test_reference_pairs(count, published):
    assert round_count(count) == published


@pytest.mark.parametrize("minimum", [10, 13, 30, 32, 50])
def test_a_rounded_count_never_crosses_the_minimum(minimum):
    """Nobody reads a count of the minimum or more beside "too few responses", nor one
    under it beside a shown result."""
    for count in range(8, 120):
        published = round_count(count, minimum)
        assert published % 5 == 0 and abs(published - count) <= 4, (count, published)
        assert (published < minimum) == (count < minimum), (count, published)


def test_publish_table_rounds_counts_under_its_minimum_below_it():
    table = pd.DataFrame({"n": [28, 29, 30, 41], "value": [1.0, 2.0, 3.0, 4.0]})
    assert publish_table(table, counts=["n"], statistics=["value"],
                         minimum=30)["n"].tolist() == [25, 25, 30, 40]
    assert publish_table(table, counts=["n"], minimum=45)["n"].tolist() == [30, 30, 30, 40]
    # without a minimum of its own, a table's counts keep to the platform's (30)
    assert publish_table(table, counts=["n"])["n"].tolist() == [25, 25, 30, 40]


def test_missing_count_stays_missing_and_negative_is_refused():
    assert round_count(None) is None
    assert round_count(np.nan) is None
    with pytest.raises(ValueError, match="negative"):
        round_count(-1)


def test_publish_table_rounds_counts_and_stars_statistics_built_on_few_people():
    table = pd.DataFrame(
        {"unit": ["a", "b", "c", "d"], "n": [0, 5, 12, 41], "value": [np.nan, 0.4, 0.5, 0.6]}
    )
    published = publish_table(table, counts=["n"], statistics=["value"])
    assert published["n"].tolist() == [0, SUPPRESSED, 10, 40]
    assert published["value"].iloc[1] == SUPPRESSED
    assert published["value"].iloc[2:].tolist() == [0.5, 0.6]
    assert published["unit"].tolist() == table["unit"].tolist()
    # The input is left untouched: totals can still be computed from unrounded counts.
    assert table["n"].tolist() == [0, 5, 12, 41]


def test_publish_table_leaves_results_under_the_minimum_empty():
    table = pd.DataFrame({"n": [3, 12, 29, 30], "value": [1.0, 2.0, 3.0, 4.0]})
    published = publish_table(table, counts=["n"], statistics=["value"], minimum=30)
    assert published["value"].tolist() == [SUPPRESSED, None, None, 4.0]
    assert published["n"].tolist() == [SUPPRESSED, 10, 25, 30]  # 29: under the minimum


def test_publish_table_names_a_missing_column():
    with pytest.raises(KeyError, match="value"):
        publish_table(pd.DataFrame({"n": [1]}), counts=["n"], statistics=["value"])


@pytest.fixture(scope="module")
def scores_csv(tmp_path_factory) -> Path:
    """Respondents of 16 providers and seven small ones (1–7 respondents each)."""
    rng = np.random.default_rng(5)
    frame = make_respondents(rng=rng, effects=rng.normal(0, 6, 16),
                             respondents_per_provider=120, periods=("2025Q1",))
    small = [frame.iloc[:n].assign(provider=code) for code, n in SMALL_UNITS.items()]
    path = tmp_path_factory.mktemp("scores") / "scores.csv"
    pd.concat([frame, *small], ignore_index=True).to_csv(path, index=False)
    return path


def cli_table(*argv: object) -> pd.DataFrame:
    path = Path(str(argv[-1]))
    assert main([str(a) for a in argv]) == 0
    return pd.read_csv(path, dtype=str, keep_default_na=False).replace("", np.nan)


def counts_only(unrounded: pd.DataFrame, column: str = "n") -> pd.DataFrame:
    """The unrounded table with only its 1–7 counts starred: every other column as it was."""
    n = pd.to_numeric(unrounded[column])
    return unrounded.assign(**{column: unrounded[column].where(~n.between(1, 7), SUPPRESSED)})


def test_the_attack_recovers_n_when_only_the_count_is_starred(scores_csv, tmp_path):
    """The reader's method works: limits and reliability of a 1–7 unit give n exactly."""
    table = cli_table("benchmark", scores_csv, "--by", "provider,pathway,period",
                      "--unrounded", "-o", tmp_path / "raw.csv")
    exposed = counts_only(table)
    small = table["provider"].isin(list(SMALL_UNITS))
    truth = dict(zip(table.index[small], table.loc[small, "n"].astype(int), strict=True))
    assert recovered_counts(exposed, STRATA) == truth
    assert recovered_counts(exposed.drop(columns="reliability"), STRATA) == truth
    assert recovered_counts(exposed.drop(columns="upper95"), STRATA) == truth


def test_no_published_benchmark_column_gives_a_starred_n_away(scores_csv, tmp_path):
    table = cli_table("benchmark", scores_csv, "--by", "provider,pathway,period",
                      "--adjust", "age_band,general_health", "-o", tmp_path / "out.csv")
    starred = table["n"] == SUPPRESSED
    assert set(table.loc[starred, "provider"]) == set(SMALL_UNITS)
    assert recovered_counts(table, STRATA) == {}
    derived = ["reliability", "high_stakes_ok", "lower95", "upper95", "lower998", "upper998",
               "ci_lower", "ci_upper", "shrunken_value", "z", "z_adjusted"]
    assert (table.loc[starred, derived] == SUPPRESSED).all().all()
    # what describes the comparison is still there for everybody
    assert table.loc[starred, ["target", "tau2", "phi"]].notna().all().all()


def test_no_published_funnel_column_gives_a_starred_n_away(scores_csv, tmp_path):
    people = pd.read_csv(scores_csv)
    units = people.groupby("provider")["score"].agg(n="size", value="mean", sd="std")
    units.reset_index(names="unit").to_csv(tmp_path / "units.csv", index=False)
    raw = cli_table("funnel", "--kind", "mean", tmp_path / "units.csv", "--unrounded",
                    "-o", tmp_path / "raw.csv")
    assert sorted(recovered_counts(counts_only(raw)).values()) == sorted(SMALL_UNITS.values())
    published = cli_table("funnel", "--kind", "mean", tmp_path / "units.csv",
                          "-o", tmp_path / "out.csv")
    assert (published["n"] == SUPPRESSED).sum() == len(SMALL_UNITS)
    assert recovered_counts(published) == {}


def test_no_published_rate_gives_a_starred_invitation_count_away(tmp_path):
    """Three invited, nobody answered: the interval of 0 of 3 would say 3."""
    invitations = pd.DataFrame({
        "provider": ["A"] * 40 + ["B"] * 3,
        "mode": "sms",
        "responded": [True] * 12 + [False] * 28 + [False] * 3,
    })
    invitations.to_csv(tmp_path / "invitations.csv", index=False)
    raw = cli_table("response-rate", tmp_path / "invitations.csv", "--by", "provider",
                    "--unrounded", "-o", tmp_path / "raw.csv")
    assert list(zero_of_n(counts_only(raw, "invited")).values()) == [3]
    published = cli_table("response-rate", tmp_path / "invitations.csv", "--by", "provider",
                          "-o", tmp_path / "rates.csv").set_index("provider")
    assert published.loc["B", ["invited", "rate", "ci_lower", "ci_upper"]].tolist() == [
        SUPPRESSED] * 4
    assert zero_of_n(published) == {}
