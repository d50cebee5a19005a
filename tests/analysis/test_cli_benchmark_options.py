"""``python -m analysis benchmark``: options and inputs refused before any work or output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from synthetic_providers import make_respondents

from analysis.cli import main
from analysis.funnel import MIN_RESPONDENTS


@pytest.fixture(scope="module")
def scores_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rng = np.random.default_rng(5)
    frame = make_respondents(rng=rng, effects=rng.normal(0, 4, 6), respondents_per_provider=60,
                             pathways=("stroke",), periods=("2025Q1", "2025Q2"))
    frame["sex"] = rng.choice(["female", "male"], len(frame))
    path = tmp_path_factory.mktemp("scores") / "scores.csv"
    frame.to_csv(path, index=False)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str]:
    try:
        status = main(["benchmark", *map(str, argv)])
    except SystemExit as exc:
        status = int(exc.code or 0)
    return status, capsys.readouterr().err


def test_adjust_never_swallows_the_input_path(scores_csv: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # The documented call: default adjusters, then the scores file.
    out = tmp_path / "out.csv"
    status, err = run(capsys, "--by", "provider,pathway,period", "--adjust-default",
                      scores_csv, "-o", out)
    assert status == 2  # the default adjusters include columns this file lacks
    assert "missing column(s) completed_by" in err
    status, err = run(capsys, "--by", "provider,period", "--adjust", scores_csv, "-o", out)
    assert status == 2 and "the following arguments are required: scores" in err
    assert not out.exists()


def test_adjust_and_adjust_default_are_exclusive(scores_csv: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    status, err = run(capsys, scores_csv, "--adjust", "sex", "--adjust-default", "-o",
                      tmp_path / "out.csv")
    assert status == 2 and "not allowed with argument" in err


@pytest.mark.parametrize(("argv", "message"), [
    (["--adjust", "sex,sex"], "--adjust: 'sex' is given twice"),
    (["--adjust", "provider"], "--adjust: 'provider' is the provider fixed effect"),
    (["--by", "provider,period,provider"], "--by: 'provider' is given twice"),
])
def test_repeated_or_impossible_adjusters_are_refused(
        scores_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        argv: list[str], message: str) -> None:
    status, err = run(capsys, scores_csv, "--by", "provider,period", *argv, "-o",
                      tmp_path / "out.csv")
    assert status == 2 and message in err and "Traceback" not in err


def test_peer_group_needs_a_provider_column(scores_csv: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    frame = pd.read_csv(scores_csv).rename(columns={"provider": "trust"})
    source = tmp_path / "trusts.csv"
    frame.to_csv(source, index=False)
    status, err = run(capsys, source, "--by", "trust,period", "--peer-group", "P00,P01",
                      "-o", tmp_path / "out.csv")
    assert status == 2
    assert f"{source}: --peer-group needs a 'provider' column" in err and "Traceback" not in err


def test_an_existing_footprint_column_is_not_silently_joined_twice(
        scores_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = pd.read_csv(scores_csv).assign(footprint="North")
    source = tmp_path / "with_footprint.csv"
    frame.to_csv(source, index=False)
    mapping = tmp_path / "map.csv"
    mapping.write_text("provider,footprint\nP00,South\n", encoding="utf-8")
    status, err = run(capsys, source, "--by", "provider,period", "--footprint-map", mapping,
                      "-o", tmp_path / "out.csv")
    assert status == 2
    assert f"{source}: already has a 'footprint' column" in err


@pytest.mark.parametrize("value", ["inf", "-inf", "nan"])
def test_non_finite_scores_are_refused(scores_csv: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str], value: str) -> None:
    frame = pd.read_csv(scores_csv, dtype={"score": str})
    frame.loc[2, "score"] = value
    source = tmp_path / "odd.csv"
    frame.to_csv(source, index=False)
    status, err = run(capsys, source, "--by", "provider,period", "-o", tmp_path / "out.csv")
    assert status == 2
    assert f"{source}: row 3 (line 4), field 'score': value '{value}' is not" in err
    assert not (tmp_path / "out.csv").exists()


def test_a_bad_extra_output_stops_the_run_before_anything_is_written(
        scores_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.csv"
    out.write_text("previous\n", encoding="utf-8")
    status, err = run(capsys, scores_csv, "--by", "provider,period", "--trend",
                      tmp_path / "nowhere" / "trend.csv", "-o", out)
    assert status == 2 and "does not exist" in err
    assert "benchmarking" not in err  # refused before any work
    assert out.read_text(encoding="utf-8") == "previous\n"


@pytest.mark.parametrize("extra", ["--trend", "--equity"])
def test_two_outputs_cannot_share_a_file(scores_csv: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str], extra: str) -> None:
    out = tmp_path / "out.csv"
    status, err = run(capsys, scores_csv, "--by", "provider,period", extra, out, "-o", out)
    assert status == 2 and "each output needs its own file" in err
    assert not out.exists()


def test_all_outputs_are_written_together(scores_csv: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out, trend = tmp_path / "out.csv", tmp_path / "trend.csv"
    status, err = run(capsys, scores_csv, "--by", "provider,period", "--trend", trend,
                      "--min-respondents", MIN_RESPONDENTS, "-o", out)
    assert status == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "trend.csv"]
