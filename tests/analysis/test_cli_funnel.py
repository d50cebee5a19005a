"""``python -m analysis funnel``: columns, bands, disclosure and clear errors."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from synthetic_providers import make_respondents

from analysis.cli import main
from analysis.funnel import BANDS, funnel_mean, funnel_proportion

COLUMNS = ["unit", "n", "value", "target", "z", "z_adjusted", "phi", "tau2",
           "lower95", "upper95", "lower998", "upper998", "band", "methodology_version"]
ROOT = Path(__file__).resolve().parents[2]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture()
def mean_units(tmp_path) -> Path:
    rows = ["unit,n,value,sd", "A,100,60,20", "B,55,71,21", "C,12,40,19", "D,200,58,20",
            "E,5,90,15", "F,130,62,18"]
    return write(tmp_path / "units.csv", "\n".join(rows) + "\n")


def test_mean_funnel_columns_and_values_match_the_library(mean_units, tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main(["funnel", "--kind", "mean", str(mean_units), "--unrounded", "-o", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == COLUMNS
    units = pd.read_csv(mean_units)
    expected = funnel_mean(units["n"].to_numpy(), units["value"].to_numpy(), units["sd"].to_numpy())
    assert table["z_adjusted"].to_numpy() == pytest.approx(expected["z_adjusted"], abs=1e-6)
    assert set(table["band"]) <= set(BANDS)
    assert table.set_index("unit").loc["C", "band"] == "too few responses"
    assert "6 units" in capsys.readouterr().err


def test_published_output_rounds_counts_and_hides_small_units(mean_units, tmp_path):
    out = tmp_path / "out.csv"
    assert main(["funnel", "--kind", "mean", str(mean_units), "-o", str(out)]) == 0
    table = pd.read_csv(out, dtype=str, keep_default_na=False).set_index("unit")
    assert list(table.reset_index().columns) == COLUMNS
    assert table.loc["B", "n"] == "55" and table.loc["C", "n"] == "10"
    assert table.loc["E", "n"] == "*" and table.loc["E", "value"] == "*"
    assert table.loc["C", "value"] == "" and table.loc["C", "band"] == "too few responses"
    assert float(table.loc["A", "value"]) == 60.0


def test_proportion_funnel_with_target_and_min_respondents(tmp_path):
    units = write(tmp_path / "p.csv", "unit,n,value\nX,100,0.65\nY,400,0.5\nZ,20,0.9\n")
    out = tmp_path / "out.csv"
    argv = ["funnel", "--kind", "proportion", str(units), "--target", "0.5",
            "--min-respondents", "10", "--unrounded", "-o", str(out)]
    assert main(argv) == 0
    table = pd.read_csv(out)
    expected = funnel_proportion(np.array([100, 400, 20]), np.array([0.65, 0.5, 0.9]),
                                 target=0.5, min_respondents=10)
    assert (table["target"] == 0.5).all()
    assert table["lower998"].to_numpy() == pytest.approx(expected["lower998"], abs=1e-6)
    assert table["band"].tolist() == expected["band"].tolist()
    assert table["band"].iloc[2] != "too few responses"


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("proportion", "unit,n,value\nA,100,0.5\nB,50,1.7\n",
         "row 2 (line 3), field 'value': value '1.7' is not a proportion"),
        ("mean", "unit,n,value,sd\nA,100,50,10\nB,many,50,10\n",
         "row 2 (line 3), field 'n': value 'many' is not a number"),
        ("mean", "unit,n,value,sd\nA,100,50,10\nB,10.5,50,10\n",
         "row 2 (line 3), field 'n': value '10.5' is not a whole number"),
        ("mean", "unit,n,value,sd\nA,100,50,10\nA,50,50,10\n",
         "row 2 (line 3), field 'unit': value 'A' appears on an earlier row too"),
        ("mean", "unit,n,value\nA,100,50\n", "missing column(s) sd"),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(tmp_path, capsys, kind, text, message):
    units = write(tmp_path / "bad.csv", text)
    out = tmp_path / "out.csv"
    with pytest.raises(SystemExit) as exit_info:
        main(["funnel", "--kind", kind, str(units), "-o", str(out)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and message in err and "Traceback" not in err
    assert not out.exists()


def test_missing_file_and_module_entry_point(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "funnel", "--kind", "mean", str(tmp_path / "no.csv")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert "no.csv: no such file" in result.stderr and "Traceback" not in result.stderr


@pytest.fixture()
def scores_csv(tmp_path) -> Path:
    """Respondents of 12 providers in two pathways and two periods, with case mix."""
    rng = np.random.default_rng(8)
    frame = make_respondents(rng=rng, effects=rng.normal(0, 5, 12), respondents_per_provider=200,
                             pathways=("frailty", "stroke"), periods=("2025Q1", "2025Q2"))
    path = tmp_path / "scores.csv"
    frame.to_csv(path, index=False)
    return path


def test_benchmark_units_feed_funnel_within_each_stratum(scores_csv, tmp_path, capsys):
    """`benchmark --units` output is `funnel --within` input: the funnel then compares like
    with like and gives each unit the benchmark's own (adjusted) comparison."""
    common = ["benchmark", str(scores_csv), "--by", "provider,pathway,period",
              "--adjust", "age_band,general_health", "--unrounded"]
    assert main([*common, "--units", str(tmp_path / "units.csv"),
                 "-o", str(tmp_path / "benchmark.csv")]) == 0
    units = pd.read_csv(tmp_path / "units.csv")
    assert list(units.columns) == ["unit", "pathway", "period", "n", "value", "sd",
                                   "methodology_version"]
    assert main(["funnel", "--kind", "mean", str(tmp_path / "units.csv"), "--within",
                 "pathway,period", "--unrounded", "-o", str(tmp_path / "funnel.csv")]) == 0
    assert "48 units in 4 comparisons (by pathway, period)" in capsys.readouterr().err
    funnel = pd.read_csv(tmp_path / "funnel.csv")
    assert list(funnel.columns) == ["pathway", "period", *COLUMNS]
    benchmark = pd.read_csv(tmp_path / "benchmark.csv")
    benchmark = benchmark.loc[benchmark["level"] == "provider × pathway × period"]
    keys = ["provider", "pathway", "period"]
    both = benchmark.merge(funnel.rename(columns={"unit": "provider"}), on=keys,
                           suffixes=("", "_funnel"))
    assert len(both) == 48
    for column in ("adjusted_value", "target", "z_adjusted", "tau2", "upper95"):
        other = "value_funnel" if column == "adjusted_value" else f"{column}_funnel"
        assert both[column].to_numpy() == pytest.approx(both[other].to_numpy()), column
    assert (both["band"] == both["band_funnel"]).all()
    assert funnel.groupby(["pathway", "period"])["target"].nunique().eq(1).all()
    assert funnel["target"].nunique() == 4  # one benchmark per stratum


def test_units_need_one_measure_and_within_needs_distinct_units(scores_csv, tmp_path, capsys):
    assert main(["benchmark", str(scores_csv), "--units", str(tmp_path / "u.csv"),
                 "-o", str(tmp_path / "b.csv")]) == 0
    capsys.readouterr()
    frame = pd.read_csv(scores_csv).assign(other=1.0)
    frame.to_csv(tmp_path / "two.csv", index=False)
    with pytest.raises(SystemExit) as stopped:
        main(["benchmark", str(tmp_path / "two.csv"), "--measure", "score,other",
              "--units", str(tmp_path / "u2.csv"), "-o", str(tmp_path / "b.csv")])
    assert stopped.value.code == 2 and "give one --measure" in capsys.readouterr().err
    assert not (tmp_path / "u2.csv").exists()
    with pytest.raises(SystemExit) as stopped:
        main(["funnel", "--kind", "mean", str(tmp_path / "u.csv"), "-o", "-"])
    assert stopped.value.code == 2
    assert "appears on an earlier row too" in capsys.readouterr().err
