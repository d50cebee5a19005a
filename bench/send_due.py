"""Benchmark: ``send-due`` preparing messages into the outbox, against a bare bulk insert.

Builds a fresh database by the migrations (SQLite by default, or ``--database-url`` for an
empty PostgreSQL database), brings ``--messages`` invitable discharges in through intake
(not timed), then measures in this process:

- ``send_due`` with the outbox: claiming in batches, re-checking every invitation,
  decrypting each link and recipient, rendering the template, encrypting the words and
  marking each message sent (the first message of each invitation);
- the **baseline**: the same rows, as they stand after sending, inserted with one bare
  bulk INSERT into an empty copy of the ``messages`` table.

Prints messages a second and the ratio. Target (issue 10): at least 50 messages a second.
Exit status 1 if it is missed. Run: ``.venv/bin/python bench/send_due.py [--messages N]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "survey_app"))

import flask_migrate  # noqa: E402
from message_data import due, invite  # noqa: E402
from sqlalchemy import Column, Table, insert, select  # noqa: E402

from survey_app import create_app  # noqa: E402
from survey_app.extensions import db  # noqa: E402
from survey_app.integrations.transport import Outbox  # noqa: E402
from survey_app.models import Message  # noqa: E402
from survey_app.services.messages import send_due  # noqa: E402

TARGET_PER_SECOND = 50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--database-url", help="an empty database (default: temp SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        app = create_app({"APP_ENV": "test", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            flask_migrate.upgrade()
            invite(args.messages)
            now = due("invitation")
            db.session.remove()

            began = time.perf_counter()
            report = send_due(now=now, transport=Outbox(), run_seconds=3600)
            send_seconds = time.perf_counter() - began
            assert report.sent == args.messages, report

            messages = Message.__table__
            rows = [dict(r._mapping) for r in db.session.execute(
                select(messages).where(messages.c.kind == "invitation"))]
            copy = Table("bench_messages", db.metadata,
                         *(Column(c.name, c.type) for c in messages.columns if c.name != "id"))
            copy.create(db.engine)
            for r in rows:
                r.pop("id")
            began = time.perf_counter()
            db.session.execute(insert(copy), rows)
            db.session.commit()
            bulk_seconds = time.perf_counter() - began
            copy.drop(db.engine)
            db.metadata.remove(copy)
            db.engine.dispose()
    rate = report.sent / send_seconds
    print(f"baseline: bare bulk insert of the same {len(rows):,} message rows: "
          f"{bulk_seconds:.3f} s ({len(rows) / bulk_seconds:,.0f} a second)")
    print(f"send-due into the outbox: {report.sent:,} messages in {send_seconds:.2f} s "
          f"({rate:,.0f} a second; target {TARGET_PER_SECOND}), "
          f"{send_seconds / bulk_seconds:.1f}× the baseline")
    return 0 if rate >= TARGET_PER_SECOND else 1


if __name__ == "__main__":
    raise SystemExit(main())
