"""Every template autoescapes, the NHS.UK ``.jinja`` macros too: whatever people typed
(patients' comments, staff names, organisation, site and pathway names, survey titles) is
shown back as text, never as markup, on every page that shows it, and in the PDF report."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from comment_data import comment_on
from event_data import provider_with_site
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from patient_pages import answer_questions, csrf_token, first_option, parse
from sqlalchemy import select
from staff import make_staff, sign_in
from werkzeug.test import TestResponse

from survey_app import results
from survey_app.auth.scope import Scope
from survey_app.extensions import db
from survey_app.models import Organisation, Pathway, StaffUser
from survey_app.reports.pdf import report_html
from survey_app.results import build as results_build
from survey_app.services.surveys import ensure_survey

SCRIPT = "</textarea><script>alert(1)</script><img src=x onerror=alert(1)>"
MARKUP = '<b id="x">Demo</b>'
HOSTILE = SCRIPT + MARKUP
# What the hostile text looks like when it arrives as markup, and when it arrives escaped.
RAW = ("</textarea><script", "<script>alert", "<img src=x", '<b id="x">')
ESCAPED = str(escape(HOSTILE))  # &lt;/textarea&gt;&lt;script&gt;… &lt;b id=&#34;x&#34;&gt;…


def problems(html: str) -> list[str]:
    """Return what is wrong: hostile fragments that arrived as markup, or no escaped copy
    (the page did not show the value at all, so the check would prove nothing)."""
    found = [f"raw {fragment!r}" for fragment in RAW if fragment in html]
    return found + ([] if ESCAPED in html else ["no escaped copy"])


def assert_escaped(pages: dict[str, TestResponse]) -> None:
    """Fail naming each page with problems (or with its status, if not 200)."""
    found = {
        name: [f"status {page.status_code}"] if page.status_code != 200
        else problems(page.get_data(as_text=True))
        for name, page in pages.items()
    }
    listed = [f"{name}: {'; '.join(wrong)}" for name, wrong in found.items() if wrong]
    assert not listed, "\n".join(listed)


@dataclass(frozen=True)
class World:
    """Provider RX1, its site, the stroke pathway and the survey, all named ``HOSTILE``,
    with one sent comment in ``HOSTILE`` words."""

    comment_id: int
    org_id: int
    site_id: int
    pathway_id: int
    survey_id: int


@pytest.fixture
def world(app: Flask) -> World:
    with app.app_context():
        comment_id = comment_on("RX1", HOSTILE, pathway="stroke")
        provider, site = provider_with_site("RX1")
        pathway = db.session.scalar(select(Pathway).where(Pathway.code == "stroke"))
        survey = ensure_survey("leaving-hospital")
        for row in (provider, site, pathway):
            row.name = HOSTILE
        survey.title = HOSTILE
        db.session.commit()
        results_build.build(built_by="tests")  # the portal and reports read the snapshot
        return World(comment_id, provider.id, site.id, pathway.id, survey.id)


def signed_in_as_hostile(app: Flask, role: str) -> FlaskClient:
    """Return a client signed in as a ``role`` user of RX1 whose full name is ``HOSTILE``."""
    staff = make_staff(app, role=role, organisations=("RX1",) if role == "provider" else ())
    with app.app_context():
        db.session.get(StaffUser, staff.id).full_name = HOSTILE
        db.session.commit()
    client = app.test_client()
    assert sign_in(client, staff.email, staff.password).status_code == 302
    return client


def test_a_patients_comment_and_the_survey_title_come_back_as_text(
    app: Flask, client: FlaskClient, make_invitation, world: World
) -> None:
    token = make_invitation(app)
    comment_page = []

    def hostile_comment(page: TestResponse) -> str:
        if parse(page).find("textarea") is None:
            return first_option(page)
        comment_page.append(page.request.path)
        return HOSTILE

    check = answer_questions(client, token, hostile_comment).location
    question = client.get(comment_page[0])
    pages = {
        "start": client.get(f"/s/{token}?intro=yes"),
        "question (saved comment in the textarea)": question,
        "question with an error (typed words in the textarea)": client.post(
            comment_page[0],  # over the 1,000 characters allowed
            data={"csrf_token": csrf_token(question), "answer": HOSTILE * 13}),
        "check your answers": client.get(check),
    }
    assert_escaped(pages)


def test_names_and_comments_come_back_as_text_in_the_provider_portal(
    app: Flask, world: World
) -> None:
    client = signed_in_as_hostile(app, "provider")
    comments = f"/provider/RX1/comments/{world.comment_id}"
    flag = client.post(f"{comments}/flag", data={
        "csrf_token": csrf_token(client.get(f"{comments}/flag")), "reason": HOSTILE})
    assert flag.status_code == 302
    pages = {
        "staff home": client.get("/staff/"),
        "dashboard": client.get("/provider/RX1/"),
        "comments": client.get("/provider/RX1/comments"),
        "flagged comments": client.get("/provider/RX1/comments/flagged"),
        "follow-up form": client.get(f"{comments}/follow-up"),
    }
    follow_up = client.post(f"{comments}/follow-up", data={
        "csrf_token": csrf_token(pages["follow-up form"]), "note": HOSTILE})
    assert follow_up.status_code == 302
    pages["flagged comments, followed up"] = client.get("/provider/RX1/comments/flagged")
    assert_escaped(pages)


def test_names_and_titles_come_back_as_text_on_the_administrators_pages(
    app: Flask, world: World
) -> None:
    provider = signed_in_as_hostile(app, "provider")  # a flag, for the review and the log
    flag = f"/provider/RX1/comments/{world.comment_id}/flag"
    provider.post(flag, data={"csrf_token": csrf_token(provider.get(flag)), "reason": HOSTILE})
    client = signed_in_as_hostile(app, "administrator")
    with app.app_context():
        user_id = db.session.scalar(select(StaffUser.id).where(StaffUser.role == "provider"))
    pages = {
        "users": client.get("/admin/users"),
        "user form": client.get(f"/admin/users/{user_id}"),
        "organisations": client.get("/admin/organisations"),
        "organisation form": client.get(f"/admin/organisations/{world.org_id}"),
        "site form (parent choices)": client.get(f"/admin/organisations/{world.site_id}"),
        "pathways": client.get("/admin/pathways"),
        "pathway form": client.get(f"/admin/pathways/{world.pathway_id}"),
        "surveys": client.get("/admin/surveys"),
        "survey form": client.get(f"/admin/surveys/{world.survey_id}"),
        "safety review": client.get("/admin/safety-review"),
        "audit log": client.get("/admin/audit"),
    }
    assert_escaped(pages)


def test_names_come_back_as_text_in_the_pdf_report(app: Flask, world: World) -> None:
    with app.app_context():
        org = db.session.get(Organisation, world.org_id)
        snapshot = results.snapshot()
        period = snapshot.bundle.periods[-1]
        report = results.provider_report(Scope.for_providers([org.id]), "RX1", period)
    assert problems(report_html(report)) == []
