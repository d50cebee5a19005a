"""``python -m analysis instruments``: list, show, check and publish."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from instrument_test_files import FIXTURES

from analysis.cli import main

REPO = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        status = main(list(argv))
    except SystemExit as exc:
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def test_list_shows_every_instrument_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "instruments")
    lines = out.splitlines()
    assert status == 0
    assert lines[0].split() == ["id", "version", "items", "scoring", "languages", "title"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["about_you", "1", "5"], ["comments", "1", "1"], ["ctm15", "1", "15"], ["ctm3", "1", "3"],
        ["i_statements", "1", "12"]]


def test_show_prints_items_options_and_codes(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "instruments", "show", "ctm15")
    assert status == 0
    assert "ctm15@1: Leaving hospital" in out
    assert "CTM-15 © Eric A. Coleman, MD, MPH" in out
    assert "at least 8 scored answers; also yields ctm3@1" in out
    assert "  q15 " in out and "possible side effects of each of my medications." in out
    assert "emphasis: side effects" in out
    for row in ("1  SD  Strongly disagree", "4  SA  Strongly agree",
                "8  NM  I was not given any medication when I left the hospital"):
        assert row in out


@pytest.mark.parametrize(("argv", "message"), [
    (["ctm99"], "unknown instrument 'ctm99'"),
    (["ctm15", "--version", "2"], "instrument 'ctm15' has no version '2'"),
    (["ctm15", "--language", "cy"], "ctm15@1 is not available in language 'cy'"),
])
def test_show_unknown_instrument_exits_2(capsys: pytest.CaptureFixture[str],
                                         argv: list[str], message: str) -> None:
    status, out, err = run(capsys, "instruments", "show", *argv)
    assert (status, out) == (2, "")
    assert message in err


def test_check_and_publish_a_dropped_in_instrument(
        capsys: pytest.CaptureFixture[str], definitions: Path) -> None:
    shutil.copytree(FIXTURES / "coordination_scale" / "coordination_scale",
                    definitions / "coordination_scale")
    status, out, _ = run(capsys, "instruments", "check", str(definitions))
    assert status == 1
    assert "coordination_scale/1.yaml: not in published.lock" in out
    assert run(capsys, "instruments", "publish", str(definitions))[:2] == (
        0, "published coordination_scale/1.yaml\n")
    assert run(capsys, "instruments", "check", str(definitions))[:2] == (
        0, "6 instrument versions valid; 0 published-file problem(s).\n")


def test_check_reports_a_malformed_file(capsys: pytest.CaptureFixture[str],
                                        definitions: Path) -> None:
    path = definitions / "ctm3" / "1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("title:", "titel:"),
                    encoding="utf-8")
    status, _, err = run(capsys, "instruments", "check", str(definitions))
    assert status == 2
    assert f"{path}: field title: Field required" in err


def test_module_entry_point_runs() -> None:
    result = subprocess.run([sys.executable, "-m", "analysis", "instruments"], cwd=REPO,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "i_statements" in result.stdout
