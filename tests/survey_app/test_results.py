"""The results service on the demo world: what a provider sees, suppression, scope, cache."""

from __future__ import annotations

import pandas as pd
import pytest
from flask import Flask
from results_world import (
    SMALL_PATHWAY,
    SMALL_PROVIDER,
    add_small_provider,
    computed_bundle,
    demo_db,
    fresh_results_app,
    full_period,
    results_app,
)
from sqlalchemy import func, select

from analysis.funnel import BANDS, TOO_FEW
from survey_app import results
from survey_app.auth.scope import Scope
from survey_app.extensions import db
from survey_app.models import Organisation, ResultsSnapshot, SnapshotTable
from survey_app.results.measures import HEADLINE
from survey_app.results.periods import UnknownPeriod, period_label
from survey_app.results.tables import UNIT_LEVEL, Bundle
from survey_app.results.views import pathway_results, pathway_row, priority_rows

# Fixtures imported from results_world (named here so the imports count as used).
FIXTURES = (demo_db, fresh_results_app, full_period, results_app)


def scope_of(code: str) -> Scope:
    """Return the scope of a user belonging to the provider ``code``."""
    org = db.session.scalar(select(Organisation).where(Organisation.code == code))
    assert org is not None
    return Scope.for_providers([org.id])


def test_periods_are_calendar_quarters_in_either_spelling() -> None:
    assert period_label("2026Q2") == period_label("2026-Q2") == "2026-Q2"
    with pytest.raises(UnknownPeriod, match="2026-Q5"):
        period_label("2026-Q5")


def test_dashboard_shows_each_pathway_with_band_trend_and_rates(results_app: Flask,
                                                                full_period: str) -> None:
    with results_app.app_context():
        board = results.dashboard(scope_of("RZ1"), "RZ1", results.Filters(period=full_period))
        default = results.dashboard(scope_of("RZ1"), "RZ1", results.Filters())
    assert board.period == full_period and default.period == board.periods[-1]
    assert len(board.rows) == 8
    shown = [row for row in board.rows if row.score_for("ctm15").shown]
    assert shown, "the demo gives the best provider enough respondents in some pathways"
    for row in shown:
        ctm = row.score_for("ctm15")
        assert 0 <= ctm.value <= 100 and ctm.band in BANDS
        assert isinstance(row.responses, int) and row.responses % 5 == 0  # rounded
        assert 0 < row.response_rate < 1
    # RZ1 is the demo's clearly better provider.
    assert any(row.score_for("ctm15").band in ("better", "much better") for row in shown)
    assert board.overall is not None and board.overall.name == "All pathways"


def test_a_unit_of_five_respondents_is_suppressed_everywhere(results_app: Flask,
                                                             full_period: str) -> None:
    with results_app.app_context():
        scope = scope_of(SMALL_PROVIDER)
        chosen = results.Filters(period=full_period)
        board = results.dashboard(scope, SMALL_PROVIDER, chosen)
        detail = results.pathway_results(scope, SMALL_PROVIDER, SMALL_PATHWAY, chosen)
    row = next(r for r in board.rows if r.pathway == SMALL_PATHWAY)
    assert row.responses == "*" and row.response_rate == "*" and row.invited == "*"
    for s in row.scores + detail.scores:
        assert s.n in ("*", None)
        assert s.value in ("*", None) and s.raw_value in ("*", None)
        assert s.ci_lower in ("*", None) and s.ci_upper in ("*", None)
    assert all(not p.own for p in detail.funnel.points), "a suppressed unit is not a point"
    assert all(item["top_box"] in ("*", None) for item in detail.items)
    assert detail.summary.endswith("is not shown: fewer than 30 people answered.")


def test_peers_are_anonymised_and_lettered_the_same_on_every_pathway(
    results_app: Flask, full_period: str
) -> None:
    with results_app.app_context():
        scope = scope_of("RZ1")
        chosen = results.Filters(period=full_period)
        stroke = results.pathway_results(scope, "RZ1", "stroke", chosen)
        copd = results.pathway_results(scope, "RZ1", "copd", chosen)
        names = set(db.session.scalars(select(Organisation.name)))
    own = "Northmoor Teaching Hospitals NHS Foundation Trust"
    for detail in (stroke, copd):
        labels = {p.label for p in detail.funnel.points if not p.own}
        assert labels and all(label.startswith("Provider ") for label in labels)
        assert not labels & names
        assert [p.label for p in detail.funnel.points if p.own] in ([own], [])
    letters = {p.label: p.n for p in stroke.funnel.points}
    assert letters.keys() & {p.label for p in copd.funnel.points}


def test_a_provider_outside_the_scope_is_refused(results_app: Flask) -> None:
    with results_app.app_context(), pytest.raises(results.OutOfScope):
        results.dashboard(scope_of("RZ2"), "RZ1", results.Filters())


def test_filters_are_checked_against_their_choices(results_app: Flask) -> None:
    with results_app.app_context():
        problems = results.check_filters(
            "RZ1", results.Filters(period="1999-Q1", pathway="x", site="RZ201", mode="fax")
        )
        assert results.check_filters("RZ1", results.Filters(site="RZ101", mode="paper")) == []
    assert [field for field, _ in problems] == ["period", "pathway", "site", "mode"]
    assert "1999-Q1" in problems[0][1]


def test_a_mode_filter_compares_like_with_like(results_app: Flask, full_period: str) -> None:
    with results_app.app_context():
        everyone = results.dashboard(scope_of("RZ1"), "RZ1", results.Filters(period=full_period))
        paper = results.dashboard(scope_of("RZ1"), "RZ1",
                                  results.Filters(period=full_period, mode="paper"))
    counts = [r.responses for r in everyone.rows]
    paper_counts = [r.responses for r in paper.rows]
    assert paper_counts != counts
    assert all(p in ("*", 0) or p <= c for p, c in zip(paper_counts, counts, strict=True))


def test_results_are_read_from_the_latest_snapshot_until_the_next_build(
    fresh_results_app: Flask
) -> None:
    results_app = fresh_results_app
    with results_app.app_context():
        first = results.snapshot()
        assert results.snapshot().bundle is first.bundle  # decoded once per snapshot
    with results_app.app_context():
        db.session.execute(db.text("UPDATE organisations SET code = 'RX8' WHERE code = 'RX9'"))
        db.session.execute(db.text("UPDATE organisations SET code = 'RX801' "
                                   "WHERE code = 'RX901'"))
        db.session.commit()
    add_small_provider(results_app)  # five more responses, then the build
    with results_app.app_context():
        second = results.snapshot()
    assert second.snapshot_id > first.snapshot_id and second.bundle is not first.bundle
    assert "RX8" in set(second.bundle.respondents["provider"])
    assert "RX8" not in set(first.bundle.respondents["provider"])


def test_an_unknown_period_has_no_report(results_app: Flask) -> None:
    with results_app.app_context(), pytest.raises(UnknownPeriod):
        results.provider_report(scope_of("RZ1"), "RZ1", "2001-Q1")


def test_what_matters_most_lists_only_questions_below_other_providers(
    results_app: Flask, full_period: str
) -> None:
    with results_app.app_context():
        bundle = results.snapshot().bundle
        pathways = sorted(set(bundle.respondents["pathway"]))
        providers = sorted(set(bundle.respondents["provider"]))
        listed = [row for pathway in pathways for provider in providers
                  for row in priority_rows(bundle, provider, pathway, full_period)]
        table = pd.concat(bundle.drivers(pathway, full_period) for pathway in pathways)
    assert listed and all(row["gap"] < 0 for row in listed)
    shown = table.loc[table["status"] == "shown"]
    above = shown.loc[pd.to_numeric(shown["gap"]) >= 0]
    assert len(above) > 0, "some shown questions are above other providers, and not listed"


def test_a_unit_of_28_never_shows_30_beside_too_few_responses(results_app: Flask,
                                                              full_period: str) -> None:
    """Rounded to 5, 28 would read "30 responses: too few responses"; it reads 25."""
    with results_app.app_context():
        snap = results.snapshot()
    computed = computed_bundle(results_app)
    people = computed.respondents
    unit = ((people["provider"] == "RZ1") & (people["pathway"] == "stroke")
            & (people["period"] == full_period))
    assert unit.sum() > 30
    bundle = Bundle(people.loc[~unit | (unit.cumsum() <= 28)], computed.invitations,
                    computed.answers)
    names = snap.names.pathways
    row = pathway_row(bundle, names, "RZ1", "stroke", full_period)
    detail = pathway_results(bundle, names, {}, "RZ1", "stroke", full_period)
    assert row.responses == 25
    for measure in row.scores + detail.scores:
        assert measure.band == TOO_FEW and measure.n in (25, 20, 15, 10, "*"), measure
    assert {item["n"] for item in detail.items} <= {25, 20, 15, 10, "*", 0}


# Columns a published row may show beside a starred count: its (rounded) counts, what names
# the row, its label, and what describes the whole comparison (the same for every unit).
COUNTS = {"n", "invited", "responded"}
NAMES_THE_ROW = {"methodology_version", "level", "provider", "pathway", "period", "measure",
                 "kind", "adjusted_for", "band", "status", "instrument", "item_id", "item",
                 "characteristic", "group", "mode"}
DESCRIBES_THE_COMPARISON = {"target", "phi", "tau2", "benchmark", "driver_correlation"}


def test_nothing_derived_from_a_starred_count_is_published(results_app: Flask,
                                                           full_period: str) -> None:
    """Reliability, a unit's own limits, intervals, ranks …: each is a function of n, so
    on a row whose count is ``*`` every other column is ``*`` too."""
    with results_app.app_context():
        bundle = results.snapshot().bundle
    tables = {
        "benchmark": bundle.benchmark(HEADLINE),
        "drivers": bundle.drivers(SMALL_PATHWAY, full_period),
        "equity": bundle.equity(),
        "profile": bundle.profile(),
        "rates": bundle.rates(),
        "items": bundle.provider_items(SMALL_PATHWAY, full_period),
    }
    for name, table in tables.items():
        count = "invited" if name == "rates" else "n"
        starred = table.loc[table[count].astype(object) == "*"]
        assert len(starred), name
        if name == "drivers":
            assert not starred["priority"].any()  # only providers with enough are priorities
        own = [c for c in table.columns
               if c not in COUNTS | NAMES_THE_ROW | DESCRIBES_THE_COMPARISON | {"priority"}]
        assert (starred[own].astype(object) == "*").all().all(), (
            name, starred[own].iloc[0].to_dict())


@pytest.mark.parametrize("mode", [None, "online"])
def test_a_site_filter_puts_the_site_in_its_trust_s_place_and_leaves_peers_alone(
    results_app: Flask, full_period: str, mode: str | None
) -> None:
    """Filtered to one site, RZ1's rows are that site's respondents (benchmarked nationally
    among sites) and every other provider's rows are those of the page without the site."""
    respondents = computed_bundle(results_app).respondents
    own = respondents.loc[(respondents["provider"] == "RZ1") & respondents[HEADLINE].notna()
                          & (respondents["period"] == full_period)
                          & ((respondents["mode"] == mode) if mode else True)]
    counts = own.groupby(["site", "pathway"]).size()
    (site_code, pathway), count = counts.idxmax(), int(counts.max())
    assert count >= 30  # a published, unsuppressed count
    with results_app.app_context():
        snap = results.snapshot()
        whole = results.filtered_bundle(snap, "RZ1", None, mode).benchmark(HEADLINE)
        site = results.filtered_bundle(snap, "RZ1", site_code, mode).benchmark(HEADLINE)

    def peers(table: pd.DataFrame) -> pd.DataFrame:
        rows = table.loc[table["provider"] != "RZ1"].astype(str)
        return rows.sort_values(list(rows.columns), ignore_index=True)

    def unit_n(table: pd.DataFrame) -> int:
        row = table.loc[(table["provider"] == "RZ1") & (table["pathway"] == pathway)
                        & (table["period"] == full_period) & (table["level"] == UNIT_LEVEL)]
        assert len(row) == 1
        return int(row["n"].iloc[0])

    pd.testing.assert_frame_equal(peers(site), peers(whole))
    assert unit_n(site) == count
    assert unit_n(whole) > count  # the trust has more than the one site


def test_a_build_in_two_processes_stores_exactly_what_one_process_does(
    results_app: Flask
) -> None:
    """``flask results build --workers 2`` forks two processes for the bundles: every
    stored table is byte for byte the one the in-process build stored."""
    def tables(snapshot_id: int) -> dict[tuple[str, str], bytes]:
        rows = db.session.execute(select(SnapshotTable.filter, SnapshotTable.name,
                                         SnapshotTable.payload).where(
            SnapshotTable.snapshot_id == snapshot_id))
        return {(f, n): p for f, n, p in rows}

    with results_app.app_context():
        before = results.snapshot().snapshot_id
    result = results_app.test_cli_runner().invoke(
        args=["results", "build", "--force", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "for 10 bundles" in result.output
    with results_app.app_context():
        after = db.session.scalar(select(func.max(ResultsSnapshot.id)))
        assert after != before
        assert tables(after) == tables(before)
