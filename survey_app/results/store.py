"""Stored results: published tables in and out of the database, and a bundle that reads them.

A table is stored as zlib-compressed JSON: its columns, each column's dtype and the rows.
JSON because a published column mixes numbers and ``*`` (which Parquet cannot hold) and
no code runs on reading it (unlike a pickle); Python's ``json`` writes a float's shortest
exact repr, so every number comes back bit for bit, ints stay ints and ``*`` stays ``*``.

:class:`StoredBundle` answers the views (``results_views``) exactly as a computed
``Bundle`` does, from one snapshot's tables for one filter, loading each on first use; it
never computes a statistic. Decoded bundles are kept in a small LRU keyed by snapshot id:
a snapshot never changes, so every worker holding one holds the same numbers.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from flask import current_app, has_app_context
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import ResultsSnapshot, SnapshotTable
from survey_app.results.measures import candidate_measures
from survey_app.results.tables import Bundle

UNITS = "units"  # provider × pathway × period of the respondents (no respondent rows)
INVITED = "invited units"  # provider × pathway of the invitations
MEASURES = "measures"
SITES = "sites"  # the bundles whose units are sites
BUNDLES_KEPT = 32


class NotBuilt(LookupError):
    """No complete snapshot (or none for this filter): pages say so instead of computing.

    ``last`` is the most recent build attempt, if any."""

    def __init__(self, message: str, last: ResultsSnapshot | None = None) -> None:
        super().__init__(message)
        self.last = last


def _plain(value: Any) -> Any:
    """Return a numpy scalar as the Python value JSON can write."""
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def encode(table: pd.DataFrame) -> bytes:
    """Return a table as compressed JSON (columns, dtypes, rows; missing cells null)."""
    cells = table.astype(object).where(table.notna(), None)
    payload = {"columns": [str(c) for c in table.columns],
               "dtypes": [str(t) for t in table.dtypes],
               "data": cells.to_numpy().tolist()}
    return zlib.compress(json.dumps(payload, default=_plain, allow_nan=False).encode(), 6)


def decode(payload: bytes) -> pd.DataFrame:
    """Return the table :func:`encode` stored, each column in its dtype again."""
    stored = json.loads(zlib.decompress(payload))
    columns = list(zip(*stored["data"], strict=True)) if stored["data"] else \
        [() for _ in stored["columns"]]
    return pd.DataFrame({
        name: pd.Series(list(values), dtype=dtype if dtype != "category" else object)
        for name, dtype, values in zip(stored["columns"], stored["dtypes"], columns,
                                       strict=True)
    }, columns=stored["columns"])


def filter_key(*, mode: str | None = None, sites: bool = False) -> str:
    """Return the stored name of a built bundle: "" (providers, everyone), "mode=paper",
    "sites" (sites as the units), "sites&mode=paper"."""
    return "&".join(([SITES] if sites else []) + ([f"mode={mode}"] if mode else []))


def overlay(base: pd.DataFrame | None, sites: pd.DataFrame | None, provider: str,
            site: str) -> pd.DataFrame | None:
    """Return a provider-level table with ``provider``'s rows replaced by ``site``'s rows
    of the site-level table (relabelled as the provider): what a page filtered to one
    site shows. Tables without providers (national item results) are the base's."""
    if base is None or sites is None or "provider" not in base.columns:
        return base
    own = sites.loc[sites["provider"] == site].assign(provider=provider)
    if own.empty:
        return base.loc[base["provider"] != provider].reset_index(drop=True)
    return pd.concat([base.loc[base["provider"] != provider], own], ignore_index=True)


def table_name(key: tuple[str, ...]) -> str:
    """Return the stored name of a bundle table, e.g. ``drivers/stroke/2026-Q2``."""
    return "/".join(key)


def latest_complete() -> ResultsSnapshot | None:
    """Return the newest complete snapshot, if any."""
    return db.session.scalar(select(ResultsSnapshot).where(
        ResultsSnapshot.status == "complete").order_by(ResultsSnapshot.id.desc()).limit(1))


def last_attempt() -> ResultsSnapshot | None:
    """Return the newest snapshot of any status (building, complete or failed)."""
    return db.session.scalar(select(ResultsSnapshot).order_by(ResultsSnapshot.id.desc())
                             .limit(1))


def load_table(snapshot_id: int, filter_: str, name: str) -> pd.DataFrame | None:
    """Return one stored table, or None if the snapshot has no such table."""
    payload = db.session.scalar(select(SnapshotTable.payload).where(
        SnapshotTable.snapshot_id == snapshot_id, SnapshotTable.filter == filter_,
        SnapshotTable.name == name))
    return None if payload is None else decode(payload)


def table_names(snapshot_id: int, filter_: str) -> list[str]:
    """Return the names of a snapshot's tables for one filter."""
    return list(db.session.scalars(select(SnapshotTable.name).where(
        SnapshotTable.snapshot_id == snapshot_id, SnapshotTable.filter == filter_)))


class StoredBundle(Bundle):
    """A bundle whose every table is read from a stored snapshot, never computed."""

    def __init__(self, snapshot_id: int, filter_: str, label: str,
                 load: Callable[[str], pd.DataFrame | None]) -> None:
        self.snapshot_id, self.filter, self.label, self._load = snapshot_id, filter_, label, load
        units, invited, measures = (load(name) for name in (UNITS, INVITED, MEASURES))
        if units is None or invited is None or measures is None:
            raise NotBuilt(f"snapshot {snapshot_id} has no tables for {label or 'all'}")
        self.respondents, self.invitations = units, invited
        self.answers = {}
        columns = set(measures["column"])
        self.measures = [m for m in candidate_measures() if m.column in columns]
        self.periods = sorted(set(units["period"].dropna()))
        self._lock = threading.RLock()
        self._memo: dict[tuple[str, ...], object] = {}

    def _cached(self, key: tuple[str, ...], compute: Callable[[], Any]) -> Any:
        """Return the stored table under ``key`` (indexes of tables are still made here)."""
        if key[0] == "index":
            return super()._cached(key, compute)
        with self._lock:
            if key not in self._memo:
                table = self._load(table_name(key))
                if table is None:
                    raise KeyError(f"snapshot {self.snapshot_id} has no table "
                                   f"{table_name(key)!r} for {self.label or 'all'}")
                self._memo[key] = table
            return self._memo[key]

    def compute_all(self, period: str | None = None) -> None:
        """Load every stored table (of ``period``'s strata, or all) now, before workers fork."""
        for name in table_names(self.snapshot_id, self.filter):
            key = tuple(name.split("/"))
            if name not in (UNITS, INVITED, MEASURES) and (
                    period is None or len(key) < 3 or key[-1] == period):
                self._cached(key, lambda: None)


_lock = threading.Lock()
_bundles: OrderedDict[tuple[str, int, str], StoredBundle] = OrderedDict()


def stored_bundle(database: str, snapshot_id: int, mode: str | None = None,
                  site: tuple[str, str] | None = None) -> StoredBundle:
    """Return the bundle of one snapshot for everyone or one ``mode``, and for one
    ``site`` given as (provider, site code) or for the providers, from the LRU or the
    database."""
    key = (database, snapshot_id, mode, site)
    with _lock:
        if key in _bundles:
            _bundles.move_to_end(key)
            return _bundles[key]
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    base = filter_key(mode=mode)

    def read(filter_: str, name: str) -> pd.DataFrame | None:
        if has_app_context():
            return load_table(snapshot_id, filter_, name)
        with app.app_context():  # a bundle used after its request: same database
            return load_table(snapshot_id, filter_, name)

    def load(name: str) -> pd.DataFrame | None:
        table = read(base, name)
        if site is None:
            return table
        return overlay(table, read(filter_key(mode=mode, sites=True), name), *site)

    label = base if site is None else "&".join(filter(None, (f"site={site[1]}", base)))
    bundle = StoredBundle(snapshot_id, base, label, load)
    with _lock:
        _bundles[key] = bundle
        while len(_bundles) > BUNDLES_KEPT:
            _bundles.popitem(last=False)
    return bundle


def clear_cache() -> None:
    """Forget every decoded bundle (between tests)."""
    with _lock:
        _bundles.clear()
