"""Exporting submitted answers as the wide CSV that ``python -m analysis score`` reads, and
sent invitations as the CSV ``python -m analysis response-rate`` reads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

import instruments
from analysis.cli import main as analysis_main
from analysis.scoring import normalise_answers, score_respondents
from survey_app.extensions import db
from survey_app.models import Invitation, Response

CONTEXT = ["response_id", "provider", "site", "pathway", "care_type", "admission_route",
           "language", "mode", "period"]


def test_export_then_score_every_submitted_response(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    assert runner.invoke(args=["demo", "--events", "300", "--links", "1"]).exit_code == 0
    out = tmp_path / "ctm15.csv"
    result = runner.invoke(args=["export-answers", "--instrument", "ctm15", "-o", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    with app.app_context():
        submitted = db.session.scalar(
            select(func.count()).select_from(Response).where(Response.status == "submitted")
        )
    assert f"Wrote {submitted} submitted responses" in result.output
    assert len(table) == submitted and table["response_id"].is_unique
    ctm15 = instruments.get_instrument("ctm15")
    assert list(table.columns) == CONTEXT + [
        "completed_by", "age_band", "sex", "general_health", "main_language"
    ] + [item.id for item in ctm15.items]
    assert set(table["completed_by"]) <= {"PATIENT", "HELPED", "PROXY", "OTHER"}
    assert table["period"].str.fullmatch(r"\d{4}Q[1-4]").all()
    scores = score_respondents(normalise_answers(table, ctm15), ctm15)
    assert (scores["status"] == "scored").mean() > 0.95
    assert scores["score"].between(0, 100).all()


def test_export_names_an_unknown_instrument(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        args=["export-answers", "--instrument", "nope", "-o", str(tmp_path / "x.csv")]
    )
    assert result.exit_code == 1 and "nope" in result.output
    assert not (tmp_path / "x.csv").exists()


def test_export_with_no_responses_writes_just_the_header(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "empty.csv"
    result = runner.invoke(args=["export-answers", "--instrument", "ctm3", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[0].startswith("response_id,provider,site")
    assert len(out.read_text().splitlines()) == 1


def test_export_invitations_feeds_the_response_rate_command(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    assert runner.invoke(args=["demo", "--events", "300", "--links", "1"]).exit_code == 0
    out = tmp_path / "invitations.csv"
    result = runner.invoke(args=["export-invitations", "-o", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(table.columns) == ["provider", "site", "pathway", "period", "mode",
                                   "responded"]
    with app.app_context():
        sent = db.session.scalar(select(func.count()).select_from(Invitation)
                                 .where(Invitation.status != "pending"))
        submitted = db.session.scalar(select(func.count()).select_from(Response)
                                      .where(Response.status == "submitted"))
    assert len(table) == sent and (table["responded"] == "True").sum() == submitted
    assert f"Wrote {sent} sent invitations ({submitted} answered)" in result.output
    assert table["period"].str.fullmatch(r"\d{4}Q[1-4]").all()
    assert set(table["mode"]) <= {"sms", "email", "kiosk", "paper"}
    rates = tmp_path / "rates.csv"
    assert analysis_main(["response-rate", str(out), "--by", "provider,mode", "--unrounded",
                          "-o", str(rates)]) == 0
    overall = pd.read_csv(rates).query("mode == 'all'")
    assert overall["invited"].sum() == sent and overall["responded"].sum() == submitted
