"""The README's analyst commands run as written, in order, on what the platform exports.

Each command of the README's analyst code block is run as a real process (``.venv/bin/…``
exactly as printed), in an empty folder, against a copy of the demo world; every file a
command reads must be one the platform or an earlier command wrote.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pandas as pd
from results_world import demo_db

from analysis.funnel import BANDS

FIXTURES = (demo_db,)  # imported from results_world (named so the import counts as used)
REPO = Path(__file__).resolve().parents[2]
WRITES = {"-o", "--output", "--units"}


def analyst_commands() -> list[list[str]]:
    """Return the commands of the README's analyst code block, continuation lines joined."""
    section = (REPO / "README.md").read_text(encoding="utf-8").split("## For analysts", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0].replace("\\\n", " ")
    return [argv for line in block.splitlines() if (argv := shlex.split(line, comments=True))]


def test_the_readme_lists_the_whole_chain_with_the_venv_in_each_command() -> None:
    commands = analyst_commands()
    assert all(argv[0] in (".venv/bin/flask", ".venv/bin/python") for argv in commands)
    names = [" ".join(argv[1:4]) for argv in commands]
    assert names[:2] == ["--app wsgi export-answers", "--app wsgi export-invitations"]
    for step in ("score", "benchmark", "funnel", "drivers", "response-rate"):
        assert any(argv[1:4] == ["-m", "analysis", step] for argv in commands), step


def test_the_readme_analyst_chain_runs_on_exported_demo_data(demo_db: Path,
                                                             tmp_path: Path) -> None:
    work = tmp_path / "analyst"
    work.mkdir()
    (work / ".venv").symlink_to(REPO / ".venv")
    database = Path(shutil.copy(demo_db, tmp_path / "demo.db"))
    env = {**os.environ, "APP_ENV": "test", "DATABASE_URL": f"sqlite:///{database}",
           "PYTHONPATH": str(REPO)}
    for argv in analyst_commands():
        written = {argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg in WRITES}
        read = [arg for arg in argv if arg.endswith(".csv") and arg not in written]
        assert all((work / name).is_file() for name in read), (argv, read)
        done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True,
                              timeout=600, check=False)
        assert done.returncode == 0, (argv, done.stdout[-1000:], done.stderr[-3000:])
        assert all((work / name).is_file() for name in written), argv
    funnel = pd.read_csv(work / "funnel.csv", dtype=str, keep_default_na=False)
    assert list(funnel.columns[:3]) == ["pathway", "period", "unit"]
    assert set(funnel["band"]) <= set(BANDS) and (funnel["band"] != "").all()
    benchmark = pd.read_csv(work / "benchmark.csv", dtype=str, keep_default_na=False)
    assert (benchmark["adjusted_for"] == "age_band,sex,general_health,completed_by").all()
    rates = pd.read_csv(work / "rates.csv", dtype=str, keep_default_na=False)
    assert {"sms", "all"} <= set(rates["mode"])
    drivers = pd.read_csv(work / "drivers.csv", dtype=str, keep_default_na=False)
    assert drivers["item"].str.endswith("_positive").all()
