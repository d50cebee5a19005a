"""CSV upload in the portal, through Flask's client: administrators (any provider, or one
chosen), provider users (their own organisation only: other providers' rows are rejected
row by row, other organisations' pages and batches are not found), refused files, the
upload's own size limit, the template, the batch list and the paged batch report — on
SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest
from event_data import provider_with_site
from flask import Flask
from flask.testing import FlaskClient
from intake_data import intake_world, row
from patient_pages import csrf_token, parse, structure_problems, text_of
from sqlalchemy import func, select
from staff import signed_in
from werkzeug.test import TestResponse

from survey_app.extensions import db
from survey_app.models import IntakeBatch, IntakeIssue, TransitionEvent
from survey_app.services.intake_validation import FIELDS


def csv_file(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def upload(client: FlaskClient, path: str, data: bytes, name: str = "nov.csv",
           **fields: str) -> TestResponse:
    """Open the upload page and post ``data`` as the file, with the page's CSRF token."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return client.post(path, data={"csrf_token": csrf_token(page), **fields,
                                   "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def world(app: Flask) -> None:
    with app.app_context():
        intake_world()
        provider_with_site("RX2")
        db.session.commit()


def stored(app: Flask, model: type = TransitionEvent) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def rows_of_table(response: TestResponse, caption: str) -> list[list[str]]:
    for table in parse(response).find_all("table"):
        if caption in text_of(table.caption):
            return [[text_of(cell) for cell in tr.find_all(["th", "td"])]
                    for tr in table.find_all("tr")]
    raise AssertionError(f"no table {caption!r}")


def test_an_administrator_uploads_any_provider_s_rows_and_reads_the_report(
    any_app: Flask
) -> None:
    world(any_app)
    client, admin = signed_in(any_app, role="administrator")
    data = csv_file([row(1), row(2, provider_code="RX2", site_code="RX201"),
                     row(3, nhs_number="9434765918"), row(4, died="yes"), row(1)])
    response = upload(client, "/admin/intake", data)
    assert response.status_code == 302
    with any_app.app_context():
        batch = db.session.scalars(select(IntakeBatch)).one()
        assert (batch.received_by_id, batch.provider_id, batch.filename) == (admin.id, None,
                                                                            "nov.csv")
        assert response.location == f"/admin/intake/{batch.id}"
    report = client.get(response.location)
    assert report.status_code == 200 and structure_problems(report) == []
    assert text_of(parse(report).h1) == "Batch 1: nov.csv"
    assert dict(map(tuple, rows_of_table(report, "What happened"))) == {
        "Received": "5", "Accepted (new discharges)": "3",
        "Duplicates (sent before, or twice in this batch)": "1",
        "Rejected (listed below)": "1", "Excluded (accepted, not invited)": "1",
        "Invited": "2"}
    assert ["Died", "1"] in rows_of_table(report, "Excluded, by reason")
    assert rows_of_table(report, "Problems")[1:] == [
        ["row 4", "nhs_number", "•••••••918", "the NHS number fails the modulus 11 check"]]
    assert "9434765918" not in report.get_data(as_text=True)
    listing = client.get("/admin/intake")
    assert rows_of_table(listing, "Batches")[1] == [
        "Batch 1", "Each row's", batch_when(any_app), "Test Administrator", "CSV file", "nov.csv",
        "5", "3", "1", "1", "1", "2"]


def batch_when(app: Flask) -> str:
    with app.app_context():
        return db.session.scalars(select(IntakeBatch)).one().started_at.strftime(
            "%Y-%m-%d %H:%M")


def test_an_administrator_may_limit_an_upload_to_one_provider(any_app: Flask) -> None:
    world(any_app)
    client, _ = signed_in(any_app, role="administrator")
    data = csv_file([row(1), row(2, provider_code="RX2", site_code="RX201")])
    assert upload(client, "/admin/intake", data, provider="RX2").status_code == 302
    with any_app.app_context():
        issue = db.session.scalars(select(IntakeIssue)).one()
        assert (issue.location, issue.problem) == ("row 2", "this provider is not your "
                                                            "organisation")


def test_a_provider_user_s_upload_rejects_other_providers_rows_one_by_one(
    any_app: Flask
) -> None:
    world(any_app)
    client, user = signed_in(any_app, role="provider", organisations=("RX1",))
    data = csv_file([row(1), row(2, provider_code="RX2", site_code="RX201"), row(3),
                     row(4, provider_code="RX2", site_code="RX201")])
    response = upload(client, "/provider/RX1/intake", data)
    assert response.status_code == 302
    report = client.get(response.location)
    assert report.status_code == 200 and structure_problems(report) == []
    assert rows_of_table(report, "Problems")[1:] == [
        ["row 3", "provider_code", "RX2", "this provider is not your organisation"],
        ["row 5", "provider_code", "RX2", "this provider is not your organisation"]]
    with any_app.app_context():
        batch = db.session.scalars(select(IntakeBatch)).one()
        assert (batch.accepted, batch.rejected, batch.received_by_id) == (2, 2, user.id)
        assert batch.provider.code == "RX1"
    listing = client.get("/provider/RX1/intake")
    assert [r[0] for r in rows_of_table(listing, "Batches")[1:]] == ["Batch 1"]


def test_a_provider_user_sees_nothing_of_another_organisation(any_app: Flask) -> None:
    world(any_app)
    admin_client, _ = signed_in(any_app, role="administrator")
    upload(admin_client, "/admin/intake", csv_file([row(1)]))  # batch 1: no provider
    upload(admin_client, "/provider/RX2/intake",  # batch 2: RX2's
           csv_file([row(2, provider_code="RX2", site_code="RX201")]))
    client, _ = signed_in(any_app, role="provider", organisations=("RX1",))
    for path in ("/provider/RX2/intake", "/provider/RX2/intake/template.csv",
                 "/provider/RX2/intake/2", "/provider/RX1/intake/1", "/provider/RX1/intake/2"):
        assert client.get(path).status_code == 404, path
    assert client.get("/admin/intake").status_code == 403
    assert client.get("/admin/intake/1").status_code == 403
    page = client.get("/provider/RX1/intake")
    forged = client.post("/provider/RX2/intake", data={
        "csrf_token": csrf_token(page), "file": (io.BytesIO(csv_file([row(3)])), "x.csv")},
        content_type="multipart/form-data")
    assert forged.status_code == 404
    assert "No discharges have been brought in yet." in page.get_data(as_text=True)
    assert stored(any_app, IntakeBatch) == 2


@pytest.mark.parametrize(("data", "message"), [
    (b"source_reference;provider_code\nV1;RX1\n", "row 1 looks semicolon-separated"),
    ("source_reference,provider_code,pathway_code,discharged_at\nRen\u00e9e,RX1,stroke,x\n"
     .encode("latin-1"), "line 2 is not UTF-8 text"),
    (b"", "the file is empty"),
])
def test_a_refused_file_is_explained_on_the_form_and_imports_nothing(
    any_app: Flask, data: bytes, message: str
) -> None:
    world(any_app)
    client, _ = signed_in(any_app, role="provider", organisations=("RX1",))
    response = upload(client, "/provider/RX1/intake", data, name="bad.csv")
    assert response.status_code == 400 and structure_problems(response) == []
    summary = text_of(parse(response).find(class_="nhsuk-error-summary"))
    assert f"The file was not imported: bad.csv: {message}" in summary
    assert parse(response).find(class_="nhsuk-error-summary").a["href"] == "#file"
    assert stored(any_app) == 0
    assert rows_of_table(response, "Batches")[1][0] == "Batch 1 (refused)"
    report = client.get("/provider/RX1/intake/1")
    assert message in text_of(parse(report).find(class_="nhsuk-card--warning"))


def test_a_post_without_a_file_or_without_the_csrf_token_imports_nothing(app: Flask) -> None:
    world(app)
    client, _ = signed_in(app, role="administrator")
    page = client.get("/admin/intake")
    empty = client.post("/admin/intake", data={"csrf_token": csrf_token(page)},
                        content_type="multipart/form-data")
    assert empty.status_code == 400 and "Select a CSV file" in empty.get_data(as_text=True)
    forged = client.post("/admin/intake", data={"file": (io.BytesIO(csv_file([row(1)])),
                                                         "x.csv")},
                         content_type="multipart/form-data")
    assert forged.status_code == 400 and stored(app, IntakeBatch) == 0


def test_an_upload_may_be_far_larger_than_other_requests_but_not_than_its_limit(
    app: Flask
) -> None:
    world(app)
    client, _ = signed_in(app, role="administrator")
    data = csv_file([row(n, provider_code="ZZ9") for n in range(1, 3001)])
    assert len(data) > 4 * app.config["MAX_CONTENT_LENGTH"]  # spooled to disk, too
    assert upload(client, "/admin/intake", data).status_code == 302
    app.config["INTAKE_MAX_CONTENT_LENGTH"] = 100_000
    response = upload(client, "/admin/intake", data)
    assert response.status_code == 413 and structure_problems(response) == []
    assert "The file must be 97 KB or smaller" in response.get_data(as_text=True)
    assert "flask intake csv" in text_of(parse(response).find(class_="nhsuk-error-summary"))
    assert stored(app, IntakeBatch) == 1


def test_the_template_downloads_with_the_organisation_s_codes(app: Flask) -> None:
    world(app)
    client, _ = signed_in(app, role="provider", organisations=("RX2",))
    response = client.get("/provider/RX2/intake/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    header, example = csv.reader(io.StringIO(response.get_data(as_text=True)))
    assert header == list(FIELDS)
    values = dict(zip(header, example, strict=True))
    assert (values["provider_code"], values["site_code"], values["pathway_code"]) == (
        "RX2", "RX201", "stroke")
    page = client.get("/provider/RX2/intake")
    assert parse(page).find("a", string="Download the CSV template")["href"] == (
        "/provider/RX2/intake/template.csv")


def test_the_report_lists_every_problem_a_page_at_a_time(app: Flask) -> None:
    world(app)
    client, _ = signed_in(app, role="administrator")
    data = csv_file([row(n, provider_code="ZZ9") for n in range(1, 151)])
    location = upload(client, "/admin/intake", data).location
    first, second = client.get(location), client.get(location + "?page=2")
    problems = rows_of_table(first, "Problems")[1:] + rows_of_table(second, "Problems")[1:]
    assert [p[0] for p in problems] == [f"row {n}" for n in range(2, 152)]
    assert parse(first).find("a", rel="next")["href"] == location + "?page=2"
    assert parse(second).find("a", rel="prev")["href"] == location + "?page=1"
    assert rows_of_table(client.get(location + "?page=99"), "Problems") == rows_of_table(
        second, "Problems")  # past the end: the last page
    assert client.get("/admin/intake/999").status_code == 404


def test_the_pages_are_linked_from_the_portal(app: Flask) -> None:
    client, _ = signed_in(app, role="administrator")
    home = parse(client.get("/staff/"))
    assert home.find("a", href="/admin/intake") is not None
