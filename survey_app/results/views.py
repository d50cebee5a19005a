"""One provider's view of the published bundle: the rows a page, chart or report shows.

Every number here is copied from a published table (``results_tables``), so a suppressed
cell arrives as ``*`` (1–7 people) or empty (fewer than the minimum respondents) and stays
that way; peers are named only through the ``labels`` handed in (the user's scope), so
another provider's name never reaches a page. No database, no Flask: report workers use
these builders too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

import pandas as pd

import instruments
from analysis.disclosure import SUPPRESSED
from analysis.funnel import MIN_RESPONDENTS, TOO_FEW
from analysis.response_rate import ALL_MODES
from analysis.scoring_items import band_answers
from analysis.spc import CONCERN, IMPROVEMENT
from survey_app.results.measures import HEADLINE, SCORED_INSTRUMENTS, Measure
from survey_app.results.tables import ALL_PATHWAYS, UNIT_LEVEL, Bundle

Published = int | float | str | None
CHARACTERISTICS = {
    "age_band": "Age",
    "sex": "Sex",
    "completed_by": "Who answered",
    "language": "Language of the questionnaire",
    "mode": "How they answered",
}
BAND_PHRASES = {
    "much better": "much better than expected",
    "better": "better than expected",
    "as expected": "as expected",
    "worse": "worse than expected",
    "much worse": "much worse than expected",
}
TREND_WORDS = {IMPROVEMENT: "improving", CONCERN: "getting worse"}


@dataclass(frozen=True)
class Score:
    """One unit's published result for one measure (value: case-mix adjusted if adjusted)."""

    measure: Measure
    n: Published
    value: Published
    raw_value: Published
    ci_lower: Published
    ci_upper: Published
    target: Published
    band: str | None

    @property
    def shown(self) -> bool:
        """Say whether the value is a number that may be published."""
        return isinstance(self.value, float | int) and not pd.isna(self.value)

    @property
    def expected_beyond_interval(self) -> bool:
        """Say whether the score is "as expected" although its 95% interval leaves out the
        benchmark (the band's limits allow for the variation between providers too, so
        they are wider than the interval): the case readers most need explained."""
        numbers = (self.ci_lower, self.ci_upper, self.target)
        if self.band != "as expected" or not all(
                isinstance(v, float | int) and not pd.isna(v) for v in numbers):
            return False
        low, high, target = (float(v) for v in numbers)  # type: ignore[arg-type]
        return not low <= target <= high


@dataclass(frozen=True)
class Trend:
    """Where a unit's latest point sits on its XmR chart."""

    direction: str  # "up", "down" or "steady"
    words: str


@dataclass(frozen=True)
class PathwayRow:
    """A dashboard row: one pathway of the provider in the chosen period."""

    pathway: str
    name: str
    responses: Published
    invited: Published
    response_rate: Published
    scores: list[Score]
    trend: Trend | None

    def score_for(self, column: str) -> Score | None:
        """Return the row's result for the measure in ``column`` (None if not measured)."""
        return next((s for s in self.scores if s.measure.column == column), None)


@dataclass(frozen=True)
class FunnelPoint:
    """A unit on the funnel plot; only units with a published value are points."""

    label: str
    n: Published
    value: float
    band: str | None
    own: bool


@dataclass(frozen=True)
class Funnel:
    """The funnel plot of one measure in one pathway and period."""

    measure: Measure
    target: float | None
    points: list[FunnelPoint]
    # (n, lower95, upper95, lower998, upper998) at each shown unit's size, by size
    limits: list[tuple[float, float, float, float, float]]
    not_shown: int  # units with too few responses to plot


@dataclass(frozen=True)
class TrendPoint:
    """One period of a unit's XmR chart."""

    period: str
    value: float
    mean: float
    lower: float
    upper: float
    variation: str
    special_cause: str


@dataclass
class PathwayResults:
    """Everything the drill-down page and the report show for one pathway and period."""

    pathway: str
    name: str
    period: str
    scores: list[Score]
    funnel: Funnel
    trend: list[TrendPoint]
    provisional: bool
    items: list[dict[str, object]]
    equity: list[dict[str, object]]
    priorities: list[dict[str, object]]
    summary: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def headline(self) -> Score:
        return self.scores[0]


@cache
def item_text(column: str) -> tuple[str, str]:
    """Return (instrument title, item text) for an item column such as ``ctm15.q4``."""
    instrument_id, item_id = column.split(".", 1)
    instrument = instruments.get_instrument(instrument_id)
    return instrument.id, instrument.item(item_id).text


@cache
def favourable_answers(instrument_id: str, item_id: str) -> dict[str, object]:
    """Say which answers an item's "most favourable" and "% favourable" columns count,
    e.g. for negatively worded i9: "Strongly disagree" and "Strongly disagree or disagree"."""
    instrument = instruments.get_instrument(instrument_id)
    item = instrument.item(item_id)
    top, positive = (band_answers(instrument, item, band) for band in ("top_box", "positive"))

    def either(labels: list[str]) -> str:
        return " or ".join([labels[0], *(label.lower() for label in labels[1:])])

    return {"reverse": item.reverse, "most_favourable": either(top),
            "favourable": either(positive)}


def question_label(item_id: str, text: str) -> str:
    """Return a question as tables name it: its id and whole wording ("Q4 When I left the
    hospital, …"). Never cut short: many statements share their first ten words, and the
    CTM-15 is used unmodified, so no shorter title of ours stands in for it."""
    return f"{item_id.upper()} {text}"


@cache
def group_label(characteristic: str, group: str) -> str:
    """Return the words for a respondent group, e.g. ``completed_by``/``PROXY`` → "A carer…"."""
    about = instruments.get_instrument("about_you")
    if characteristic in {item.id for item in about.items}:
        for option in about.options_for(characteristic):
            if group in (option.short_code, option.code):
                return option.label
    return {"en": "English", "(not stated)": "Not stated"}.get(group, group.capitalize())


def _cell(row: pd.Series | None, column: str) -> Published:
    """Return a published cell, with pandas' missing values as None."""
    if row is None or column not in row.index:
        return None
    value = row[column]
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _unit_row(bundle: Bundle, column: str, provider: str, pathway: str,
              period: str) -> pd.Series | None:
    """Return a unit's row of a measure's published benchmark table, if it has one."""
    rows = bundle.part(f"benchmark:{column}", bundle.benchmark(column),
                       ("level", "provider", "pathway", "period"),
                       (UNIT_LEVEL, provider, pathway, period))
    return None if rows.empty else rows.iloc[0]


def score(bundle: Bundle, measure: Measure, provider: str, pathway: str, period: str) -> Score:
    """Return one unit's published result for a measure."""
    row = _unit_row(bundle, measure.column, provider, pathway, period)
    adjusted = row is not None and "adjusted_value" in row.index
    return Score(
        measure=measure,
        n=_cell(row, "n"),
        value=_cell(row, "adjusted_value" if adjusted else "value"),
        raw_value=_cell(row, "value"),
        ci_lower=_cell(row, "ci_lower"),
        ci_upper=_cell(row, "ci_upper"),
        target=_cell(row, "target"),
        band=_cell(row, "band"),  # type: ignore[arg-type]
    )


def trend_arrow(bundle: Bundle, provider: str, pathway: str, period: str) -> Trend | None:
    """Return the headline trend at ``period``: special-cause improvement, concern or steady."""
    rows = _unit_trend(bundle, provider, pathway)
    rows = rows.loc[rows["period"] == period]
    if rows.empty:
        return None
    variation = rows.iloc[0]["variation"]
    if variation == IMPROVEMENT:
        return Trend("up", TREND_WORDS[IMPROVEMENT])
    if variation == CONCERN:
        return Trend("down", TREND_WORDS[CONCERN])
    return Trend("steady", "no significant change")


def _unit_trend(bundle: Bundle, provider: str, pathway: str) -> pd.DataFrame:
    """Return the headline XmR chart rows of one provider's pathway."""
    return bundle.part(f"trends:{HEADLINE}", bundle.trends(HEADLINE), ("provider", "pathway"),
                       (provider, pathway))


def _lookup(bundle: Bundle, name: str, table: pd.DataFrame, provider: str, pathway: str,
            period: str) -> pd.Series | None:
    """Return the all-modes row of a rates or counts table for one unit."""
    if table.empty:
        return None
    rows = bundle.part(name, table, ("provider", "pathway", "period"), (provider, pathway, period))
    if "mode" in rows.columns:
        rows = rows.loc[rows["mode"] == ALL_MODES]
    return None if rows.empty else rows.iloc[0]


def pathway_row(bundle: Bundle, names: Mapping[str, str], provider: str, pathway: str,
                period: str) -> PathwayRow:
    """Return the dashboard row of one pathway (``all`` for the provider as a whole)."""
    rate = _lookup(bundle, "rates", bundle.rates(), provider, pathway, period)
    count = _lookup(bundle, "responses", bundle.responses(), provider, pathway, period)
    measures = [m for m in bundle.measures if m.column in SCORED_INSTRUMENTS]
    unit = pathway != ALL_PATHWAYS
    return PathwayRow(
        pathway=pathway,
        name=names.get(pathway, pathway) if unit else "All pathways",
        responses=_cell(count, "responses") if count is not None else 0,
        invited=_cell(rate, "invited"),
        response_rate=_cell(rate, "rate"),
        scores=[score(bundle, m, provider, pathway, period) for m in measures] if unit else [],
        trend=trend_arrow(bundle, provider, pathway, period) if unit else None,
    )


def periods_with_results(bundle: Bundle, provider: str) -> list[str]:
    """Return the periods, oldest first, in which the provider has a published headline
    score in at least one pathway (enough responses for a result)."""
    if not bundle.measures:
        return []
    column = bundle.measures[0].column
    rows = bundle.part(f"benchmark:{column}", bundle.benchmark(column), ("level", "provider"),
                       (UNIT_LEVEL, provider))
    value = "adjusted_value" if "adjusted_value" in rows.columns else "value"
    numeric = pd.to_numeric(rows[value].where(rows[value] != SUPPRESSED), errors="coerce")
    return sorted(set(rows.loc[numeric.notna(), "period"]))


def periods_answered(bundle: Bundle, provider: str) -> list[str]:
    """Return the periods, oldest first, in which any of the provider's patients answered."""
    rows = bundle.part("respondents", bundle.respondents, ("provider",), (provider,))
    return sorted(set(rows["period"].dropna()))


def default_period(bundle: Bundle, provider: str,
                   everyone: list[str]) -> tuple[str | None, str]:
    """Return the period a provider's pages open on, and why it was chosen.

    The latest period in which the provider has results ("results"); failing that, the
    latest in which any of its patients answered ("responses"); failing that, the latest
    of ``everyone``'s periods ("latest"). Never simply the latest quarter: one answer in a
    quarter that has only just begun would open every provider's pages on an empty one.
    """
    for reason, periods in (("results", periods_with_results(bundle, provider)),
                            ("responses", periods_answered(bundle, provider)),
                            ("latest", everyone)):
        if periods:
            return periods[-1], reason
    return None, "latest"


def answered(bundle: Bundle, provider: str, period: str) -> bool:
    """Say whether any of the provider's patients answered in ``period``."""
    return period in periods_answered(bundle, provider)


def provider_pathways(bundle: Bundle, provider: str) -> list[str]:
    """Return the pathways in which the provider had any responses or invitations."""
    seen = set(bundle.part("respondents", bundle.respondents, ("provider",), (provider,))
               ["pathway"])
    if not bundle.invitations.empty:
        seen |= set(bundle.part("invitations", bundle.invitations, ("provider",), (provider,))
                    ["pathway"])
    return sorted(seen)


def funnel(bundle: Bundle, measure: Measure, labels: Mapping[str, str], provider: str,
           pathway: str, period: str) -> Funnel:
    """Return the funnel plot of a pathway and period: peers named only by ``labels``."""
    rows = bundle.part(f"benchmark:{measure.column}", bundle.benchmark(measure.column),
                       ("level", "pathway", "period"), (UNIT_LEVEL, pathway, period))
    value = "adjusted_value" if "adjusted_value" in rows.columns else "value"
    numeric = pd.to_numeric(rows[value].where(rows[value] != SUPPRESSED), errors="coerce")
    shown = rows.loc[numeric.notna()].assign(_value=numeric[numeric.notna()])
    # Column by column, not row dicts: a pathway has hundreds of providers.
    points = [
        FunnelPoint(label=labels.get(code, "Another provider"), n=n, value=float(value),
                    band=band, own=code == provider)
        for code, n, value, band in zip(shown["provider"].tolist(), shown["n"].tolist(),
                                        shown["_value"].tolist(), shown["band"].tolist(),
                                        strict=True)
    ]
    by_size = shown.sort_values("n")
    limits = list(zip(by_size["n"].astype(float).tolist(), by_size["lower95"].tolist(),
                      by_size["upper95"].tolist(), by_size["lower998"].tolist(),
                      by_size["upper998"].tolist(), strict=True))
    target = float(rows["target"].iloc[0]) if len(rows) and pd.notna(rows["target"].iloc[0]) \
        else None
    return Funnel(measure, target, sorted(points, key=lambda p: (not p.own, p.label)),
                  limits, int(len(rows) - len(shown)))


def trend_points(bundle: Bundle, provider: str, pathway: str) -> tuple[list[TrendPoint], bool]:
    """Return the headline XmR chart of one unit over periods, and whether it is provisional."""
    rows = _unit_trend(bundle, provider, pathway)
    points = [
        TrendPoint(r["period"], r["value"], r["mean"], r["lower"], r["upper"], r["variation"],
                   r["special_cause"])
        for r in rows.sort_values("period").to_dict("records")
    ]
    return points, bool(rows["provisional"].any()) if len(rows) else True


def item_rows(bundle: Bundle, provider: str, pathway: str, period: str) -> list[dict[str, object]]:
    """Return the unit's item results beside the all-provider results of its pathway."""
    table = bundle.unit_items(provider, pathway, period)
    rows = []
    for record in table.to_dict("records"):
        title, text = item_text(f"{record['instrument']}.{record['item_id']}")
        rows.append({**record, "instrument_title": title, "text": text,
                     "label": question_label(record["item_id"], text),
                     **favourable_answers(record["instrument"], record["item_id"])})
    return rows


def _by_group(rows: pd.DataFrame) -> list[dict[str, object]]:
    """Return rows of an equity table with readable group names."""
    return [
        {**r, "characteristic_label": CHARACTERISTICS.get(r["characteristic"],
                                                          r["characteristic"]),
         "group_label": group_label(r["characteristic"], r["group"])}
        for r in rows.to_dict("records")
    ]


def equity_rows(bundle: Bundle, provider: str, pathway: str,
                period: str) -> list[dict[str, object]]:
    """Return the headline score by respondent group for one unit."""
    table = bundle.equity()
    if table.empty:
        return []
    return _by_group(bundle.part("equity", table, ("provider", "pathway", "period"),
                                 (provider, pathway, period)))


def profile_rows(bundle: Bundle, provider: str, period: str) -> list[dict[str, object]]:
    """Return the provider's respondents by group (all pathways) with the headline score."""
    table = bundle.profile()
    if table.empty:
        return []
    return _by_group(bundle.part("profile", table, ("provider", "period"), (provider, period)))


def priority_rows(bundle: Bundle, provider: str, pathway: str, period: str,
                  limit: int = 5) -> list[dict[str, object]]:
    """Return "what matters most": the priority items first, then those furthest below.

    Only items below other providers are listed; an item above them is no place to start
    improving, even if it is among the provider's lowest gaps.
    """
    table = bundle.drivers(pathway, period)
    if table.empty:
        return []
    rows = bundle.part(f"drivers:{pathway}:{period}", table, ("provider",), (provider,))
    rows = rows.loc[rows["status"] != TOO_FEW]
    rows = rows.loc[pd.to_numeric(rows["gap"]) < 0]  # shown rows hold numbers
    rows = rows.sort_values(["priority_rank", "below_rank"], na_position="last").head(limit)
    chosen = []
    for record in rows.to_dict("records"):
        title, text = item_text(record["item"])
        chosen.append({**record, "instrument_title": title, "text": text,
                       "label": question_label(record["item"].split(".")[1], text)})
    return chosen


def summary_sentence(result: Score, pathway_name: str) -> str:
    """Say a unit's headline in plain English, e.g. "Your CTM-15 score for COPD was 71,
    better than expected.". The pathway keeps its name as written: lower-casing it would
    turn "COPD" into "copd"."""
    what = f"Your {result.measure.short} score for {pathway_name}"
    if result.band == TOO_FEW or result.value == SUPPRESSED:
        return f"{what} is not shown: fewer than {MIN_RESPONDENTS} people answered."
    if not result.shown:
        return f"{what} is not available: nobody answered in this period."
    number = f"{float(result.value):.0f}"  # type: ignore[arg-type]
    if result.band in BAND_PHRASES:
        return f"{what} was {number}, {BAND_PHRASES[result.band]}."
    return f"{what} was {number}; there were not enough other providers to compare with."


def pathway_results(bundle: Bundle, names: Mapping[str, str], labels: Mapping[str, str],
                    provider: str, pathway: str, period: str) -> PathwayResults:
    """Return the drill-down of one pathway and period for ``provider``."""
    scores = [score(bundle, m, provider, pathway, period) for m in bundle.measures]
    trend, provisional = trend_points(bundle, provider, pathway)
    name = names.get(pathway, pathway)
    result = PathwayResults(
        pathway=pathway,
        name=name,
        period=period,
        scores=scores,
        funnel=funnel(bundle, bundle.measures[0], labels, provider, pathway, period),
        trend=trend,
        provisional=provisional,
        items=item_rows(bundle, provider, pathway, period),
        equity=equity_rows(bundle, provider, pathway, period),
        priorities=priority_rows(bundle, provider, pathway, period),
    )
    result.summary = summary_sentence(scores[0], name) if scores else ""
    return result
