"""``benchmark --trend/--equity``: chosen levels, disclosure control and honest summaries."""

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
    rng = np.random.default_rng(8)
    frame = make_respondents(
        rng=rng, effects=rng.normal(0, 4, 8), respondents_per_provider=240,
        pathways=("frailty", "stroke", "falls", "respiratory"),
        periods=("2025Q1", "2025Q2", "2025Q3"),
    )
    # A small provider: 2-7 respondents per provider × period, published as "*".
    tiny = frame.iloc[:15].assign(provider="TINY", period=["2025Q1", "2025Q2", "2025Q3"] * 5)
    frame = pd.concat([frame, tiny], ignore_index=True)
    frame["sex"] = rng.choice(["female", "male"], len(frame))
    path = tmp_path_factory.mktemp("breakdowns") / "scores.csv"
    frame.to_csv(path, index=False)
    return path


def run(*argv: object) -> int:
    return main(["benchmark", *map(str, argv)])


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_trend_never_shows_a_value_the_main_table_hides(scores_csv, tmp_path):
    out, trend_csv = tmp_path / "out.csv", tmp_path / "trend.csv"
    assert run(scores_csv, "--min-respondents", "2", "--trend", trend_csv, "-o", out) == 0
    table, trend = read(out), read(trend_csv)
    hidden = table.loc[table["value"].isin(["*", ""]), ["level", "provider", "pathway",
                                                        "period"]]
    assert len(hidden) and "TINY" in set(hidden["provider"])
    leaked = trend.merge(hidden, on=["level", "provider", "pathway", "period"])
    assert leaked.empty
    assert "TINY" not in set(trend["provider"])
    assert (trend["value"] != "*").all() and (trend["n"].astype(int) % 5 == 0).all()


def test_trend_defaults_to_every_level_with_a_period_and_says_what_it_could_not_chart(
        scores_csv, tmp_path, capsys):
    trend_csv = tmp_path / "trend.csv"
    assert run(scores_csv, "--trend", trend_csv, "-o", tmp_path / "out.csv") == 0
    trend = read(trend_csv)
    assert set(trend["level"]) == {"provider × period", "pathway × period",
                                   "all providers × period"}
    providers = trend.loc[trend["level"] == "provider × period"]
    assert providers["provider"].nunique() == 8 and set(providers["pathway"]) == {"all"}
    assert (trend["methodology_version"] == METHODOLOGY_VERSION).all()
    err = capsys.readouterr().err
    assert ("trend score — provider × pathway × period: nothing charted (no unit has two "
            "periods with at least 30 respondents)") in err
    assert "trend score — provider × period: 8 unit(s) charted, 24 points" in err
    stages = ["reading", "benchmarking score (1 of 1)", "level 1 of 4: provider × pathway",
              "level 4 of 4: all providers × period", "writing 2 file(s)", "done in"]
    positions = [err.index(stage) for stage in stages]
    assert positions == sorted(positions)


def test_trend_and_equity_at_a_chosen_level(scores_csv, tmp_path):
    trend_csv, equity_csv = tmp_path / "trend.csv", tmp_path / "equity.csv"
    assert run(scores_csv, "--trend", trend_csv, "--trend-levels", "provider/period",
               "--equity", equity_csv, "--equity-levels", "provider / period",
               "--equity-by", "sex", "-o", tmp_path / "out.csv") == 0
    assert set(read(trend_csv)["level"]) == {"provider × period"}
    equity = read(equity_csv)
    assert set(equity["level"]) == {"provider × period"}
    shown = equity.loc[equity["status"] == "shown"]
    assert len(shown) > len(equity) / 2 and (shown["value"] != "").all()
    assert (equity.loc[equity["provider"] == "TINY", "value"].isin(["*", ""])).all()
    assert (equity["methodology_version"] == METHODOLOGY_VERSION).all()


def test_an_unknown_level_is_named_with_the_choices(scores_csv, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run(scores_csv, "--trend", tmp_path / "t.csv", "--trend-levels", "ward/period",
            "-o", tmp_path / "out.csv")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--trend-levels: no level 'ward/period'; the levels are provider/pathway/period" in err
    assert not (tmp_path / "out.csv").exists()


def test_every_band_is_one_of_the_six_labels_or_empty_for_all_providers(scores_csv, tmp_path):
    out = tmp_path / "out.csv"
    assert run(scores_csv, "-o", out) == 0
    table = read(out)
    everyone = table["level"].str.startswith("all providers")
    assert set(table.loc[~everyone, "band"]) <= set(BANDS)
    assert (table.loc[everyone, "band"] == "").all()


def test_unrounded_trend_charts_small_units_the_analyst_asked_for(scores_csv, tmp_path):
    trend_csv = tmp_path / "trend.csv"
    assert run(scores_csv, "--min-respondents", "2", "--unrounded", "--trend", trend_csv,
               "--trend-levels", "provider/period", "-o", tmp_path / "out.csv") == 0
    tiny = pd.read_csv(trend_csv).query("provider == 'TINY'")
    assert tiny["n"].tolist() == [5, 5, 5] and tiny["value"].notna().all()
