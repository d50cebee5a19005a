"""Results snapshots: stored tables round-trip, one builder at a time, pages read only what
was built (and say when), and say so plainly before the first build."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pandas as pd
import pytest
from flask import Flask
from flask.testing import FlaskClient
from patient_pages import parse, text_of
from results_world import (
    add_responses,
    build_results,
    demo_db,
    fresh_results_app,
    fullest_day,
)
from sqlalchemy import func, select, update
from staff import make_staff, sign_in

from survey_app.extensions import db
from survey_app.models import IntakeBatch, Organisation, ResultsSnapshot, SnapshotTable, utcnow
from survey_app.results import build as results_build
from survey_app.results.store import decode, encode
from survey_app.services.journey import open_journey, record, submit

__all__ = ["demo_db", "fresh_results_app"]


def test_a_stored_table_comes_back_exactly() -> None:
    table = pd.DataFrame({
        "provider": pd.Series(["RZ1", "RZ2", "RX9"], dtype="str"),
        "n": pd.Series([35, "*", None], dtype=object),  # published: numbers and "*"
        "value": [71.123456789012345, 0.1 + 0.2, float("nan")],
        "rank": [1, 2, 3],
        "shown": [True, False, True],
        "flag": pd.array([True, None, False], dtype="boolean"),
    })
    back = decode(encode(table))
    pd.testing.assert_frame_equal(back, table)
    assert back["n"].tolist()[:2] == [35, "*"] and isinstance(back["n"][0], int)
    assert back["value"][1] == 0.1 + 0.2  # bit for bit, not rounded


def test_two_builders_at_once_make_one_snapshot(app: Flask) -> None:
    """The first builder holds its building row while the second starts: the second stops
    (BuildRunning) and the first completes the only snapshot."""
    holding, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        def hold(_snapshot: ResultsSnapshot) -> None:
            holding.set()
            assert release.wait(30)
        with app.app_context():
            outcome["first"] = results_build.build(started=hold, built_by="first")
            db.session.remove()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert holding.wait(30), "the first builder never started"
        with app.app_context():
            with pytest.raises(results_build.BuildRunning):
                results_build.build(force=True, built_by="second")
            building = db.session.scalars(select(ResultsSnapshot.built_by).where(
                ResultsSnapshot.status == "building")).all()
            assert building == ["first"]  # overlapping, and still the first's
    finally:
        release.set()
        thread.join(60)
    with app.app_context():
        rows = db.session.execute(select(ResultsSnapshot.status, ResultsSnapshot.built_by))
        assert [tuple(r) for r in rows] == [("complete", "first")]
        assert db.session.scalar(select(func.count()).select_from(SnapshotTable)) > 0
        # From a timer: nothing changed, so nothing is built.
        assert results_build.build().skipped


def rz1_client(app: Flask) -> FlaskClient:
    staff = make_staff(app, role="provider", organisations=("RZ1",))
    client = app.test_client()
    assert sign_in(client, staff.email, staff.password).status_code == 302
    return client


def stroke_responses(client: FlaskClient, period: str) -> tuple[str, str, str]:
    """Return (snapshot header, RZ1's stroke response count, the "built at" line)."""
    response = client.get(f"/provider/RZ1/?period={period}&pathway=stroke")
    assert response.status_code == 200
    page = parse(response)
    row = page.find("table").find("tbody").find("tr")
    return (response.headers["X-Results-Snapshot"], text_of(row),
            text_of(page.find(id="results-built")))


def test_a_page_changes_after_the_build_and_until_then_says_when_it_was_built(
    fresh_results_app: Flask
) -> None:
    app = fresh_results_app
    client = rz1_client(app)
    with app.app_context():
        day = fullest_day()
        period = f"{day.year}-Q{(day.month - 1) // 3 + 1}"
        built = db.session.scalar(select(func.max(ResultsSnapshot.id)))
    before = stroke_responses(client, period)
    assert before[0] == str(built) and before[2].startswith("These results were built at")
    with app.app_context():
        rz1 = db.session.scalar(select(Organisation).where(Organisation.code == "RZ1"))
        add_responses(rz1, rz1.children[0], "stroke", day, 40)
    waiting = stroke_responses(client, period)
    assert waiting == before  # submitted, not built: the previous snapshot, and when
    build_results(app)
    after = stroke_responses(client, period)
    assert int(after[0]) > built and after[1] != before[1]


def test_before_the_first_build_pages_say_so_instead_of_computing(
    fresh_results_app: Flask
) -> None:
    app = fresh_results_app
    client = rz1_client(app)
    with app.app_context():
        db.session.execute(db.delete(SnapshotTable))
        db.session.execute(db.delete(ResultsSnapshot))
        db.session.commit()
    response = client.get("/provider/RZ1/")
    assert response.status_code == 503
    words = text_of(parse(response))
    assert "Results are not ready yet" in words and "last build" not in words
    assert "X-Results-Snapshot" not in response.headers
    links = {a["href"] for a in parse(response).select("main a")}
    assert {"/provider/RZ1/comments", "/provider/RZ1/intake",  # these need no snapshot
            "/provider/RZ1/response-funnel"} <= links
    with app.app_context():
        db.session.add(ResultsSnapshot(data_version="x", methodology_version="1",
                                       status="failed", built_by="timer"))
        db.session.commit()
    assert "The last build failed at" in text_of(parse(client.get("/provider/RZ1/")))
    build_results(app)
    assert client.get("/provider/RZ1/").status_code == 200


def submit_responses(app: Flask, make_invitation: Callable[..., str], count: int) -> None:
    """Submit ``count`` short-survey responses through the journey (scores stored)."""
    for _ in range(count):
        token = make_invitation(app, survey="leaving-hospital-short")
        with app.app_context():
            journey = open_journey(token)
            for question in journey.questions:
                record(journey, question.key, question.options[0].code)
            submit(journey)


def test_the_watcher_builds_when_a_build_is_due_and_not_before(
    app: Flask, make_invitation: Callable[..., str]
) -> None:
    """No snapshot, a burst of submissions, an intake batch, or any change once the
    snapshot is old: each makes ``flask results watch --once`` build, and nothing else."""
    runner = app.test_cli_runner()

    def watch(*args: str) -> str:
        result = runner.invoke(args=["results", "watch", "--once", *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert "Building: no results snapshot has been built yet." in watch()
    assert "No build is due." in watch()
    submit_responses(app, make_invitation, 2)
    assert "No build is due." in watch("--burst", "3")  # 2 of 3, and the snapshot is new
    assert "Building: 2 responses were submitted since snapshot" in watch("--burst", "2")
    submit_responses(app, make_invitation, 1)
    assert "No build is due." in watch("--max-wait", "1")
    with app.app_context():
        db.session.execute(update(ResultsSnapshot).values(
            finished_at=utcnow() - timedelta(minutes=2)))
        db.session.commit()
    assert "is over 0:01:00 old" in watch("--max-wait", "1")
    make_invitation(app)  # a new invitation, brought by an intake batch
    with app.app_context():
        db.session.add(IntakeBatch(source="csv", sha256="0" * 64, status="complete",
                                   finished_at=utcnow(), received=1, accepted=1))
        db.session.commit()
    assert "Building: intake batch" in watch()
    assert "No build is due." in watch()
    with app.app_context():
        statuses = db.session.scalars(select(ResultsSnapshot.status)).all()
    assert statuses == ["complete", "complete"]  # the two newest are kept
    # Only the short survey was answered (a CTM-3 but no CTM-15): the pages still work.
    staff = make_staff(app, role="provider", organisations=("RX1",))
    client = app.test_client()
    assert sign_in(client, staff.email, staff.password).status_code == 302
    page = client.get("/provider/RX1/")
    assert page.status_code == 200 and parse(page).find("table") is not None
