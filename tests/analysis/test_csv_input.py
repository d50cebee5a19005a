"""Reading analysts' CSV files: one reader for score, benchmark and funnel, strict about shape.

Every malformed file stops the command with exit status 2 and a message naming the file
(and the line or column), before anything is written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.cli import main

ITEMS = [f"q{n}" for n in range(1, 16)]
HEADER = ",".join(["response_id", *ITEMS])


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str]:
    """Run the command line; return its exit status and standard error."""
    try:
        status = main([*map(str, argv)])
    except SystemExit as exc:
        status = int(exc.code or 0)
    return status, capsys.readouterr().err


def score(capsys: pytest.CaptureFixture[str], source: Path) -> tuple[int, str]:
    return run(capsys, "score", "--instrument", "ctm15", source, "-o",
               source.parent / "scores.csv")


def responses(tmp_path: Path, *lines: str, name: str = "responses.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


ROW = "r1," + ",".join(["1"] + ["4"] * 14)


@pytest.mark.parametrize(("lines", "message"), [
    ([HEADER, ROW + ","], "line 2 has 17 fields but the header has 16"),
    ([HEADER, ROW, ROW.replace("r1", "r2") + ","], "line 3 has 17 fields but the header has 16"),
    ([HEADER, ROW, "r2,1,2"], "line 3 has 3 fields but the header has 16"),
])
def test_ragged_rows_are_refused_by_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         lines: list[str], message: str) -> None:
    source = responses(tmp_path, *lines)
    status, err = score(capsys, source)
    assert status == 2, err
    assert f"{source}: {message}" in err
    assert not (tmp_path / "scores.csv").exists()


def test_a_quoted_comma_is_one_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = responses(tmp_path, HEADER + ",ward", ROW + ',"Ward 3, east"')
    status, err = score(capsys, source)
    assert status == 0, err
    assert "Ward 3, east" in (tmp_path / "scores.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(("header", "column"), [
    (HEADER + ",q1", "q1"),
    (HEADER + ",Q1", "Q1"),
    (HEADER + ",response_id", "response_id"),
    (HEADER + ",provider, Provider", "Provider"),
])
def test_duplicated_headers_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        header: str, column: str) -> None:
    extra = header.count(",") - HEADER.count(",")
    source = responses(tmp_path, header, ROW + ",x" * extra)
    status, err = score(capsys, source)
    assert status == 2, err
    assert f"{source}: line 1: column {column!r} appears twice" in err


def test_an_unnamed_column_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = responses(tmp_path, HEADER + ",", ROW + ",")
    status, err = score(capsys, source)
    assert status == 2
    assert f"{source}: line 1: column 17 has no name" in err


def test_semicolon_separated_file_gets_a_hint(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    source = responses(tmp_path, HEADER.replace(",", ";"), ROW.replace(",", ";"))
    status, err = score(capsys, source)
    assert status == 2
    assert "looks like ';'-separated; save as comma-separated CSV" in err


@pytest.mark.parametrize("command", ["score", "benchmark", "funnel"])
def test_header_only_file_has_no_data_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           command: str) -> None:
    header = {"score": HEADER, "benchmark": "provider,pathway,period,score",
              "funnel": "unit,n,value,sd"}[command]
    source = responses(tmp_path, header)
    argv = {"score": ["score", "--instrument", "ctm15"], "benchmark": ["benchmark"],
            "funnel": ["funnel", "--kind", "mean"]}[command]
    status, err = run(capsys, *argv, source, "-o", tmp_path / "out.csv")
    assert status == 2
    assert f"{source}: no data rows" in err


def test_a_byte_order_mark_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "responses.csv"
    source.write_bytes(b"\xef\xbb\xbf" + f"{HEADER}\n{ROW}\n".encode())
    status, err = score(capsys, source)
    assert status == 0, err
    assert (tmp_path / "scores.csv").read_text(encoding="utf-8").startswith("response_id,")


@pytest.mark.parametrize("command", ["score", "funnel"])
def test_non_utf8_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                command: str) -> None:
    source = tmp_path / "latin1.csv"
    source.write_bytes("unit,n,value,sd\nCaf\u00e9,10,50,5\n".encode("latin-1"))
    argv = ["score", "--instrument", "ctm15"] if command == "score" else [
        "funnel", "--kind", "mean"]
    status, err = run(capsys, *argv, source, "-o", tmp_path / "out.csv")
    assert status == 2
    assert f"{source}: not UTF-8 text" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["score", "benchmark", "funnel"])
def test_an_input_directory_is_a_clear_error(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str],
                                             command: str) -> None:
    argv = {"score": ["score", "--instrument", "ctm15"], "benchmark": ["benchmark"],
            "funnel": ["funnel", "--kind", "mean"]}[command]
    status, err = run(capsys, *argv, tmp_path, "-o", tmp_path / "out.csv")
    assert status == 2
    assert f"{tmp_path}: is a directory, not a CSV file" in err


def test_benchmark_refuses_a_trailing_comma_too(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    source = responses(tmp_path, "provider,period,score", "P1,2025Q1,50",
                       "P1,2025Q1,60,")
    status, err = run(capsys, "benchmark", "--by", "provider,period", source, "-o",
                      tmp_path / "out.csv")
    assert status == 2
    assert f"{source}: line 3 has 4 fields but the header has 3" in err


def test_benchmark_refuses_a_duplicated_carried_column(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = responses(tmp_path, "provider,period,score,provider", "P1,2025Q1,50,P2")
    status, err = run(capsys, "benchmark", "--by", "provider,period", source, "-o",
                      tmp_path / "out.csv")
    assert status == 2
    assert "line 1: column 'provider' appears twice" in err


def test_a_ragged_row_after_a_quoted_line_break_is_named_by_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Quotes send the check through the csv module, which knows line 3 continues line 2.
    source = responses(tmp_path, HEADER + ",note", ROW + ',"two\nlines"',
                       ROW.replace("r1", "r2") + ",ok,")
    status, err = score(capsys, source)
    assert status == 2
    assert f"{source}: line 4 has 18 fields but the header has 17" in err
