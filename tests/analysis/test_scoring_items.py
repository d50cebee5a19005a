"""Item-level results: linear mean, top box, % positive, bottom box and every option's count."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scoring_tables import answers

from analysis.scoring import item_summary
from analysis.scoring_items import (
    band_answers,
    item_indicators,
    item_statistics_by,
    scored_item_statistics_by,
    scored_item_summary,
    scored_item_values,
)
from analysis.scoring_matrix import item_ranges, score_matrix
from analysis.scoring_methods import to_percent
from instruments import get_instrument

CTM15 = get_instrument("ctm15")


def ctm_rows(q13_answers: list[str | None]) -> list[list[str | None]]:
    """Respondents answering every item 'Agree' except q13, which varies."""
    return [["A"] * 12 + [answer, "A", "A"] for answer in q13_answers]


def test_q13_summary_counts_unscored_answers_but_excludes_them_from_proportions() -> None:
    table = answers(CTM15, ctm_rows(["SA", "SA", "A", "D", "SD", "DK", "NM", "NM", None]))
    q13 = item_summary(table, CTM15).set_index("item_id").loc["q13"]
    assert q13["n"] == 5 and q13["n_answered"] == 8
    assert q13["mean"] == pytest.approx(100 * ((4 + 4 + 3 + 2 + 1) / 5 - 1) / 3)
    assert q13["top_box"] == pytest.approx(2 / 5)  # Strongly agree only
    assert q13["percent_positive"] == pytest.approx(3 / 5)
    assert q13["bottom_box"] == pytest.approx(2 / 5)
    counts = {code: q13[f"count_{code}"] for code in ("1", "2", "3", "4", "9", "8")}
    assert counts == {"1": 1, "2": 1, "3": 1, "4": 2, "9": 1, "8": 2}


def test_one_row_per_item_in_order_and_counts_na_where_not_offered() -> None:
    summary = item_summary(answers(CTM15, ctm_rows(["A"])), CTM15)
    assert list(summary["item_id"]) == [f"q{n}" for n in range(1, 16)]
    assert pd.isna(summary.set_index("item_id").loc["q1", "count_8"])
    assert summary.set_index("item_id").loc["q1", "count_3"] == 1
    assert list(summary.columns[:8]) == ["item_id", "theme", "n", "mean", "top_box",
                                         "percent_positive", "bottom_box", "n_answered"]


def test_item_with_no_scored_answers_has_empty_results() -> None:
    q13 = item_summary(answers(CTM15, ctm_rows(["NM"])), CTM15).set_index("item_id").loc["q13"]
    assert q13["n"] == 0 and pd.isna(q13["mean"]) and pd.isna(q13["top_box"])


def test_reverse_scored_item_bands_follow_the_experience() -> None:
    statements = get_instrument("i_statements")
    rows = [["A"] * 8 + [answer] + ["A"] * 3 for answer in ("SD", "D", "SA", "N")]
    i9 = item_summary(answers(statements, rows), statements).set_index("item_id").loc["i9"]
    assert i9["theme"] == "communication"
    assert i9["top_box"] == pytest.approx(1 / 4)  # strongly disagreeing is the best answer
    assert i9["percent_positive"] == pytest.approx(2 / 4)
    assert i9["bottom_box"] == pytest.approx(1 / 4)
    assert i9["mean"] == pytest.approx((100 + 75 + 0 + 50) / 4)


def test_bands_name_the_answers_they_count_reversed_for_a_negative_item() -> None:
    statements, ctm15 = get_instrument("i_statements"), get_instrument("ctm15")
    for item_id in ("i9", "i12"):
        item = statements.item(item_id)
        assert band_answers(statements, item, "top_box") == ["Strongly disagree"]
        assert band_answers(statements, item, "positive") == ["Strongly disagree", "Disagree"]
        assert band_answers(statements, item, "bottom_box") == ["Agree", "Strongly agree"]
    assert band_answers(statements, statements.item("i1"), "positive") == [
        "Agree", "Strongly agree"]
    assert band_answers(ctm15, ctm15.item("q13"), "top_box") == ["Strongly agree"]


def test_case_mix_questions_are_counted_not_scored() -> None:
    about_you = get_instrument("about_you")
    table = answers(about_you, [["1", "65-74", "F", "good", "EN"],
                                ["3", "85plus", "F", "Poor", "English"]])
    summary = item_summary(table, about_you).set_index("item_id")
    assert summary.loc["sex", "count_1"] == 2
    assert summary.loc["age_band", "count_6"] == 1 and summary.loc["age_band", "count_8"] == 1
    assert summary.loc["sex", "n_answered"] == 2
    assert summary["mean"].isna().all() and (summary["n"] == 0).all()


def test_statistics_by_group_match_one_summary_per_group() -> None:
    rng = np.random.default_rng(7)
    choices = ["SD", "D", "A", "SA", "DK", None]
    rows = [[rng.choice(choices) for _ in range(15)] for _ in range(300)]
    for row in rows[:40]:
        row[12] = "NM"  # q13: "no medication", unscored
    table = answers(CTM15, rows)
    groups = pd.Categorical(rng.choice(["P1", "P2", "P3"], len(table)),
                            categories=["P1", "P2", "P3", "P4"])  # P4: nobody
    by_group = item_statistics_by(table, CTM15, groups).set_index(["group", "item_id"])
    columns = ["n", "mean", "top_box", "percent_positive", "bottom_box"]
    for name in ("P1", "P2", "P3"):
        expected = item_summary(table.loc[groups == name], CTM15).set_index("item_id")
        got = by_group.xs(name, level="group")
        pd.testing.assert_frame_equal(got[columns], expected[columns], check_dtype=False)
    empty = by_group.xs("P4", level="group")
    assert (empty["n"] == 0).all() and empty[columns[1:]].isna().all().all()


@pytest.mark.parametrize("instrument_id", ["ctm15", "i_statements"])
def test_statistics_of_stored_item_scores_equal_those_of_the_answers_to_the_bit(
    instrument_id: str,
) -> None:
    """What the results read back (each item's 0–100 score and indicators, as stored at
    submission) gives exactly the numbers the answers give, reverse items included."""
    instrument = get_instrument(instrument_id)
    rng = np.random.default_rng(11)
    codes = [o.code for o in instrument.response_sets[instrument.items[0].response_set].options]
    rows = [[rng.choice([*codes, None]) for _ in instrument.items] for _ in range(997)]
    table = answers(instrument, rows)
    percent = to_percent(score_matrix(table, instrument),
                         item_ranges(instrument, instrument.items))
    values = scored_item_values(percent, item_indicators(table, instrument), instrument,
                                pd.Index(table["response_id"]))
    columns = ["item_id", "n", "mean", "top_box", "percent_positive"]
    pd.testing.assert_frame_equal(scored_item_summary(values),
                                  item_summary(table, instrument)[columns], check_exact=True)
    groups = pd.Categorical(rng.choice(["P1", "P2", "P3"], len(table)),
                            categories=["P1", "P2", "P3", "P4"])  # P4: nobody
    pd.testing.assert_frame_equal(
        scored_item_statistics_by(values, groups),
        item_statistics_by(table, instrument, groups)[["group", *columns]], check_exact=True)
    nobody = scored_item_summary(values.iloc[0:0])
    assert (nobody["n"] == 0).all() and nobody[columns[2:]].isna().all().all()
