"""Output files: checked before any work, written whole, never replacing what they shouldn't.

Exercised through ``python -m analysis score`` (and the other commands where they differ),
since every command writes through the same writer.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main

HEADER = ",".join(["response_id", "provider", *(f"q{n}" for n in range(1, 16))])
ROW = "R1,RXX," + ",".join(["4"] * 15)


def score(capsys: pytest.CaptureFixture[str], source: Path, output: str | Path,
          ) -> tuple[int, str, str]:
    """Run ``score`` on ``source``; return the exit status, standard output and error."""
    try:
        status = main(["score", "--instrument", "ctm15", str(source), "-o", str(output)])
    except SystemExit as exc:
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "responses.csv"
    path.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    return path


def test_dash_writes_the_table_to_standard_output(
        source: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = score(capsys, source, "-")
    assert status == 0, err
    assert out.splitlines()[0].startswith("response_id,provider,score,n_scored,status")
    assert "Wrote -" in err


def test_new_files_get_the_usual_permissions(source: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    previous = os.umask(0o022)
    try:
        assert score(capsys, source, tmp_path / "scores.csv")[0] == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "scores.csv").stat().st_mode) == 0o644


def test_a_replaced_file_keeps_its_permissions(source: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "scores.csv"
    output.write_text("old\n", encoding="utf-8")
    output.chmod(0o640)
    assert score(capsys, source, output)[0] == 0
    assert stat.S_IMODE(output.stat().st_mode) == 0o640
    assert output.read_text(encoding="utf-8").startswith("response_id,")


def test_a_symlink_is_written_through_and_survives(source: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "results").mkdir()
    real = tmp_path / "results" / "scores.csv"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "latest.csv"
    link.symlink_to(real)
    assert score(capsys, source, link)[0] == 0
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8").startswith("response_id,")
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["scores.csv"]


def test_a_character_device_is_written_through_not_replaced(
        source: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = score(capsys, source, os.devnull)
    assert status == 0, err
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_directory_output_is_refused(source: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = score(capsys, source, tmp_path)
    assert status == 2
    assert f"{tmp_path}: is a directory" in err and "Traceback" not in err


def test_a_fifo_output_is_refused(source: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    status, _, err = score(capsys, source, fifo)
    assert status == 2
    assert f"{fifo}: is not a regular file" in err
    assert stat.S_ISFIFO(fifo.stat().st_mode)


@pytest.mark.parametrize("how", ["same path", "symlink", "hard link"])
def test_the_input_is_never_overwritten(source: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str], how: str) -> None:
    before = source.read_bytes()
    output = source if how == "same path" else tmp_path / "alias.csv"
    if how == "symlink":
        output.symlink_to(source)
    elif how == "hard link":
        output.hardlink_to(source)
    status, _, err = score(capsys, source, output)
    assert status == 2
    assert "is the input file" in err
    assert source.read_bytes() == before


def test_an_unwritable_directory_is_named_before_any_work(
        source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = score(capsys, source, tmp_path / "missing" / "scores.csv")
    assert status == 2
    assert "does not exist" in err and "Reading" not in err


def test_a_failed_write_leaves_no_temporary_file(source: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # The name fits the file system but the temporary name beside it does not: the checks
    # pass, creating the file fails, and nothing is left behind.
    output = tmp_path / ("x" * 250 + ".csv")
    status, _, err = score(capsys, source, output)
    assert status == 2
    assert "cannot write" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["responses.csv"]


def test_the_reserved_column_error_names_the_file(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "responses.csv"
    path.write_text(f"{HEADER},status\n{ROW},done\n", encoding="utf-8")
    status, _, err = score(capsys, path, tmp_path / "scores.csv")
    assert status == 2
    assert f"{path}: line 1, column status: the name is reserved for scoring output" in err


def test_funnel_refuses_its_input_as_output(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    units = tmp_path / "units.csv"
    pd.DataFrame({"unit": ["A", "B"], "n": [50, 60], "value": [0.5, 0.6]}).to_csv(
        units, index=False)
    before = units.read_bytes()
    with pytest.raises(SystemExit) as exit_info:
        main(["funnel", "--kind", "proportion", str(units), "-o", str(units)])
    assert exit_info.value.code == 2
    assert "is the input file" in capsys.readouterr().err
    assert units.read_bytes() == before
