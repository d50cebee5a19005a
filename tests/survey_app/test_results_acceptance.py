"""Acceptance tests of the stored results (issue 11), run the way people use them.

* The stored benchmark is what an analyst gets from ``python -m analysis benchmark`` on
  the scores ``flask results export-scores`` writes: every unit row, count, value,
  interval, band and suppressed cell.
* Two app instances in separate gunicorn processes show the same results as each other
  and as the stored snapshot, from the snapshot alone: the answers and scores the results
  were computed from are gone before either starts, so nothing can be computed on a
  request.
* Builders at once on PostgreSQL — a held one in a thread of this process, another in a
  thread, a real ``flask results build`` process, six threads racing a build between its
  bundles — make exactly one complete snapshot: every loser is "busy" (exit 75 from the
  command), nothing is stored twice, and the lock is free afterwards.

The world here is a small demo (``flask demo``) plus 30 responses that lift one unit of
RZ1 over the minimum for a result, scored by ``flask results rescore`` as a bulk load
must be, and built by ``flask results build``.
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import requests
from bs4 import BeautifulSoup
from flask import Flask
from production import REPOSITORY, Certificate, gunicorn_server, self_signed_certificate
from results_world import add_responses, fullest_day, settings
from sqlalchemy import func, select, text
from staff import make_staff

from survey_app import create_app, results
from survey_app.extensions import db
from survey_app.models import Organisation, Pathway, ResponseScore, ResultsSnapshot, SnapshotTable
from survey_app.results import build as results_build
from survey_app.results import store
from survey_app.results.commands import BUSY
from survey_app.results.data import load_respondents
from survey_app.results.periods import period_of

DEMO_EVENTS = 2000
PROVIDER, SITE, PATHWAY = "RZ1", "RZ101", "frail-elderly"
ADDED = 30  # with the demo's own, RZ1's frail-elderly unit has enough for a result
UNIT_LEVEL = "provider × pathway × period"
KEY = ["level", "provider", "pathway", "period"]
CLI_DECIMALS = 6  # analysis.commands.csv_files.DECIMALS: what `benchmark` writes


@dataclass(frozen=True)
class World:
    path: Path  # SQLite file: the demo, built
    snapshot_id: int
    period: str  # the period of RZ1's unit with a result


def cli(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Iterator[World]:
    path = tmp_path_factory.mktemp("acceptance") / "world.db"
    shutil.copyfile(migrated_template, path)
    app = create_app(settings(path))
    cli(app, "demo", "--events", str(DEMO_EVENTS), "--links", "1")
    with app.app_context():
        rz1 = db.session.scalar(select(Organisation).where(Organisation.code == PROVIDER))
        site = next(s for s in rz1.children if s.code == SITE)
        day = fullest_day()
        add_responses(rz1, site, PATHWAY, day, ADDED)  # a bulk load: no scores stored yet
    cli(app, "results", "rescore")
    assert "Built snapshot" in cli(app, "results", "build")
    with app.app_context():
        snapshot = store.latest_complete()
        assert snapshot is not None
        snapshot_id = snapshot.id
        db.engine.dispose()
    results.clear_cache()
    yield World(path, snapshot_id, period_of(day))


def app_on(path: Path) -> Flask:
    return create_app(settings(path))


def copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database whole, with what its write-ahead log still holds."""
    with sqlite3.connect(source) as reading, sqlite3.connect(target) as writing:
        reading.backup(writing)
    reading.close()
    writing.close()


# --- 1. the stored benchmark equals `analysis benchmark` on the exported scores ----------

def published(value: object) -> object:
    """A stored cell as the CLI's CSV spells it: "" for missing, text as is, or a number."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool | str):
        return str(value)
    return value


def same_cell(stored: object, written: str) -> bool:
    """Say whether a CSV cell of the CLI is the stored cell (numbers to the CLI's places)."""
    expected = published(stored)
    if isinstance(expected, str):
        return written == expected
    if isinstance(expected, int):
        return written == str(expected)
    try:
        number = float(written)
    except ValueError:
        return False
    return abs(number - float(expected)) <= 0.5 * 10**-CLI_DECIMALS + 1e-9 * abs(number)


def test_the_stored_benchmark_equals_analysis_benchmark_on_the_exported_scores(
    world: World, tmp_path: Path
) -> None:
    app = app_on(world.path)
    scores, bench = tmp_path / "scores.csv", tmp_path / "bench.csv"
    assert "submitted responses" in cli(app, "results", "export-scores", "-o", str(scores))
    exported = pd.read_csv(scores, dtype={"period": str})
    with app.app_context():
        # The export carries the stored scores (to its ten places), one row a response.
        stored_scores = dict(db.session.execute(select(
            ResponseScore.response_id, ResponseScore.score).where(
            ResponseScore.instrument_id == "ctm15")).all())
        measures = list(store.load_table(world.snapshot_id, "", store.MEASURES)["column"])
        tables = {m: store.load_table(world.snapshot_id, "", f"benchmark/{m}")
                  for m in measures}
    assert exported["response_id"].is_unique
    assert sorted(exported["response_id"]) == sorted(stored_scores)
    ctm15 = exported.set_index("response_id")["ctm15"]
    for response_id, value in stored_scores.items():
        if value is None:
            assert math.isnan(ctm15[response_id])
        else:
            assert abs(ctm15[response_id] - value) <= 0.5e-10, response_id
    assert "ctm15" in measures and "ctm3" in measures and len(measures) > 3

    run = subprocess.run(
        [sys.executable, "-m", "analysis", "benchmark", str(scores),
         "--measure", ",".join(measures), "--by", "provider,pathway,period",
         "--adjust-default", "-o", str(bench)],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, run.stderr
    written = pd.read_csv(bench, dtype=str, keep_default_na=False)

    shown = suppressed = empty = 0
    for measure, table in tables.items():
        assert table is not None, measure
        mine = written.loc[written["measure"] == measure]
        assert list(mine.columns) == list(table.columns)
        stored_rows = {tuple(map(str, r)): i for i, r in enumerate(table[KEY].itertuples(
            index=False, name=None))}
        cli_rows = {tuple(r): i for i, r in enumerate(mine[KEY].itertuples(
            index=False, name=None))}
        assert len(stored_rows) == len(table) and len(cli_rows) == len(mine)  # no repeats
        assert sorted(stored_rows) == sorted(cli_rows), measure
        for key, at in stored_rows.items():
            row, other = table.iloc[at], mine.iloc[cli_rows[key]]
            different = [(c, row[c], other[c]) for c in table.columns
                         if not same_cell(row[c], other[c])]
            assert different == [], (measure, key, different)
            if key[0] == UNIT_LEVEL:
                value = published(row["value"])
                shown += not isinstance(value, str)
                suppressed += value == "*"
                empty += value == ""
    # Every kind of unit cell was compared: results, "*" (1–7 people) and too few (empty).
    assert shown and suppressed and empty, (shown, suppressed, empty)
    unit = tables["ctm15"].set_index(KEY).loc[(UNIT_LEVEL, PROVIDER, PATHWAY, world.period)]
    assert isinstance(published(unit["adjusted_value"]), float) and unit["n"] >= 30


def test_export_scores_refuses_responses_without_stored_scores(world: World,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "world.db"
    copy_database(world.path, path)
    app = app_on(path)
    with app.app_context():
        db.session.execute(ResponseScore.__table__.delete().where(
            ResponseScore.response_id == db.session.scalar(
                select(func.min(ResponseScore.response_id)))))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["results", "export-scores", "-o",
                                                str(tmp_path / "scores.csv")])
    assert result.exit_code != 0 and "flask results rescore" in result.output
    assert not (tmp_path / "scores.csv").exists()


# --- 2. two app processes show the same stored results, computing nothing ---------------

def csrf_token(html: str) -> str:
    field = BeautifulSoup(html, "html.parser").find("input", attrs={"name": "csrf_token"})
    assert field is not None, "no CSRF token on the page"
    return str(field["value"])


class Browser:
    """A browser on one server: cookies, and the certificate checked on every request (a
    session-wide ``verify`` loses to REQUESTS_CA_BUNDLE in the environment)."""

    def __init__(self, url: str, certificate: Certificate) -> None:
        self.url, self.verify = url, str(certificate.cert)
        self.session = requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.url + path, allow_redirects=False, verify=self.verify,
                                timeout=120)

    def sign_in(self, email: str, password: str) -> None:
        page = self.get("/staff/sign-in")
        assert page.status_code == 200
        posted = self.session.post(
            self.url + "/staff/sign-in", allow_redirects=False, verify=self.verify,
            data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
            headers={"Referer": self.url + "/staff/sign-in"}, timeout=60)
        assert posted.status_code == 302, posted.text[:500]


PER_REQUEST = [re.compile(r'nonce="[^"]*"'),
               re.compile(r'(name="csrf_token"\s+value=")[^"]*"')]


def page_without_tokens(html: str) -> str:
    """The page less what differs on every request (CSP nonces, CSRF tokens)."""
    for pattern in PER_REQUEST:
        html = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "…", html)
    return html


def pdf_text(body: bytes, folder: Path, name: str) -> str:
    path = folder / name
    path.write_bytes(body)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


def stored_unit(world: World, filter_: str, unit: str) -> pd.Series:
    """The stored CTM-15 result of ``unit`` in the pathway and period, under a filter."""
    table = store.load_table(world.snapshot_id, filter_, "benchmark/ctm15")
    assert table is not None, filter_
    row = table.set_index(KEY).loc[(UNIT_LEVEL, unit, PATHWAY, world.period)]
    assert isinstance(row["adjusted_value"], float), (filter_, unit)  # a result, shown
    return row


def remove_respondent_data(path: Path) -> None:
    """Drop the answers and stored scores and unsubmit every response, outside the app:
    computing any result now fails (no table) or changes every number (no respondents)."""
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TABLE answers")
        connection.execute("DROP TABLE response_scores")
        connection.execute("UPDATE responses SET status = 'in_progress', submitted_at = NULL")
    connection.close()


def test_two_app_processes_show_the_same_stored_results_computing_nothing(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "served.db"
    copy_database(world.path, path)
    app = app_on(path)
    staff = make_staff(app, role="provider", organisations=(PROVIDER,))
    with app.app_context():
        everyone, online, site = (
            stored_unit(world, key, unit) for key, unit in (
                (store.filter_key(), PROVIDER), (store.filter_key(mode="online"), PROVIDER),
                (store.filter_key(sites=True), SITE)))
        pathway_name = db.session.scalar(select(Pathway.name).where(Pathway.code == PATHWAY))
        db.engine.dispose()
    remove_respondent_data(path)
    with app.app_context(), pytest.raises(Exception, match="answers|response_scores"):
        load_respondents()  # the trap is armed: nothing can be computed from the database
    results.clear_cache()

    period = world.period
    pages = {
        "dashboard": f"/provider/{PROVIDER}/?period={period}",
        "pathway": f"/provider/{PROVIDER}/pathways/{PATHWAY}?period={period}",
        "by mode": f"/provider/{PROVIDER}/?period={period}&mode=online",
        "by site": f"/provider/{PROVIDER}/pathways/{PATHWAY}?period={period}&site={SITE}",
        "csv": f"/provider/{PROVIDER}/reports/{period}.csv",
        "pdf": f"/provider/{PROVIDER}/reports/{period}.pdf",
    }
    certificate = self_signed_certificate(tmp_path)
    database = f"sqlite:///{path}"
    seen: list[dict[str, requests.Response]] = []
    with gunicorn_server(database, certificate, tmp_path / "one.log") as one, \
            gunicorn_server(database, certificate, tmp_path / "two.log") as two:
        assert one.process.pid != two.process.pid
        for server in (one, two):
            browser = Browser(server.url, certificate)
            browser.sign_in(staff.email, staff.password)
            got = {name: browser.get(page) for name, page in pages.items()}
            for name, response in got.items():
                assert response.status_code == 200, (server.url, name, response.text[:500])
                assert response.headers["X-Results-Snapshot"] == str(world.snapshot_id), name
            seen.append(got)
        for server in (one, two):  # no request failed, nothing went wrong behind one
            log = server.log_text()
            assert not re.search(r'HTTP/1\.1" 5\d\d ', log) and "Traceback" not in log, log

    first, second = seen
    for name in ("dashboard", "pathway", "by mode", "by site"):
        assert page_without_tokens(first[name].text) == page_without_tokens(second[name].text), \
            name
    assert first["csv"].content == second["csv"].content  # byte for byte
    text = pdf_text(first["pdf"].content, tmp_path, "one.pdf")
    assert text == pdf_text(second["pdf"].content, tmp_path, "two.pdf")

    # The same numbers as the snapshot: RZ1's (or its site's) CTM-15 result in the unit,
    # from the stored table of each page's filter.
    table = pd.read_csv(io.BytesIO(first["csv"].content), encoding="utf-8-sig",
                        dtype=str, keep_default_na=False)
    headline = table.loc[(table["table"] == "headline") & (table["pathway"] == pathway_name)
                         & (table["measure"] == "CTM-15 score")]
    assert len(headline) == 1, table["table"].unique()
    row = headline.iloc[0]
    assert (row["respondents"], row["score_adjusted"], row["score_unadjusted"],
            row["ci_lower"], row["ci_upper"], row["compared"]) == (
        str(everyone["n"]), *(f"{everyone[c]:.1f}" for c in (
            "adjusted_value", "value", "ci_lower", "ci_upper")), everyone["band"])
    for name, unit in (("dashboard", everyone), ("by mode", online)):
        cells = table_row(first[name].text, pathway_name)
        assert {str(unit["n"]), f"{unit['adjusted_value']:.0f}",
                str(unit["band"]).capitalize()} <= set(cells), (name, cells)
    for name, unit in (("pathway", everyone), ("by site", site)):
        assert f"{unit['adjusted_value']:.1f}" in words_of(first[name].text), name
    assert f"{everyone['adjusted_value']:.1f}" in text
    assert len({everyone["adjusted_value"], online["adjusted_value"],
                site["adjusted_value"]}) == 3  # three different stored results shown


def words_of(html: str) -> str:
    return " ".join(BeautifulSoup(html, "html.parser").get_text().split())


def table_row(html: str, first_cell: str) -> list[str]:
    """The cells' words of the (one) table row headed ``first_cell``."""
    rows = [[" ".join(cell.get_text().split()) for cell in tr.find_all(["th", "td"])]
            for tr in BeautifulSoup(html, "html.parser").find_all("tr")]
    found = [cells for cells in rows if cells and cells[0] == first_cell]
    assert len(found) == 1, f"{len(found)} rows headed {first_cell!r}"
    return found[0]


# --- 3. two builders at once on PostgreSQL: one snapshot -------------------------------

def tiny_world(app: Flask) -> None:
    """One provider, one pathway, 12 scored responses in one quarter (a quick build)."""
    with app.app_context():
        provider = Organisation(code="RQ1", name="Quick Test Trust", type_code="provider",
                                effective_from=date(2020, 4, 1))
        db.session.add(Pathway(code="stroke", name="Stroke", care_type="unplanned_episode"))
        db.session.commit()
        add_responses(provider, None, "stroke", date(2026, 5, 4), 12)
    cli(app, "results", "rescore")


def build_process(database: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``flask results build`` as its own process on ``database``."""
    env = {**os.environ, "APP_ENV": "test", "DATABASE_URL": database}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "results", "build",
                           *args], cwd=REPOSITORY, env=env, capture_output=True, text=True,
                          timeout=300)


def advisory_locks_held() -> int:
    """How many sessions hold the builder's advisory lock in this database."""
    return int(db.session.scalar(text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :key AND "
        "database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
        {"key": results_build.ADVISORY_LOCK}) or 0)


class HeldBuilder:
    """``build(built_by="first")`` in a thread of its own (own session), held by one of
    its hooks until :meth:`finish`: ``started`` (its building row committed, nothing
    stored) or ``progress`` (its first bundle's tables stored and committed)."""

    def __init__(self, app: Flask, hook: str) -> None:
        self.app, self.hook = app, hook
        self.holding, self.release = threading.Event(), threading.Event()
        self.outcome: object = None
        self.thread = threading.Thread(target=self._run)

    def _hold(self, *_args: object) -> None:
        if not self.holding.is_set():
            self.holding.set()
            assert self.release.wait(120)

    def _run(self) -> None:
        with self.app.app_context():
            try:
                self.outcome = results_build.build(built_by="first", **{self.hook: self._hold})
            except BaseException as exc:  # asserted on by the test
                self.outcome = exc
            finally:
                db.session.remove()

    def __enter__(self) -> HeldBuilder:
        self.thread.start()
        assert self.holding.wait(120), "the first builder never started"
        return self

    def __exit__(self, *_exc: object) -> None:
        self.finish()

    def finish(self) -> object:
        """Let the first builder go on; return what its build returned or raised."""
        self.release.set()
        self.thread.join(300)
        assert not self.thread.is_alive()
        return self.outcome


def statuses(app: Flask) -> list[tuple[str, str]]:
    """Every snapshot's (status, builder), oldest first."""
    with app.app_context():
        rows = db.session.execute(select(ResultsSnapshot.status, ResultsSnapshot.built_by)
                                  .order_by(ResultsSnapshot.id)).all()
        db.session.remove()
    return [tuple(row) for row in rows]


def only_snapshot(app: Flask, summary: object) -> None:
    """The first builder's snapshot is the only one, complete, each table stored once."""
    assert isinstance(summary, results_build.BuildSummary), summary
    assert statuses(app) == [("complete", "first")]
    with app.app_context():
        snapshot = db.session.scalars(select(ResultsSnapshot)).one()
        assert snapshot.id == summary.snapshot_id
        stored = db.session.execute(select(SnapshotTable.snapshot_id, SnapshotTable.filter,
                                           SnapshotTable.name)).all()
        assert len(stored) == snapshot.tables == summary.tables > 0
        assert len(set(stored)) == len(stored)  # no table stored twice
        assert {row[0] for row in stored} == {snapshot.id}
        assert store.load_table(snapshot.id, "", "benchmark/ctm15") is not None
        db.session.remove()


@pytest.mark.postgres
def test_two_builders_at_once_on_postgres_make_one_snapshot(pg_app: Flask) -> None:
    """The first builder (a thread) holds its building row while a second builder in this
    process and a ``flask results build`` process try: both stop, "busy"; the first then
    completes the only snapshot, each table stored once; and the lock is free again."""
    app = pg_app
    tiny_world(app)
    database = app.config["SQLALCHEMY_DATABASE_URI"]
    with HeldBuilder(app, "started") as first:
        with app.app_context():
            with pytest.raises(results_build.BuildRunning):
                results_build.build(force=True, built_by="second")
            db.session.remove()
        other = build_process(database, "--force")
        assert other.returncode == BUSY, other.stderr
        assert "Not built:" in other.stderr and "Built snapshot" not in other.stdout
        assert statuses(app) == [("building", "first")]  # overlapping, and still the first's
        summary = first.finish()
    only_snapshot(app, summary)
    # The first build is over: the next one, from another process, is not turned away.
    again = build_process(database, "--force")
    with app.app_context():
        held = advisory_locks_held()
        db.session.remove()
    assert (again.returncode, held) == (0, 0), (
        f"after the build, {held} session(s) of this process still hold the builder's "
        f"advisory lock; another process's build: exit {again.returncode}, {again.stderr}")
    assert [status for status, _ in statuses(app)] == ["complete", "complete"]


@pytest.mark.postgres
def test_builders_racing_a_build_in_progress_on_postgres_never_take_it_over(
    pg_app: Flask
) -> None:
    """While the first build is between bundles (its first one stored), six threads with
    open sessions of their own each start a build: every one is turned away, and the
    first completes the only snapshot."""
    app = pg_app
    tiny_world(app)
    racers = 6
    barrier = threading.Barrier(racers)
    outcomes: list[object] = [None] * racers

    def racer(number: int) -> None:
        with app.app_context():
            try:
                db.session.execute(text("SELECT 1"))  # a session in use, as a request's is
                barrier.wait(60)
                outcomes[number] = results_build.build(force=True, built_by=f"racer {number}")
            except BaseException as exc:  # asserted on below
                outcomes[number] = exc
            finally:
                db.session.remove()

    with HeldBuilder(app, "progress") as first:
        threads = [threading.Thread(target=racer, args=(n,)) for n in range(racers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        during = statuses(app)
        summary = first.finish()
    taken = [o for o in outcomes if not isinstance(o, results_build.BuildRunning)]
    assert taken == [], (f"racers not turned away: {taken}; snapshots meanwhile: {during}; "
                         f"the first build: {summary!r}")
    assert during == [("building", "first")]
    only_snapshot(app, summary)
