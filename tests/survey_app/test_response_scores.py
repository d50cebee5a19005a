"""Respondent scores stored with each submitted response: the same numbers as
``python -m analysis score`` on the exported answers, written with the submission or not
at all, rescored in bulk by ``flask results rescore``, and present for the demo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import delete, func, select, update

from analysis import METHODOLOGY_VERSION
from analysis.answers import AnswerError
from analysis.cli import main as analysis_main
from survey_app.extensions import db
from survey_app.models import Answer, Invitation, Response, ResponseScore
from survey_app.results.data import score_answers
from survey_app.results.measures import item_column
from survey_app.results.scores import rescore, rescore_plan
from survey_app.services.export import answers_table
from survey_app.services.journey import Journey, open_journey, record, submit

MakeInvitation = Callable[..., str]
# Each scored instrument with the flags that make the command write every stored measure.
COMMANDS = {"ctm15": [], "ctm3": [], "i_statements": ["--themes"]}
CARRIED = {"response_id", "score", "n_scored", "status"}
ROW = [ResponseScore.response_id, ResponseScore.instrument_id, ResponseScore.instrument_version,
       ResponseScore.score, ResponseScore.n_scored, ResponseScore.status,
       ResponseScore.measures, ResponseScore.item_scores, ResponseScore.methodology_version]


def load_demo(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["demo", "--events", "300", "--links", "1"])
    assert result.exit_code == 0, result.output


def answer_all(journey: Journey, pick: Callable[[object], str]) -> None:
    """Answer every question: ``pick(question)`` for choices, a short comment otherwise."""
    for question in journey.questions:
        text = "Kind staff." if question.item.is_free_text else pick(question)
        record(journey, question.key, text)


def first_option(question: object) -> str:
    return question.options[0].code  # type: ignore[attr-defined]


def unscored_where_possible(question: object) -> str:
    """"Don't know" / "does not apply" wherever offered: too few answers to score."""
    options = question.options  # type: ignore[attr-defined]
    return next((o.code for o in options if not o.scored), options[0].code)


def submit_new(app: Flask, make_invitation: MakeInvitation, survey: str,
               pick: Callable[[object], str]) -> None:
    token = make_invitation(app, survey=survey)
    with app.app_context():
        journey = open_journey(token)
        answer_all(journey, pick)
        submit(journey)


def stored_rows() -> list[tuple[object, ...]]:
    """Every stored score row (all but the time scored), in key order."""
    return [tuple(row) for row in db.session.execute(select(*ROW).order_by(*ROW[:3]))]


def stored_table(instrument_id: str) -> pd.DataFrame:
    """The stored scores of one instrument as the command's columns, one row a response."""
    rows = db.session.execute(select(ResponseScore).where(
        ResponseScore.instrument_id == instrument_id)).scalars()
    return pd.DataFrame([{"response_id": r.response_id, "score": r.score,
                          "n_scored": r.n_scored, "status": r.status, **r.measures,
                          "methodology_version": r.methodology_version} for r in rows])


def command_scores(runner: FlaskCliRunner, tmp_path: Path, instrument_id: str) -> pd.DataFrame:
    """``flask export-answers`` then ``python -m analysis score … --item-indicators``."""
    answers, scores = tmp_path / f"{instrument_id}.csv", tmp_path / f"{instrument_id}-s.csv"
    exported = runner.invoke(args=["export-answers", "--instrument", instrument_id,
                                   "-o", str(answers)])
    assert exported.exit_code == 0, exported.output
    assert analysis_main(["score", "--instrument", instrument_id, str(answers),
                          *COMMANDS[instrument_id], "--item-indicators",
                          "-o", str(scores)]) == 0
    return pd.read_csv(scores)


def test_stored_scores_equal_the_analysis_score_command(
    any_app: Flask, make_invitation: MakeInvitation, tmp_path: Path
) -> None:
    runner = any_app.test_cli_runner()
    load_demo(runner)
    submit_new(any_app, make_invitation, "leaving-hospital", unscored_where_possible)
    for pick in (first_option, unscored_where_possible):
        submit_new(any_app, make_invitation, "leaving-hospital-short", pick)
    for instrument_id in COMMANDS:
        expected = command_scores(runner, tmp_path, instrument_id)
        with any_app.app_context():
            stored = stored_table(instrument_id)
        assert set(stored.pop("methodology_version")) == {METHODOLOGY_VERSION}
        measures = [c for c in expected.columns[list(expected.columns).index("status") + 1:]]
        assert sorted(set(stored.columns) - CARRIED) == sorted(measures)
        stored = stored.set_index("response_id").reindex(expected["response_id"])
        assert stored["status"].tolist() == expected["status"].tolist()
        assert set(expected["status"]) == {"scored", "too_few_answers"}
        assert stored["n_scored"].tolist() == expected["n_scored"].tolist()
        for column in ["score", *measures]:  # the file keeps 4 decimals
            got, want = stored[column].to_numpy(float), expected[column].to_numpy(float)
            assert (np.isnan(got) == np.isnan(want)).all(), column
            assert np.nanmax(np.abs(got - want)) <= 0.5e-4, column


def test_stored_item_scores_are_the_ones_the_results_use(app: Flask,
                                                         runner: FlaskCliRunner) -> None:
    load_demo(runner)
    with app.app_context():
        for instrument_id in ("ctm15", "i_statements"):
            table, _codes = score_answers(instrument_id, answers_table(instrument_id))
            stored = {r.response_id: r.item_scores for r in db.session.execute(
                select(ResponseScore).where(ResponseScore.instrument_id == instrument_id)
            ).scalars()}
            items = [c.split(".", 1)[1] for c in table.columns
                     if c.startswith(f"{instrument_id}.")]
            for values in table.to_dict("records"):
                for item in items:
                    want = values[item_column(instrument_id, item)]
                    got = stored[values["response_id"]].get(item, float("nan"))
                    assert got == want or (np.isnan(got) and np.isnan(want))


def count_scores() -> int:
    return db.session.scalar(select(func.count()).select_from(ResponseScore)) or 0


def test_submit_stores_scores_in_its_own_transaction_or_not_at_all(
    any_app: Flask, make_invitation: MakeInvitation
) -> None:
    token = make_invitation(any_app)
    with any_app.app_context():
        journey = open_journey(token)
        answer_all(journey, first_option)
        # An answer scoring cannot read, in the second scored instrument: CTM-15's rows
        # are written before it fails, and must go with the submission.
        db.session.execute(update(Answer).where(
            Answer.instrument_id == "i_statements", Answer.item_id == "i4").values(code="7"))
        db.session.commit()
        with pytest.raises(AnswerError, match="i4"):
            submit(journey)
        response = db.session.scalars(select(Response)).one()
        assert (response.status, response.submitted_at) == ("in_progress", None)
        assert db.session.scalars(select(Invitation.status)).one() == "started"
        assert count_scores() == 0
        db.session.execute(update(Answer).where(Answer.item_id == "i4").values(code="4"))
        db.session.commit()
        assert submit(journey).status == "submitted"
        first = stored_rows()
        assert [row[1:3] for row in first] == [("ctm15", "1"), ("i_statements", "1")]
        assert {row[5] for row in first} == {"scored"}
        scored_at = db.session.scalars(select(ResponseScore.scored_at)).all()
        submit(journey)  # a repeat changes nothing
        assert stored_rows() == first
        assert db.session.scalars(select(ResponseScore.scored_at)).all() == scored_at


def test_rescore_after_a_methodology_change_is_idempotent(
    any_app: Flask, make_invitation: MakeInvitation
) -> None:
    runner = any_app.test_cli_runner()
    load_demo(runner)
    submit_new(any_app, make_invitation, "leaving-hospital-short", first_option)
    with any_app.app_context():
        correct = stored_rows()
        # Scores of an older methodology, and a stopped run that left some responses out.
        db.session.execute(update(ResponseScore).values(
            methodology_version="2026.2", score=ResponseScore.score / 2, measures={}))
        db.session.execute(delete(ResponseScore).where(ResponseScore.response_id % 3 == 0))
        db.session.commit()
    only = runner.invoke(args=["results", "rescore", "--instrument", "ctm3"])
    assert only.exit_code == 0, only.output
    assert "ctm3@1: 1 submitted responses (1 scored, 0 with too few answers)." in only.output
    with any_app.app_context():
        versions = dict(db.session.execute(select(
            ResponseScore.instrument_id, func.max(ResponseScore.methodology_version))
            .group_by(ResponseScore.instrument_id)).all())
    assert versions == {"ctm15": "2026.2", "ctm3": METHODOLOGY_VERSION, "i_statements": "2026.2"}
    for _ in range(2):
        result = runner.invoke(args=["results", "rescore"])
        assert result.exit_code == 0, result.output
        assert f"(methodology {METHODOLOGY_VERSION})" in result.output
        with any_app.app_context():
            assert stored_rows() == correct
    submitted = len([row for row in correct if row[1] == "ctm15"])
    assert f"ctm15@1: {submitted:,} submitted responses" in result.output


def test_rescore_in_small_chunks_gives_the_same_rows(app: Flask, runner: FlaskCliRunner) -> None:
    load_demo(runner)
    with app.app_context():
        correct = stored_rows()
        db.session.execute(delete(ResponseScore))
        db.session.commit()
        plan = rescore_plan("i_statements", "1")
        done: list[int] = []
        summary = rescore(plan, chunk=7, progress=done.append)
        assert sum(done) == plan.total == len(correct) // 2 and max(done) == 7
        assert sum(summary.statuses["i_statements@1"].values()) == plan.total
        rescore(rescore_plan(), chunk=50)
        assert stored_rows() == correct


def test_the_demo_stores_scores_for_every_submitted_response(
    app: Flask, runner: FlaskCliRunner
) -> None:
    load_demo(runner)
    with app.app_context():
        submitted = set(db.session.scalars(select(Response.id).where(
            Response.status == "submitted")))
        rows = db.session.execute(select(
            ResponseScore.response_id, ResponseScore.instrument_id,
            ResponseScore.methodology_version)).all()
    assert len(submitted) > 50
    assert sorted(rows) == sorted((response_id, instrument, METHODOLOGY_VERSION)
                                  for response_id in submitted
                                  for instrument in ("ctm15", "i_statements"))


@pytest.mark.parametrize(("args", "message"), [
    (["--instrument", "nope"], "nope"),
    (["--instrument", "about_you"], "about_you@1 is never scored"),
    (["--version", "1"], "--version needs --instrument"),
])
def test_rescore_refuses_what_it_cannot_score(runner: FlaskCliRunner, args: list[str],
                                              message: str) -> None:
    result = runner.invoke(args=["results", "rescore", *args])
    assert result.exit_code != 0 and message in result.output
