"""Provider results for the portal and the reports, computed once per data version.

The first request after the data changed loads and scores every submitted response and
builds the benchmark bundle (``results_tables``); later requests reuse it from an
in-process cache keyed by the data version (count and last id of submitted responses
and of invitations). ``RESULTS_REFRESH_SECONDS`` (default 300) sets how old a bundle may
get before new responses trigger a rebuild, so a steady trickle of submissions does not
make every page recompute the whole benchmark. Filters by site or mode build (and cache)
a bundle of the matching respondents.

Every function takes the user's :class:`Scope`: the provider must be in it (views call
``scope.require_provider`` first) and every other provider is named by
``scope.peer_labels`` only.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from flask import current_app

from analysis import METHODOLOGY_VERSION
from analysis.funnel import MIN_RESPONDENTS
from survey_app.services import results_views as views
from survey_app.services.results_data import (
    DataVersion,
    Names,
    UnknownPeriod,
    data_version,
    load_invitations,
    load_names,
    load_respondents,
    period_label,
)
from survey_app.services.results_report import ProviderReport, build_report
from survey_app.services.results_tables import ALL_PATHWAYS, Bundle

DEFAULT_REFRESH_SECONDS = 300
FILTERED_BUNDLES_KEPT = 16
MODES = ("online", "kiosk", "paper", "telephone")


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
    """The bundle of one data version with the names behind its codes."""

    version: DataVersion
    made_at: float
    bundle: Bundle
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


_lock = threading.Lock()
_snapshots: dict[str, Snapshot] = {}
_filtered: OrderedDict[tuple[object, ...], Bundle] = OrderedDict()


def _database_key() -> str:
    """Return which database the cache entry belongs to (tests run several apps)."""
    return str(current_app.config.get("SQLALCHEMY_DATABASE_URI"))


def snapshot() -> Snapshot:
    """Return the current bundle, rebuilding it when the data changed and it is old enough."""
    refresh = float(current_app.config.get("RESULTS_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS))
    key = _database_key()
    version = data_version()
    with _lock:
        cached = _snapshots.get(key)
        fresh = cached is not None and (
            cached.version == version or time.monotonic() - cached.made_at < refresh
        )
        if cached is not None and fresh:
            return cached
        respondents, answers = load_respondents()
        bundle = Bundle(respondents, load_invitations(), answers)
        made = Snapshot(version, time.monotonic(), bundle, load_names())
        _snapshots[key] = made
        return made


def clear_cache() -> None:
    """Forget every cached bundle (after a bulk load, or between tests)."""
    with _lock:
        _snapshots.clear()
        _filtered.clear()


def filtered_bundle(snap: Snapshot, provider: str, site: str | None, mode: str | None) -> Bundle:
    """Return the bundle restricted to a mode (everyone's respondents) and/or to one site
    of ``provider`` (peers keep all their respondents), cached per data version."""
    if site is None and mode is None:
        return snap.bundle
    key = (_database_key(), snap.version, snap.made_at, provider, site, mode)
    with _lock:
        if key in _filtered:
            _filtered.move_to_end(key)
            return _filtered[key]
    respondents, invitations = snap.bundle.respondents, snap.bundle.invitations
    if mode is not None:
        respondents = respondents.loc[respondents["mode"] == mode]
    if site is not None:
        respondents = respondents.loc[(respondents["provider"] != provider)
                                      | (respondents["site"] == site)]
        invitations = invitations.loc[(invitations["provider"] != provider)
                                      | (invitations["site"] == site)]
    bundle = Bundle(respondents, invitations, snap.bundle.answers)
    with _lock:
        _filtered[key] = bundle
        while len(_filtered) > FILTERED_BUNDLES_KEPT:
            _filtered.popitem(last=False)
    return bundle


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
    """Return what the portal's "how results are worked out" page quotes: the methodology
    version and the minimum respondents for a result."""
    return {"methodology_version": METHODOLOGY_VERSION, "min_respondents": MIN_RESPONDENTS}


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
