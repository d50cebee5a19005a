"""The benchmark bundle: every published results table, computed from the respondents.

Each table comes from ``analysis`` (benchmark, trends, equity, what matters most,
response rates, item summaries); this module only chooses the inputs and passes every
table through ``analysis.disclosure.publish_table`` before anybody sees it, so a page,
chart or download built from the bundle can never show a suppressed number.

Tables are computed on first use and kept: a dashboard needs three benchmarks, a pathway
page one stratum's drivers, the report command everything (``compute_all``). Pure pandas:
no database and no Flask, so report worker processes share a bundle computed once, and
the benchmark script can feed it synthetic respondents.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pandas as pd

from analysis.benchmark import VALUE_COLUMNS, BenchmarkSpec, benchmark_table
from analysis.casemix import DEFAULT_ADJUSTERS
from analysis.disclosure import publish_table
from analysis.drivers import UNIT_RESULTS, what_matters_most
from analysis.equity import DEFAULT_CHARACTERISTICS, equity_breakdown
from analysis.funnel import MIN_RESPONDENTS, TOO_FEW
from analysis.response_rate import publish_rates, response_rates
from analysis.scoring_items import scored_item_statistics_by, scored_item_summary
from analysis.spc import unit_trends
from survey_app.results.measures import (
    HEADLINE,
    ITEM_INSTRUMENTS,
    Measure,
    candidate_measures,
)

UNIT = ("provider", "pathway", "period")
UNIT_LEVEL = " × ".join(UNIT)
ALL_PATHWAYS = "all"
ALL_DRIVERS = ("all drivers",)  # every stratum's, split per stratum when stored
ITEM_STATISTICS = ["mean", "top_box", "percent_positive"]
TREND_COLUMNS = ["provider", "pathway", "period", "value", "mean", "lower", "upper",
                 "special_cause", "variation", "provisional"]
EQUITY_STATISTICS = ["value", "ci_lower", "ci_upper", "unit_value", "difference"]
T = TypeVar("T")


class Bundle:
    """The published results of every provider, pathway and period, computed on demand.

    ``respondents`` is the scored respondent table, ``invitations`` one row per sent
    invitation and ``answers`` each item instrument's item scores and indicators indexed by
    response id (``analysis.scoring_items.SCORED_ITEM_VALUES`` × item id columns).
    """

    def __init__(
        self,
        respondents: pd.DataFrame,
        invitations: pd.DataFrame,
        answers: dict[str, pd.DataFrame],
    ) -> None:
        self.respondents = respondents
        self.invitations = invitations
        self.answers = answers
        self.measures = [
            m for m in candidate_measures()
            if m.column in respondents.columns and respondents[m.column].notna().any()
        ]
        self.periods = sorted(set(respondents["period"].dropna()))
        self._lock = threading.RLock()
        self._memo: dict[tuple[str, ...], object] = {}

    def __getstate__(self) -> dict[str, object]:
        """Pickle without the lock (a worker process gets its own)."""
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def _cached(self, key: tuple[str, ...], compute: Callable[[], T]) -> T:
        """Return the table under ``key``, computing it once (one thread at a time)."""
        with self._lock:
            if key not in self._memo:
                self._memo[key] = compute()
            return self._memo[key]  # type: ignore[return-value]

    def part(self, name: str, table: pd.DataFrame, by: tuple[str, ...],
             key: tuple[object, ...]) -> pd.DataFrame:
        """Return the rows of ``table`` (cached under ``name``) whose ``by`` columns equal
        ``key``. The table is indexed once, so a report's hundred look-ups do not each scan
        every provider's rows."""
        positions = self._cached(
            ("index", name, *by),
            lambda: table.groupby(list(by), sort=False, observed=True).indices,
        )
        found = positions.get(key if len(key) > 1 else key[0])
        return table.iloc[found] if found is not None else table.iloc[0:0]

    def measure(self, column: str) -> Measure:
        """Return the measure benchmarked from ``column``; KeyError if there is none."""
        for measure in self.measures:
            if measure.column == column:
                return measure
        raise KeyError(column)

    def raw_benchmark(self, column: str) -> pd.DataFrame:
        """Return the unpublished benchmark table of one measure (kept for trends only)."""
        return self._cached(("raw", column), lambda: _benchmark(self.respondents, column))

    def benchmark(self, column: str) -> pd.DataFrame:
        """Return the published, case-mix adjusted benchmark table of one measure."""
        return self._cached(("benchmark", column),
                            lambda: _publish_benchmark(self.raw_benchmark(column)))

    def trends(self, column: str) -> pd.DataFrame:
        """Return each unit's XmR chart of one measure over the periods it had enough
        respondents in (those values are published, so the chart is too)."""
        if column not in {m.column for m in self.measures}:  # nobody has this score
            return self._cached(("trends", column), lambda: pd.DataFrame(columns=TREND_COLUMNS))
        return self._cached(("trends", column), lambda: _trends(self.raw_benchmark(column)))

    def equity(self) -> pd.DataFrame:
        """Return the published equity breakdown of the headline score per unit."""
        return self._cached(("equity",), lambda: _equity(self.respondents, list(UNIT)))

    def profile(self) -> pd.DataFrame:
        """Return the published respondent profile (and headline score) per provider and
        period, by age band, sex, who answered, language and mode."""
        return self._cached(("profile",),
                            lambda: _equity(self.respondents, ["provider", "period"]))

    def drivers(self, pathway: str, period: str) -> pd.DataFrame:
        """Return the published "what matters most" table of one pathway and period."""
        def stratum() -> pd.DataFrame:
            every = self._cached(ALL_DRIVERS, lambda: _drivers(self.respondents))
            rows = self.part(ALL_DRIVERS[0], every, ("pathway", "period"), (pathway, period))
            return rows.drop(columns=["pathway", "period"]).reset_index(drop=True)
        return self._cached(("drivers", pathway, period), stratum)

    def rates(self) -> pd.DataFrame:
        """Return published response rates per unit (pathway ``all``: the provider)."""
        return self._cached(("rates",), lambda: _rates(self.invitations))

    def responses(self) -> pd.DataFrame:
        """Return published response counts per unit (pathway ``all``: the provider)."""
        return self._cached(("responses",), lambda: _responses(self.respondents))

    def item_benchmark(self, pathway: str, period: str) -> pd.DataFrame:
        """Return the all-provider item results of one pathway and period."""
        def compute() -> pd.DataFrame:
            rows = self.part("respondents", self.respondents, ("pathway", "period"),
                             (pathway, period))
            return _item_results(self.answers, rows["response_id"])
        return self._cached(("items", pathway, period), compute)

    def provider_items(self, pathway: str, period: str) -> pd.DataFrame:
        """Return every provider's published item results in one pathway and period."""
        def compute() -> pd.DataFrame:
            rows = self.part("respondents", self.respondents, ("pathway", "period"),
                             (pathway, period))
            return _item_results_by_provider(self.answers, rows)
        return self._cached(("provider items", pathway, period), compute)

    def unit_items(self, provider: str, pathway: str, period: str) -> pd.DataFrame:
        """Return one unit's published item results beside the pathway's benchmark."""
        own = self.part(f"provider items:{pathway}:{period}",
                        self.provider_items(pathway, period), ("provider",), (provider,))
        if own.empty:  # no respondents: every item "too few", as for an empty unit
            own = _item_results(self.answers, pd.Series([], dtype=object))
        else:
            own = own.drop(columns="provider").reset_index(drop=True)
        benchmark = self.item_benchmark(pathway, period).rename(
            columns={c: f"benchmark_{c}" for c in ["n", *ITEM_STATISTICS]}
        )
        return own.merge(benchmark, on=["instrument", "item_id"], how="left")

    def compute_all(self, period: str | None = None) -> None:
        """Compute every shared table the pages and reports read now (before worker
        processes fork), for one period's strata or all periods. Trends are of the
        headline score only: it is the one measure charted over time."""
        for measure in self.measures:
            self.benchmark(measure.column)
        self.trends(HEADLINE)
        self.equity()
        self.profile()
        self.rates()
        self.responses()
        strata = self.respondents[["pathway", "period"]].drop_duplicates()
        for pathway, stratum_period in strata.itertuples(index=False):
            if period is None or stratum_period == period:
                self.drivers(pathway, stratum_period)
                self.item_benchmark(pathway, stratum_period)
                self.provider_items(pathway, stratum_period)


def _benchmark(respondents: pd.DataFrame, column: str) -> pd.DataFrame:
    """Return the case-mix adjusted benchmark table of one measure (unpublished)."""
    adjust = tuple(c for c in DEFAULT_ADJUSTERS if c in respondents.columns)
    spec = BenchmarkSpec(measure=column, by=UNIT, adjust=adjust)
    return benchmark_table(respondents, spec).table


def _publish_benchmark(table: pd.DataFrame) -> pd.DataFrame:
    """Publish a benchmark table: rounded n; unit results suppressed or left empty."""
    statistics = [c for c in VALUE_COLUMNS if c in table.columns]
    return publish_table(table, counts=["n"], statistics=statistics, minimum=MIN_RESPONDENTS)


def _trends(benchmark: pd.DataFrame) -> pd.DataFrame:
    """Return the XmR charts of the units' adjusted values over periods."""
    units = benchmark.loc[(benchmark["level"] == UNIT_LEVEL) & (benchmark["band"] != TOO_FEW)
                          & benchmark["band"].notna()]
    value = "adjusted_value" if "adjusted_value" in units.columns else "value"
    trend = unit_trends(units, units=["provider", "pathway"], period="period", value=value)
    if len(trend) == 0:
        return pd.DataFrame(columns=TREND_COLUMNS)
    return trend


def _equity(respondents: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Return the published equity breakdown of the headline score by ``by``."""
    characteristics = [c for c in DEFAULT_CHARACTERISTICS if c in respondents.columns]
    table = equity_breakdown(respondents, measure=HEADLINE, by=by,
                             characteristics=characteristics)
    return publish_table(table, counts=["n"], minimum=MIN_RESPONDENTS,
                         statistics=EQUITY_STATISTICS)


def _drivers(respondents: pd.DataFrame) -> pd.DataFrame:
    """Return what matters most in every pathway and period (each on its own, providers
    compared within it), in one pass."""
    rows = respondents.loc[respondents[HEADLINE].notna()]
    items = [c for c in rows.columns if c.split(".")[0] in ITEM_INSTRUMENTS and "." in c
             and rows[c].notna().any()]
    if not items:
        return pd.DataFrame(columns=["pathway", "period", "provider", "item", "n", "value",
                                     "benchmark", "gap", "priority", "priority_rank", "status"])
    table = what_matters_most(rows, items=items, overall=HEADLINE, strata=["pathway", "period"])
    return publish_table(table, counts=["n"], statistics=UNIT_RESULTS, minimum=MIN_RESPONDENTS)


def _rates(invitations: pd.DataFrame) -> pd.DataFrame:
    """Return published response rates per provider × pathway × period and per provider
    (``analysis.response_rate.publish_rates``: a rate on 1–7 people is ``*``)."""
    if invitations.empty:
        return pd.DataFrame(columns=[*UNIT, "mode", "invited", "responded", "rate"])
    by_pathway = response_rates(invitations, by=list(UNIT))
    overall = response_rates(invitations.assign(pathway=ALL_PATHWAYS), by=list(UNIT))
    return publish_rates(pd.concat([by_pathway, overall], ignore_index=True))


def _responses(respondents: pd.DataFrame) -> pd.DataFrame:
    """Return published response counts per unit and per provider × period."""
    by_unit = respondents.groupby(list(UNIT), sort=True).size().rename("responses")
    overall = respondents.groupby(["provider", "period"], sort=True).size().rename("responses")
    table = pd.concat(
        [by_unit.reset_index(), overall.reset_index().assign(pathway=ALL_PATHWAYS)],
        ignore_index=True,
    )
    return publish_table(table, counts=["responses"])


def _item_results_by_provider(answers: dict[str, pd.DataFrame],
                              respondents: pd.DataFrame) -> pd.DataFrame:
    """Return ``_item_results`` for every provider among ``respondents`` in one pass."""
    providers = respondents.set_index("response_id")["provider"]
    categories = sorted(providers.unique())
    parts = []
    for instrument_id, table in answers.items():
        chosen = table.loc[table.index.intersection(providers.index)]
        groups = pd.Categorical(providers.reindex(chosen.index), categories=categories)
        summary = scored_item_statistics_by(chosen, groups).rename(
            columns={"group": "provider"})
        parts.append(summary[["provider", "item_id", "n", *ITEM_STATISTICS]]
                     .assign(instrument=instrument_id))
    if not parts:
        return pd.DataFrame(columns=["provider", "instrument", "item_id", "n",
                                     *ITEM_STATISTICS])
    table = pd.concat(parts, ignore_index=True)
    table = table.sort_values("provider", kind="stable", ignore_index=True)
    return publish_table(table, counts=["n"], statistics=ITEM_STATISTICS,
                         minimum=MIN_RESPONDENTS)


def _item_results(answers: dict[str, pd.DataFrame], ids: pd.Series) -> pd.DataFrame:
    """Return the published item summaries of the given responses, per item instrument."""
    parts = []
    for instrument_id, table in answers.items():
        chosen = table.loc[table.index.intersection(pd.Index(ids))]
        summary = scored_item_summary(chosen)[["item_id", "n", *ITEM_STATISTICS]]
        parts.append(summary.assign(instrument=instrument_id))
    if not parts:
        return pd.DataFrame(columns=["instrument", "item_id", "n", *ITEM_STATISTICS])
    table = pd.concat(parts, ignore_index=True)
    return publish_table(table, counts=["n"], statistics=ITEM_STATISTICS,
                         minimum=MIN_RESPONDENTS)
