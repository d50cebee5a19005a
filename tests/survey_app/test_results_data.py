"""The results read each response's scores as they were stored at submission
(``response_scores``) and never score again: the respondent table and the item tables
built from the stored scores equal, to the last bit, what scoring the exported answers
gives, on SQLite and PostgreSQL; what is read is the stored rows (a changed row changes
the results until ``flask results rescore``); and a submitted response without its stored
scores stops the build instead of silently leaving every result."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from event_data import make_event
from flask import Flask
from flask.testing import FlaskCliRunner
from results_world import app_on_copy, demo_db
from sqlalchemy import Float, Select, case, cast, delete, literal, null, select, update

import instruments
from analysis.disclosure import publish_table
from analysis.funnel import MIN_RESPONDENTS
from analysis.scoring import item_summary
from analysis.scoring_items import (
    item_statistics_by,
    scored_item_statistics_by,
    scored_item_summary,
)
from survey_app.extensions import db
from survey_app.models import ResponseScore, ResultsSnapshot, Survey, SurveyInstrument
from survey_app.results import build as results_build
from survey_app.results.data import (
    UnscoredResponses,
    load_respondents,
    merge_scored,
    score_answers,
)
from survey_app.results.measures import ITEM_INSTRUMENTS, SCORED_INSTRUMENTS
from survey_app.results.store import latest_complete
from survey_app.results.tables import (
    ITEM_STATISTICS,
    _item_results,
    _item_results_by_provider,
)
from survey_app.services import bulk
from survey_app.services.export import answers_table
from survey_app.services.invitations import issue_invitation
from survey_app.services.journey import open_journey, record, submit
from survey_app.services.surveys import ensure_survey

FIXTURES = (demo_db,)  # imported from results_world (named so the import counts as used)
COLUMNS = ["item_id", "n", "mean", "top_box", "percent_positive"]


def first_option(question: object) -> str:
    return question.options[0].code  # type: ignore[attr-defined]


def unscored_where_possible(question: object) -> str:
    options = question.options  # type: ignore[attr-defined]
    return next((o.code for o in options if not o.scored), options[0].code)


def submit_short_surveys(app: Flask) -> None:
    """Submit three short (CTM-3) surveys, one with too few answers to score, so the CTM-3
    column holds both derived (CTM-15) and own scores."""
    for pick in (first_option, unscored_where_possible, first_option):
        with app.app_context():
            _invitation, token = issue_invitation(
                event=make_event(), survey=ensure_survey("leaving-hospital-short"),
                channel="sms")
            db.session.commit()
            journey = open_journey(token)
            for question in journey.questions:
                record(journey, question.key, "Kind staff." if question.item.is_free_text
                       else pick(question))
            submit(journey)


def rescored() -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """The respondent table and item values by scoring every exported answer again."""
    return merge_scored({instrument_id: score_answers(instrument_id, answers_table(instrument_id))
                         for instrument_id in SCORED_INSTRUMENTS})


def answer_codes() -> dict[str, pd.DataFrame]:
    """Each item instrument's exported answer codes, indexed by response id."""
    codes = {}
    for instrument_id in ITEM_INSTRUMENTS:
        items = [item.id for item in instruments.get_instrument(instrument_id).items]
        codes[instrument_id] = answers_table(instrument_id).set_index("response_id")[items]
    return codes


def from_codes(codes: dict[str, pd.DataFrame], respondents: pd.DataFrame) -> tuple[
        pd.DataFrame, pd.DataFrame]:
    """The published item tables (all providers; each provider) of ``respondents`` computed
    from answer codes, as the results did before they read the stored scores."""
    providers = respondents.set_index("response_id")["provider"]
    categories = sorted(providers.unique())
    overall, by_provider = [], []
    for instrument_id, table in codes.items():
        instrument = instruments.get_instrument(instrument_id)
        chosen = table.loc[table.index.intersection(providers.index)]
        overall.append(item_summary(chosen, instrument)[["item_id", "n", *ITEM_STATISTICS]]
                       .assign(instrument=instrument_id))
        groups = pd.Categorical(providers.reindex(chosen.index), categories=categories)
        by_provider.append(item_statistics_by(chosen, instrument, groups)
                           .rename(columns={"group": "provider"})
                           [["provider", "item_id", "n", *ITEM_STATISTICS]]
                           .assign(instrument=instrument_id))
    every = pd.concat(by_provider, ignore_index=True).sort_values(
        "provider", kind="stable", ignore_index=True)
    return tuple(publish_table(pd.concat(parts, ignore_index=True), counts=["n"],
                               statistics=ITEM_STATISTICS, minimum=MIN_RESPONDENTS)
                 for parts in (overall, [every]))  # type: ignore[return-value]


def assert_same_results(respondents: pd.DataFrame, values: dict[str, pd.DataFrame]) -> None:
    """The stored-score tables equal the rescored ones exactly, and every stratum's item
    statistics (unpublished and published) equal those of the answer codes."""
    expected, expected_values = rescored()
    pd.testing.assert_frame_equal(respondents, expected, check_exact=True)
    assert values.keys() == expected_values.keys() == set(ITEM_INSTRUMENTS)
    for instrument_id, table in values.items():
        pd.testing.assert_frame_equal(table, expected_values[instrument_id], check_exact=True)
    codes = answer_codes()
    strata = respondents.groupby(["pathway", "period"])
    assert strata.ngroups > 1
    for _stratum, rows in strata:
        ids = pd.Index(rows["response_id"])
        providers = rows.set_index("response_id")["provider"]
        groups = pd.Categorical(providers, categories=sorted(providers.unique()))
        for instrument_id, table in values.items():
            instrument = instruments.get_instrument(instrument_id)
            answered = codes[instrument_id].loc[codes[instrument_id].index.intersection(ids)]
            stored = table.loc[table.index.intersection(ids)]
            pd.testing.assert_frame_equal(scored_item_summary(stored),
                                          item_summary(answered, instrument)[COLUMNS],
                                          check_exact=True)
            chosen = pd.Categorical(providers.reindex(stored.index),
                                    categories=groups.categories)
            pd.testing.assert_frame_equal(
                scored_item_statistics_by(stored, chosen),
                item_statistics_by(answered, instrument, chosen)[["group", *COLUMNS]],
                check_exact=True)
        overall, by_provider = from_codes(codes, rows)
        pd.testing.assert_frame_equal(_item_results(values, rows["response_id"]), overall,
                                      check_exact=True)
        pd.testing.assert_frame_equal(_item_results_by_provider(values, rows), by_provider,
                                      check_exact=True)


@pytest.fixture(scope="module")
def world_with_short_surveys(tmp_path_factory: pytest.TempPathFactory,
                             demo_db: Path) -> Iterator[Flask]:  # noqa: F811
    """The demo world (10,000 responses) plus three short-survey responses."""
    for app in app_on_copy(demo_db, tmp_path_factory.mktemp("results-data")):
        submit_short_surveys(app)
        yield app


def test_the_respondents_from_stored_scores_are_the_answers_rescored_to_the_bit(
    world_with_short_surveys: Flask,
) -> None:
    with world_with_short_surveys.app_context():
        respondents, values = load_respondents()
        assert len(respondents) > 10_000
        short = respondents.loc[respondents["ctm15"].isna()]
        assert len(short) == 3 and short["ctm3"].notna().sum() == 2
        assert respondents["ctm3"].notna().sum() > 10_000  # derived from the CTM-15
        assert_same_results(respondents, values)


@pytest.mark.postgres
def test_the_respondents_from_stored_scores_are_the_answers_rescored_on_postgres(
    pg_app: Flask,
) -> None:
    result = pg_app.test_cli_runner().invoke(args=["demo", "--events", "1500", "--links", "1"])
    assert result.exit_code == 0, result.output
    submit_short_surveys(pg_app)
    with pg_app.app_context():
        respondents, values = load_respondents()
        assert len(respondents) > 500 and respondents["ctm15"].isna().sum() == 3
        assert_same_results(respondents, values)


def load_demo(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["demo", "--events", "300", "--links", "1"])
    assert result.exit_code == 0, result.output


def test_the_results_read_the_stored_scores_until_a_rescore_replaces_them(
    app: Flask, runner: FlaskCliRunner
) -> None:
    load_demo(runner)
    with app.app_context():
        before, values = load_respondents()
        chosen = int(before.loc[before["i_statements"].notna(), "response_id"].iloc[0])
        row = before.set_index("response_id").loc[chosen]
        # A stored row as an older methodology might have left it, and a row of an
        # instrument this response's survey does not ask (it must not be read).
        db.session.execute(update(ResponseScore).where(
            ResponseScore.response_id == chosen, ResponseScore.instrument_id == "ctm15",
        ).values(score=12.5, measures={"ctm3_score": 7.0, "q1_top_box": 1, "q1_positive": 1},
                 item_scores={"q1": 100.0}))
        db.session.add(ResponseScore(
            response_id=chosen, instrument_id="ctm3", instrument_version="1", score=1.0,
            n_scored=3, status="scored", measures={}, item_scores={},
            methodology_version="old"))
        db.session.commit()
        changed, changed_values = load_respondents()
        got = changed.set_index("response_id").loc[chosen]
        assert (got["ctm15"], got["ctm3"], got["ctm15.q1"]) == (12.5, 7.0, 100.0)
        assert np.isnan(got["ctm15.q2"]) and got["i_statements"] == row["i_statements"]
        items = changed_values["ctm15"].loc[chosen]
        assert (items[("score", "q1")], items[("top_box", "q1")]) == (100.0, 1.0)
        assert np.isnan(items[("positive", "q2")])
        others = changed["response_id"] != chosen
        pd.testing.assert_frame_equal(changed.loc[others], before.loc[others])
    result = runner.invoke(args=["results", "rescore"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        after, after_values = load_respondents()
    pd.testing.assert_frame_equal(after, before, check_exact=True)
    pd.testing.assert_frame_equal(after_values["ctm15"], values["ctm15"], check_exact=True)


def with_a_second_version(folder: Path) -> instruments.Registry:
    """Return the shipped instruments plus an I-statements version 2 without item i12."""
    shutil.copytree(instruments.DEFINITIONS_DIR, folder, dirs_exist_ok=True)
    first = (folder / "i_statements" / "1.yaml").read_text()
    start, end = first.index("  - id: i12\n"), first.index("scoring:\n")
    second = first[:start] + first[end:]
    (folder / "i_statements" / "2.yaml").write_text(second.replace("version: 1", "version: 2"))
    return instruments.load_registry(folder, verify_lock=False)


def test_each_response_is_read_with_the_instrument_version_its_survey_asks(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_demo(runner)
    with app.app_context():
        before, before_values = load_respondents()
    registry = with_a_second_version(tmp_path / "instruments")
    monkeypatch.setattr(instruments, "default_registry", lambda: registry)
    with app.app_context():
        survey = Survey(slug="leaving-hospital-2", title="Leaving hospital (I statements 2)")
        survey.instruments = [
            SurveyInstrument(position=n, instrument_id=i, instrument_version=v) for n, (i, v)
            in enumerate([("ctm15", "1"), ("i_statements", "2"), ("about_you", "1")], 1)]
        db.session.add(survey)
        db.session.commit()
        for _ in range(3):
            _invitation, token = issue_invitation(event=make_event(), survey=survey,
                                                  channel="sms")
            db.session.commit()
            journey = open_journey(token)
            for question in journey.questions:
                record(journey, question.key, first_option(question))
            submit(journey)
        second = set(db.session.scalars(select(ResponseScore.response_id).where(
            ResponseScore.instrument_version == "2")))
        stored = dict(db.session.execute(select(ResponseScore.response_id, ResponseScore.score)
                                         .where(ResponseScore.instrument_version == "2")).all())
        respondents, values = load_respondents()
    assert len(second) == 3 and len(respondents) == len(before) + 3
    new = respondents.set_index("response_id").loc[sorted(second)]
    assert new["i_statements"].to_dict() == stored  # version 2's stored scores
    assert new["i_statements"].notna().all() and new["i_statements.i12"].isna().all()
    assert new["i_statements.i11"].notna().all()
    old = respondents.loc[~respondents["response_id"].isin(second), list(before.columns)]
    pd.testing.assert_frame_equal(old.reset_index(drop=True), before, check_exact=True)
    statements = values["i_statements"]
    assert statements.loc[sorted(second), ("score", "i12")].isna().all()
    pd.testing.assert_frame_equal(
        statements.loc[before_values["i_statements"].index,
                       before_values["i_statements"].columns],
        before_values["i_statements"], check_exact=True)


def test_a_response_without_stored_scores_stops_the_build_until_it_is_rescored(
    app: Flask, runner: FlaskCliRunner
) -> None:
    load_demo(runner)
    with app.app_context():
        everyone, _ = load_respondents()
        missing = [int(i) for i in everyone["response_id"].iloc[:3]]
        db.session.execute(delete(ResponseScore).where(
            ResponseScore.response_id.in_(missing), ResponseScore.instrument_id == "ctm15"))
        db.session.execute(delete(ResponseScore).where(
            ResponseScore.response_id == missing[0], ResponseScore.instrument_id != "ctm15"))
        db.session.commit()
        message = ("stored scores are missing for submitted responses (ctm15@1: 3, "
                   "i_statements@1: 1); results built without them would be wrong. Run "
                   "`flask results rescore`, then build again.")
        with pytest.raises(UnscoredResponses) as raised:
            load_respondents()
        assert str(raised.value) == message
        with pytest.raises(UnscoredResponses):
            results_build.build(built_by="tests")
        failed = db.session.scalars(select(ResultsSnapshot)).one()
        assert (failed.status, failed.error) == ("failed", f"UnscoredResponses: {message}")
        assert latest_complete() is None
    result = runner.invoke(args=["results", "rescore"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        again, _ = load_respondents()
    pd.testing.assert_frame_equal(again, everyone, check_exact=True)


def numbers(count: int) -> Select[Any]:
    """Select 1…count with a fraction (empty every fifth row), on SQLite and PostgreSQL."""
    counting = select(literal(1).label("n")).cte("numbers", recursive=True)
    counting = counting.union_all(select(counting.c.n + 1).where(counting.c.n < count))
    return select(counting.c.n, case((counting.c.n % 5 == 0, null()),
                                     else_=cast(counting.c.n, Float) / 7))


def test_read_floats_reads_every_number_exactly_in_any_chunks(
    any_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "COPY_BYTES", 100)  # PostgreSQL: rows split across blocks
    with any_app.app_context():
        statement = numbers(3000)
        expected = np.array([tuple(row) for row in db.session.execute(statement)], dtype=float)
        got = bulk.read_floats(statement, chunk=7)
        assert got.shape == (3000, 2) and np.isnan(got[4::5, 1]).all()
        np.testing.assert_array_equal(got, expected)  # NaN where NaN, every bit elsewhere
        assert bulk.read_floats(statement.where(literal(1) == 0)).shape == (0, 2)
