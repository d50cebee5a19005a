"""Benchmark: results at national scale on PostgreSQL (issue 11).

Generates, in a fresh PostgreSQL database built by the migrations (created and dropped by
this script), a national survey programme: ``--providers`` providers with 2–4 sites each,
10 pathways and 8 complete quarters, ``--responses`` submitted responses in the latest
quarter and fewer in each earlier one (the oldest has ``--oldest-share`` of the latest, so
about five times ``--responses`` in all), with invitations that were not answered,
declined or left half done, ways of answering mostly online (some kiosk, paper and
telephone; telephone and a few others answer the short CTM-3 survey), provider, site and
pathway effects and a case mix (age, sex, general health, who answered) that shifts the
answers. Every table is written with ``COPY`` (psycopg 3), indexes and foreign keys built
after loading, with a progress bar per table. Answer codes are drawn per respondent and
scored with the analysis scoring itself (``normalise_answers``, ``score_respondents``,
``theme_scores``, ``item_indicators``, item 0–100 scores) in vectorised chunks, and stored
in ``response_scores`` exactly as ``results.scores.score_rows`` writes them; the
about-you (case-mix) answers are stored as answer rows. The item answers are stored too
(``--answers all``) when ``load_respondents`` still reads answers rather than stored scores
(``--answers auto`` looks).

Then, in one run, against the **baseline** of a plain SQL ``SELECT provider, pathway,
avg(score) … GROUP BY provider, pathway`` over the stored CTM-15 scores (joined to their
providers and pathways, median of 3), it measures:

* ``flask results build --force`` in a child process: time, peak memory (the child's max
  RSS from ``wait4``, and the proportional set size of it and the workers it forks
  together, sampled every 2 s; the larger is judged) and progress (bundles); targets 5
  minutes and 4 GB. A build still
  running after ``--build-limit`` seconds (or above ``--memory-limit-mb``) is stopped and
  its progress recorded; without a complete snapshot nothing after it can be measured.
  When the build misses a target its work is profiled in this process (loading, then each
  table of the two bundles of every respondent, by providers and by sites) unless
  ``--no-profile``.
* ``--new`` (1,000) new submissions through the real service (``journey.open_journey``,
  ``start``, the answers, ``journey.submit``, which scores them with
  ``store_submitted``), then ``flask results build`` without ``--force``: target 60 s.
* gunicorn as production runs it (``APP_ENV=production``, TLS with a throw-away
  certificate, a private Redis for the rate limits, ``--workers 4``) on loopback, signed in
  as a provider's staff user: the dashboard, a pathway page, the dashboard filtered by
  site and by way of answering and a pathway page filtered by both, ``--requests`` each
  with ``--concurrency`` clients; p95 (the first request after start-up included, and
  shown on its own) and each worker's RSS (``VmRSS``, judged; also its PSS, which splits
  the preloaded app's shared pages). Targets p95 300 ms, 300 MB a worker.
* one provider's PDF report from the snapshot, as ``flask reports build`` renders it
  (content, charts, WeasyPrint, the snapshot's tables of the period read once before):
  target 2 s; also the whole command for one provider and the portal's download.

Every time is printed with its ratio to the baseline, then a summary table; exit status 1
if a target is missed. Run::

    .venv/bin/python bench/national.py                                  # national scale
    .venv/bin/python bench/national.py --responses 20000 --providers 40  # quick check

``--keep`` keeps the database (``survey_bench_national``), ``--reuse`` measures a kept
one again without generating (each run adds its ``--new`` submissions).
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import math
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import requests
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from flask import Flask  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402

import instruments  # noqa: E402
from analysis import METHODOLOGY_VERSION  # noqa: E402
from analysis.answers import RESPONSE_ID  # noqa: E402
from survey_app import create_app  # noqa: E402
from survey_app.demo.catalogue import PATHWAY_EFFECTS, PATHWAY_SHARES  # noqa: E402
from survey_app.demo.catalogue import PATHWAYS as DEMO_PATHWAYS  # noqa: E402
from survey_app.extensions import db  # noqa: E402
from survey_app.models import Answer, Comment, Invitation, Response, TransitionEvent  # noqa: E402
from survey_app.models.event import AGE_BANDS  # noqa: E402
from survey_app.models.intake import EXCLUSION_REASONS  # noqa: E402
from survey_app.results.scores import score_table  # noqa: E402
from survey_app.services.invitations import hash_token, new_token  # noqa: E402
from survey_app.services.questionnaire import build_questions, load_instruments  # noqa: E402
from survey_app.services.surveys import ensure_survey  # noqa: E402

OUT = ROOT / "bench" / "out"
DATABASE = "survey_bench_national"
ADMIN_URL = os.environ.get("TEST_DATABASE_URL",
                           "postgresql+psycopg://survey:survey@127.0.0.1:5432/postgres")
TARGETS = {"build_seconds": 300.0, "build_mb": 4096.0, "incremental_seconds": 60.0,
           "p95_ms": 300.0, "worker_mb": 300.0, "report_seconds": 2.0}
LONG, SHORT = "leaving-hospital", "leaving-hospital-short"
PATHWAYS = (*DEMO_PATHWAYS,
            ("general-medicine", "General medicine", "unplanned_episode",
             ("home", "home_with_care", "community_team")),
            ("mental-health", "Leaving a mental health unit", "ongoing_complex_pathways",
             ("home", "community_team")))
SHARES = {**PATHWAY_SHARES, "general-medicine": 0.14, "mental-health": 0.05}
EFFECTS = {**PATHWAY_EFFECTS, "general-medicine": -0.05, "mental-health": -0.3}
NATIONAL_AGE_MIX = np.array([0.03, 0.04, 0.05, 0.08, 0.14, 0.22, 0.26, 0.18])
CHANNELS = np.array(["sms", "email", "kiosk", "paper"], dtype=object)
CHANNEL_SHARES = [0.74, 0.10, 0.06, 0.10]
MODES = np.array(["online", "kiosk", "paper", "telephone"], dtype=object)
SEXES = np.array(["female", "male", "not_known"], dtype=object)
SETTINGS_MAX = 3  # destinations a pathway lists at most
# Answer style (as the demo generator: many answer every item Agree / Strongly agree).
ALL_AGREE, ALL_STRONGLY_AGREE, DONT_KNOW = 0.22, 0.08, 0.04
TARGET_SHARES = {4: (0.06, 0.14, 0.50, 0.30), 5: (0.05, 0.10, 0.15, 0.45, 0.25)}
ITEM_NOISE = 0.7
CHUNK = 100_000  # responses (or events) per COPY chunk
SCALE_FILE = "bench_national.json"


# --------------------------------------------------------------------------- database


def plain_url(url: str) -> str:
    """Return a SQLAlchemy URL as libpq understands it."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


def database_url(admin_url: str, name: str) -> str:
    """Return the URL of database ``name`` on the admin URL's server."""
    return re.sub(r"/[^/?]*(\?|$)", f"/{name}\\1", admin_url, count=1)


def create_database(admin_url: str, name: str) -> None:
    with psycopg.connect(plain_url(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(plain_url(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_exists(admin_url: str, name: str) -> bool:
    with psycopg.connect(plain_url(admin_url), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            (name,)).fetchone() is not None


def secrets_env() -> dict[str, str]:
    """Return fresh production secrets (for this run only)."""
    return {"SECRET_KEY": secrets.token_urlsafe(48),
            "CONTACT_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "PATIENT_KEY_SECRET": secrets.token_urlsafe(48)}


def make_app(url: str, keys: dict[str, str]) -> Flask:
    """Return the app on ``url`` as production configures it."""
    return create_app({"APP_ENV": "production", "SQLALCHEMY_DATABASE_URI": url, **keys})


@contextmanager
def copy_connection(url: str) -> Iterator[psycopg.Connection]:
    """A psycopg connection tuned for bulk loading (the session only)."""
    with psycopg.connect(plain_url(url)) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '1GB'")
        yield conn


def copy_frame(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    """COPY a frame's rows into ``table`` (columns named as the frame's), as CSV."""
    buffer = StringIO()
    frame.to_csv(buffer, header=False, index=False)
    columns = ", ".join(frame.columns)
    with conn.cursor() as cursor, cursor.copy(
            f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())


BULK_TABLES = ("transition_events", "invitations", "responses", "answers", "response_scores")


@contextmanager
def without_indexes(conn: psycopg.Connection, tables: tuple[str, ...]) -> Iterator[None]:
    """Drop the tables' foreign keys, unique constraints and secondary indexes while
    loading; build them again afterwards (primary keys and checks stay)."""
    constraints = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype "
        "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') "
        "ORDER BY contype DESC", (list(tables),)).fetchall()
    indexes = conn.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
        "WHERE indrelid = ANY(%s::regclass[]) AND NOT indisprimary AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = pg_index.indexrelid)",
        (list(tables),)).fetchall()
    for table, name, _definition, _kind in constraints:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        conn.execute(f"DROP INDEX {name}")
    conn.commit()
    yield
    statements = [definition for _name, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for table, name, definition, _kind in reversed(constraints)]  # unique before foreign
    for statement in tqdm(statements, desc="indexes and keys", unit=" index"):
        conn.execute(statement)
        conn.commit()


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    """The drawn national programme: organisations and every event's attributes."""

    providers: list[str]
    provider_ids: np.ndarray
    site_codes: list[str]
    site_ids: np.ndarray
    site_provider: np.ndarray  # provider index of each site
    pathway_ids: np.ndarray
    quarters: list[date]  # first day of each quarter, oldest first
    events: dict[str, np.ndarray] = field(default_factory=dict)


def quarter_starts(today: date, count: int) -> list[date]:
    """Return the first days of the ``count`` complete quarters before ``today``."""
    first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    starts = []
    for _ in range(count):
        month = first.month - 3
        first = date(first.year - (month < 1), month + 12 if month < 1 else month, 1)
        starts.append(first)
    return starts[::-1]


def next_quarter(start: date) -> date:
    month = start.month + 3
    return date(start.year + (month > 12), month - 12 if month > 12 else month, 1)


def cumulative_pick(rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one index per row from each row's weights (``weights[rows]``), vectorised."""
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    draw = rng.random(len(rows))
    picked = np.zeros(len(rows), dtype=np.int16)
    for column in range(weights.shape[1] - 1):
        picked += draw > cumulative[rows, column]
    return picked


def draw_world(args: argparse.Namespace, today: date) -> World:
    """Draw providers, sites and every event of every quarter (numpy arrays)."""
    rng = np.random.default_rng(args.seed)
    count = args.providers
    providers = [f"T{n:03d}" for n in range(count)]
    sites_per = rng.integers(2, 5, count)
    site_provider = np.repeat(np.arange(count), sites_per)
    site_codes = [f"{providers[p]}{k:02d}" for p in range(count)
                  for k in range(1, sites_per[p] + 1)]
    volume = rng.lognormal(0.0, 0.55, count)
    quality = rng.normal(0.0, 0.22, count)
    outliers = rng.random(count) < 0.03
    quality[outliers] += rng.choice([-0.8, 0.8], int(outliers.sum()))
    older = rng.normal(0.0, 0.35, count)
    sicker = rng.normal(0.0, 0.3, count)
    proxy_rate = np.clip(rng.normal(0.12, 0.05, count), 0.02, 0.35)
    keenness = rng.normal(0.0, 0.06, count)  # provider effect on the response rate
    site_effect = rng.normal(0.0, 0.12, len(site_codes))
    site_share = rng.dirichlet(np.full(4, 2.0), count)  # share of each (possible) site
    site_share[np.arange(4)[None, :] >= sites_per[:, None]] = 0
    site_start = np.concatenate([[0], np.cumsum(sites_per)[:-1]])
    shares = np.array([SHARES[p[0]] for p in PATHWAYS])
    effects = np.array([EFFECTS[p[0]] for p in PATHWAYS])
    planned = np.array([p[2] == "planned_episode" for p in PATHWAYS])
    age_tilt = np.exp(np.outer(older, np.arange(8) - 5) * 0.35) * NATIONAL_AGE_MIX

    quarters = quarter_starts(today, args.quarters)
    parts: list[dict[str, np.ndarray]] = []
    for q, start in enumerate(quarters):
        share = args.oldest_share + (1 - args.oldest_share) * q / max(1, args.quarters - 1)
        wanted = int(round(args.responses * share))
        n = int(wanted / 0.30) + 1000  # more than enough events; cut where enough answered
        e: dict[str, np.ndarray] = {}
        e["provider"] = rng.choice(count, n, p=volume / volume.sum()).astype(np.int16)
        local = cumulative_pick(rng, site_share, e["provider"])
        e["site"] = (site_start[e["provider"]] + local).astype(np.int32)
        e["pathway"] = rng.choice(len(PATHWAYS), n, p=shares / shares.sum()).astype(np.int8)
        e["age"] = cumulative_pick(rng, age_tilt, e["provider"]).astype(np.int8)
        e["sex"] = np.where(rng.random(n) < 0.005, 2, (rng.random(n) >= 0.54)).astype(np.int8)
        p = e["provider"]
        health = np.rint(2.8 + sicker[p] + (e["age"] - 5) * 0.15 + rng.normal(0, 1.0, n))
        e["health"] = np.clip(health, 1, 5).astype(np.int8)
        proxy = proxy_rate[p] * np.where(e["age"] >= 7, 1.8, 1.0)
        draw = rng.random(n)
        e["completed_by"] = np.where(draw < proxy, 3, np.where(draw < proxy + 0.15, 2, 1))
        e["completed_by"] = np.where(rng.random(n) < 0.01, 4, e["completed_by"]).astype(np.int8)
        e["latent"] = (quality[p] + site_effect[e["site"]] + effects[e["pathway"]]
                       + (e["age"] - 5) * 0.06 - (e["health"] - 3) * 0.2
                       - (e["completed_by"] == 3) * 0.2 + rng.normal(0, 1.0, n)).astype(np.float32)
        e["excluded"] = np.where(rng.random(n) < 0.03,
                                 rng.integers(0, len(EXCLUSION_REASONS), n), -1).astype(np.int8)
        e["channel"] = rng.choice(4, n, p=CHANNEL_SHARES).astype(np.int8)
        rate = (0.50 + (e["age"] - 5) * 0.02 + keenness[p]
                + np.select([e["channel"] == 2, e["channel"] == 3], [0.15, -0.12], 0.0))
        invited = e["excluded"] < 0
        responded = invited & (rng.random(n) < np.clip(rate, 0.05, 0.95))
        complete = responded & (rng.random(n) >= 0.10)
        enough = int(np.searchsorted(np.cumsum(complete), wanted)) + 1
        e = {k: v[:enough] for k, v in e.items()}
        n = enough
        e["responded"], e["complete"] = responded[:n], complete[:n]
        e["declined"] = invited[:n] & ~e["responded"] & (rng.random(n) < 0.08)
        # Ways of answering: SMS/email answer online (some by telephone), kiosk, paper.
        mode = np.array([0, 0, 1, 2], dtype=np.int8)[e["channel"]]
        phoned = (e["channel"] == 0) & (rng.random(n) < 0.06)
        e["mode"] = np.where(phoned, 3, mode).astype(np.int8)
        # Telephone interviews mostly use the short survey (CTM-3), a few others too.
        e["short"] = rng.random(n) < np.where(e["mode"] == 3, 0.6, 0.04)
        days = (next_quarter(start) - start).days
        e["day"] = (np.datetime64(start) + rng.integers(0, days, n)).astype("datetime64[D]")
        setting = rng.integers(0, 1 << 30, n)
        lengths = np.array([len(p[3]) for p in PATHWAYS])
        e["setting"] = (setting % lengths[e["pathway"]]).astype(np.int8)
        e["elective"] = planned[e["pathway"]]
        e["delay"] = (rng.gamma(2.0, 4.0, n) * 86400 + 3600).astype("timedelta64[s]")
        e["minutes"] = rng.integers(4, 30, n).astype(np.int8)
        order = np.argsort(e["day"], kind="stable")
        parts.append({k: v[order] for k, v in e.items()})
    events = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    return World(providers=providers, provider_ids=np.arange(1, count + 1),
                 site_codes=site_codes, site_ids=np.arange(count + 1, count + 1 + len(site_codes)),
                 site_provider=site_provider, pathway_ids=np.arange(1, len(PATHWAYS) + 1),
                 quarters=quarters, events=events)


# --------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class ItemModel:
    """How one scored item is answered: codes lowest score first, cuts, difficulty."""

    item_id: str
    codes: np.ndarray  # scored codes, worst experience first
    cuts: np.ndarray
    shift: float
    agree: str | None
    strongly_agree: str | None
    unscored: np.ndarray
    categories: list[str]


def item_models(instrument: instruments.Instrument, rng: np.random.Generator) -> list[ItemModel]:
    """Return each item's answer model (the demo generator's, with fixed difficulties)."""
    models = []
    for item in instrument.items:
        options = instrument.options_for(item.id)
        scored = sorted((o for o in options if o.scored and o.score is not None),
                        key=lambda o: o.score or 0.0)
        codes = [o.code for o in scored][::-1 if item.reverse else 1]
        shares = TARGET_SHARES.get(len(codes), tuple([1 / len(codes)] * len(codes)))
        spread = float(np.sqrt(1.0 + ITEM_NOISE**2))
        cuts = np.array([NormalDist(0, spread).inv_cdf(c) for c in np.cumsum(shares)[:-1]])
        short = {o.short_code: o.code for o in options}
        models.append(ItemModel(item.id, np.array(codes, dtype=object), cuts,
                                float(rng.normal(0, 0.25)), short.get("A"), short.get("SA"),
                                np.array([o.code for o in options if not o.scored], dtype=object),
                                [o.code for o in options]))
    return models


def rated_codes(rng: np.random.Generator, model: ItemModel, latent: np.ndarray,
                style: np.ndarray) -> pd.Categorical:
    """Answer one scored item for every respondent (style 1: all Agree, 2: all Strongly
    agree), with some "don't know" among those answering freely."""
    noise = rng.normal(0, ITEM_NOISE, len(latent))
    level = np.searchsorted(model.cuts, latent + model.shift + noise)
    answers = model.codes[level]
    for value, code in ((1, model.agree), (2, model.strongly_agree)):
        if code is not None:
            answers[style == value] = code
    if len(model.unscored):
        out = (rng.random(len(latent)) < DONT_KNOW) & (style == 0)
        answers[out] = rng.choice(model.unscored, int(out.sum()))
    return pd.Categorical(answers, categories=model.categories)


def about_you_codes(rng: np.random.Generator, e: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Return the about-you answers (option codes) of the given events' respondents."""
    n = len(e["age"])

    def prefer_not(codes: np.ndarray, share: float) -> np.ndarray:
        return np.where(rng.random(n) < share, "9", codes).astype(object)

    return {
        "completed_by": e["completed_by"].astype(str).astype(object),
        "age_band": prefer_not((e["age"] + 1).astype(str), 0.02),
        "sex": prefer_not(np.where(e["sex"] == 0, "1", "2"), 0.01),
        "general_health": prefer_not(e["health"].astype(str), 0.01),
        "main_language": np.select([rng.random(n) < 0.92, rng.random(n) < 0.9],
                                   ["1", "2"], "9").astype(object),
    }


def json_objects(table: pd.DataFrame) -> list[str]:
    """Return each row's non-empty cells as a JSON object, as ``scores._measures`` keeps
    them (ints stay ints, floats are written as Python writes them); vectorised per
    distinct value, so a million rows take seconds."""
    joined = np.full(len(table), "", dtype=object)
    for column in table.columns:
        values = table[column]
        integer = pd.api.types.is_integer_dtype(values.dtype)
        array = values.to_numpy(dtype=float, na_value=np.nan)
        distinct, inverse = np.unique(array, return_inverse=True)
        pieces = np.array(["" if math.isnan(v) else
                           f',"{column}": {int(v) if integer else json.dumps(float(v))}'
                           for v in distinct], dtype=object)
        joined = joined + pieces[inverse.ravel()]
    return ["{" + row[1:] + "}" for row in joined]


def score_frame(instrument: instruments.Instrument, wide: pd.DataFrame,
                scored_at: str) -> pd.DataFrame:
    """Score one instrument's answers as ``results.scores.score_rows`` does; return the
    ``response_scores`` rows as a frame ready to COPY."""
    scores, measures, items = score_table(instrument, wide)
    return pd.DataFrame({
        "response_id": wide[RESPONSE_ID].to_numpy(),
        "instrument_id": instrument.id,
        "instrument_version": instrument.version,
        "score": scores["score"].to_numpy(),
        "n_scored": scores["n_scored"].to_numpy(),
        "status": scores["status"].astype(str).to_numpy(),
        "measures": json_objects(measures),
        "item_scores": json_objects(items),
        "methodology_version": METHODOLOGY_VERSION,
        "scored_at": scored_at,
    })


def answer_frame(response_ids: np.ndarray, instrument: instruments.Instrument,
                 codes: dict[str, Any], answered_at: np.ndarray, first_id: int) -> pd.DataFrame:
    """Return ``answers`` rows (item by item) for the responses' codes."""
    items = list(codes)
    count = len(response_ids)
    return pd.DataFrame({
        "id": np.arange(first_id, first_id + count * len(items)),
        "response_id": np.tile(response_ids, len(items)),
        "instrument_id": instrument.id,
        "instrument_version": instrument.version,
        "item_id": np.repeat(np.array(items, dtype=object), count),
        "code": np.concatenate([np.asarray(codes[i], dtype=object) for i in items]),
        "answered_at": np.tile(answered_at, len(items)),
    })


# --------------------------------------------------------------------------- generation


def answers_mode(asked: str) -> str:
    """Return which answers to store: every item's while the results read answers, else
    the case-mix (about-you) answers only; ``auto`` reads ``results.data``."""
    if asked != "auto":
        return asked
    from survey_app.results import data

    source = inspect.getsource(data.load_respondents)
    reads_answers = "answers_table(" in source or "item_answers(" in source
    chosen = "all" if reads_answers else "about-you"
    reads = "reads answers" if reads_answers else "reads stored scores"
    print(f"answers: results.data.load_respondents {reads}: storing {chosen} answers "
          "(--answers to choose)")
    return chosen


def generate(url: str, app: Flask, args: argparse.Namespace, today: date) -> dict[str, int]:
    """Build the schema and load the whole national programme; return row counts."""
    started = time.perf_counter()
    with app.app_context():
        flask_migrate.upgrade(directory=str(ROOT / "migrations"))
        long_survey, short_survey = ensure_survey(LONG), ensure_survey(SHORT)
        db.session.commit()
        survey_ids = (long_survey.id, short_survey.id)
        bundles = {LONG: load_instruments(long_survey, "en"),
                   SHORT: load_instruments(short_survey, "en")}
        db.session.remove()
        db.engine.dispose()
    world = draw_world(args, today)
    e = world.events
    n_events = len(e["provider"])
    print(f"drew {n_events:,} discharges, {int(e['complete'].sum()):,} submitted responses "
          f"in {time.perf_counter() - started:.1f} s", flush=True)
    store = answers_mode(args.answers)
    counts: dict[str, int] = {}
    now = datetime.now(UTC).replace(microsecond=0)
    now64 = np.datetime64(now.replace(tzinfo=None), "s")
    with copy_connection(url) as conn, without_indexes(conn, BULK_TABLES):
        copy_organisations(conn, world)
        counts["events"] = copy_events(conn, world)
        counts["invitations"] = copy_invitations(conn, world, survey_ids, now64)
        counts["responses"] = copy_responses(conn, world, now64)
        answered, scored = copy_answers_and_scores(conn, world, bundles, store, args.seed, now)
        counts["answers"], counts["response_scores"] = answered, scored
        conn.commit()
    with copy_connection(url) as conn:
        for table in ("organisations", *BULK_TABLES[:-1]):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT coalesce(max(id), 1) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        for table in tqdm(("organisations", "pathways", *BULK_TABLES), desc="vacuum analyze",
                          unit=" table"):
            conn.execute(f"VACUUM (ANALYZE) {table}")
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    counts["bytes"] = int(size[0]) if size else 0
    print(f"generated in {time.perf_counter() - started:.0f} s: "
          + ", ".join(f"{k} {v:,}" for k, v in counts.items() if k != "bytes")
          + f"; database {counts['bytes'] / 2**30:.1f} GiB", flush=True)
    if store == "all":
        check_scores(app, args.seed)
    (OUT / SCALE_FILE).write_text(json.dumps({"counts": counts, "args": vars(args),
                                              "answers": store}, default=str))
    return counts


def check_scores(app: Flask, seed: int, sample: int = 300) -> None:
    """Score a sample of the stored responses again from their answer rows with
    ``results.scores.score_rows`` and require the stored rows to be the same."""
    from survey_app.models import ResponseScore
    from survey_app.results.scores import score_rows

    rng = np.random.default_rng(seed)
    compared = 0
    with app.app_context():
        for instrument_id in ("ctm15", "i_statements", "ctm3"):
            instrument = instruments.get_instrument(instrument_id)
            ids = list(db.session.scalars(select(ResponseScore.response_id).where(
                ResponseScore.instrument_id == instrument_id)))
            ids = sorted(int(i) for i in rng.choice(ids, min(sample, len(ids)), replace=False))
            stored = {row.response_id: row for row in db.session.scalars(
                select(ResponseScore).where(ResponseScore.instrument_id == instrument_id,
                                            ResponseScore.response_id.in_(ids)))}
            for row in score_rows(instrument, ids, datetime.now(UTC)):
                mine = stored[row["response_id"]]
                same = (mine.n_scored == row["n_scored"] and mine.status == row["status"]
                        and mine.measures == row["measures"]
                        and mine.item_scores == row["item_scores"]
                        and (mine.score == row["score"] or (mine.score is None
                                                            and row["score"] is None)))
                if not same:
                    raise SystemExit(f"stored scores of response {row['response_id']} "
                                     f"({instrument_id}) differ from score_rows: {row}")
                compared += 1
        db.session.remove()
    print(f"stored scores equal results.scores.score_rows for {compared:,} sampled "
          "(response, instrument) rows", flush=True)


def copy_organisations(conn: psycopg.Connection, world: World) -> None:
    copy_frame(conn, "organisations", pd.DataFrame({
        "id": np.concatenate([world.provider_ids, world.site_ids]),
        "code": [*world.providers, *world.site_codes],
        "name": [f"Synthetic {c} NHS Trust" for c in world.providers]
        + [f"Synthetic Hospital {c}" for c in world.site_codes],
        "type_code": ["provider"] * len(world.providers) + ["site"] * len(world.site_codes),
        "parent_id": pd.array([None] * len(world.providers)
                              + list(world.provider_ids[world.site_provider]), dtype="Int64"),
        "effective_from": "2019-04-01",
    }))
    copy_frame(conn, "pathways", pd.DataFrame({
        "id": world.pathway_ids, "code": [p[0] for p in PATHWAYS],
        "name": [p[1] for p in PATHWAYS], "care_type": [p[2] for p in PATHWAYS]}))


def chunks(total: int, size: int = CHUNK) -> Iterator[slice]:
    for start in range(0, total, size):
        yield slice(start, min(total, start + size))


def hex_keys(rng: np.random.Generator, count: int) -> list[str]:
    """Return ``count`` random 64-hex-digit strings (token hashes, patient keys)."""
    blob = rng.bytes(32 * count).hex()
    return [blob[i * 64:(i + 1) * 64] for i in range(count)]


def copy_events(conn: psycopg.Connection, world: World) -> int:
    e = world.events
    total = len(e["provider"])
    rng = np.random.default_rng(1)
    settings = np.array([[p[3][min(i, len(p[3]) - 1)] for i in range(SETTINGS_MAX)]
                         for p in PATHWAYS], dtype=object)
    from_setting = np.array(["mental_health_unit" if p[0] == "mental-health" else "acute_ward"
                             for p in PATHWAYS], dtype=object)
    reasons = np.array(EXCLUSION_REASONS, dtype=object)
    with tqdm(total=total, desc="transition_events", unit=" rows") as bar:
        for part in chunks(total):
            ids = np.arange(part.start + 1, part.stop + 1)
            pathway = e["pathway"][part]
            excluded = e["excluded"][part]
            day = e["day"][part]
            copy_frame(conn, "transition_events", pd.DataFrame({
                "id": ids,
                "provider_id": world.provider_ids[e["provider"][part]],
                "site_id": world.site_ids[e["site"][part]],
                "pathway_id": world.pathway_ids[pathway],
                "source_reference": [f"NAT{i:09d}" for i in ids],
                "discharge_date": day,
                "from_setting": from_setting[pathway],
                "to_setting": settings[pathway, e["setting"][part]],
                "admission_route": np.where(e["elective"][part], "elective", "emergency"),
                "age_band": np.array(AGE_BANDS, dtype=object)[e["age"][part]],
                "sex": SEXES[e["sex"][part]],
                "discharged_at": day.astype("datetime64[s]") + np.timedelta64(11, "h"),
                "patient_key": hex_keys(rng, len(ids)),
                "exclusion_reason": np.where(excluded >= 0, reasons[np.maximum(excluded, 0)],
                                             None),
                "created_at": day.astype("datetime64[s]") + np.timedelta64(13, "h"),
            }))
            bar.update(len(ids))
    return total


def invited_index(world: World) -> np.ndarray:
    """Return the event index of every invitation (an invitation's id is its event's)."""
    return np.flatnonzero(world.events["excluded"] < 0)


def copy_invitations(conn: psycopg.Connection, world: World, survey_ids: tuple[int, int],
                     now: np.datetime64) -> int:
    e = world.events
    index = invited_index(world)
    rng = np.random.default_rng(2)
    with tqdm(total=len(index), desc="invitations", unit=" rows") as bar:
        for part in chunks(len(index)):
            i = index[part]
            sent = e["day"][i].astype("datetime64[s]") + np.timedelta64(34, "h")
            expires = sent + np.timedelta64(42, "D")
            status = np.select(
                [e["complete"][i], e["declined"][i], expires <= now, e["responded"][i]],
                ["completed", "declined", "expired", "started"], "sent")
            copy_frame(conn, "invitations", pd.DataFrame({
                "id": i + 1,
                "event_id": i + 1,
                "survey_id": np.where(e["short"][i], survey_ids[1], survey_ids[0]),
                "token_hash": hex_keys(rng, len(i)),
                "channel": CHANNELS[e["channel"][i]],
                "status": status,
                "created_at": sent,
                "sent_at": sent,
                "expires_at": expires,
                "declined_at": np.where(e["declined"][i], sent + np.timedelta64(2, "D"),
                                        np.datetime64("NaT")),
            }))
            bar.update(len(i))
    return len(index)


def respondent_index(world: World) -> np.ndarray:
    """Return the event index of every response, in response-id order."""
    return np.flatnonzero(world.events["responded"])


def copy_responses(conn: psycopg.Connection, world: World, now: np.datetime64) -> int:
    e = world.events
    index = respondent_index(world)
    with tqdm(total=len(index), desc="responses", unit=" rows") as bar:
        for part in chunks(len(index)):
            i = index[part]
            started = np.minimum(e["day"][i].astype("datetime64[s]") + np.timedelta64(34, "h")
                                 + e["delay"][i], now - np.timedelta64(1, "h"))
            finished = started + e["minutes"][i].astype("timedelta64[m]")
            complete = e["complete"][i]
            copy_frame(conn, "responses", pd.DataFrame({
                "id": np.arange(part.start + 1, part.stop + 1),
                "invitation_id": i + 1,
                "mode": MODES[e["mode"][i]],
                "language": "en",
                "completed_by": e["completed_by"][i].astype(str),
                "status": np.where(complete, "submitted", "in_progress"),
                "started_at": started,
                "updated_at": finished,
                "submitted_at": np.where(complete, finished, np.datetime64("NaT")),
            }))
            bar.update(len(i))
    return len(index)


def copy_answers_and_scores(conn: psycopg.Connection, world: World,
                            bundles: dict[str, list[instruments.Instrument]], store: str,
                            seed: int, now: datetime) -> tuple[int, int]:
    """Draw every submitted response's answers, score them, COPY answers and scores."""
    e = world.events
    index = respondent_index(world)
    response_ids = np.arange(1, len(index) + 1)
    submitted = e["complete"][index]
    index, response_ids = index[submitted], response_ids[submitted]
    short = e["short"][index]
    rng = np.random.default_rng([seed, 7])
    models = {inst.id: item_models(inst, rng) for bundle in bundles.values() for inst in bundle
              if inst.scoring is not None}
    about = instruments.get_instrument("about_you")
    scored_at = now.strftime("%Y-%m-%d %H:%M:%S")
    per_response_answers = {LONG: sum(len(m) for k, m in models.items() if k != "ctm3"),
                            SHORT: len(models["ctm3"])}
    total_answers = len(index) * len(about.items) + (0 if store != "all" else int(
        (~short).sum() * per_response_answers[LONG] + short.sum() * per_response_answers[SHORT]))
    total_scores = int((~short).sum() * 2 + short.sum())
    next_answer = 1
    answer_bar = tqdm(total=total_answers, desc="answers", unit=" rows")
    score_bar = tqdm(total=total_scores, desc="response_scores", unit=" rows")
    for number, part in enumerate(chunks(len(index))):
        chunk_rng = np.random.default_rng([seed, 11, number])
        i, ids = index[part], response_ids[part]
        answered_at = (e["day"][i].astype("datetime64[s]") + np.timedelta64(34, "h")
                       + e["delay"][i] + e["minutes"][i].astype("timedelta64[m]"))
        answered_at = np.minimum(answered_at, np.datetime64(now.replace(tzinfo=None), "s"))
        draw = chunk_rng.random(len(i))
        style = np.where(draw < ALL_AGREE, 1, np.where(draw < ALL_AGREE + ALL_STRONGLY_AGREE,
                                                       2, 0))
        frames = [answer_frame(ids, about, about_you_codes(chunk_rng, {
            k: e[k][i] for k in ("age", "sex", "health", "completed_by")}), answered_at,
            next_answer)]
        next_answer += len(frames[0])
        for slug, instrument_ids in ((LONG, ("ctm15", "i_statements")), (SHORT, ("ctm3",))):
            chosen = short[part] if slug == SHORT else ~short[part]
            if not chosen.any():
                continue
            latent = e["latent"][i][chosen]
            for instrument_id in instrument_ids:
                instrument = instruments.get_instrument(instrument_id)
                codes = {m.item_id: rated_codes(chunk_rng, m, latent, style[chosen])
                         for m in models[instrument_id]}
                wide = pd.DataFrame({RESPONSE_ID: ids[chosen], **codes})
                scores = score_frame(instrument, wide, scored_at)
                copy_frame(conn, "response_scores", scores)
                score_bar.update(len(scores))
                if store == "all":
                    frame = answer_frame(ids[chosen], instrument,
                                         {k: np.asarray(v, dtype=object) for k, v in
                                          codes.items()}, answered_at[chosen], next_answer)
                    next_answer += len(frame)
                    frames.append(frame)
        for frame in frames:
            copy_frame(conn, "answers", frame)
            answer_bar.update(len(frame))
    answer_bar.close()
    score_bar.close()
    return next_answer - 1, total_scores


# --------------------------------------------------------------------------- measuring


@dataclass
class Child:
    """What a child process did: its time, peak memory and (for a build) its progress."""

    seconds: float
    peak_mb: float
    returncode: int
    stopped: str | None = None  # why it was stopped, if it was
    done: int = 0
    total: int = 0
    output: str = ""
    cpu_seconds: float = 0.0
    peak_tree_pss_mb: float = 0.0  # the process and its forked workers together
    processes: int = 1  # most processes seen at once


def run_child(command: list[str], env: dict[str, str], label: str, *,
              limit: float | None = None, memory_limit_mb: float | None = None) -> Child:
    """Run a command, showing its progress (``done/total`` read from its tqdm bar) and
    memory; stop it after ``limit`` seconds or above ``memory_limit_mb``."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    progress = {"done": 0, "total": 0}
    captured: list[bytes] = []

    def read_progress() -> None:
        assert process.stderr is not None
        buffer = b""
        while chunk := os.read(process.stderr.fileno(), 4096):
            captured.append(chunk)
            buffer = (buffer + chunk)[-4096:]
            found = re.findall(rb"(\d+)/(\d+) \[", buffer)
            if found:
                progress["done"], progress["total"] = map(int, found[-1])

    def read_output() -> None:
        assert process.stdout is not None
        while chunk := os.read(process.stdout.fileno(), 4096):
            captured.append(chunk)

    readers = [threading.Thread(target=read_progress, daemon=True),
               threading.Thread(target=read_output, daemon=True)]
    for reader in readers:
        reader.start()
    started = time.perf_counter()
    stopped = None
    tree_peak, processes, sampled, reported = 0.0, 1, 0.0, 0.0
    bar = tqdm(desc=label, unit=" step", total=0, leave=True,
               mininterval=1 if sys.stderr.isatty() else 30)
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        elapsed = time.perf_counter() - started
        rss = vm_kb(process.pid, "VmRSS") / 1024
        if elapsed - sampled >= 2.0:  # the whole tree's proportional memory, every 2 s
            sampled = elapsed
            tree = process_tree(process.pid)
            processes = max(processes, len(tree))
            tree_peak = max(tree_peak, sum(pss_kb(pid) for pid in tree) / 1024)
            rss = max(rss, tree_peak)
        if progress["total"]:
            bar.total = progress["total"]
            bar.update(progress["done"] - bar.n)
        bar.set_postfix_str(f"memory {rss:,.0f} MB", refresh=False)
        if not sys.stderr.isatty() and elapsed - reported >= 60:  # a line a minute in a log
            reported = elapsed
            print(f"  {label}: {elapsed:,.0f} s, {progress['done']}/{progress['total'] or '?'}, "
                  f"memory {rss:,.0f} MB", flush=True)
        if stopped is None and limit is not None and elapsed > limit:
            stopped = f"stopped after {limit:.0f} s (--build-limit)"
        if stopped is None and memory_limit_mb is not None and rss > memory_limit_mb:
            stopped = f"stopped at {rss:,.0f} MB RSS (--memory-limit-mb)"
        if stopped is not None:  # the build and the workers it forked
            tree = process_tree(process.pid)
            for pid in tree:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)
            _pid, status, usage = os.wait4(process.pid, 0)
            for pid in tree[1:]:  # orphaned workers that outlived it
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.5)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join(timeout=5)
    bar.close()
    output = b"".join(captured).decode(errors="replace")
    return Child(seconds, usage.ru_maxrss / 1024, process.returncode, stopped,
                 progress["done"], progress["total"], output, usage.ru_utime + usage.ru_stime,
                 tree_peak, processes)


def process_tree(pid: int) -> list[int]:
    """Return a process and all its descendants."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def pss_kb(pid: int) -> int:
    """Return a process's proportional set size in kB (shared pages split between the
    processes sharing them, so forked workers' sum is what they take), 0 if gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def vm_kb(pid: int, key: str) -> int:
    """Return a /proc/<pid>/status memory line in kB (0 if the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def child_env(url: str, keys: dict[str, str], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APP_")}
    env.update({"APP_ENV": "production", "DATABASE_URL": url, "PYTHONUNBUFFERED": "1",
                **keys, **extra})
    return env


FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]

BASELINE_SQL = """
SELECT p.code, w.code, avg(s.score)
FROM response_scores s
JOIN responses r ON r.id = s.response_id
JOIN invitations i ON i.id = r.invitation_id
JOIN transition_events e ON e.id = i.event_id
JOIN organisations p ON p.id = e.provider_id
JOIN pathways w ON w.id = e.pathway_id
WHERE s.instrument_id = 'ctm15' AND r.status = 'submitted'
GROUP BY p.code, w.code
"""


def baseline(url: str) -> tuple[float, int]:
    """Time the plain SQL average per provider and pathway (median of 3)."""
    times, rows = [], 0
    with psycopg.connect(plain_url(url)) as conn:
        for _ in range(3):
            began = time.perf_counter()
            rows = len(conn.execute(BASELINE_SQL).fetchall())
            times.append(time.perf_counter() - began)
    return statistics.median(times), rows


@dataclass
class Chosen:
    """The provider the pages and report are measured for."""

    code: str
    organisation_id: int
    sites: list[str]
    pathway: str
    period: str


def choose_provider(app: Flask) -> Chosen:
    """Pick a mid-sized provider with three sites (its biggest pathway, latest period)."""
    with app.app_context():
        rows = db.session.execute(text("""
            SELECT p.code, p.id, count(*) AS n,
                   (SELECT count(*) FROM organisations s WHERE s.parent_id = p.id) AS sites
            FROM responses r JOIN invitations i ON i.id = r.invitation_id
            JOIN transition_events e ON e.id = i.event_id
            JOIN organisations p ON p.id = e.provider_id
            WHERE r.status = 'submitted' GROUP BY p.code, p.id ORDER BY n""")).all()
        three = [r for r in rows if r.sites == 3] or list(rows)
        code, organisation_id = three[len(three) // 2][:2]
        sites = list(db.session.scalars(text(
            "SELECT code FROM organisations WHERE parent_id = :id ORDER BY code"),
            {"id": organisation_id}))
        pathway = db.session.scalar(text("""
            SELECT w.code FROM transition_events e
            JOIN pathways w ON w.id = e.pathway_id WHERE e.provider_id = :id
            GROUP BY w.code ORDER BY count(*) DESC LIMIT 1"""), {"id": organisation_id})
        latest = db.session.scalar(text("SELECT max(discharge_date) FROM transition_events"))
    period = f"{latest.year}-Q{(latest.month - 1) // 3 + 1}"
    return Chosen(code, int(organisation_id), sites, pathway, period)


def submit_new(app: Flask, count: int, seed: int, latest: date) -> float:
    """Submit ``count`` new responses through the journey service; return the seconds.

    Each gets a new discharge (late in the latest quarter) and an SMS invitation with a
    real link; the response is started with ``journey.start``, its answers stored (every
    question of the survey, the comment left empty) and submitted with ``journey.submit``,
    which scores it in the same transaction (``results.scores.store_submitted``).
    """
    from survey_app.services import journey

    rng = np.random.default_rng([seed, 99])
    with app.app_context():
        survey = ensure_survey(LONG)
        questions = build_questions(load_instruments(survey, "en"))
        providers = db.session.execute(text(
            "SELECT p.id, min(s.id) FROM organisations p JOIN organisations s "
            "ON s.parent_id = p.id WHERE p.type_code = 'provider' GROUP BY p.id")).all()
        pathways = list(db.session.scalars(text("SELECT id FROM pathways")))
        now = datetime.now(UTC)
        pick = rng.integers(0, len(providers), count)
        events = [{
            "provider_id": providers[p][0], "site_id": providers[p][1],
            "pathway_id": int(rng.choice(pathways)),
            "source_reference": f"NEW{secrets.token_hex(8)}",
            "discharge_date": latest - timedelta(days=int(rng.integers(0, 5))),
            "from_setting": "acute_ward", "to_setting": "home", "admission_route": "emergency",
            "age_band": AGE_BANDS[int(rng.integers(4, 8))], "sex": "female", "created_at": now,
        } for p in pick]
        event_ids = db.session.execute(insert(TransitionEvent.__table__).returning(
            TransitionEvent.__table__.c.id, sort_by_parameter_order=True), events).scalars().all()
        tokens = [new_token() for _ in range(count)]
        db.session.execute(insert(Invitation.__table__), [{
            "event_id": event_id, "survey_id": survey.id, "token_hash": hash_token(token),
            "channel": "sms", "status": "sent", "created_at": now, "sent_at": now,
            "expires_at": now + timedelta(days=42)} for event_id, token in zip(
                event_ids, tokens, strict=True)])
        db.session.commit()
        latent = rng.normal(0, 1, count)
        style = np.zeros(count, dtype=int)
        models = {inst.id: {m.item_id: m for m in item_models(inst, rng)}
                  for inst in load_instruments(survey, "en") if inst.scoring is not None}
        codes: dict[str, Any] = {}
        for q in questions:
            if q.item.is_free_text:
                continue
            model = models.get(q.instrument.id, {}).get(q.item.id)
            codes[q.key] = np.asarray(rated_codes(rng, model, latent, style), dtype=object) \
                if model is not None else rng.choice([o.code for o in q.options], count)
        db.session.remove()
        began = time.perf_counter()
        for n, token in enumerate(tqdm(tokens, desc="new submissions", unit=" response")):
            journey_now = journey.open_journey(token)
            response_id = journey.response_id_of(journey.start(journey_now, mode="online"))
            answered = datetime.now(UTC)
            db.session.execute(insert(Answer.__table__), [{
                "response_id": response_id, "instrument_id": q.instrument.id,
                "instrument_version": q.instrument.version, "item_id": q.item.id,
                "code": str(codes[q.key][n]), "answered_at": answered}
                for q in questions if not q.item.is_free_text])
            db.session.execute(insert(Comment.__table__), [{
                "response_id": response_id, "instrument_id": q.instrument.id,
                "instrument_version": q.instrument.version, "item_id": q.item.id,
                "text": "", "masked_text": "", "created_at": answered, "updated_at": answered}
                for q in questions if q.item.is_free_text])
            completed_by = next((codes[q.key][n] for q in questions
                                 if q.item.id == "completed_by"), None)
            db.session.execute(Response.__table__.update().where(
                Response.__table__.c.id == response_id).values(completed_by=completed_by))
            db.session.commit()
            journey.submit(journey.open_journey(token))
            db.session.remove()
        seconds = time.perf_counter() - began
        db.session.remove()
        db.engine.dispose()
    return seconds


# --------------------------------------------------------------------------- serving


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start within {timeout:.0f} s")


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A private, memory-only Redis for the rate limits of the workers."""
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(16).startswith(b"+PONG")
            except OSError:
                return False
        wait_for(answers, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Serving:
    """What the load test found."""

    samples: dict[str, list[float]]
    first_ms: float
    startup_seconds: float
    worker_rss_mb: list[float]
    worker_peak_mb: list[float]
    errors: int
    pdf_first_seconds: float
    pdf_seconds: list[float]
    sign_in_seconds: float
    idle_rss_mb: list[float]
    worker_pss_mb: list[float]  # shared pages (a preloaded app) split between the workers


def csrf(page: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page)
    if found is None:
        raise RuntimeError("no CSRF token on the sign-in page")
    return found.group(1)


def serve_and_load(url: str, keys: dict[str, str], chosen: Chosen, email: str, password: str,
                   args: argparse.Namespace) -> Serving:
    """Run production gunicorn with TLS and Redis; sign in; time the pages; read RSS."""
    with tempfile.TemporaryDirectory() as tmp, redis_server(Path(tmp)) as redis_url:
        folder = Path(tmp)
        cert, key = folder / "cert.pem", folder / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        port = free_port()
        log = OUT / "national-gunicorn.log"
        env = child_env(url, keys, RATELIMIT_STORAGE_URI=redis_url,
                        WEB_CONCURRENCY=str(args.workers))
        command = [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
                   "--workers", str(args.workers), "--certfile", str(cert), "--keyfile", str(key),
                   "--access-logfile", str(log), "--error-logfile", str(log),
                   "--graceful-timeout", "5", "--timeout", "120"]
        base = f"https://127.0.0.1:{port}"
        began = time.perf_counter()
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.STDOUT)
        try:
            def up() -> bool:
                if server.poll() is not None:
                    raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
                try:
                    requests.get(base + "/staff/sign-in", verify=str(cert), timeout=30)
                    return True
                except requests.ConnectionError:
                    return False
            wait_for(up, "gunicorn")
            startup = time.perf_counter() - began
            idle_rss = settled_rss(server.pid, args.workers)
            print("worker RSS after start-up, before any results page: "
                  + ", ".join(f"{r:.0f} MB" for r in idle_rss), flush=True)
            session = requests.Session()
            session.trust_env = False  # loopback: no proxy, and no CA bundle from the env
            session.verify = str(cert)
            signing = time.perf_counter()
            page = session.get(base + "/staff/sign-in").text
            signed = session.post(base + "/staff/sign-in", allow_redirects=False, headers={
                "Referer": base + "/staff/sign-in"}, data={  # CSRF checks it over HTTPS
                "email": email, "password": password, "csrf_token": csrf(page)})
            if signed.status_code != 302:
                raise RuntimeError(f"sign-in failed: {signed.status_code}")
            sign_in_seconds = time.perf_counter() - signing
            org, site = f"/provider/{chosen.code}", chosen.sites[0]
            pages = {
                "dashboard": f"{org}/",
                "pathway page": f"{org}/pathways/{chosen.pathway}",
                "dashboard, site=": f"{org}/?site={site}",
                "dashboard, mode=": f"{org}/?mode=paper",
                "pathway, site= & mode=":
                    f"{org}/pathways/{chosen.pathway}?site={site}&mode=online",
            }
            errors = 0
            samples: dict[str, list[float]] = defaultdict(list)
            first_began = time.perf_counter()
            first = session.get(base + pages["dashboard"])
            first_ms = (time.perf_counter() - first_began) * 1000
            samples["dashboard"].append(first_ms)
            errors += first.status_code != 200
            local = threading.local()

            def fetch(path: str) -> tuple[float, int]:
                if not hasattr(local, "session"):
                    local.session = requests.Session()
                    local.session.trust_env = False
                    local.session.verify = str(cert)
                    local.session.cookies.update(session.cookies)
                started = time.perf_counter()
                answer = local.session.get(base + path)
                return (time.perf_counter() - started) * 1000, answer.status_code

            with ThreadPoolExecutor(args.concurrency) as pool:
                for name, path in pages.items():
                    wanted = args.requests - len(samples[name])
                    bar = tqdm(total=wanted, desc=f"GET {name}", unit=" request", leave=False,
                               disable=not sys.stderr.isatty())
                    for ms, status in pool.map(fetch, [path] * wanted):
                        samples[name].append(ms)
                        errors += status != 200
                        bar.update(1)
                    bar.close()
                    print(f"  {name}: p95 {p95(samples[name]):.0f} ms, median "
                          f"{statistics.median(samples[name]):.0f} ms", flush=True)
            pdf_times = []
            for _ in range(4):
                started = time.perf_counter()
                answer = session.get(f"{base}{org}/reports/{chosen.period}.pdf")
                pdf_times.append(time.perf_counter() - started)
                errors += answer.status_code != 200 or not answer.content.startswith(b"%PDF")
            workers = worker_pids(server.pid)
            rss = [vm_kb(pid, "VmRSS") / 1024 for pid in workers]
            peak = [vm_kb(pid, "VmHWM") / 1024 for pid in workers]
            pss = [pss_kb(pid) / 1024 for pid in workers]
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return Serving(dict(samples), first_ms, startup, rss, peak, errors, pdf_times[0],
                   pdf_times[1:], sign_in_seconds, idle_rss, pss)


def settled_rss(master: int, workers: int, timeout: float = 60.0) -> list[float]:
    """Return each worker's RSS (MB) once all have booted and stopped growing."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        now = [vm_kb(pid, "VmRSS") / 1024 for pid in worker_pids(master)]
        if len(now) == workers and last == now:
            return now
        last = now
        time.sleep(1.0)
    return last or []


def worker_pids(master: int) -> list[int]:
    """Return the pids of a process's children (gunicorn's workers)."""
    children = []
    for task in Path(f"/proc/{master}/task").iterdir():
        children += [int(pid) for pid in (task / "children").read_text().split()]
    return children


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def create_staff(app: Flask, chosen: Chosen) -> tuple[str, str]:
    """Create (or reset) the provider staff user the load test signs in as."""
    from survey_app.models import StaffUser
    from survey_app.services import accounts

    email = f"bench.{chosen.code.lower()}.{secrets.token_hex(3)}@example.nhs.uk"
    password = "bench " + secrets.token_urlsafe(18)
    with app.app_context():
        existing = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        if existing is None:
            accounts.create_user(email=email, full_name="Benchmark Provider User",
                                 role="provider", organisation_ids=[chosen.organisation_id],
                                 password=password)
        db.session.remove()
    return email, password


# --------------------------------------------------------------------------- report


def time_report(app: Flask, chosen: Chosen) -> dict[str, float]:
    """Time one provider's PDF report from the snapshot, as ``flask reports build`` does:
    the period's tables read once, then content, charts and PDF (best of 2 after one)."""
    from survey_app import results
    from survey_app.auth.scope import Scope
    from survey_app.reports.pdf import collector_paused, report_pdf
    from survey_app.results.report import build_report

    with app.app_context():
        results.clear_cache()
        began = time.perf_counter()
        snap = results.snapshot()
        snap.bundle.compute_all(chosen.period)
        read = time.perf_counter() - began
        scope = Scope.for_providers([chosen.organisation_id])
        labels = results.provider_labels(scope, snap.names, snap.bundle)
        times = []
        for _ in range(3):
            began = time.perf_counter()
            with collector_paused():
                report = build_report(snap.bundle, snap.names, labels, chosen.code,
                                      chosen.period)
                pdf = report_pdf(report)
            times.append(time.perf_counter() - began)
            assert pdf.startswith(b"%PDF")
        db.session.remove()
    return {"read_seconds": read, "first_seconds": times[0], "seconds": min(times[1:])}


# --------------------------------------------------------------------------- profiling


def profile_build(app: Flask) -> dict[str, Any]:
    """Time the build's work in this process: loading the respondents and invitations,
    then each table of the two bundles of every respondent (units providers, then sites),
    grouped by kind of table (``raw`` benchmarks, ``drivers``, ``items`` …)."""
    from survey_app.results import build as builder
    from survey_app.results.data import load_invitations, load_respondents
    from survey_app.results.store import encode
    from survey_app.results.tables import Bundle

    found: dict[str, Any] = {}
    with app.app_context():
        began = time.perf_counter()
        respondents, answers = load_respondents()
        found["load_respondents"] = time.perf_counter() - began
        found["respondents_mb"] = (respondents.memory_usage(deep=True).sum() + sum(
            a.memory_usage(deep=True).sum() for a in answers.values())) / 2**20
        began = time.perf_counter()
        invitations = load_invitations()
        found["load_invitations"] = time.perf_counter() - began
        everyone = Bundle(respondents, invitations, answers)
        print(f"profile: load_respondents {found['load_respondents']:.1f} s "
              f"({len(respondents):,} rows, {found['respondents_mb']:,.0f} MB with the item "
              f"values), load_invitations {found['load_invitations']:.1f} s "
              f"({len(invitations):,} rows)", flush=True)
        found["plans"] = len(builder.PLANS)
        for plan in [p for p in builder.PLANS if p.mode is None]:
            kinds: dict[str, float] = defaultdict(float)
            began = time.perf_counter()
            bundle = builder.bundle_for(everyone, plan)
            kinds["(select respondents)"] += time.perf_counter() - began
            timed_tables(bundle, kinds)
            began = time.perf_counter()
            for _name, table in builder.tables_for(bundle):
                encode(table)
            kinds["(rest, encoding)"] += time.perf_counter() - began - sum(
                v for k, v in kinds.items() if not k.startswith("("))
            total = sum(kinds.values())
            label = plan.key or "no filter"
            found[label] = {"seconds": total, **kinds}
            top = sorted(kinds.items(), key=lambda kv: -kv[1])[:8]
            print(f"profile: bundle {label!r}: {total:.1f} s — "
                  + ", ".join(f"{k} {v:.1f} s" for k, v in top), flush=True)
        del everyone, respondents, answers, invitations
    return found


def timed_tables(bundle: Any, kinds: dict[str, float]) -> None:
    """Make the bundle add the time each table takes to compute (its own time, without the
    tables it reads) to ``kinds`` under the table's kind: ``raw`` is the case-mix adjusted
    benchmark of a measure, ``benchmark`` its publishing, ``drivers`` what matters most…"""
    original = bundle._cached
    stack: list[float] = []

    def cached(key: tuple[str, ...], compute: Callable[[], Any]) -> Any:
        if key in bundle._memo:
            return original(key, compute)
        stack.append(0.0)
        began = time.perf_counter()
        try:
            return original(key, compute)
        finally:
            elapsed = time.perf_counter() - began
            inner = stack.pop()
            kinds[key[0]] += elapsed - inner
            if stack:
                stack[-1] += elapsed

    bundle._cached = cached


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000,
                        help="submitted responses in the latest quarter")
    parser.add_argument("--providers", type=int, default=500)
    parser.add_argument("--quarters", type=int, default=8)
    parser.add_argument("--oldest-share", type=float, default=0.3,
                        help="the oldest quarter's responses as a share of the latest's")
    parser.add_argument("--new", type=int, default=1000, help="new submissions to add")
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--answers", choices=("auto", "all", "about-you"), default="auto")
    parser.add_argument("--build-limit", type=float, default=900.0,
                        help="stop the full build after this many seconds")
    parser.add_argument("--memory-limit-mb", type=float, default=14_000.0,
                        help="stop a build above this RSS")
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=None,
                        help="profile the build's work (default: when it misses its target)")
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--admin-url", default=ADMIN_URL)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a kept database again")
    parser.add_argument("--generate-only", action="store_true",
                        help="generate the database and stop (with --keep: measure later)")
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    url = database_url(args.admin_url, args.database)
    keys = secrets_env()
    today = datetime.now(UTC).date()
    load_before = os.getloadavg()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load "
          f"{load_before[0]:.1f}; database {args.database}", flush=True)
    if args.reuse:
        if not database_exists(args.admin_url, args.database):
            parser.error(f"--reuse: there is no database {args.database}")
    else:
        create_database(args.admin_url, args.database)
    app = make_app(url, keys)
    record: dict[str, Any] = {"date": f"{datetime.now(UTC):%Y-%m-%d}", "args": vars(args),
                              "load_before": load_before}
    try:
        if not args.reuse:
            record["counts"] = generate(url, app, args, today)
        elif (OUT / SCALE_FILE).exists():
            record["counts"] = json.loads((OUT / SCALE_FILE).read_text())["counts"]
        if args.generate_only:
            return 0
        return measure(app, url, keys, args, record)
    finally:
        with app.app_context():
            db.engine.dispose()
        if not args.keep:
            drop_database(args.admin_url, args.database)
            print(f"dropped database {args.database} (--keep to keep it)")


def measure(app: Flask, url: str, keys: dict[str, str], args: argparse.Namespace,
            record: dict[str, Any]) -> int:
    """Time everything against the baseline; print the summary; 0 if every target is met."""
    base, units = baseline(url)
    print(f"baseline: SQL avg(score) per provider × pathway over the stored CTM-15 scores: "
          f"{units:,} rows in {base:.3f} s", flush=True)
    chosen = choose_provider(app)
    print(f"measured provider {chosen.code} (sites {', '.join(chosen.sites)}), pathway "
          f"{chosen.pathway}, period {chosen.period}", flush=True)
    env = child_env(url, keys)
    full = run_child([*FLASK, "results", "build", "--force"], env, "results build --force",
                     limit=args.build_limit, memory_limit_mb=args.memory_limit_mb)
    line(f"full build (flask results build --force): {describe(full)}", full.seconds, base)
    rows: list[tuple[str, str, str, str, bool]] = []
    build_ok = full.stopped is None and full.returncode == 0
    record["full_build"] = vars(full) | {"output": full.output[-3000:]}
    if build_ok:
        measured = f"{full.seconds:.0f} s"
    else:
        print(f"full build did not finish: {full.stopped or full.output[-3000:]}")
        measured = (f"stopped at {full.seconds:.0f} s" if full.stopped else
                    f"failed at {full.seconds:.0f} s") + (
            f", {full.done}/{full.total} bundles" if full.total else "")
    rows.append(("full build", measured, f"{full.seconds / base:,.0f}×",
                 f"< {TARGETS['build_seconds']:.0f} s",
                 build_ok and full.seconds < TARGETS["build_seconds"]))
    rows.append(("full build peak memory", memory_text(full), "",
                 f"< {TARGETS['build_mb']:.0f} MB", build_memory(full) < TARGETS["build_mb"]))
    if args.profile or (args.profile is None and not (
            build_ok and full.seconds < TARGETS["build_seconds"]
            and build_memory(full) < TARGETS["build_mb"])):
        record["profile"] = profile_build(app)
        gc.collect()
    if build_ok:
        seconds = submit_new(app, args.new, args.seed, date.fromisoformat(
            f"{chosen.period[:4]}-{int(chosen.period[-1]) * 3:02d}-28"))
        line(f"{args.new:,} new submissions through journey.submit (scored in its "
             f"transaction): {seconds:.1f} s ({args.new / seconds:,.0f} a second)", seconds, base)
        record["new_submissions_seconds"] = seconds
        incremental = run_child([*FLASK, "results", "build"], env,
                                "results build (incremental)", limit=args.build_limit,
                                memory_limit_mb=args.memory_limit_mb)
        line(f"incremental build after {args.new:,} submissions: {describe(incremental)}",
             incremental.seconds, base)
        record["incremental_build"] = vars(incremental) | {"output": incremental.output[-3000:]}
        incremental_ok = incremental.stopped is None and incremental.returncode == 0 \
            and "Built snapshot" in incremental.output
        rows.append(("incremental build", f"{incremental.seconds:.0f} s"
                     + ("" if incremental_ok else " (did not build)"),
                     f"{incremental.seconds / base:,.0f}×",
                     f"< {TARGETS['incremental_seconds']:.0f} s",
                     incremental_ok and incremental.seconds < TARGETS["incremental_seconds"]))
        rows.append(("incremental build peak memory", memory_text(incremental), "",
                     f"< {TARGETS['build_mb']:.0f} MB",
                     build_memory(incremental) < TARGETS["build_mb"]))
    else:
        rows.append(("incremental build", "not measured (no full build)", "", "", False))
        earlier = complete_snapshot(app)
        if earlier is None:
            print("no complete snapshot: the pages and the report are not measured")
            rows.append(("pages and report", "not measured (no snapshot)", "", "", False))
            record["load_after"] = os.getloadavg()
            summary(rows, base, record)
            write_record(args, record)
            return 1
        print(f"pages and report read snapshot {earlier}, built by an earlier run (--reuse)")

    email, password = create_staff(app, chosen)
    serving = serve_and_load(url, keys, chosen, email, password, args)
    record["serving"] = vars(serving)
    everything = [ms for values in serving.samples.values() for ms in values]
    print(f"gunicorn ({args.workers} workers, production, TLS, Redis) up in "
          f"{serving.startup_seconds:.1f} s; sign-in {serving.sign_in_seconds:.2f} s")
    line(f"first request after start-up (dashboard): {serving.first_ms:.0f} ms",
         serving.first_ms / 1000, base)
    for name, values in serving.samples.items():
        line(f"{name}: p95 {p95(values):.0f} ms over {len(values)} requests "
             f"({args.concurrency} at a time), median {statistics.median(values):.0f} ms",
             p95(values) / 1000, base)
        rows.append((f"p95 {name}", f"{p95(values):.0f} ms", f"{p95(values) / 1000 / base:.2f}×",
                     f"< {TARGETS['p95_ms']:.0f} ms", p95(values) < TARGETS["p95_ms"]))
    rows.append(("first request after start-up", f"{serving.first_ms:.0f} ms",
                 f"{serving.first_ms / 1000 / base:.2f}×", "(in the p95)", True))
    rows.append(("p95 all pages", f"{p95(everything):.0f} ms", "", f"< {TARGETS['p95_ms']:.0f} ms",
                 p95(everything) < TARGETS["p95_ms"]))
    worst = max(serving.worker_rss_mb) if serving.worker_rss_mb else float("nan")
    print("worker RSS: " + ", ".join(
        f"{r:.0f} MB (peak {h:.0f}, PSS {s:.0f})" for r, h, s in zip(
            serving.worker_rss_mb, serving.worker_peak_mb, serving.worker_pss_mb, strict=True)))
    rows.append(("RSS per worker (largest)", f"{worst:.0f} MB", "",
                 f"< {TARGETS['worker_mb']:.0f} MB", worst < TARGETS["worker_mb"]))
    if serving.errors:
        print(f"{serving.errors} request(s) did not answer 200")
        rows.append(("requests answered 200", f"{serving.errors} failed", "", "all", False))
    print(f"portal PDF download: first {serving.pdf_first_seconds:.2f} s, then "
          f"{', '.join(f'{s:.2f}' for s in serving.pdf_seconds)} s")

    report = time_report(app, chosen)
    record["report"] = report
    line(f"snapshot tables of {chosen.period} read for the reports: {report['read_seconds']:.2f} s",
         report["read_seconds"], base)
    line(f"one report ({chosen.code}): {report['seconds']:.2f} s "
         f"(first {report['first_seconds']:.2f} s)", report["seconds"], base)
    with tempfile.TemporaryDirectory() as folder:
        command = run_child([*FLASK, "reports", "build", "--period", chosen.period, "--provider",
                             chosen.code, "--workers", "1", "--out", folder], env,
                            "reports build --provider")
    line(f"flask reports build --provider {chosen.code} (whole command, start-up included): "
         f"{command.seconds:.2f} s", command.seconds, base)
    record["report_command_seconds"] = command.seconds
    rows.append(("one PDF report", f"{report['seconds']:.2f} s",
                 f"{report['seconds'] / base:.0f}×", f"< {TARGETS['report_seconds']:.0f} s",
                 report["seconds"] < TARGETS["report_seconds"]))
    rows.append(("portal PDF download (median)", f"{statistics.median(serving.pdf_seconds):.2f} s",
                 "", "", True))

    record["load_after"] = os.getloadavg()
    summary(rows, base, record)
    write_record(args, record)
    return 0 if all(row[4] for row in rows) else 1


def write_record(args: argparse.Namespace, record: dict[str, Any]) -> None:
    """Keep every number of the run in bench/out/ (git-ignored)."""
    (OUT / f"national-{args.responses}-{args.providers}.json").write_text(
        json.dumps(record, default=str, indent=1))


def build_memory(child: Child) -> float:
    """Return what a build took: its largest process, or all its processes together
    (proportional set size, sampled every 2 s) when it forked workers."""
    return max(child.peak_mb, child.peak_tree_pss_mb)


def memory_text(child: Child) -> str:
    if child.processes > 1:
        return f"{build_memory(child):,.0f} MB ({child.processes} processes)"
    return f"{child.peak_mb:,.0f} MB"


def complete_snapshot(app: Flask) -> int | None:
    """Return the id of the latest complete snapshot, if any."""
    from survey_app.results.store import latest_complete

    with app.app_context():
        latest = latest_complete()
        found = latest.id if latest is not None else None
        db.session.remove()
    return found


def describe(child: Child) -> str:
    state = "" if child.returncode == 0 and not child.stopped else \
        f" [{child.stopped or f'exit {child.returncode}'}]"
    done = f", {child.done:,}/{child.total:,} bundles" if child.total else ""
    tree = f", {child.processes} processes together {child.peak_tree_pss_mb:,.0f} MB (PSS)" \
        if child.processes > 1 else ""
    return (f"{child.seconds:.1f} s (CPU {child.cpu_seconds:.0f} s), max RSS "
            f"{child.peak_mb:,.0f} MB{tree}{done}{state}")


def line(text_: str, seconds: float, base: float) -> None:
    print(f"{text_} — {seconds / base:,.1f}× the baseline", flush=True)


def summary(rows: list[tuple[str, str, str, str, bool]], base: float,
            record: dict[str, Any]) -> None:
    load = record["load_after"]
    print(f"\nsummary (baseline {base:.3f} s; load {record['load_before'][0]:.1f} → "
          f"{load[0]:.1f}):")
    width = max(len(r[0]) for r in rows)
    print(f"{'':{width}}  {'measured':>28}  {'× baseline':>10}  {'target':>12}  ")
    for name, measured, ratio, target, ok in rows:
        print(f"{name:{width}}  {measured:>28}  {ratio:>10}  {target:>12}  "
              f"{'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    sys.exit(main())
