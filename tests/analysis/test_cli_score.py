"""``python -m analysis score``: CSV in, scores CSV out; bad input stops with exit status 2."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main

REPO = Path(__file__).resolve().parents[2]
HEADER = ["response_id", "provider", "pathway", "age_band"] + [f"q{n}" for n in range(1, 16)]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def good_rows() -> list[list[str]]:
    return [
        ["R1", "RXX", "stroke", "65-74"] + ["Agree"] * 15,
        ["R2", "RXX", "", "NA"] + ["sa"] * 12 + ["NM", "NM", "nm"],
        ["R3", "RYY", "hip", ""] + ["4", "4"] + [""] * 13,
    ]


def score(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str]:
    try:
        status = main(["score", *map(str, argv)])
    except SystemExit as exc:
        status = int(exc.code or 0)
    return status, capsys.readouterr().err


def test_scores_carry_columns_through_unchanged(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    source = write_csv(tmp_path / "responses.csv", good_rows())
    status, err = score(capsys, "--instrument", "ctm15", source, "-o", tmp_path / "scores.csv")
    assert status == 0, err
    with (tmp_path / "scores.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["response_id", "provider", "pathway", "age_band", "score", "n_scored", "status",
         "ctm3_score"],
        ["R1", "RXX", "stroke", "65-74", "66.6667", "15", "scored", "66.6667"],
        ["R2", "RXX", "", "NA", "100.0", "12", "scored", "100.0"],
        ["R3", "RYY", "hip", "", "", "2", "too_few_answers", ""],
    ]
    assert "ctm15@1: scored 2 of 3 respondents (1 with too few answers)." in err
    assert "Reading" in err and "Scoring" in err and "Writing" in err


@pytest.mark.parametrize(("row", "column", "value", "message"), [
    (2, 5, "perhaps", "line 4 (response_id R3), column q2: unknown answer 'perhaps'"),
    (1, 0, "R1", "line 3, column response_id: duplicated response_id 'R1' (first on line 2)"),
])
def test_bad_answer_stops_with_status_2_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        row: int, column: int, value: str, message: str) -> None:
    rows = good_rows()
    rows[row][column] = value
    source = write_csv(tmp_path / "responses.csv", rows)
    status, err = score(capsys, "--instrument", "ctm15", source, "-o", tmp_path / "scores.csv")
    assert status == 2
    assert f"error: {source}: {message}" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["responses.csv"]


def test_unknown_numeric_answer_is_named_as_written_in_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # All-numeric columns are read as integers: the message must still show the cell as typed.
    answers = {f"q{i}": [3, 3] for i in range(1, 16)}
    answers["q5"] = [3, 5]
    source = tmp_path / "responses.csv"
    pd.DataFrame({"response_id": ["R1", "R2"], **answers}).to_csv(source, index=False)
    status, err = score(capsys, "--instrument", "ctm15", source, "-o", tmp_path / "scores.csv")
    assert status == 2
    assert "line 3 (response_id R2), column q5: unknown answer '5' (expected one of" in err


def test_unknown_item_column_leaves_an_existing_output_untouched(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "responses.csv"
    pd.DataFrame({"response_id": ["R1"], "q16": ["A"]}).to_csv(source, index=False)
    output = tmp_path / "scores.csv"
    output.write_text("previous results\n", encoding="utf-8")
    status, err = score(capsys, "--instrument", "ctm15", source, "-o", output)
    assert status == 2
    assert "line 1, column q16: unknown item column for ctm15@1" in err
    assert output.read_text(encoding="utf-8") == "previous results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["responses.csv", "scores.csv"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--instrument", "ctm99"], "unknown instrument 'ctm99'"),
    (["--instrument", "ctm15", "--version", "2"], "instrument 'ctm15' has no version '2'"),
    (["--instrument", "about_you"], "about_you@1 is never scored"),
])
def test_bad_instrument_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         argv: list[str], message: str) -> None:
    source = write_csv(tmp_path / "responses.csv", good_rows())
    status, err = score(capsys, *argv, source, "-o", tmp_path / "scores.csv")
    assert (status, message in err) == (2, True)
    assert not (tmp_path / "scores.csv").exists()


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"),
    (b"", "the file is empty"),
    (b"response_id,q1\n\xff\xfe\n", "not UTF-8 text"),
])
def test_unreadable_input_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           content: bytes | None, message: str) -> None:
    source = tmp_path / "responses.csv"
    if content is not None:
        source.write_bytes(content)
    status, err = score(capsys, "--instrument", "ctm15", source, "-o", tmp_path / "out.csv")
    assert status == 2 and message in err and "Traceback" not in err


def test_output_directory_must_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_csv(tmp_path / "responses.csv", good_rows())
    status, err = score(capsys, "--instrument", "ctm15", source, "-o", tmp_path / "no" / "x.csv")
    assert status == 2 and "does not exist" in err


def test_runs_as_a_module(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "responses.csv", good_rows())
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "score", "--instrument", "ctm3", str(source), "-o",
         str(tmp_path / "scores.csv")], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 2  # ctm3's items are q1–q3: q4… are unknown item columns
    assert "column q4: unknown item column for ctm3@1" in result.stderr
    assert "Traceback" not in result.stderr
