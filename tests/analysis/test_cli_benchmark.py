"""``python -m analysis benchmark``: the table from a scores CSV, its extras and errors."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from synthetic_providers import make_respondents

from analysis import METHODOLOGY_VERSION
from analysis.cli import main
from analysis.funnel import BANDS


@pytest.fixture(scope="module")
def scores_csv(tmp_path_factory) -> Path:
    rng = np.random.default_rng(21)
    frame = make_respondents(
        rng=rng, effects=rng.normal(0, 4, 12), respondents_per_provider=200,
        pathways=("frailty", "stroke"), periods=("2025Q1", "2025Q2", "2025Q3"),
    )
    frame["sex"] = rng.choice(["female", "male"], len(frame))
    frame["completed_by"] = rng.choice(["patient", "carer or relative"], len(frame))
    frame["status"] = "scored"
    frame.loc[::25, ["score", "status"]] = [np.nan, "too_few_answers"]
    frame["top_box"] = (frame["score"] >= 75).astype("Int64")
    folder = tmp_path_factory.mktemp("scores")
    path = folder / "scores.csv"
    frame.to_csv(path, index=False)
    footprints = pd.DataFrame({"provider": [f"P{i:02d}" for i in range(12)],
                               "footprint": ["North"] * 6 + ["South"] * 6})
    footprints.to_csv(folder / "footprints.csv", index=False)
    return path


def run(*argv: str) -> int:
    return main(["benchmark", *map(str, argv)])


def test_published_table_with_adjustment_and_roll_ups(scores_csv, tmp_path, capsys):
    out = tmp_path / "benchmark.csv"
    status = run(scores_csv, "--measure", "score", "--by", "provider,pathway,period",
                 "--adjust", "age_band,general_health", "--footprint-map",
                 scores_csv.parent / "footprints.csv", "-o", out)
    assert status == 0
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert (table["methodology_version"] == METHODOLOGY_VERSION).all()
    assert set(table["level"]) == {
        "provider × pathway × period", "provider × period", "pathway × period",
        "footprint × period", "all providers × period",
    }
    assert set(table["band"]) <= {*BANDS, ""}
    counts = table["n"][table["n"] != "*"].astype(int)
    assert (counts % 5 == 0).all()
    too_few = table["band"] == "too few responses"
    assert too_few.any() and (table.loc[too_few, "value"] == "").all()
    assert (table["adjusted_for"] == "age_band,general_health").all()
    err = capsys.readouterr().err
    assert "read 2,400 respondents" in err and "provider × pathway × period: 72 units" in err


def test_unrounded_counts_match_the_scored_respondents(scores_csv, tmp_path):
    out = tmp_path / "raw.csv"
    assert run(scores_csv, "--by", "provider", "--unrounded", "-o", out) == 0
    table = pd.read_csv(out)
    scores = pd.read_csv(scores_csv)
    everyone = table.loc[table["level"] == "all providers"].iloc[0]
    assert everyone["n"] == scores["score"].notna().sum()
    assert everyone["value"] == pytest.approx(scores["score"].mean(), abs=1e-6)


def test_default_adjusters_coefficients_trend_and_equity(scores_csv, tmp_path):
    paths = {name: tmp_path / f"{name}.csv" for name in ("out", "coef", "trend", "equity")}
    status = run(scores_csv, "--by", "provider,period", "--adjust-default", "--coefficients",
                 paths["coef"], "--trend", paths["trend"], "--equity", paths["equity"],
                 "--equity-by", "sex,completed_by", "-o", paths["out"])
    assert status == 0
    coefficients = pd.read_csv(paths["coef"])
    assert set(coefficients["adjuster"]) == {"age_band", "sex", "general_health", "completed_by"}
    trend = pd.read_csv(paths["trend"])
    assert trend.groupby("provider")["period"].apply(list).iloc[0] == [
        "2025Q1", "2025Q2", "2025Q3"]
    assert {"special_cause", "variation", "provisional"} <= set(trend.columns)
    equity = pd.read_csv(paths["equity"], dtype=str, keep_default_na=False)
    assert set(equity["characteristic"]) == {"sex", "completed_by"}
    assert (equity["methodology_version"] == METHODOLOGY_VERSION).all()


def test_zero_one_measure_and_peer_group_file(scores_csv, tmp_path):
    peers = tmp_path / "peers.txt"
    peers.write_text("P00\nP01\nP02\n")
    out = tmp_path / "top.csv"
    assert run(scores_csv, "--measure", "top_box", "--by", "provider", "--peer-group", peers,
               "--unrounded", "-o", out) == 0
    table = pd.read_csv(out)
    assert (table["kind"] == "proportion").all()
    scores = pd.read_csv(scores_csv)
    expected = scores.loc[scores["provider"].isin(["P00", "P01", "P02"]), "top_box"].mean()
    target = table.loc[table["level"] == "provider", "target"].iloc[0]
    assert target == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--measure", "satisfaction"], "missing column(s) satisfaction"),
        (["--by", "provider,ward"], "missing column(s) ward"),
        (["--peer-group", "P00,NOPE"], "no respondents for provider(s) NOPE"),
        (["--coefficients", "coef.csv"], "--coefficients needs --adjust"),
        (["--by", "provider", "--trend", "trend.csv"], "--trend needs 'period' among --by"),
    ],
)
def test_bad_options_are_named(scores_csv, tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        run(scores_csv, *argv, "-o", tmp_path / "out.csv")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


def test_a_non_numeric_score_names_file_row_field_and_value(scores_csv, tmp_path, capsys):
    frame = pd.read_csv(scores_csv)
    frame["score"] = frame["score"].astype(object)
    frame.loc[3, "score"] = "high"
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    out = tmp_path / "out.csv"
    with pytest.raises(SystemExit):
        run(bad, "-o", out)
    err = capsys.readouterr().err
    assert "bad.csv: row 4 (line 5), field 'score': value 'high' is not a number" in err
    assert not out.exists()


def test_several_measures_in_one_table(scores_csv, tmp_path, capsys):
    out = tmp_path / "both.csv"
    coefficients = tmp_path / "coef.csv"
    assert run(scores_csv, "--measure", "score,top_box", "--by", "provider", "--adjust",
               "age_band", "--coefficients", coefficients, "-o", out) == 0
    table = pd.read_csv(out)
    assert set(table["measure"]) == {"score", "top_box"}
    assert set(table.loc[table["measure"] == "top_box", "kind"]) == {"proportion"}
    assert set(pd.read_csv(coefficients)["measure"]) == {"score", "top_box"}
    assert "benchmarking top_box (2 of 2)" in capsys.readouterr().err
