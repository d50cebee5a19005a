"""The analysis command line in a shell pipeline: a reader that stops early is not an error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("argv", [
    ["instruments", "show", "ctm15"],
    ["instruments"],
])
def test_a_closed_pipe_ends_quietly(argv: list[str]) -> None:
    # Like `… | head -0`: the reader is gone before the command writes anything.
    process = subprocess.Popen([sys.executable, "-m", "analysis", *argv], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait() == 141  # 128 + SIGPIPE, as a shell reports it
    assert "Traceback" not in err and "BrokenPipeError" not in err
