"""Results snapshots: stored tables round-trip, one builder at a time, pages read only what
was built (and say when), and say so plainly before the first build."""

from __future__ import annotations

import threading

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
from sqlalchemy import func, select
from staff import make_staff, sign_in

from survey_app.extensions import db
from survey_app.models import Organisation, ResultsSnapshot, SnapshotTable
from survey_app.results import build as results_build
from survey_app.results.store import decode, encode

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
