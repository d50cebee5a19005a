"""Build a results snapshot: every published table the portal and reports read, computed
once with the ``analysis`` code (``results.tables.Bundle``) and stored.

Ten bundles are built, each over every respondent nationally: providers as the units,
with no filter and for each way of answering; and sites as the units (each respondent
under its site's code), again with no filter and for each way of answering. A page
filtered to one site reads the provider-level tables with that provider's rows taken from
the site-level ones (``store.overlay``): the site is benchmarked against the same
national respondents as its trust, and the other providers are shown as they are. So the
build's work does not grow with the number of sites, and neither does what it stores.

One builder at a time: the ``building`` row is unique (a partial unique index), so a
second builder's insert fails and it stops; on PostgreSQL an advisory lock held for the
whole build tells a crashed builder's row (no lock behind it) from a running one. The
previous complete snapshot stays readable until the new one is complete; older ones are
deleted (``KEEP``).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import pandas as pd
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError

from analysis import METHODOLOGY_VERSION
from survey_app.extensions import db
from survey_app.models import IntakeBatch, Response, ResultsSnapshot, SnapshotTable, utcnow
from survey_app.results.data import data_version, load_invitations, load_respondents
from survey_app.results.measures import HEADLINE
from survey_app.results.store import (
    INVITED,
    MEASURES,
    UNITS,
    encode,
    filter_key,
    latest_complete,
    table_name,
)
from survey_app.results.tables import ALL_DRIVERS, Bundle

KEEP = 2
MODES = ("online", "kiosk", "paper", "telephone")
ADVISORY_LOCK = 0x5E5175  # pg_advisory_lock key of the results builder
STALE_AFTER = timedelta(hours=2)  # SQLite: a building row older than this is a dead build


class BuildRunning(RuntimeError):
    """Another builder holds the building snapshot."""


@dataclass(frozen=True)
class Plan:
    """One bundle to build: units are providers or sites, for everyone or one mode."""

    sites: bool = False
    mode: str | None = None

    @property
    def key(self) -> str:
        return filter_key(mode=self.mode, sites=self.sites)


@dataclass(frozen=True)
class BuildSummary:
    """What a build did: the snapshot, its tables and bundles, or why it did nothing."""

    snapshot_id: int | None
    tables: int
    bundles: int
    skipped: str | None = None


PLANS = [Plan(sites, mode) for sites in (False, True) for mode in (None, *MODES)]


def bundle_for(everyone: Bundle, plan: Plan) -> Bundle:
    """Return the bundle of the plan: one mode's respondents (or all), under their
    provider's code or their site's (a respondent with no site keeps its provider's)."""
    respondents, invitations = everyone.respondents, everyone.invitations
    if plan.mode is not None:
        respondents = respondents.loc[respondents["mode"] == plan.mode]
    if plan.sites:
        respondents = respondents.assign(provider=_site_or_provider(respondents))
        invitations = invitations.assign(provider=_site_or_provider(invitations))
    return Bundle(respondents, invitations, everyone.answers)


def _site_or_provider(table: pd.DataFrame) -> pd.Series:
    if "site" not in table.columns:
        return table["provider"]
    return table["site"].where(table["site"].notna() & (table["site"] != ""),
                               table["provider"])


def _units(bundle: Bundle) -> dict[str, pd.DataFrame]:
    """Return what the views read of the respondents and invitations (no one's rows)."""
    invited = bundle.invitations[["provider", "pathway"]] if not bundle.invitations.empty \
        else pd.DataFrame(columns=["provider", "pathway"])
    return {
        UNITS: bundle.respondents[["provider", "pathway", "period"]].drop_duplicates()
        .reset_index(drop=True),
        INVITED: invited.drop_duplicates().reset_index(drop=True),
        MEASURES: pd.DataFrame({"column": [m.column for m in bundle.measures]}),
    }


def tables_for(bundle: Bundle) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield (name, published table) of everything the pages read of one bundle."""
    yield from _units(bundle).items()
    if not bundle.measures:  # nobody answered this way: counts and rates only
        yield table_name(("trends", HEADLINE)), bundle.trends(HEADLINE)  # empty
        for name in ("rates", "responses"):
            yield name, getattr(bundle, name)()
        return
    bundle.compute_all()
    for key, table in list(bundle._memo.items()):
        if key[0] not in ("raw", "index", *ALL_DRIVERS):
            yield table_name(key), table


def _version_text() -> str:
    """Return the current data version as stored on a snapshot."""
    version = data_version()
    return (f"responses={version.responses};last={version.last_response};"
            f"submitted={version.last_submitted};invitations={version.invitations};"
            f"last_invitation={version.last_invitation}")


@contextmanager
def _builder_lock() -> Iterator[None]:
    """Hold the builder's advisory lock for the whole build on PostgreSQL, on a connection
    of its own: a session's pooled connection can be handed to another thread after a
    commit, which would then hold the lock too (it is re-entrant) while the unlock ran
    elsewhere. BuildRunning if another builder holds it; nothing on SQLite."""
    if db.engine.dialect.name != "postgresql":
        yield
        return
    with db.engine.connect() as connection:
        locked = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                    {"key": ADVISORY_LOCK}).scalar()
        connection.commit()
        if not locked:
            raise BuildRunning("another results build holds the lock")
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK})
            connection.commit()


def _fail_dead_builds() -> None:
    """Mark a building row failed when its builder is gone: on PostgreSQL any (we hold
    the lock, so no builder is running); on SQLite one older than ``STALE_AFTER``."""
    dead = ResultsSnapshot.status == "building"
    if db.engine.dialect.name != "postgresql":
        dead = dead & (ResultsSnapshot.started_at < utcnow() - STALE_AFTER)
    db.session.execute(update(ResultsSnapshot).where(dead).values(
        status="failed", finished_at=utcnow(), error="the builder stopped before finishing"))
    db.session.commit()


def start(built_by: str) -> ResultsSnapshot:
    """Insert and commit this build's ``building`` row (holding the builder lock);
    BuildRunning if one exists."""
    _fail_dead_builds()
    snapshot = ResultsSnapshot(data_version=_version_text(), built_by=built_by[:200],
                               methodology_version=METHODOLOGY_VERSION, status="building")
    db.session.add(snapshot)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise BuildRunning("another results build is running") from None
    return snapshot


def prune(keep: int = KEEP) -> None:
    """Delete every snapshot but the newest ``keep`` complete ones (and one building)."""
    kept = list(db.session.scalars(select(ResultsSnapshot.id).where(
        ResultsSnapshot.status == "complete").order_by(ResultsSnapshot.id.desc()).limit(keep)))
    old = select(ResultsSnapshot.id).where(ResultsSnapshot.id.not_in(kept),
                                           ResultsSnapshot.status != "building")
    db.session.execute(delete(SnapshotTable).where(SnapshotTable.snapshot_id.in_(old)))
    db.session.execute(delete(ResultsSnapshot).where(ResultsSnapshot.id.in_(old)))
    db.session.commit()


BURST = 100  # submissions since the latest snapshot that make a build due at once
MAX_WAIT = timedelta(minutes=15)  # any other change waits at most this long


def due(*, burst: int = BURST, max_wait: timedelta = MAX_WAIT) -> str | None:
    """Return why a build is due now, or None: no snapshot yet, a new methodology, an
    intake batch finished since the latest snapshot, ``burst`` submissions since it, or
    any other change to its data once it is ``max_wait`` old. Cheap: a few aggregates."""
    latest = latest_complete()
    if latest is None:
        return "no results snapshot has been built yet"
    if latest.methodology_version != METHODOLOGY_VERSION:
        return f"the methodology is now version {METHODOLOGY_VERSION}"
    if latest.data_version == _version_text():
        return None
    batch = db.session.scalar(select(IntakeBatch.id).where(
        IntakeBatch.finished_at > latest.started_at, IntakeBatch.accepted > 0).limit(1))
    if batch is not None:
        return f"intake batch {batch} finished after snapshot {latest.id} started"
    submitted = db.session.scalar(select(func.count(Response.id)).where(
        Response.status == "submitted", Response.submitted_at > latest.started_at)) or 0
    if submitted >= burst:
        return f"{submitted:,} responses were submitted since snapshot {latest.id}"
    built = latest.finished_at or latest.started_at
    if utcnow() - built >= max_wait:
        return f"the data changed and snapshot {latest.id} is over {max_wait} old"
    return None


def default_builder() -> str:
    """Return who is building: the process's user, host and id."""
    user = os.environ.get("USER") or os.environ.get("LOGNAME") or "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()} (flask results build)"


def build(*, built_by: str | None = None, force: bool = False, workers: int = 1,
          progress: Callable[[int, int], None] | None = None,
          started: Callable[[ResultsSnapshot], None] | None = None) -> BuildSummary:
    """Build and store a complete snapshot; skip when the latest complete one was built
    from the same data and methodology (unless ``force``). ``progress(done, total)`` is
    called per bundle, ``started`` once the building row is committed. ``workers`` > 1
    computes the bundles in that many forked processes (from the command line only: a
    fork in a threaded process can inherit a held lock)."""
    current = latest_complete()
    if not force and current is not None and current.data_version == _version_text() \
            and current.methodology_version == METHODOLOGY_VERSION:
        return BuildSummary(current.id, current.tables, 0,
                            skipped=f"snapshot {current.id} is of the current data")
    with _builder_lock():
        snapshot = start(built_by or default_builder())
        snapshot_id = snapshot.id
        try:
            if started is not None:
                started(snapshot)
            summary = _store(snapshot_id, progress, workers)
            db.session.execute(update(ResultsSnapshot).where(
                ResultsSnapshot.id == snapshot_id).values(
                    status="complete", finished_at=utcnow(), tables=summary.tables))
            db.session.commit()
        except BaseException as exc:
            db.session.rollback()
            db.session.execute(update(ResultsSnapshot).where(
                ResultsSnapshot.id == snapshot_id).values(
                    status="failed", finished_at=utcnow(),
                    error=f"{type(exc).__name__}: {exc}"[:2000]))
            db.session.commit()
            raise
    prune()
    return summary


_EVERYONE: list[Bundle] = []  # set in the parent just before the workers fork


def _encoded(plan: Plan) -> list[tuple[str, int, bytes]]:
    """Return (name, rows, payload) of every table of one plan (in a worker or not)."""
    return [(name, len(table), encode(table))
            for name, table in tables_for(bundle_for(_EVERYONE[0], plan))]


def _computed(workers: int) -> Iterator[tuple[Plan, list[tuple[str, int, bytes]]]]:
    """Yield each plan's encoded tables as they are done, from ``workers`` forked
    processes sharing the respondents read once in the parent (1: in this process)."""
    if workers <= 1:
        yield from ((plan, _encoded(plan)) for plan in PLANS)
        return
    context = multiprocessing.get_context("fork")
    gc.freeze()  # the respondents are read-only from here: shared pages stay shared
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {pool.submit(_encoded, plan): plan for plan in PLANS}
            for future in as_completed(futures):
                yield futures[future], future.result()
    finally:
        gc.unfreeze()


def _store(snapshot_id: int, progress: Callable[[int, int], None] | None,
           workers: int = 1) -> BuildSummary:
    """Compute every plan's tables and store them under the snapshot, plan by plan."""
    respondents, answers = load_respondents()
    _EVERYONE[:] = [Bundle(respondents, load_invitations(), answers)]
    db.session.commit()  # no transaction (or SQLite lock) held while computing
    stored = 0
    try:
        for done, (plan, tables) in enumerate(_computed(workers), start=1):
            db.session.execute(SnapshotTable.__table__.insert(), [
                {"snapshot_id": snapshot_id, "filter": plan.key, "name": name, "rows": rows,
                 "payload": payload} for name, rows, payload in tables])
            db.session.commit()
            stored += len(tables)
            if progress is not None:
                progress(done, len(PLANS))
    finally:
        _EVERYONE.clear()
    return BuildSummary(snapshot_id, stored, len(PLANS))
