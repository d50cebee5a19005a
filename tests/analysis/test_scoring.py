"""Respondent and theme scores for the shipped instruments (docs/methodology.md §1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scoring_tables import answers

from analysis.cli import UsageError
from analysis.scoring import score_respondents, theme_scores
from instruments import Instrument, get_instrument

CTM15 = get_instrument("ctm15")
CTM3 = get_instrument("ctm3")
STATEMENTS = get_instrument("i_statements")


def score_one(instrument: Instrument, row: list[str | None]) -> pd.Series:
    """Score a single respondent; return their output row."""
    return score_respondents(answers(instrument, [row]), instrument).iloc[0]


def test_worked_examples_from_the_reference() -> None:
    all_agree, all_strongly = score_one(CTM15, ["A"] * 15), score_one(CTM15, ["SA"] * 15)
    assert all_agree["score"] == pytest.approx(66.6667, abs=1e-4)
    assert all_strongly["score"] == 100
    assert score_one(CTM3, ["SA", "A", "DK"])["score"] == pytest.approx(83.3333, abs=1e-4)


def test_ctm15_also_yields_its_ctm3_score_from_items_2_9_13() -> None:
    row = ["SD"] * 15
    row[1], row[8], row[12] = "SA", "A", "DK"
    result = score_one(CTM15, row)
    assert result["ctm3_score"] == pytest.approx(83.3333, abs=1e-4)
    assert result["score"] == pytest.approx(100 * (4 + 3 + 12 * 1 - 14) / 3 / 14)


def test_all_unscored_is_kept_with_no_score_and_the_reason() -> None:
    result = score_respondents(answers(CTM15, [["DK"] * 12 + ["NM"] * 3, [None] * 15]), CTM15)
    assert list(result["response_id"]) == ["r1", "r2"]
    assert result["score"].isna().all() and result["ctm3_score"].isna().all()
    assert list(result["n_scored"]) == [0, 0]
    assert list(result["status"]) == ["too_few_answers", "too_few_answers"]


@pytest.mark.parametrize(("scored", "status"), [(8, "scored"), (7, "too_few_answers")])
def test_minimum_scored_answers(scored: int, status: str) -> None:
    result = score_one(CTM15, ["4"] * scored + ["DK"] * (15 - scored))
    assert (result["n_scored"], result["status"]) == (scored, status)
    assert (result["score"] == 100) if status == "scored" else np.isnan(result["score"])


@pytest.mark.parametrize(("answered", "expected"), [(2, 100.0), (1, None)])
def test_ctm3_needs_two_of_three(answered: int, expected: float | None) -> None:
    result = score_one(CTM3, ["SA"] * answered + [None] * (3 - answered))
    assert result["score"] == expected if expected else np.isnan(result["score"])


def test_codes_short_codes_and_labels_in_any_case_score_alike() -> None:
    codes = ["1", "2", "3", "4", "9"] * 3
    mixed = ["strongly DISAGREE", "d", "Agree", "SA", "don't know / don't remember / "
             "not applicable", "sd", "Disagree", "3", "strongly agree", "dk", "1", "D", "a",
             "4", "I WAS NOT GIVEN ANY MEDICATION WHEN I LEFT THE HOSPITAL"]
    coded, spelled = score_one(CTM15, codes), score_one(CTM15, mixed)
    assert spelled["n_scored"] == 12 and coded["n_scored"] == 12
    assert spelled["score"] == pytest.approx(coded["score"])


def test_carried_columns_pass_through_in_order() -> None:
    table = answers(CTM15, [["A"] * 15, ["SA"] * 15], provider=["RXX", "RYY"],
                    period=["2026Q1", "2026Q2"])
    result = score_respondents(table, CTM15)
    assert list(result.columns) == ["response_id", "provider", "period", "score", "n_scored",
                                    "status", "ctm3_score"]
    assert list(result["provider"]) == ["RXX", "RYY"]
    assert result["n_scored"].dtype.kind == "i"


def test_output_column_names_are_reserved() -> None:
    table = answers(CTM15, [["A"] * 15], status=["discharged"])
    with pytest.raises(UsageError, match="column status: the name is reserved"):
        score_respondents(table, CTM15)


def test_unknown_code_given_directly_is_refused() -> None:
    table = answers(CTM15, [["A"] * 15])
    table["q4"] = pd.Series(["7"], dtype="str")
    with pytest.raises(UsageError, match="column q4: unknown option code '7'"):
        score_respondents(table, CTM15)


def test_never_scored_instrument_is_refused() -> None:
    about_you = get_instrument("about_you")
    with pytest.raises(UsageError, match="about_you@1 is never scored"):
        score_respondents(answers(about_you, [["1", "2", "1", "3", "1"]]), about_you)


def test_i_statements_reverse_negative_items() -> None:
    # i9 and i12 are negatively worded: strongly agreeing with them is the worst experience.
    positive = ["SA"] * 12
    positive[8] = positive[11] = "SD"
    acquiescent = ["SA"] * 12
    result = score_respondents(answers(STATEMENTS, [positive, acquiescent]), STATEMENTS)
    assert list(result["score"]) == [100, pytest.approx(100 * 10 / 12)]


def test_i_statements_minimum_and_not_applicable() -> None:
    result = score_respondents(answers(STATEMENTS, [
        ["A", "N", "D", "SA"] + ["DNA"] * 8,
        ["A", "N", "D"] + ["This does not apply to me"] * 9,
    ]), STATEMENTS)
    assert result["score"].iloc[0] == pytest.approx((75 + 50 + 25 + 100) / 4)
    assert result["status"].iloc[1] == "too_few_answers"


def test_theme_scores_by_national_voices_theme() -> None:
    row = ["SA"] * 12  # i1, i5, i6 transitions; i12 (reversed) too: 100,100,100,0
    result = theme_scores(answers(STATEMENTS, [row, ["DNA"] * 12]), STATEMENTS)
    assert list(result.columns) == ["response_id", *STATEMENTS.themes]
    first = result.iloc[0]
    assert first["transitions"] == 75
    assert first["communication"] == pytest.approx((100 + 0 + 100) / 3)  # i3, i9 rev, i10
    assert first["decision_making"] == 100
    assert result.iloc[1].drop("response_id").isna().all()


def test_theme_needs_half_its_items() -> None:
    row = ["DNA"] * 12
    row[0] = "A"  # 1 of 4 transitions items: below half
    row[2] = "A"  # 1 of 3 communication items: below half (needs 2)
    row[6] = "A"  # decision making has 1 item: enough
    first = theme_scores(answers(STATEMENTS, [row]), STATEMENTS).iloc[0]
    assert np.isnan(first["transitions"]) and np.isnan(first["communication"])
    assert first["decision_making"] == 75


def test_ctm_has_no_themes() -> None:
    assert list(theme_scores(answers(CTM15, [["A"] * 15]), CTM15).columns) == ["response_id"]
