"""A demo world for the results, portal and report tests, built once per test process.

``flask demo`` (through the CLI runner, on a database built by the real migrations) loads
the synthetic providers; then one tiny provider, "RX9", gets five submitted responses in
one pathway and period: every result of that unit must be suppressed everywhere. Pages
and reports read only stored snapshots, so each world runs ``flask results build``'s
builder after its data is loaded (:func:`build_results`). Test modules import the
fixtures (``results_app``, ``rx9_staff`` …) from here.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from staff import Staff, make_staff

from survey_app import create_app, results
from survey_app.extensions import db
from survey_app.models import (
    Answer,
    Invitation,
    Organisation,
    Pathway,
    Response,
    TransitionEvent,
    utcnow,
)
from survey_app.results import build as results_build
from survey_app.results.data import load_invitations, load_respondents
from survey_app.results.periods import period_of
from survey_app.results.scores import store_submitted
from survey_app.results.tables import Bundle
from survey_app.services.invitations import hash_token
from survey_app.services.surveys import ensure_survey

DEMO_EVENTS = 22000  # about 10,000 responses: some units above 30 respondents, some below
SMALL_PROVIDER = "RX9"
SMALL_PATHWAY = "copd"
SMALL_RESPONDENTS = 5


def settings(path: Path) -> dict[str, object]:
    """Return create_app overrides for a test app on the SQLite file ``path``."""
    return {"APP_ENV": "test", "TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "RESULTS_REFRESH_SECONDS": 0}


def build_results(app: Flask) -> int:
    """Build a results snapshot of the world's data now (as the timer would); return its id."""
    with app.app_context():
        summary = results_build.build(force=True, built_by="tests")
    assert summary.snapshot_id is not None
    return summary.snapshot_id


def computed_bundle(app: Flask) -> Bundle:
    """Return the bundle the builder computes (respondent rows and all), for tests that
    feed its views altered respondents."""
    with app.app_context():
        respondents, answers = load_respondents()
        return Bundle(respondents, load_invitations(), answers)


def fullest_day() -> date:
    """Return a discharge date in the period with the most discharges (the demo's last
    quarter may have only just begun)."""
    days = db.session.scalars(select(TransitionEvent.discharge_date)).all()
    counts: dict[str, list[date]] = {}
    for day in days:
        counts.setdefault(period_of(day), []).append(day)
    return max(counts.values(), key=len)[0]


def add_responses(provider: Organisation, site: Organisation | None, pathway_code: str,
                  discharged: date, count: int) -> None:
    """Add ``count`` submitted CTM-15 responses of ``provider`` in one pathway, all
    discharged on ``discharged``, with their stored scores, as ``submit`` leaves them
    (in an app context; committed)."""
    pathway = db.session.scalar(select(Pathway).where(Pathway.code == pathway_code))
    survey = ensure_survey("leaving-hospital")
    now = utcnow()
    for number in range(count):
        event = TransitionEvent(
            provider=provider, site=site, pathway=pathway, discharge_date=discharged,
            from_setting="acute_ward", to_setting="home", admission_route="emergency",
            age_band="75-84", sex="female",
        )
        invitation = Invitation(
            event=event, survey=survey, token_hash=hash_token(secrets.token_urlsafe(32)),
            channel="sms", status="completed", sent_at=now,
            expires_at=now + timedelta(days=42),
        )
        response = Response(invitation=invitation, mode="online", language="en",
                            status="submitted", submitted_at=now)
        response.answers = [
            Answer(instrument_id="ctm15", instrument_version="1", item_id=f"q{item}",
                   code=str(2 + (item + number) % 3))
            for item in range(1, 16)
        ]
        db.session.add(response)
        db.session.flush()
        store_submitted(response.id, survey.instrument_keys)
    db.session.commit()


def add_small_provider(app: Flask) -> str:
    """Give provider RX9 five submitted CTM-15 responses in the demo's fullest period."""
    with app.app_context():
        latest = fullest_day()
        start = date(2020, 4, 1)
        provider = Organisation(code=SMALL_PROVIDER, name="Tiny Community Trust",
                                type_code="provider", effective_from=start)
        site = Organisation(code=f"{SMALL_PROVIDER}01", name="Tiny Cottage Hospital",
                            type_code="site", parent=provider, effective_from=start)
        add_responses(provider, site, SMALL_PATHWAY, latest, SMALL_RESPONDENTS)
    build_results(app)
    return period_of(latest)


def add_provider_responses(app: Flask, code: str, pathway_code: str, discharged: date,
                           count: int = 1) -> str:
    """Give the demo provider ``code`` ``count`` more responses in one pathway, discharged
    on ``discharged`` (say, today: the current, unfinished quarter); return its period."""
    with app.app_context():
        provider = db.session.scalar(select(Organisation).where(Organisation.code == code))
        add_responses(provider, provider.children[0] if provider.children else None,
                      pathway_code, discharged, count)
    build_results(app)
    return period_of(discharged)


def demo_database(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    """Return a SQLite file holding the demo plus RX9, building it on first use."""
    path = tmp_path_factory.getbasetemp() / "results-demo.db"
    if path.exists():
        return path
    building = path.with_suffix(".building")
    shutil.copyfile(migrated_template, building)
    app = create_app(settings(building))
    outcome = app.test_cli_runner().invoke(
        args=["demo", "--events", str(DEMO_EVENTS), "--links", "1"]
    )
    assert outcome.exit_code == 0, outcome.output
    add_small_provider(app)
    with app.app_context():
        db.engine.dispose()
    building.rename(path)
    return path


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    return demo_database(tmp_path_factory, migrated_template)


def app_on_copy(demo_db: Path, folder: Path) -> Iterator[Flask]:
    """Yield an app on a fresh copy of the demo world; results recomputed on any change."""
    path = folder / "results.db"
    shutil.copyfile(demo_db, path)
    app = create_app(settings(path))
    results.clear_cache()
    yield app
    results.clear_cache()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def results_app(tmp_path_factory: pytest.TempPathFactory, demo_db: Path) -> Iterator[Flask]:
    """One app per test module on its own copy of the demo world (computing the benchmark
    is the slow part, so a module's tests share it; tests that change results data use
    ``fresh_results_app``)."""
    yield from app_on_copy(demo_db, tmp_path_factory.mktemp("results"))


@pytest.fixture
def fresh_results_app(tmp_path: Path, demo_db: Path) -> Iterator[Flask]:
    """An app on a copy of the demo world of its own, for a test that changes it."""
    yield from app_on_copy(demo_db, tmp_path)


@pytest.fixture(scope="module")
def full_period(results_app: Flask) -> str:
    """The period with the most responses (RX9's period)."""
    with results_app.app_context():
        return period_of(fullest_day())


@pytest.fixture(scope="module")
def rz1_staff(results_app: Flask) -> Staff:
    """A provider user of the demo's best provider, RZ1."""
    return make_staff(results_app, role="provider", organisations=("RZ1",))


@pytest.fixture(scope="module")
def rx9_staff(results_app: Flask) -> Staff:
    """A provider user of the tiny provider RX9 (five respondents)."""
    return make_staff(results_app, role="provider", organisations=(SMALL_PROVIDER,))


@pytest.fixture(scope="module")
def current_quarter_app(tmp_path_factory: pytest.TempPathFactory,
                        demo_db: Path) -> Iterator[Flask]:
    """The demo world plus one response of RZ2's stroke pathway discharged today.

    The demo's quarters are complete; one patient then answers in the current quarter (as
    anyone trying a printed demo link does). That quarter becomes the latest period with
    any response, yet RZ1 has none in it and no provider enough for a benchmark.
    """
    for app in app_on_copy(demo_db, tmp_path_factory.mktemp("current-quarter")):
        add_provider_responses(app, "RZ2", "stroke", date.today())
        yield app


@pytest.fixture(scope="module")
def quarters(current_quarter_app: Flask) -> tuple[str, str]:
    """(the latest complete quarter, the current quarter with its one response)."""
    with current_quarter_app.app_context():
        known = results.snapshot().bundle.periods
    return known[-2], known[-1]
