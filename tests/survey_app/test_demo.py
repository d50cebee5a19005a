"""``flask demo``: a realistic synthetic world and links that open the journey."""

from __future__ import annotations

import re

import pandas as pd
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select, text
from staff import sign_in

import instruments
from survey_app import create_app
from survey_app.extensions import db
from survey_app.models import (
    ContactDetails,
    IntakeBatch,
    Invitation,
    Message,
    Organisation,
    Pathway,
    Response,
    TransitionEvent,
    utcnow,
)
from survey_app.services.journey import open_journey

LINK = re.compile(r"^http://demo\.test:8080/s/([A-Za-z0-9_-]{43})$", re.MULTILINE)
# Mean CTM-15 agreement (1–4, scored answers only) per provider, submitted responses.
PROVIDER_MEANS = text("""
    SELECT o.code, AVG(CAST(a.code AS FLOAT)) AS mean_code, COUNT(DISTINCT r.id) AS n
    FROM answers a
    JOIN responses r ON r.id = a.response_id
    JOIN invitations i ON i.id = r.invitation_id
    JOIN transition_events e ON e.id = i.event_id
    JOIN organisations o ON o.id = e.provider_id
    WHERE a.instrument_id = 'ctm15' AND a.code IN ('1', '2', '3', '4')
      AND r.status = 'submitted'
    GROUP BY o.code
""")


def run_demo(runner: FlaskCliRunner, *args: str) -> tuple[str, list[str]]:
    result = runner.invoke(args=["demo", "--base-url", "http://demo.test:8080/", *args])
    assert result.exit_code == 0, result.output
    return result.output, LINK.findall(result.output)


def count_of(model: type, *where: object) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_demo_loads_a_consistent_world_and_prints_working_links(
    app: Flask, runner: FlaskCliRunner
) -> None:
    output, tokens = run_demo(runner, "--events", "400", "--seed", "7", "--links", "3")
    assert "Loaded 34 organisations, 8 pathways, 400 discharges" in output
    assert len(tokens) == 3
    with app.app_context():
        assert count_of(Organisation, Organisation.type_code == "provider") >= 12
        assert count_of(Organisation, Organisation.type_code == "commissioner") == 3
        assert count_of(Pathway) == 8
        # Online discharges came in through intake, as a trust's do: in batches, each
        # either invited or excluded with its reason, with messages scheduled and sent.
        excluded = count_of(TransitionEvent, TransitionEvent.exclusion_reason.is_not(None))
        assert 0 < excluded < 40
        assert count_of(Invitation) == 400 - excluded + 3
        assert count_of(IntakeBatch, IntakeBatch.source == "demo") >= 12
        assert count_of(Message, Message.status == "delivered") > 400
        assert count_of(TransitionEvent, TransitionEvent.patient_key.is_not(None)) > 300
        open_windows = count_of(Invitation, Invitation.expires_at > utcnow(),
                                Invitation.status.in_(("sent", "started")))
        assert count_of(ContactDetails) <= open_windows  # closed windows keep no contacts
        submitted = count_of(Response, Response.status == "submitted")
        partial = count_of(Response, Response.status == "in_progress")
        assert submitted > 100 and partial > 10
        # Statuses agree: a completed invitation has a submitted response, and back.
        assert count_of(Invitation, Invitation.status == "completed") == submitted
        assert count_of(Invitation, Invitation.status == "started") == partial
        answers_per_response = db.session.execute(text(
            "SELECT r.status, MIN(n), MAX(n) FROM responses r JOIN "
            "(SELECT response_id, COUNT(*) AS n FROM answers GROUP BY response_id) a "
            "ON a.response_id = r.id GROUP BY r.status"
        )).all()
        totals = dict((status, (low, high)) for status, low, high in answers_per_response)
        asked = open_journey(tokens[0]).questions
        questions = sum(not q.item.is_free_text for q in asked)  # the rest are comments
        assert totals["submitted"] == (questions, questions)
        assert totals["in_progress"][1] < questions
        answered_dates = db.session.scalars(text(
            "SELECT DISTINCT e.discharge_date FROM transition_events e "
            "JOIN invitations i ON i.event_id = e.id JOIN responses r ON r.invitation_id = i.id"
        )).all()
        quarters = {(str(d)[:4], (int(str(d)[5:7]) - 1) // 3) for d in answered_dates}
        assert len(quarters) == 4
    for token in tokens:
        assert app.test_client().get(f"/s/{token}").status_code == 200


def test_if_empty_keeps_existing_data_but_still_prints_fresh_links(
    app: Flask, runner: FlaskCliRunner
) -> None:
    run_demo(runner, "--events", "50", "--links", "1")
    output, tokens = run_demo(runner, "--if-empty", "--links", "2")
    assert "already present: skipping the bulk load" in output and len(tokens) == 2
    with app.app_context():
        assert count_of(Invitation) == 50 - count_of(
            TransitionEvent, TransitionEvent.exclusion_reason.is_not(None)) + 3
        assert all(open_journey(token).answers == {} for token in tokens)
    refused = runner.invoke(args=["demo", "--events", "50"])
    assert refused.exit_code == 1
    assert "already holds organisations" in refused.output


def test_demo_refuses_clearly_before_migrations() -> None:
    bare = create_app({"APP_ENV": "test", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    result = bare.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1 and "run `flask --app wsgi db upgrade` first" in result.output


def test_one_provider_is_clearly_better_and_one_clearly_worse(
    app: Flask, runner: FlaskCliRunner
) -> None:
    run_demo(runner, "--events", "3000", "--links", "1")
    with app.app_context():
        rows = db.session.execute(PROVIDER_MEANS).all()
        all_agree = db.session.scalar(text(
            "SELECT AVG(CASE WHEN lo = '3' AND hi = '3' THEN 1.0 ELSE 0 END) FROM "
            "(SELECT MIN(a.code) AS lo, MAX(a.code) AS hi FROM answers a JOIN responses r "
            "ON r.id = a.response_id WHERE a.instrument_id = 'ctm15' "
            "AND r.status = 'submitted' GROUP BY a.response_id) per_response"
        ))
    means = {code: mean for code, mean, _n in rows}
    assert len(means) >= 12 and min(n for *_, n in rows) >= 40
    ordered = sorted(means.values())
    # The best and worst stand well apart from the next provider.
    assert max(means, key=means.__getitem__) == "RZ1" and ordered[-1] - ordered[-2] > 0.1
    assert min(means, key=means.__getitem__) == "RZ4" and ordered[1] - ordered[0] > 0.1
    assert 0.15 < float(all_agree) < 0.4  # acquiescence: many answer every item "Agree"


def test_demo_refuses_a_base_url_that_is_not_a_web_address(runner: FlaskCliRunner) -> None:
    for bad in ("not a url", "ftp://demo.test", "demo.test:8080", "http://demo.test/?x=1"):
        result = runner.invoke(args=["demo", "--base-url", bad, "--events", "20"])
        assert result.exit_code == 2, bad
        assert "is not a web address" in result.output
        assert "/s/" not in result.output


def test_demo_prints_staff_accounts_that_can_sign_in(app: Flask, runner: FlaskCliRunner) -> None:
    output, _tokens = run_demo(runner, "--events", "60", "--links", "1")
    assert "Demo staff accounts (sign in at http://demo.test:8080/staff/sign-in" in output
    printed = dict(re.findall(r"^\s+\S.*?\s(\S+@demo\.invalid)\s+(\S+)$", output, re.MULTILINE))
    assert set(printed) == {"admin@demo.invalid", "provider@demo.invalid"}
    for email, password in printed.items():
        client = app.test_client()
        assert sign_in(client, email, password).status_code == 302
        assert sign_in(app.test_client(), email, password + "x").status_code == 200


def test_demo_answers_negatively_worded_statements_the_other_way(
    app: Flask, runner: FlaskCliRunner
) -> None:
    """A good experience means disagreeing with "I had to repeat the same information…"."""
    run_demo(runner, "--events", "400", "--seed", "7", "--links", "1")
    with app.app_context():
        answers = pd.read_sql(
            "SELECT response_id, instrument_id, item_id, CAST(code AS INTEGER) AS value "
            "FROM answers WHERE instrument_id IN ('ctm15', 'i_statements') "
            "AND code IN ('1', '2', '3', '4', '5')",
            db.engine,
        )
    ctm = answers[answers.instrument_id == "ctm15"].groupby("response_id").value.mean()
    statements = answers[answers.instrument_id == "i_statements"].pivot(
        index="response_id", columns="item_id", values="value"
    )
    reverse = {item.id for item in instruments.get_instrument("i_statements").items if item.reverse}
    assert reverse
    for item in statements.columns:
        correlation = statements[item].corr(ctm)
        if item in reverse:
            assert correlation < -0.1, (item, correlation)
        else:
            assert correlation > 0.3, (item, correlation)
