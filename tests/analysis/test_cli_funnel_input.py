"""``python -m analysis funnel``: impossible counts and non-finite values are refused by cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.cli import main


@pytest.mark.parametrize(("text", "message"), [
    ("unit,n,value,sd\nA,100,50,10\nB,1e300,50,10\n",
     "row 2 (line 3), field 'n': value '1e300' is more respondents than any unit has"),
    ("unit,n,value,sd\nA,100,50,10\nB,inf,50,10\n",
     "row 2 (line 3), field 'n': value 'inf' is not a finite number"),
    ("unit,n,value,sd\nA,100,inf,10\nB,50,50,10\n",
     "row 1 (line 2), field 'value': value 'inf' is not a finite number"),
    ("unit,n,value,sd\nA,100,50,nan\nB,50,50,10\n",
     "row 1 (line 2), field 'sd': value 'nan' is not a number"),
])
def test_impossible_numbers_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      text: str, message: str) -> None:
    units = tmp_path / "units.csv"
    units.write_text(text, encoding="utf-8")
    out = tmp_path / "out.csv"
    with pytest.raises(SystemExit) as exit_info:
        main(["funnel", "--kind", "mean", str(units), "-o", str(out)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"{units}: {message}" in err and "Traceback" not in err
    assert not out.exists()
