"""Properties that must hold for any answers (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scoring_tables import answers

from analysis.scoring import score_respondents
from instruments import Instrument, get_instrument

CTM15 = get_instrument("ctm15")
STATEMENTS = get_instrument("i_statements")


def any_answers(instrument: Instrument) -> st.SearchStrategy[list[str | None]]:
    """One respondent: for each item, any of its option codes or no answer."""
    return st.tuples(*(
        st.sampled_from([o.code for o in instrument.options_for(item.id)] + [None])
        for item in instrument.items)).map(list)


def scored_codes(instrument: Instrument, item_id: str) -> list[str]:
    """Scored codes of an item, from "Strongly disagree" towards "Strongly agree"."""
    options = [o for o in instrument.options_for(item_id) if o.scored]
    return [o.code for o in sorted(options, key=lambda o: o.score)]


@settings(max_examples=150, deadline=None)
@given(st.lists(any_answers(CTM15), min_size=1, max_size=20))
def test_ctm15_scores_stay_within_0_100_and_match_the_rule(rows: list) -> None:
    result = score_respondents(answers(CTM15, rows), CTM15)
    for row, (_, out) in zip(rows, result.iterrows(), strict=True):
        scored = [int(code) for code in row if code in {"1", "2", "3", "4"}]
        assert out["n_scored"] == len(scored)
        if len(scored) >= 8:
            assert 0 <= out["score"] <= 100
            assert out["score"] == pytest.approx(100 * (np.mean(scored) - 1) / 3)
            assert out["status"] == "scored"
        else:
            assert np.isnan(out["score"]) and out["status"] == "too_few_answers"
        for value in (out["score"], out["ctm3_score"]):
            assert np.isnan(value) or 0 <= value <= 100


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_moving_one_answer_towards_strongly_agree_never_lowers_the_score(
        data: st.DataObject) -> None:
    for instrument in (CTM15, STATEMENTS):
        row = data.draw(any_answers(instrument))
        candidates = [i for i, item in enumerate(instrument.items)
                      if row[i] in scored_codes(instrument, item.id)[:-1]]
        if not candidates:
            continue
        index = data.draw(st.sampled_from(candidates))
        item = instrument.items[index]
        ladder = scored_codes(instrument, item.id)
        higher = list(row)
        higher[index] = data.draw(st.sampled_from(ladder[ladder.index(row[index]) + 1:]))
        before, after = score_respondents(answers(instrument, [row, higher]), instrument)["score"]
        if np.isnan(before):
            assert np.isnan(after)  # the number of scored answers did not change
        elif item.reverse:
            assert after <= before  # agreeing with a negative statement is worse
        else:
            assert after >= before


@settings(max_examples=100, deadline=None)
@given(st.lists(any_answers(STATEMENTS), min_size=1, max_size=10))
def test_i_statement_scores_stay_within_0_100(rows: list) -> None:
    scores = score_respondents(answers(STATEMENTS, rows), STATEMENTS)["score"].dropna()
    assert ((scores >= 0) & (scores <= 100)).all()
