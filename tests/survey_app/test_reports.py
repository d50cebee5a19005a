"""Benchmark reports from the demo world: PDF (read back with poppler), CSV, XLSX, command."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from results_world import (
    SMALL_PROVIDER,
    current_quarter_app,
    demo_db,
    full_period,
    quarters,
    results_app,
    rz1_staff,
)
from sqlalchemy import select
from staff import Staff, sign_in
from weasyprint.urls import FatalURLFetchingError

import instruments
from survey_app import results
from survey_app.auth.scope import Scope
from survey_app.extensions import db
from survey_app.models import AuditEvent, Organisation
from survey_app.reports.pdf import html_to_pdf, report_html, report_pdf
from survey_app.reports.tables import csv_bytes, xlsx_bytes
from survey_app.results.report import ProviderReport, build_report
from survey_app.results.store import StoredBundle, load_table
from survey_app.results.views import BAND_PHRASES

# Fixtures imported from results_world (named here so the imports count as used).
FIXTURES = (current_quarter_app, demo_db, full_period, quarters, results_app, rz1_staff)


NUMBER = re.compile(r"\d")


def report_of(app: Flask, code: str, period: str) -> ProviderReport:
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.code == code))
        return results.provider_report(Scope.for_providers([org.id]), code, period)


def pdf_text(path: Path, layout: bool = True) -> str:
    """Return the PDF's text as pdftotext lays it out (``layout=False``: in reading order,
    so a paragraph beside a chart is not interleaved with the chart's labels)."""
    return subprocess.run(["pdftotext", *(["-layout"] if layout else []), str(path), "-"],
                          check=True, capture_output=True, text=True).stdout


def page_count(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                          text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


@pytest.fixture(scope="module")
def rz1_pdf(results_app: Flask, full_period: str,
            tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "RZ1.pdf"
    path.write_bytes(report_pdf(report_of(results_app, "RZ1", full_period)))
    return path


def test_the_report_reads_as_a_board_report(rz1_pdf: Path, full_period: str,
                                            results_app: Flask) -> None:
    text = pdf_text(rz1_pdf)
    flat = " ".join(text.split())
    assert "care transitions benchmark report" in flat.lower()
    assert "Northmoor Teaching Hospitals NHS Foundation Trust" in flat and full_period in flat
    stroke = next(p for p in report_of(results_app, "RZ1", full_period).pathways
                  if p.pathway == "stroke").scores[0]
    headline = re.findall(r"Your CTM-15 score for Stroke \(including early supported "
                          r"discharge\) was (\d+), ((?:much )?(?:better|worse) than "
                          r"expected|as expected)\.", flat)
    assert stroke.shown and stroke.band in BAND_PHRASES
    # the headline sentence, once in the summary and once on the pathway's page
    assert headline == [(f"{stroke.value:.0f}", BAND_PHRASES[stroke.band])] * 2
    for section in ("Summary", "Compared with other providers", "Over time",
                    "Question by question", "What matters most", "Who answered",
                    "Methodology", "Small numbers"):
        assert section in flat, section
    assert "CTM-15 © Eric A. Coleman, MD, MPH" in flat
    assert "Provider A" in flat
    others = {"Harbourside Hospitals NHS Trust", "Eastcliff Community Healthcare NHS Trust"}
    assert not any(name in flat for name in others)
    pages = page_count(rz1_pdf)
    assert 10 <= pages <= 40
    assert f"Page {pages} of {pages}" in flat


def test_the_report_explains_bands_where_it_shows_them(
    rz1_pdf: Path, results_app: Flask, full_period: str
) -> None:
    """Under each pathway's table of scores and bands, and only there."""
    flat = " ".join(pdf_text(rz1_pdf, layout=False).split())
    sentence = ("Bands allow for the normal variation between providers (over-dispersion) as "
                "well as chance, so a score can differ from the benchmark and still be “as "
                "expected”.")
    report = report_of(results_app, "RZ1", full_period)
    banded = [p for p in report.pathways if any(s.shown for s in p.scores)]
    assert len(banded) >= 3 and flat.count(sentence) == len(banded)
    for pathway in banded:
        table = flat.index(f"Scores for {pathway.name}, {full_period}")
        assert sentence in flat[table:flat.index("Over time", table)]


def test_the_question_tables_give_each_question_whole(
    rz1_pdf: Path, results_app: Flask, full_period: str
) -> None:
    """Cut to their first words, "The hospital staff …" questions could not be told apart."""
    wording = {f"{item.id.upper()} {item.text}"
               for instrument in ("ctm15", "i_statements")
               for item in instruments.get_instrument(instrument).items}
    report = report_of(results_app, "RZ1", full_period)
    for table in report.question_tables:
        labels = [row.label for row in table.rows]
        assert len(labels) == len(wording) and set(labels) == wording
    flat = " ".join(pdf_text(rz1_pdf, layout=False).split())
    section = flat[flat.index("Question by question"):flat.index("What matters most")]
    missing = [label for label in wording if label not in section]
    assert missing == [] and "…" not in section


def test_every_page_renders_to_an_image(rz1_pdf: Path, tmp_path: Path) -> None:
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(rz1_pdf), str(tmp_path / "page")],
                   check=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == page_count(rz1_pdf)
    assert all(image.stat().st_size > 1000 for image in images)  # not blank


def test_the_pdf_is_tagged_a4(rz1_pdf: Path) -> None:
    info = subprocess.run(["pdfinfo", str(rz1_pdf)], check=True, capture_output=True,
                          text=True).stdout
    assert re.search(r"^Tagged:\s+yes", info, re.M)
    assert re.search(r"^Page size:\s+595\.\d* x 841\.\d* pts \(A4\)", info, re.M)


def test_rendering_never_reaches_the_network_or_files() -> None:
    for url in ("http://example.org/logo.png", "file:///etc/hostname"):
        with pytest.raises(FatalURLFetchingError):
            html_to_pdf(f'<p>Logo</p><img src="{url}" alt="logo">')
    assert html_to_pdf("<p>No links</p>").startswith(b"%PDF")


def test_suppressed_cells_never_show_a_number(results_app: Flask, full_period: str,
                                              tmp_path: Path) -> None:
    report = report_of(results_app, SMALL_PROVIDER, full_period)
    path = tmp_path / "small.pdf"
    path.write_bytes(report_pdf(report))
    text = pdf_text(path)
    row = next(line for line in text.splitlines() if line.strip().startswith("COPD"))
    assert "*" in row and not NUMBER.search(row), row
    summary = " ".join(text.split()).split("Summary", 1)[1]
    assert summary.startswith(
        " • Your CTM-15 score for COPD is not shown: fewer than 30 people answered. ")

    rows = list(csv.DictReader(io.StringIO(csv_bytes(report).decode("utf-8-sig"))))
    own = [r for r in rows if r["pathway"] == "COPD"
           and (r["table"] != "funnel" or r["yours"] == "True")]  # a funnel row: a peer
    assert {r["table"] for r in own} >= {"headline", "questions"}
    for r in own:
        for column in ("respondents", "score_adjusted", "score_unadjusted", "ci_lower",
                       "ci_upper", "responses", "response_rate_percent",
                       "most_favourable_percent", "favourable_percent", "score",
                       "difference"):
            counts_nobody = column in ("respondents", "responses") and r[column] == "0"
            assert r[column] in ("*", "") or counts_nobody, (r["table"], column, r[column])

    workbook = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(report)))
    sheet = workbook["headline"]
    header = [cell.value for cell in sheet[1]]
    for values in sheet.iter_rows(min_row=2, values_only=True):
        record = dict(zip(header, values, strict=True))
        if record["pathway"] == "COPD":
            for column in ("respondents", "score_adjusted", "ci_lower", "responses",
                           "response_rate_percent"):
                assert record[column] in ("*", None), (column, record[column])


def test_question_shares_are_labelled_by_the_answers_they_count(
    rz1_pdf: Path, results_app: Flask, full_period: str
) -> None:
    """i9 and i12 count "strongly disagree" (favourable for a negative statement): the PDF,
    CSV and XLSX say so rather than calling it "strongly agree" or "top box"."""
    flat = " ".join(pdf_text(rz1_pdf).split())
    assert "top box" not in flat.lower() and "% positive" not in flat
    assert flat.count("Negatively worded: most favourable answer “strongly disagree”") >= 2
    report = report_of(results_app, "RZ1", full_period)
    rows = [r for r in csv.DictReader(io.StringIO(csv_bytes(report).decode("utf-8-sig")))
            if r["table"] == "questions"]
    by_item = {(r["instrument"], r["item"]): r for r in rows}
    for item in ("i9", "i12"):
        row = by_item["i_statements", item]
        assert (row["reverse_scored"], row["most_favourable_answer"],
                row["favourable_answers"]) == ("True", "Strongly disagree",
                                               "Strongly disagree or disagree")
    assert (by_item["ctm15", "q1"]["most_favourable_answer"],
            by_item["ctm15", "q1"]["favourable_answers"]) == (
        "Strongly agree", "Agree or strongly agree")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(report)))["questions"]
    header = [cell.value for cell in sheet[1]]
    assert not [c for c in header if "top_box" in c or "positive" in c]
    assert {"most_favourable_answer", "favourable_answers", "most_favourable_percent",
            "favourable_percent"} <= set(header)


def test_downloads_match_the_report_and_are_audited(results_app: Flask, rz1_staff: Staff,
                                                   full_period: str) -> None:
    client = results_app.test_client()
    sign_in(client, rz1_staff.email, rz1_staff.password)
    csv_response = client.get(f"/provider/RZ1/reports/{full_period}.csv")
    assert csv_response.status_code == 200
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in csv_response.headers["Content-Disposition"]
    tables = {r["table"] for r in csv.DictReader(
        io.StringIO(csv_response.get_data(as_text=True).lstrip("\ufeff")))}
    # (RZ1 is clearly better than the rest: it may have no question below other providers)
    assert {"headline", "funnel", "trend", "questions", "who_answered"} <= tables
    xlsx = client.get(f"/provider/RZ1/reports/{full_period}.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    assert workbook.sheetnames == ["about", "headline", "funnel", "trend", "questions",
                                   "what_matters_most", "who_answered"]
    assert all(workbook[name].max_row >= 1 and workbook[name]["A1"].value
               for name in workbook.sheetnames[1:]), "every table has its header, even if empty"
    with results_app.app_context():
        audited = db.session.scalars(select(AuditEvent.object_id).where(
            AuditEvent.action == "download", AuditEvent.actor_id == rz1_staff.id)).all()
    assert {f"RZ1/{full_period}.csv", f"RZ1/{full_period}.xlsx"} <= set(audited)


def test_the_command_builds_reports_in_parallel(results_app: Flask, full_period: str,
                                                tmp_path: Path) -> None:
    outcome = results_app.test_cli_runner().invoke(args=[
        "reports", "build", "--period", full_period, "--out", str(tmp_path),
        "--workers", "2", "--provider", "RZ1", "--provider", SMALL_PROVIDER,
    ])
    assert outcome.exit_code == 0, outcome.output
    assert f"Built 2 of 2 reports for {full_period}" in outcome.output
    built = sorted(p.name for p in tmp_path.glob("*.pdf"))
    assert built == sorted([f"RZ1-benchmark-{full_period}.pdf",
                            f"{SMALL_PROVIDER}-benchmark-{full_period}.pdf"])
    assert all(page_count(tmp_path / name) > 3 for name in built)


def test_the_command_names_a_bad_period(results_app: Flask, tmp_path: Path) -> None:
    runner = results_app.test_cli_runner()
    outcome = runner.invoke(args=["reports", "build", "--period", "2026-13",
                                  "--out", str(tmp_path)])
    assert outcome.exit_code == 2 and "2026-13" in outcome.output
    outcome = runner.invoke(args=["reports", "build", "--period", "2001-Q1",
                                  "--out", str(tmp_path)])
    assert outcome.exit_code == 1 and "No results for 2001-Q1" in outcome.output
    assert not list(tmp_path.glob("*.pdf"))


def test_after_compute_all_a_report_only_looks_tables_up(results_app: Flask,
                                                          full_period: str) -> None:
    """The report command reads the snapshot's tables once, before its workers fork; a
    worker building a report must find every table there (it may only index them)."""
    with results_app.app_context():
        snap = results.snapshot()
        shared = StoredBundle(snap.snapshot_id, "", "", lambda name: load_table(
            snap.snapshot_id, "", name))
        shared.compute_all(full_period)
    before = set(shared._memo)
    shared._load = lambda name: pytest.fail(f"a worker read {name} from the database")
    labels = {code: code for code in snap.names.organisation_names}
    for provider in ("RZ1", SMALL_PROVIDER):
        build_report(shared, snap.names, labels, provider, full_period)
    assert {key for key in set(shared._memo) - before if key[0] != "index"} == set()


def test_the_command_builds_no_report_for_a_provider_nobody_answered_for(
    current_quarter_app: Flask, quarters: tuple[str, str], tmp_path: Path
) -> None:
    """In a quarter only RZ2's one patient has answered in, only RZ2 gets a report; the
    others are named, not given pages of "nobody answered"; asked for by name, refused."""
    _latest, current = quarters
    runner = current_quarter_app.test_cli_runner()
    outcome = runner.invoke(args=["reports", "build", "--period", current, "--out",
                                  str(tmp_path / "all"), "--workers", "1"])
    assert outcome.exit_code == 0, outcome.output
    skipped = next(line for line in outcome.output.splitlines() if line.startswith("No report"))
    assert re.fullmatch(rf"No report for (R[A-Z0-9]+, )+R[A-Z0-9]+: none of their patients "
                        rf"answered the survey in {current}\.", skipped), skipped
    assert "RZ1" in skipped and "RZ2" not in skipped
    assert f"Built 1 of 1 reports for {current}" in outcome.output
    assert [p.name for p in (tmp_path / "all").glob("*.pdf")] == [
        f"RZ2-benchmark-{current}.pdf"]

    outcome = runner.invoke(args=["reports", "build", "--period", current, "--out",
                                  str(tmp_path / "one"), "--provider", "RZ1"])
    assert outcome.exit_code == 2
    assert (f"nobody of RZ1 answered the survey in {current}, so there is no report to "
            "build") in " ".join(outcome.output.split())
    assert not (tmp_path / "one").exists()


def test_a_pathway_without_a_benchmark_has_no_funnel_plot_in_the_report(
    current_quarter_app: Flask, quarters: tuple[str, str], tmp_path: Path
) -> None:
    """RZ2's one stroke patient this quarter: nobody in the stratum has enough responses."""
    _latest, current = quarters
    report = report_of(current_quarter_app, "RZ2", current)
    html = BeautifulSoup(report_html(report), "html.parser")
    section = next(s for s in html.find_all("section", class_="pathway")
                   if s.h2.get_text() == "Stroke (including early supported discharge)")
    compared = next(div for div in section.find_all("div", class_="chart")
                    if div.h3.get_text() == "Compared with other providers")
    assert compared.find("img") is None and compared.find("figure") is None
    assert " ".join(compared.p.get_text().split()) == (
        f"No funnel plot: no provider of this pathway had 30 or more responses in {current}, "
        "so there is no benchmark to compare with.")
    path = tmp_path / "RZ2.pdf"
    path.write_bytes(report_pdf(report))
    flat = " ".join(pdf_text(path, layout=False).split())
    assert (f"No funnel plot: no provider of this pathway had 30 or more responses in "
            f"{current}, so there is no benchmark to compare with.") in flat
    assert "benchmark –" not in flat and "−0.03" not in flat
