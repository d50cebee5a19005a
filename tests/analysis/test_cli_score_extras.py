"""``score --themes --item-indicators``: opt-in columns that ``benchmark`` can use."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scoring_tables import answers

from analysis.cli import main
from analysis.scoring import item_summary, theme_scores
from instruments import get_instrument

I_STATEMENTS = [f"i{n}" for n in range(1, 13)]


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["response_id", "provider", *I_STATEMENTS], *rows])
    return path


ROWS = [
    ["R1", "P1", *["SA"] * 8, "SD", "A", "A", "D"],
    ["R2", "P1", *["A"] * 6, "DNA", "", "A", "N", "SD", "SA"],
    ["R3", "P2", *["D"] * 12],
]


def score(*argv: object) -> int:
    return main(["score", *map(str, argv)])


def test_default_output_is_unchanged(tmp_path):
    out = tmp_path / "scores.csv"
    assert score("--instrument", "i_statements", write(tmp_path / "r.csv", ROWS), "-o", out) == 0
    assert pd.read_csv(out).columns.tolist() == [
        "response_id", "provider", "score", "n_scored", "status"]


def test_theme_scores_and_item_indicators_match_the_library(tmp_path):
    out = tmp_path / "scores.csv"
    assert score("--instrument", "i_statements", write(tmp_path / "r.csv", ROWS),
                 "--themes", "--item-indicators", "-o", out) == 0
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    instrument = get_instrument("i_statements")
    table = answers(instrument, [row[2:] for row in ROWS])
    themes = theme_scores(table, instrument)
    for theme in instrument.themes:
        assert pd.to_numeric(written[f"theme_{theme}"]).tolist() == pytest.approx(
            themes[theme].round(4).tolist(), nan_ok=True)
    assert written["i1_top_box"].tolist() == ["1", "0", "0"]
    assert written["i1_positive"].tolist() == ["1", "1", "0"]
    assert written["i7_top_box"].tolist() == ["1", "", "0"]  # "does not apply" is not scored
    # i9 is reverse-scored: "Strongly disagree" is the best answer.
    assert written["i9_top_box"].tolist() == ["1", "0", "0"]
    summary = item_summary(table, instrument).set_index("item_id")
    for item in I_STATEMENTS:
        for column, band in (("top_box", "top_box"), ("percent_positive", "positive")):
            mean = pd.to_numeric(written[f"{item}_{band}"]).mean()
            assert mean == pytest.approx(summary.loc[item, column], nan_ok=True)


def test_indicators_benchmark_as_proportions(tmp_path):
    rng = np.random.default_rng(3)
    rows = [[f"R{i}", f"P{i % 3}", *rng.choice(["SA", "A", "N", "D"], 12)] for i in range(240)]
    scores = tmp_path / "scores.csv"
    assert score("--instrument", "i_statements", write(tmp_path / "r.csv", rows), "--themes",
                 "--item-indicators", "-o", scores) == 0
    out = tmp_path / "benchmark.csv"
    assert main(["benchmark", str(scores), "--by", "provider", "--measure",
                 "theme_transitions,i4_top_box", "--unrounded", "-o", str(out)]) == 0
    table = pd.read_csv(out)
    kinds = table.groupby("measure")["kind"].first().to_dict()
    assert kinds == {"theme_transitions": "mean", "i4_top_box": "proportion"}


def test_themes_for_an_instrument_without_themes_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        score("--instrument", "ctm15", tmp_path / "missing.csv", "--themes",
              "-o", tmp_path / "o.csv")
    assert exit_info.value.code == 2
    assert "--themes: ctm15" in capsys.readouterr().err
