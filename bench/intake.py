"""Benchmark: discharges in — 100,000 CSV rows and 100,000 HL7 v2 messages through intake.

Each run builds a fresh SQLite database by the migrations with one provider, site, pathway
and survey route, writes the input files to ``bench/out/`` (git-ignored), and measures in
this process:

- the **baseline**: a bare bulk insert of the same rows (transition events and
  invitations, already built, no reading, checking, scheduling or encryption) into an
  empty copy of the database;
- ``import_csv`` of the CSV file: reading and hashing it, every field rule, eligibility,
  idempotency, events, invitations, encrypted contacts and three scheduled messages each;
- ``import_hl7`` of a file of ADT^A03 messages: the same, plus parsing HL7 and an ACK each.

Prints wall times and each as a ratio to the baseline. Targets (issue 10): CSV under
20 s, HL7 under 60 s. Run: ``.venv/bin/python bench/intake.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "survey_app"))

import flask_migrate  # noqa: E402
from intake_data import intake_world, row  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from survey_app import create_app  # noqa: E402
from survey_app.demo.intake_feed import synthetic_nhs_number  # noqa: E402
from survey_app.extensions import db  # noqa: E402
from survey_app.integrations.csv_discharge import import_csv  # noqa: E402
from survey_app.models import Invitation, TransitionEvent, utcnow  # noqa: E402
from survey_app.services.intake_validation import FIELDS  # noqa: E402
from survey_app.services.invitations import hash_token, new_token  # noqa: E402

OUT = ROOT / "bench" / "out"


def discharge_rows(count: int) -> list[dict[str, str]]:
    """Valid, invitable discharges over the last three weeks, each its own person."""
    now = utcnow()
    return [row(n, discharged_at=now - timedelta(hours=1 + n % 500),
                nhs_number=synthetic_nhs_number(n),
                mobile_phone=f"07700 900{n % 1000:03d}")
            for n in range(1, count + 1)]


def write_csv(rows: list[dict[str, str]], path: Path) -> None:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def hl7_message(n: int, fields: dict[str, str]) -> str:
    """An ADT^A03 for one discharge, shaped like the test fixtures' (as a PAS sends it)."""
    when = fields["discharged_at"][:19].replace("-", "").replace(":", "").replace("T", "")
    born = fields["date_of_birth"].replace("-", "")
    phone = fields["mobile_phone"].replace(" ", "")
    return "\r".join([
        f"MSH|^~\\&|PAS|RX1|CTSURVEY|NHS|{when}||ADT^A03^ADT_A03|MSG{n:07d}|P|2.5.1|||AL|NE||",
        f"EVN|A03|{when}",
        f"PID|1||H{n:07d}^^^RX1^MR~{fields['nhs_number']}^^^NHS^NH||PATIENT^ALEX||{born}|F|||"
        f"1 TEST STREET^^LEEDS^^LS1 1AA||^PRN^CP^^^^^^^^^{phone}",
        f"PV1|1|I|WARD7^^^RX101|E||||||stroke|||||||||{fields['source_reference']}"
        f"|||||||||||||||||01||||||||{when}|{when}",  # PV1-44 admitted, PV1-45 discharged
    ]) + "\r"


def timed(action) -> float:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def baseline(app, rows: list[dict[str, str]]) -> float:  # type: ignore[no-untyped-def]
    """Insert the same events and invitations as plain prepared rows."""
    now = utcnow()
    events = [{"provider_id": 1, "site_id": 2, "pathway_id": 1,
               "source_reference": r["source_reference"], "discharge_date": now.date(),
               "from_setting": "acute_ward", "to_setting": "home", "created_at": now}
              for r in rows]

    def insert_all() -> None:
        with app.app_context():
            db.session.execute(insert(TransitionEvent.__table__), events)
            db.session.execute(insert(Invitation.__table__), [
                {"event_id": n, "survey_id": 1, "token_hash": hash_token(new_token()),
                 "channel": "sms", "status": "pending", "created_at": now, "expires_at": now}
                for n in range(1, len(rows) + 1)])
            db.session.commit()

    return timed(insert_all)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.db"
        app = create_app({"APP_ENV": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{template}"})
        with app.app_context():
            flask_migrate.upgrade()
            intake_world()
            db.engine.dispose()
        rows = discharge_rows(args.rows)

        def fresh(name: str):  # type: ignore[no-untyped-def]
            path = Path(tmp) / f"{name}.db"
            shutil.copyfile(template, path)
            return create_app({"APP_ENV": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})

        base = baseline(fresh("baseline"), rows)
        print(f"baseline: bare bulk insert of {args.rows:,} events + invitations: {base:.2f} s")

        csv_path = OUT / "discharges.csv"
        write_csv(rows, csv_path)
        csv_app = fresh("csv")
        with csv_app.app_context(), csv_path.open("rb") as stream:
            began = time.perf_counter()
            batch = import_csv(stream, csv_path.name)
            csv_seconds = time.perf_counter() - began
            print(f"CSV: {batch.received:,} rows, {batch.invited:,} invited in "
                  f"{csv_seconds:.2f} s ({csv_seconds / base:.1f}× the baseline; target 20 s)")

        try:
            from survey_app.integrations.hl7_discharge import import_hl7
        except ImportError:
            print("HL7: importer not available")
            return 0
        hl7_path = OUT / "discharges.hl7"
        hl7_path.write_text("\n".join(hl7_message(n, r) for n, r in enumerate(rows, 1)),
                            encoding="utf-8")
        hl7_app = fresh("hl7")
        with hl7_app.app_context():
            began = time.perf_counter()
            result = import_hl7(hl7_path.read_bytes(), source="hl7_file",
                                filename=hl7_path.name)
            hl7_seconds = time.perf_counter() - began
            batch = getattr(result, "batch", result)
            print(f"HL7: {batch.received:,} messages, {batch.invited:,} invited in "
                  f"{hl7_seconds:.2f} s ({hl7_seconds / base:.1f}× the baseline; target 60 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
