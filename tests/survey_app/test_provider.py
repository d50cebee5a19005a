"""The provider portal over real HTTP: dashboard, drill-down, charts, filters, scope."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from flask.testing import FlaskClient
from patient_pages import parse, structure_problems, text_of
from results_world import (
    SMALL_PATHWAY,
    SMALL_PROVIDER,
    demo_db,
    full_period,
    results_app,
    rx9_staff,
    rz1_staff,
)
from sqlalchemy import select
from staff import Staff, make_staff, sign_in

from survey_app import results
from survey_app.extensions import db
from survey_app.models import Organisation

# Fixtures imported from results_world (named here so the imports count as used).
FIXTURES = (demo_db, full_period, results_app, rx9_staff, rz1_staff)


NUMBER = re.compile(r"\d")
SVG = "http://www.w3.org/2000/svg"


@pytest.fixture
def rz1(results_app: Flask, rz1_staff: Staff) -> FlaskClient:
    client = results_app.test_client()
    assert sign_in(client, rz1_staff.email, rz1_staff.password).status_code == 302
    return client


@pytest.fixture
def rx9(results_app: Flask, rx9_staff: Staff) -> FlaskClient:
    client = results_app.test_client()
    assert sign_in(client, rx9_staff.email, rx9_staff.password).status_code == 302
    return client


def other_provider_names(app: Flask, own: str) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Organisation.name).where(
            Organisation.type_code == "provider", Organisation.code != own)))


def test_signed_out_visitors_are_sent_to_sign_in(results_app: Flask) -> None:
    response = results_app.test_client().get("/provider/RZ1/")
    assert response.status_code == 302 and "/staff/sign-in" in response.location


def test_a_provider_user_goes_straight_to_their_dashboard(rz1: FlaskClient) -> None:
    response = rz1.get("/provider/")
    assert response.status_code == 302 and response.location.endswith("/provider/RZ1/")


def test_dashboard_lists_pathways_with_scores_bands_trends_and_rates(
    rz1: FlaskClient, results_app: Flask, full_period: str
) -> None:
    response = rz1.get(f"/provider/RZ1/?period={full_period}")
    assert response.status_code == 200
    page = parse(response)
    table = page.find("table")
    rows = table.find("tbody").find_all("tr")
    assert len(rows) == 9  # eight pathways and the total
    stroke = next(r for r in rows if "Stroke" in text_of(r))
    cells = [text_of(c) for c in stroke.find_all(["th", "td"])]
    assert re.fullmatch(r"\d+", cells[1]) and cells[2].endswith("%")
    assert re.fullmatch(r"\d+", cells[3])
    assert cells[4] in {"Much better", "Better", "As expected", "Worse", "Much worse"}
    assert any(word in cells[5] for word in ("No significant change", "Improving",
                                             "Getting worse", "Not enough periods"))
    link = stroke.find("a")["href"]
    assert link.startswith("/provider/RZ1/pathways/stroke") and full_period in link
    text = text_of(page)
    assert not any(name in text for name in other_provider_names(results_app, "RZ1"))
    for kind in ("pdf", "csv", "xlsx"):
        assert page.find("a", href=f"/provider/RZ1/reports/{full_period}.{kind}")


def test_filters_are_a_get_form_that_keeps_its_choices(rz1: FlaskClient,
                                                       full_period: str) -> None:
    response = rz1.get(f"/provider/RZ1/?period={full_period}&pathway=stroke&site=RZ101"
                       "&mode=online")
    assert response.status_code == 200
    page = parse(response)
    form = page.find("form", attrs={"method": "get"})
    chosen = {s["name"]: s.find("option", selected=True)["value"]
              for s in form.find_all("select")}
    assert chosen == {"period": full_period, "pathway": "stroke", "site": "RZ101",
                      "mode": "online"}
    body_rows = page.find("table").find("tbody").find_all("tr")
    assert len(body_rows) == 2  # stroke and the total
    assert "Filtered results" in text_of(page)


def test_an_unknown_filter_value_is_named_on_the_page(rz1: FlaskClient) -> None:
    response = rz1.get("/provider/RZ1/?period=1999-Q1&mode=fax")
    assert response.status_code == 400
    page = parse(response)
    summary = text_of(page.find(class_="nhsuk-error-summary"))
    assert "'1999-Q1'" in summary and "'fax'" in summary
    assert page.find("a", href="#period") and page.find("table")  # defaults still shown


def test_drill_down_shows_funnel_trend_items_equity_and_priorities(
    rz1: FlaskClient, results_app: Flask, full_period: str
) -> None:
    response = rz1.get(f"/provider/RZ1/pathways/stroke?period={full_period}")
    assert response.status_code == 200
    page = parse(response)
    text = text_of(page)
    lead = text_of(page.find("main").find("p", class_="nhsuk-body-l"))
    assert re.fullmatch(r"Your CTM-15 score for Stroke \(including early supported "
                        r"discharge\) was \d+, .+\.", lead), lead
    caption = text_of(page.find("main").find("caption"))
    assert caption == f"Scores for Stroke (including early supported discharge), {full_period}"
    headings = [text_of(h2) for h2 in page.find("main").find_all("h2")]
    wanted = ["Compared with other providers", "Over time", "What matters most",
              "Question by question", "Who answered and how they rated their care"]
    assert [h for h in headings if h in wanted] == wanted, headings  # each one, in order
    images = {img["src"].split("?")[0]: img for img in page.find_all("img")}
    assert "/provider/RZ1/pathways/stroke/funnel.svg" in images
    assert all(img.get("alt") for img in images.values())
    funnel_rows = [text_of(r) for r in page.find(
        "caption", string=re.compile("Funnel plot data")).find_parent("table").tbody("tr")]
    assert funnel_rows[0].startswith("Northmoor Teaching Hospitals NHS Foundation Trust (you)")
    assert all(row.startswith("Provider ") for row in funnel_rows[1:])
    assert not any(name in text for name in other_provider_names(results_app, "RZ1"))


def test_charts_are_accessible_svg(rz1: FlaskClient, full_period: str) -> None:
    for chart in ("funnel", "trend"):
        response = rz1.get(f"/provider/RZ1/pathways/stroke/{chart}.svg?period={full_period}")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        svg = ET.fromstring(response.get_data(as_text=True))
        assert svg.get("role") == "img"
        assert svg.get("aria-labelledby") == "chart-title chart-desc"
        title, desc = svg[0], svg[1]  # read first by assistive technology
        assert (title.tag, title.get("id")) == (f"{{{SVG}}}title", "chart-title") and title.text
        assert (desc.tag, desc.get("id")) == (f"{{{SVG}}}desc", "chart-desc") and desc.text


def test_a_suppressed_unit_shows_no_number_on_the_pages(rx9: FlaskClient,
                                                       full_period: str) -> None:
    page = parse(rx9.get(f"/provider/{SMALL_PROVIDER}/?period={full_period}"))
    row = next(r for r in page.find("table").tbody("tr") if "COPD" in text_of(r))
    cells = [text_of(c) for c in row.find_all("td")]
    assert cells[:3] == ["*", "*", "*"]
    assert not NUMBER.search(" ".join(cells))
    detail = parse(rx9.get(f"/provider/{SMALL_PROVIDER}/pathways/{SMALL_PATHWAY}"
                           f"?period={full_period}"))
    scores = detail.find("caption", string=re.compile("Scores for")).find_parent("table")
    for score_row in scores.tbody("tr"):
        own_cells = [text_of(c) for c in score_row.find_all("td")][:4]  # n, values, interval
        assert not NUMBER.search(" ".join(own_cells)), own_cells
    questions = detail.find("caption", string=re.compile("Each question")).find_parent("table")
    for item_row in questions.tbody("tr"):
        cells = [text_of(c) for c in item_row.find_all("td")]
        assert cells[0] in ("*", "0")  # the I statements were not asked: a true zero
        assert cells[1] in ("*", "–") and cells[3] in ("*", "–"), cells  # yours: both shares
    assert "Not shown: too few people answered." in text_of(detail)  # what matters most


def test_question_columns_say_what_they_count_and_reversed_items_which_answers(
    rz1: FlaskClient, full_period: str
) -> None:
    """i9 and i12 are negatively worded: their favourable answers are the disagreeing ones."""
    page = parse(rz1.get(f"/provider/RZ1/pathways/stroke?period={full_period}"))
    table = page.find("caption", string=re.compile("Each question")).find_parent("table")
    assert [text_of(th) for th in table.thead("th")] == [
        "Question", "Respondents", "Most favourable answer: you",
        "Most favourable answer: all", "% favourable: you", "% favourable: all"]
    rows = {text_of(row.th): row for row in table.tbody("tr")}
    reversed_rows = [label for label in rows if "Negatively worded" in label]
    assert len(reversed_rows) == 2
    for label in reversed_rows:
        assert label.startswith(("I had to repeat", "I was passed around"))
        assert label.endswith("Negatively worded: the most favourable answer is “strongly "
                              "disagree”; favourable answers are “strongly disagree or "
                              "disagree”.")
    assert "strongly agree" not in " ".join(reversed_rows)
    assert "Top box" not in text_of(page) and "% positive" not in text_of(page)


def test_another_providers_pages_are_not_found(rz1: FlaskClient, full_period: str) -> None:
    for url in ("/provider/RZ2/", "/provider/RZ2/pathways/stroke",
                "/provider/RZ2/pathways/stroke/funnel.svg",
                f"/provider/RZ2/reports/{full_period}.pdf"):
        response = rz1.get(url)
        assert response.status_code == 404, url
        assert "Harbourside" not in response.get_data(as_text=True)


def test_an_unknown_pathway_or_period_is_not_found(rz1: FlaskClient) -> None:
    assert rz1.get("/provider/RZ1/pathways/no-such-pathway").status_code == 404
    assert rz1.get("/provider/RZ1/reports/2001-Q1.pdf").status_code == 404
    assert rz1.get("/provider/RZ1/reports/2001-Q9.csv").status_code == 404


def test_an_administrator_chooses_among_all_providers(results_app: Flask) -> None:
    admin = make_staff(results_app, role="administrator")
    client = results_app.test_client()
    sign_in(client, admin.email, admin.password)
    page = parse(client.get("/provider/"))
    links = {a["href"] for a in page.find("main").find_all("a")}
    assert {"/provider/RZ1/", "/provider/RZ2/", f"/provider/{SMALL_PROVIDER}/"} <= links


def expected_beyond_interval(app: Flask, provider: str) -> tuple[str, str, dict[str, str]]:
    """Return a pathway and period where the provider's CTM-15 score is "as expected" though
    its 95% interval leaves out the benchmark, with the published numbers (written as the
    page writes them)."""
    with app.app_context():
        table = results.snapshot().bundle.benchmark("ctm15")
    units = table.loc[(table["provider"] == provider) & (table["band"] == "as expected")]
    for row in units.to_dict("records"):
        low, high, target = (float(row[c]) for c in ("ci_lower", "ci_upper", "target"))
        if not low <= target <= high:
            return row["pathway"], row["period"], {
                "low": f"{low:.1f}", "high": f"{high:.1f}", "target": f"{target:.1f}"}
    raise AssertionError(f"the demo world has no such unit of {provider}")


def test_where_a_band_is_shown_it_says_bands_allow_for_variation_between_providers(
    rz1: FlaskClient, full_period: str
) -> None:
    """78 (interval 74 to 83) against 70 is "as expected": the page says why, with a link."""
    methodology = "/provider/how-results-are-worked-out#bands"
    dashboard = parse(rz1.get(f"/provider/RZ1/?period={full_period}")).find("main")
    note = dashboard.find("p", id="bands-note")
    assert text_of(note) == (
        "A band says whether your score differs from other providers of the same pathway by "
        "more than chance and the normal variation between providers (over-dispersion) would "
        "explain, so a score a few points from the benchmark can still be “as expected”. "
        "How the bands are worked out")
    assert note.find("a")["href"] == methodology

    pathway, period, numbers = expected_beyond_interval(rz1.application, "RZ1")
    page = parse(rz1.get(f"/provider/RZ1/pathways/{pathway}?period={period}")).find("main")
    note = page.find("p", id="bands-note")
    assert note.find_previous_sibling().get("aria-label") == "Scores"  # right under them
    assert text_of(note) == (
        f"Your CTM-15 score's 95% interval ({numbers['low']} to {numbers['high']}) leaves out "
        f"the benchmark ({numbers['target']}), yet it is “as expected”. Bands allow for the "
        "normal variation between providers (over-dispersion) as well as chance, so a score "
        "can differ from the benchmark and still be “as expected”. How the bands are worked out")
    assert note.find("a")["href"] == methodology

    guide = rz1.get("/provider/how-results-are-worked-out")
    assert guide.status_code == 200 and structure_problems(guide) == []
    bands = parse(guide).find("h2", id="bands")
    assert text_of(bands) == "Bands: compared with other providers"
    explained = " ".join(text_of(p) for p in bands.find_next_siblings("p", limit=2))
    assert "over-dispersion" in explained and "78 (95% interval 74 to 83)" in explained


def test_a_score_not_as_expected_beyond_its_interval_gets_only_the_general_note(
    rz1: FlaskClient, full_period: str
) -> None:
    with rz1.application.app_context():
        table = results.snapshot().bundle.benchmark("ctm15")
    rows = table.loc[(table["provider"] == "RZ1") & (table["period"] == full_period)
                     & table["band"].isin(["as expected", "better", "much better"])]
    inside = next(r for r in rows.to_dict("records") if r["band"] != "as expected"
                  or float(r["ci_lower"]) <= float(r["target"]) <= float(r["ci_upper"]))
    page = parse(rz1.get(f"/provider/RZ1/pathways/{inside['pathway']}?period={full_period}"))
    assert text_of(page.find("p", id="bands-note")).startswith(
        "Bands allow for the normal variation between providers (over-dispersion) as well as "
        "chance")
