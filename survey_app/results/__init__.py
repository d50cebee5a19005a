"""Provider results for the portal and the reports, read from the latest stored snapshot.

``flask results build`` computes every published table once and stores it
(``results_build``); every page, chart, download and report reads the newest complete
snapshot (``results_store``) and never computes a statistic. Until a first build there
is no snapshot, and :class:`NotBuilt` says so (with the last attempt, if any). Filters by
site or mode read that filter's stored tables.

Every function takes the user's :class:`Scope`: the provider must be in it (views call
``scope.require_provider`` first) and every other provider is named by
``scope.peer_labels`` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flask import current_app, g, has_request_context

from analysis import METHODOLOGY_VERSION
from survey_app.results import store, views
from survey_app.results.build import MODES
from survey_app.results.data import Names, load_names
from survey_app.results.measures import PUBLISHING
from survey_app.results.periods import UnknownPeriod, period_label
from survey_app.results.report import ProviderReport, build_report
from survey_app.results.store import NotBuilt
from survey_app.results.tables import ALL_PATHWAYS, Bundle

__all__ = ["MODES", "NotBuilt"]


class ScopeLike(Protocol):
    """What results need from the signed-in user's scope (``survey_app.auth.Scope``)."""

    def can_see(self, organisation_id: int) -> bool: ...

    def peer_labels(self, provider_ids: Iterable[int]) -> dict[int, str]: ...


class OutOfScope(LookupError):
    """The provider is not one whose results the user may see (views answer 404)."""


class NoResponses(LookupError):
    """Nobody of the provider answered in the period: there is nothing to report."""


@dataclass(frozen=True)
class Snapshot:
    """The latest complete snapshot: its unfiltered bundle and the names behind its codes."""

    snapshot_id: int
    built_at: datetime
    bundle: store.StoredBundle
    names: Names


@dataclass(frozen=True)
class Filters:
    """The dashboard's choices: ``None`` means the default (everything, and the provider's
    latest period with results: ``views.default_period``)."""

    period: str | None = None
    pathway: str | None = None
    site: str | None = None
    mode: str | None = None


@dataclass
class Dashboard:
    """The provider's headline results for one period.

    ``chosen`` says why the period is shown: "asked" (the filter), or by default "results"
    (the latest with results for the provider), "responses" (the latest any of its
    patients answered in, none with enough for results) or "latest" (nobody of its has
    answered). ``later`` lists the periods after it; ``answered``, whether any of the
    provider's patients answered in it (a report needs at least one).
    """

    period: str | None
    chosen: str
    later: list[str]
    answered: bool
    periods: list[str]
    pathways: list[tuple[str, str]]
    sites: list[tuple[str, str]]
    modes: tuple[str, ...]
    rows: list[views.PathwayRow]
    overall: views.PathwayRow | None
    filters: Filters


def _database_key() -> str:
    """Return which database a cached bundle belongs to (tests run several apps)."""
    return str(current_app.config.get("SQLALCHEMY_DATABASE_URI"))


def snapshot() -> Snapshot:
    """Return the latest complete snapshot (once per request); NotBuilt if there is none."""
    if has_request_context() and "results_snapshot" in g:
        return g.results_snapshot
    latest = store.latest_complete()
    if latest is None:
        raise NotBuilt("the results have not been built yet", store.last_attempt())
    bundle = store.stored_bundle(_database_key(), latest.id)
    made = Snapshot(latest.id, latest.finished_at or latest.started_at, bundle, load_names())
    if has_request_context():
        g.results_snapshot = made  # the page's header and "built at" line name it
    return made


def clear_cache() -> None:
    """Forget every decoded bundle (between tests)."""
    store.clear_cache()


def filtered_bundle(snap: Snapshot, provider: str, site: str | None, mode: str | None) -> Bundle:
    """Return the stored bundle of a mode (everyone's respondents) and/or one site of
    ``provider`` (in the provider's place; peers keep all their respondents)."""
    if site is None and mode is None:
        return snap.bundle
    return store.stored_bundle(_database_key(), snap.snapshot_id, mode,
                               None if site is None else (provider, site))


def provider_labels(scope: ScopeLike, names: Names, bundle: Bundle) -> dict[str, str]:
    """Return provider code → label for every provider in the bundle, through the scope.

    All providers are lettered together, so a peer keeps its letter on every pathway.
    """
    codes = sorted(set(bundle.respondents["provider"]) | set(bundle.invitations.get(
        "provider", [])))
    ids = {names.organisation_ids[c]: c for c in codes if c in names.organisation_ids}
    return {ids[i]: label for i, label in scope.peer_labels(ids).items()}


def check_filters(provider: str, filters: Filters) -> list[tuple[str, str]]:
    """Return (field, message) for every filter value that is not one of its choices."""
    snap = snapshot()
    problems = []
    if filters.period is not None and filters.period not in snap.bundle.periods:
        problems.append(("period", f"There are no results for the period {filters.period!r}. "
                                   "Choose one of the periods listed."))
    if filters.pathway is not None and filters.pathway not in snap.names.pathways:
        problems.append(("pathway", f"There is no pathway {filters.pathway!r}."))
    sites = [code for code, _ in snap.names.sites.get(provider, [])]
    if filters.site is not None and filters.site not in sites:
        problems.append(("site", f"{filters.site!r} is not one of your sites."))
    if filters.mode is not None and filters.mode not in MODES:
        problems.append(("mode", f"{filters.mode!r} is not a way of answering: choose one of "
                                 f"{', '.join(MODES)}."))
    return problems


def reading_guide() -> dict[str, object]:
    """Return the publishing rules pages quote (from ``analysis``): the methodology
    version, the minimum respondents for a result and the largest count shown as ``*``."""
    return {"methodology_version": METHODOLOGY_VERSION, **PUBLISHING}


def _period(snap: Snapshot, bundle: Bundle, provider: str,
            filters: Filters) -> tuple[str | None, str]:
    """Return the period asked for, or the provider's default (``views.default_period``
    in the bundle the page shows), and why it is shown."""
    if filters.period is not None:
        return filters.period, "asked"
    return views.default_period(bundle, provider, snap.bundle.periods)


def _require(scope: ScopeLike, snap: Snapshot, provider: str) -> None:
    """Refuse a provider outside the scope (the views check first; this is the backstop)."""
    organisation_id = snap.names.organisation_ids.get(provider)
    if organisation_id is None or not scope.can_see(organisation_id):
        raise OutOfScope(provider)


def dashboard(scope: ScopeLike, provider: str, filters: Filters) -> Dashboard:
    """Return the provider's dashboard; ``filters`` must have passed :func:`check_filters`."""
    snap = snapshot()
    _require(scope, snap, provider)
    bundle = filtered_bundle(snap, provider, filters.site, filters.mode)
    period, why = _period(snap, bundle, provider, filters)
    pathways = views.provider_pathways(snap.bundle, provider)
    chosen = [p for p in pathways if filters.pathway in (None, p)]
    rows = [views.pathway_row(bundle, snap.names.pathways, provider, p, period)
            for p in chosen] if period else []
    overall = views.pathway_row(bundle, snap.names.pathways, provider, ALL_PATHWAYS, period) \
        if period else None
    return Dashboard(
        period=period,
        chosen=why,
        later=[p for p in snap.bundle.periods if period is not None and p > period],
        answered=period is not None and views.answered(snap.bundle, provider, period),
        periods=snap.bundle.periods,
        pathways=[(p, snap.names.pathways.get(p, p)) for p in pathways],
        sites=snap.names.sites.get(provider, []),
        modes=MODES,
        rows=rows,
        overall=overall,
        filters=filters,
    )


def pathway_results(scope: ScopeLike, provider: str, pathway: str,
                    filters: Filters) -> views.PathwayResults | None:
    """Return one pathway's drill-down, or None when the provider has no results in it."""
    snap = snapshot()
    _require(scope, snap, provider)
    if pathway not in views.provider_pathways(snap.bundle, provider) or not snap.bundle.measures:
        return None
    bundle = filtered_bundle(snap, provider, filters.site, filters.mode)
    period, _chosen = _period(snap, bundle, provider, filters)
    if period is None or not bundle.measures:
        return None
    labels = provider_labels(scope, snap.names, bundle)
    return views.pathway_results(bundle, snap.names.pathways, labels, provider, pathway, period)


def pathway_charts(scope: ScopeLike, provider: str, pathway: str,
                   filters: Filters) -> tuple[views.Funnel, list[views.TrendPoint]] | None:
    """Return just the funnel and trend of a pathway (what the chart images need)."""
    snap = snapshot()
    _require(scope, snap, provider)
    bundle = filtered_bundle(snap, provider, filters.site, filters.mode)
    period, _chosen = _period(snap, bundle, provider, filters)
    if pathway not in views.provider_pathways(snap.bundle, provider) or not bundle.measures \
            or period is None:
        return None
    labels = provider_labels(scope, snap.names, bundle)
    funnel = views.funnel(bundle, bundle.measures[0], labels, provider, pathway, period)
    return funnel, views.trend_points(bundle, provider, pathway)[0]


def provider_report(scope: ScopeLike, provider: str, period: str) -> ProviderReport:
    """Return the report of one provider and period; UnknownPeriod if it has no results."""
    snap = snapshot()
    _require(scope, snap, provider)
    period = period_label(period)
    if period not in snap.bundle.periods:
        raise UnknownPeriod(f"there are no results for {period}")
    if not views.answered(snap.bundle, provider, period):
        raise NoResponses(f"nobody of {provider} answered in {period}")
    labels = provider_labels(scope, snap.names, snap.bundle)
    return build_report(snap.bundle, snap.names, labels, provider, period)
