"""The demo's comments: realistic, masked when loaded, and never in benchmark reports."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from results_world import build_results
from sqlalchemy import select
from staff import make_staff, sign_in

from survey_app.demo.comments import NEGATIVE, POSITIVE, SAFETY_CONCERN
from survey_app.demo.loader import load_demo
from survey_app.extensions import db
from survey_app.models import Comment, Invitation, Response, TransitionEvent
from survey_app.results.periods import period_of

IDENTIFIERS = re.compile(r"Patel|Sarah|Peter|O'Neill|David|07700|NE1 4XY|943 476 5919|@")


@pytest.fixture
def demo(app: Flask) -> Flask:
    with app.app_context():
        summary = load_demo(seed=7, event_count=400)
        assert summary.comments > 10
    return app


def test_demo_comments_are_masked_and_include_a_safety_concern(demo: Flask) -> None:
    with demo.app_context():
        rows = db.session.execute(select(Comment.text, Comment.masked_text, Response.status)
                                  .join(Response)).all()
    written = [row for row in rows if row.text]
    assert {row.text for row in written} <= {*POSITIVE, *NEGATIVE, SAFETY_CONCERN}
    assert any(IDENTIFIERS.search(row.text) for row in written)
    assert not any(IDENTIFIERS.search(row.masked_text) for row in rows)
    assert any("insulin" in row.masked_text for row in written)
    assert len(written) < len(rows)  # most people leave the box empty ("no comment")


def test_comments_never_appear_in_the_benchmark_report(demo: Flask, tmp_path: Path) -> None:
    with demo.app_context():
        period = period_of(max(db.session.scalars(
            select(TransitionEvent.discharge_date).join(Invitation).join(Response)
            .where(Response.status == "submitted"))))
    build_results(demo)  # reports read the stored snapshot, as the timer builds it
    staff = make_staff(demo, role="provider", organisations=("RZ1",))
    client = demo.test_client()
    sign_in(client, staff.email, staff.password)
    table = client.get(f"/provider/RZ1/reports/{period}.csv")
    pdf = client.get(f"/provider/RZ1/reports/{period}.pdf")
    assert (table.status_code, pdf.status_code) == (200, 200)
    (tmp_path / "report.pdf").write_bytes(pdf.get_data())
    text = subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "BENCHMARK REPORT" in text  # the report really was read
    for body in (table.get_data(as_text=True), " ".join(text.split())):
        for words in (*POSITIVE, *NEGATIVE, SAFETY_CONCERN):
            assert words[:30] not in body


def test_comments_are_not_exported_for_analysis(demo: Flask, runner: FlaskCliRunner,
                                                tmp_path: Path) -> None:
    result = runner.invoke(args=["export-answers", "--instrument", "comments",
                                 "-o", str(tmp_path / "comments.csv")])
    assert result.exit_code == 1
    assert "comments@1 asks only for free-text comments, which are never exported" in (
        result.output)
    assert not (tmp_path / "comments.csv").exists()
