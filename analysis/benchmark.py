"""The benchmark table: every unit and roll-up, with interval, adjustment, funnel and band.

For a respondent-level table (e.g. the scores CSV) and one measure, this builds one row per
unit (e.g. provider × pathway × period) and per roll-up (provider overall, pathway overall,
commissioner/alliance footprint, all providers), each within its period when ``period`` is
a unit column. Each row carries n, the raw value and its 95% interval, the case-mix
adjusted value, the funnel comparison (target, z, φ, τ², adjusted z, limits, band),
reliability and the empirical-Bayes estimate, and the methodology version.

Like is compared with like: units are benchmarked against the other units of the same
stratum — the remaining unit columns, e.g. the same pathway in the same period — so a
stroke service is never judged against a frailty service. See docs/methodology.md, 2.1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import METHODOLOGY_VERSION
from analysis.casemix import CaseMixModel, adjust_respondents
from analysis.funnel import (
    FUNNEL_COLUMNS,
    MIN_RESPONDENTS,
    UNIT_LIMITS,
    arcsine,
    comparison_basis,
    from_arcsine,
    funnel_mean,
    funnel_proportion,
    pooled_sd,
)
from analysis.reliability import reliability, shrink, suitable_for_high_stakes
from analysis.summary import PROPORTION, measure_kind, summarise_units

ALL = "all"
ADJUSTED = "_adjusted_measure"
COMPARISON_COLUMNS = [c for c in FUNNEL_COLUMNS if c not in ("n", "value")]
# A unit's own results and everything derived from its n (limits, reliability): ``*`` in
# published tables for 1–7 people, empty under the minimum.
VALUE_COLUMNS = [
    "value", "ci_lower", "ci_upper", "adjusted_value", "z", "z_adjusted", *UNIT_LIMITS,
    "reliability", "high_stakes_ok", "shrunken_value",
]


@dataclass(frozen=True)
class BenchmarkSpec:
    """What to benchmark and how; the defaults follow docs/methodology.md."""

    measure: str = "score"
    by: tuple[str, ...] = ("provider", "pathway", "period")
    adjust: tuple[str, ...] = ()
    kind: str | None = None
    min_respondents: int = MIN_RESPONDENTS
    peer_group: frozenset[str] | None = None
    target: float | None = None
    provider: str = "provider"
    period: str = "period"
    footprint: str | None = None


@dataclass(frozen=True)
class Level:
    """One layer of the table: its name, grouping columns and the column being compared."""

    name: str
    columns: tuple[str, ...]
    entity: str | None

    @property
    def strata(self) -> tuple[str, ...]:
        """Return the columns within which units are compared with each other."""
        return self.columns[1:] if self.entity else self.columns


@dataclass(frozen=True)
class BenchmarkResult:
    """The table plus the case-mix model behind it (None when unadjusted) and the finest
    level's units as compared: ``by`` columns, exact n, the value benchmarked (adjusted
    when adjusted) and its within-unit sd — the input the ``funnel`` command reads."""

    table: pd.DataFrame
    kind: str
    model: CaseMixModel | None = None
    levels: list[Level] = field(default_factory=list)
    units: pd.DataFrame | None = None


def unit_columns(spec: BenchmarkSpec) -> list[str]:
    """Return the table's unit columns for ``spec``: the ``by`` columns, then any footprint."""
    return list(dict.fromkeys([*spec.by, *([spec.footprint] if spec.footprint else [])]))


def levels_for(spec: BenchmarkSpec) -> list[Level]:
    """Return the unit level and its roll-ups, each kept within period when present."""
    time = (spec.period,) if spec.period in spec.by else ()
    entities = [c for c in spec.by if c != spec.period]
    levels = [Level(" × ".join(spec.by), spec.by, spec.by[0])]
    candidates = entities if len(entities) > 1 else []
    if spec.footprint:
        candidates.append(spec.footprint)
    for column in candidates:
        columns = (column, *time)
        levels.append(Level(" × ".join(columns), columns, column))
    levels.append(Level(" × ".join(("all providers", *time)), time, None))
    return levels


def _check_columns(responses: pd.DataFrame, spec: BenchmarkSpec) -> None:
    """Raise KeyError naming any column the spec needs that the table lacks."""
    needed = [spec.measure, *spec.by, *spec.adjust]
    if spec.adjust:
        needed.append(spec.provider)
    if spec.footprint:
        needed.append(spec.footprint)
    missing = [c for c in dict.fromkeys(needed) if c not in responses.columns]
    if missing:
        raise KeyError(f"column(s) not found: {', '.join(missing)}")
    if not pd.api.types.is_numeric_dtype(responses[spec.measure]):
        raise ValueError(f"measure column {spec.measure!r} is not numeric")


def _summarise(data: pd.DataFrame, columns: Iterable[str], measure: str, kind: str) -> pd.DataFrame:
    """Summarise per unit; with no grouping columns, one row for everybody."""
    columns = list(columns)
    if columns:
        return summarise_units(data, columns, measure, kind)
    whole = summarise_units(data.assign(_everyone=ALL), ["_everyone"], measure, kind)
    return whole.drop(columns="_everyone")


def _compare(
    units: pd.DataFrame, level: Level, spec: BenchmarkSpec, kind: str, benchmarked: str
) -> pd.DataFrame:
    """Return funnel columns, reliability and shrunken value for every unit of a level."""
    outputs = [*COMPARISON_COLUMNS, "reliability", "shrunken_value"]
    result = {column: np.full(len(units), np.nan) for column in outputs}
    result["band"] = np.full(len(units), None, dtype=object)
    if level.entity is None:
        return pd.DataFrame(result, index=units.index)
    strata = list(level.strata)
    groups = units.groupby(strata, sort=False).indices if strata else {ALL: np.arange(len(units))}
    for positions in groups.values():
        part = units.iloc[positions]
        n = part["n"].to_numpy(dtype=float)
        value = part[benchmarked].to_numpy(dtype=float)
        peers = None
        if spec.peer_group is not None and level.entity == spec.provider:
            peers = part[level.entity].astype(str).isin(spec.peer_group).to_numpy()
        if kind == PROPORTION:
            funnel = funnel_proportion(
                n, value, target=spec.target, min_respondents=spec.min_respondents,
                reference=peers,
            )
            theta0, y, variance = arcsine(funnel["target"].iloc[0]), arcsine(value), 1 / (4 * n)
        else:
            sd = part[f"{benchmarked}_sd"].to_numpy(dtype=float)
            basis = comparison_basis(n, spec.min_respondents, peers)
            sigma = pooled_sd(n[basis], sd[basis])
            funnel = funnel_mean(
                n, value, sigma=sigma, target=spec.target,
                min_respondents=spec.min_respondents, reference=peers,
            )
            theta0, y, variance = funnel["target"].iloc[0], value, sigma**2 / n
        r = reliability(funnel["tau2"].iloc[0], variance)
        shrunk = shrink(y, theta0, r)
        funnel["reliability"] = r
        funnel["shrunken_value"] = from_arcsine(shrunk) if kind == PROPORTION else shrunk
        for column in outputs:
            result[column][positions] = funnel[column].to_numpy()
    return pd.DataFrame(result, index=units.index)


def _level_table(
    data: pd.DataFrame, level: Level, spec: BenchmarkSpec, kind: str, adjusted: bool
) -> pd.DataFrame:
    """Build the rows of one level: summaries, adjustment and comparison."""
    units = _summarise(data, level.columns, spec.measure, kind)
    benchmarked = "value"
    if adjusted:
        adjusted_units = _summarise(data, level.columns, ADJUSTED, kind)
        adjusted_value = adjusted_units["value"].to_numpy()
        if kind == PROPORTION:  # a linear adjustment can step just outside [0, 1]
            adjusted_value = np.clip(adjusted_value, 0.0, 1.0)
        units["adjusted_value"] = adjusted_value
        units["adjusted_value_sd"] = adjusted_units["sd"].to_numpy()
        benchmarked = "adjusted_value"
    else:
        units["value_sd"] = units["sd"]
    comparison = _compare(units, level, spec, kind, benchmarked)
    units = pd.concat([units, comparison], axis=1)
    units.insert(0, "level", level.name)
    return units


def benchmark_table(
    responses: pd.DataFrame, spec: BenchmarkSpec, progress: Callable[[str], None] | None = None
) -> BenchmarkResult:
    """Return the benchmark table for one measure of a respondent-level table.

    Respondents without a value for the measure (e.g. "too few answers") are not counted.
    Raises KeyError/ValueError naming the column when the input does not fit the spec.
    ``progress``, when given, is told each stage (adjusting, level n of m) as it starts.
    """
    say = progress or (lambda message: None)
    _check_columns(responses, spec)
    data = responses.loc[responses[spec.measure].notna()]
    if data.empty:
        raise ValueError(f"no respondent has a value for {spec.measure!r}")
    kind = measure_kind(data[spec.measure], spec.kind)
    model = None
    if spec.adjust:
        say(f"  adjusting {spec.measure} for {', '.join(spec.adjust)} "
            f"({len(data):,} respondents) …")
        model, adjusted = adjust_respondents(
            data, spec.measure, spec.adjust, fixed_effects=spec.provider
        )
        data = data.assign(**{ADJUSTED: adjusted})
    levels = levels_for(spec)
    parts = []
    for number, level in enumerate(levels, start=1):
        say(f"  level {number} of {len(levels)}: {level.name} …")
        parts.append(_level_table(data, level, spec, kind, bool(spec.adjust)))
    table = pd.concat(parts, ignore_index=True)
    benchmarked = "adjusted_value" if spec.adjust else "value"
    units = parts[0][[*spec.by, "n"]].assign(value=parts[0][benchmarked],
                                              sd=parts[0][f"{benchmarked}_sd"])
    for column in unit_columns(spec):
        table[column] = table[column].astype(object).where(table[column].notna(), ALL)
    r = table["reliability"].to_numpy(float)
    table["high_stakes_ok"] = pd.array(suitable_for_high_stakes(r), dtype="boolean")
    table.loc[np.isnan(r), "high_stakes_ok"] = pd.NA
    table["methodology_version"] = METHODOLOGY_VERSION
    table["measure"] = spec.measure
    table["kind"] = kind
    table["adjusted_for"] = ",".join(spec.adjust)
    ordered = [
        "methodology_version", "level", *unit_columns(spec), "measure", "kind", "adjusted_for",
        "n",
        "value", "ci_lower", "ci_upper",
        *(["adjusted_value"] if spec.adjust else []),
        *COMPARISON_COLUMNS, "reliability", "high_stakes_ok", "shrunken_value",
    ]
    return BenchmarkResult(table=table[ordered], kind=kind, model=model, levels=levels,
                           units=units.reset_index(drop=True))

