"""``drivers``, ``response-rate`` and the methodology version on every command's output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import METHODOLOGY_VERSION
from analysis.cli import main
from analysis.drivers import what_matters_most
from analysis.response_rate import response_rates

REPO = Path(__file__).resolve().parents[2]


def run(*argv: object) -> int:
    return main([*map(str, argv)])


@pytest.fixture(scope="module")
def scores_csv(tmp_path_factory) -> Path:
    rng = np.random.default_rng(4)
    n = 900
    provider = rng.choice(["RA1", "RB2", "RC3"], n)
    experience = rng.normal(0, 1, n)
    frame = pd.DataFrame({"response_id": [f"R{i}" for i in range(n)], "provider": provider})
    for item, weight in {"q1": 1.0, "q2": 0.9, "q3": 0.1}.items():
        latent = weight * experience + rng.normal(0, 0.6, n) - 0.8 * (provider == "RA1")
        frame[f"{item}_positive"] = (latent > 0).astype(int)
    frame["score"] = 60 + 15 * experience
    frame.loc[:5, "provider"] = "TINY"
    path = tmp_path_factory.mktemp("reach") / "scores.csv"
    frame.to_csv(path, index=False)
    return path


def test_drivers_matches_the_library_and_hides_small_providers(scores_csv, tmp_path, capsys):
    out = tmp_path / "drivers.csv"
    assert run("drivers", scores_csv, "--by", "provider", "-o", out) == 0
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    frame = pd.read_csv(scores_csv)
    items = ["q1_positive", "q2_positive", "q3_positive"]
    expected = what_matters_most(frame, items=items)
    assert table.columns.tolist() == expected.columns.tolist()
    assert (table["methodology_version"] == METHODOLOGY_VERSION).all()
    tiny = table.loc[table["provider"] == "TINY"]
    assert (tiny["n"] == "*").all() and (tiny["value"] == "*").all()
    first = table.loc[(table["provider"] == "RA1") & (table["priority_rank"] == "1")]
    wanted = expected.loc[(expected["provider"] == "RA1") & (expected["priority_rank"] == 1)]
    assert first["item"].tolist() == wanted["item"].tolist()
    assert "priority item(s)" in capsys.readouterr().err


def test_drivers_without_item_columns_says_how_to_get_them(tmp_path, capsys):
    path = tmp_path / "plain.csv"
    pd.DataFrame({"provider": ["A"], "score": [50.0]}).to_csv(path, index=False)
    with pytest.raises(SystemExit) as exit_info:
        run("drivers", path, "-o", tmp_path / "out.csv")
    assert exit_info.value.code == 2
    assert "score --item-indicators" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()


@pytest.fixture
def invitations_csv(tmp_path) -> Path:
    rng = np.random.default_rng(6)
    n = 400
    frame = pd.DataFrame({
        "provider": rng.choice(["RA1", "RB2"], n),
        "mode": rng.choice(["sms", "email", "paper"], n),
        "responded": rng.choice(["true", "false", "Yes", "0"], n),
    })
    frame.loc[:2, ["provider", "mode", "responded"]] = ["RC3", "kiosk", "yes"]
    frame.loc[3, ["provider", "mode", "responded"]] = ["RC3", "kiosk", "no"]
    path = tmp_path / "invitations.csv"
    frame.to_csv(path, index=False)
    return path


def test_response_rate_by_mode_matches_the_library_and_is_published(invitations_csv, tmp_path):
    out = tmp_path / "rates.csv"
    assert run("response-rate", invitations_csv, "--by", "provider,mode", "-o", out) == 0
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert table.columns.tolist() == ["methodology_version", "provider", "mode", "invited",
                                      "responded", "rate", "ci_lower", "ci_upper"]
    frame = pd.read_csv(invitations_csv, dtype=str)
    frame["responded"] = frame["responded"].str.lower().isin(["true", "yes", "1"])
    expected = response_rates(frame, by=["provider"]).set_index(["provider", "mode"])
    row = table.set_index(["provider", "mode"]).loc[("RA1", "all")]
    assert float(row["rate"]) == pytest.approx(expected.loc[("RA1", "all"), "rate"], abs=1e-6)
    assert int(row["invited"]) % 5 == 0
    small = table.set_index(["provider", "mode"]).loc[("RC3", "kiosk")]
    assert small[["invited", "responded", "rate"]].tolist() == ["*", "*", "*"]


def test_response_rate_overall_only_and_a_bad_cell_is_named(invitations_csv, tmp_path, capsys):
    out = tmp_path / "rates.csv"
    assert run("response-rate", invitations_csv, "--by", "provider", "--unrounded",
               "-o", out) == 0
    table = pd.read_csv(out)
    assert table["provider"].tolist() == ["RA1", "RB2", "RC3"] and set(table["mode"]) == {"all"}
    assert table["invited"].sum() == 400
    frame = pd.read_csv(invitations_csv, dtype=str)
    frame.loc[7, "responded"] = "maybe"
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False)
    with pytest.raises(SystemExit):
        run("response-rate", bad, "-o", tmp_path / "x.csv")
    assert "bad.csv: row 8 (line 9), field 'responded': value 'maybe' is not one of" in (
        capsys.readouterr().err)


def test_funnel_output_ends_with_the_methodology_version(tmp_path):
    units = tmp_path / "units.csv"
    pd.DataFrame({"unit": ["A", "B", "C"], "n": [100, 80, 5], "value": [0.5, 0.6, 0.2]}).to_csv(
        units, index=False)
    out = tmp_path / "funnel.csv"
    assert run("funnel", units, "--kind", "proportion", "-o", out) == 0
    table = pd.read_csv(out, dtype=str)
    assert table.columns[-1] == "methodology_version"
    assert (table["methodology_version"] == METHODOLOGY_VERSION).all()


def test_new_commands_are_listed_in_help():
    result = subprocess.run([sys.executable, "-m", "analysis", "--help"], cwd=REPO,
                            capture_output=True, text=True, check=True)
    assert "drivers" in result.stdout and "response-rate" in result.stdout
