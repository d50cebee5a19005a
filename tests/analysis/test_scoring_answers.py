"""Reading analysts' answers: codes, short codes or labels; bad input named by line and column."""

from __future__ import annotations

import pandas as pd
import pytest
from scoring_tables import raw_answers

from analysis.scoring import AnswerError, normalise_answers
from instruments import get_instrument

CTM15 = get_instrument("ctm15")


def refused(raw: pd.DataFrame) -> AnswerError:
    with pytest.raises(AnswerError) as caught:
        normalise_answers(raw, CTM15, source="responses.csv")
    return caught.value


def test_spellings_become_codes_and_blanks_become_missing() -> None:
    raw = raw_answers(CTM15, [["Strongly Agree", " a ", "DK", "Don’t know / Don’t remember / "
                               "Not applicable", "", "  ", None, "1"] + ["sd"] * 4
                              + ["nm", "NM", "4"]])
    row = normalise_answers(raw, CTM15).iloc[0]
    assert list(row[[f"q{n}" for n in range(1, 5)]]) == ["4", "3", "9", "9"]
    assert row[["q5", "q6", "q7"]].isna().all()
    assert list(row[["q8", "q9", "q13", "q15"]]) == ["1", "1", "8", "4"]


def test_input_is_not_changed() -> None:
    raw = raw_answers(CTM15, [["agree"] * 15])
    before = raw.copy()
    normalise_answers(raw, CTM15)
    pd.testing.assert_frame_equal(raw, before)


def test_unknown_answer_names_line_column_and_value() -> None:
    rows = [["A"] * 15 for _ in range(4)]
    rows[2][6] = "maybe"   # line 4, q7
    rows[3][1] = "NM"      # line 5, q2: "not given medication" is only offered on q13–q15
    error = refused(raw_answers(CTM15, rows))
    assert (error.row, error.column, error.value) == (4, "q7", "maybe")
    assert str(error).startswith("responses.csv: line 4 (response_id r3), column q7: unknown "
                                 "answer 'maybe' (expected one of: 1/SD/'Strongly disagree'")


def test_option_of_another_item_is_unknown_here() -> None:
    rows = [["A"] * 15]
    rows[0][1] = "NM"
    error = refused(raw_answers(CTM15, rows))
    assert (error.row, error.column, error.value) == (2, "q2", "NM")


def test_headers_match_whatever_their_case() -> None:
    raw = raw_answers(CTM15, [["A"] * 15]).rename(columns={"q1": "Q1", "q2": " q2 "})
    assert list(normalise_answers(raw, CTM15).columns[1:3]) == ["q1", "q2"]


@pytest.mark.parametrize(("change", "column", "message"), [
    (lambda t: t.assign(q16="A"), "q16", "line 1, column q16: unknown item column for ctm15@1"),
    (lambda t: t.drop(columns=["q15"]), "q15", "line 1: missing column(s) q15 for ctm15@1"),
    (lambda t: t.drop(columns=["response_id"]), "response_id",
     "line 1: missing column(s) response_id"),
])
def test_column_problems(change, column: str, message: str) -> None:  # noqa: ANN001
    error = refused(change(raw_answers(CTM15, [["A"] * 15])))
    assert (error.row, error.column) == (1, column)
    assert message in str(error)


def test_duplicated_response_id_names_both_lines() -> None:
    raw = raw_answers(CTM15, [["A"] * 15] * 3)
    raw.loc[2, "response_id"] = "r1"
    error = refused(raw)
    assert (error.row, error.column, error.value) == (4, "response_id", "r1")
    assert "duplicated response_id 'r1' (first on line 2)" in str(error)


def test_empty_response_id_is_refused() -> None:
    raw = raw_answers(CTM15, [["A"] * 15] * 2)
    raw.loc[1, "response_id"] = " "
    assert refused(raw).row == 3


def test_numeric_columns_are_read_as_codes() -> None:
    raw = raw_answers(CTM15, [["A"] * 15, ["A"] * 15])
    raw["q1"] = [4.0, float("nan")]
    raw["q2"] = [3, 2]
    result = normalise_answers(raw, CTM15)
    assert result["q1"].iloc[0] == "4" and pd.isna(result["q1"].iloc[1])
    assert list(result["q2"]) == ["3", "2"]
