"""Benchmark: loading the demo with bulk Core inserts versus ORM rows one by one.

Loads the demo (default 6,000 discharges, ~110,000 rows) into a fresh SQLite database built
by the migrations, then, in the same process and database, inserts answer rows the naive
way (one ORM object flushed at a time) and prints the per-row cost of each and their ratio.
Run: ``.venv/bin/python bench/demo_load.py [--events N] [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import flask_migrate  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from survey_app import create_app  # noqa: E402
from survey_app.demo.loader import load_demo  # noqa: E402
from survey_app.extensions import db  # noqa: E402
from survey_app.models import Answer, Response, utcnow  # noqa: E402

BASELINE_ROWS = 3000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=6000)
    parser.add_argument("--database-url", help="an empty database (default: temp SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = create_app({"APP_ENV": "test", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            flask_migrate.upgrade()
            began = time.perf_counter()
            summary = load_demo(seed=2026, event_count=args.events)
            bulk_seconds = time.perf_counter() - began
            bulk_rows = (summary.organisations + summary.pathways + summary.events
                         + summary.invitations + summary.submitted + summary.partial
                         + summary.answers)
            response_id = db.session.scalar(select(func.max(Response.id)))
            began = time.perf_counter()
            for n in range(BASELINE_ROWS):  # the naive way: one object, one round trip
                db.session.add(Answer(response_id=response_id, instrument_id="bench",
                                      instrument_version="1", item_id=f"b{n}", code="1",
                                      answered_at=utcnow()))
                db.session.flush()
            db.session.commit()
            naive_seconds = time.perf_counter() - began
            db.engine.dispose()
    bulk_per_row = bulk_seconds / bulk_rows
    naive_per_row = naive_seconds / BASELINE_ROWS
    print(f"bulk load: {bulk_rows:,} rows in {bulk_seconds:.2f} s "
          f"({bulk_per_row * 1e6:.1f} µs/row; {summary.submitted:,} submitted, "
          f"{summary.partial:,} partial responses)")
    print(f"baseline (ORM, one row per flush): {BASELINE_ROWS:,} rows in {naive_seconds:.2f} s "
          f"({naive_per_row * 1e6:.1f} µs/row)")
    print(f"ratio: bulk is {naive_per_row / bulk_per_row:.1f}× faster per row")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
