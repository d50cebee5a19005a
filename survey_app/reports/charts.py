"""Funnel and XmR charts as accessible SVG (matplotlib, Agg, no pyplot global state).

Charts draw only what they are given, and they are given only published numbers (units
with too few responses are not points), so a chart can never reveal a suppressed value.
Each SVG carries a <title> and <desc> and ``role="img"``; pages and reports put a data
table beside every chart for people who cannot see it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from html import escape

import matplotlib

matplotlib.use("Agg")  # no display; must precede any other matplotlib import

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from analysis.spc import CONCERN, IMPROVEMENT  # noqa: E402
from survey_app.services.results_views import Funnel, TrendPoint  # noqa: E402

# NHS identity colours; every series also differs by marker or line style.
NHS_BLUE = "#005eb8"
NHS_DARK = "#212b32"
NHS_GREY = "#768692"
NHS_ORANGE = "#ed8b00"
NHS_LIGHT_BLUE = "#41b6e6"
SIZE = (4.8, 3.3)
STYLE = {
    "svg.fonttype": "none",  # text stays text: searchable, and uses the machine's fonts
    "svg.hashsalt": "care-transitions",  # stable element ids, so the same data, same SVG
    "font.family": ["Liberation Sans", "DejaVu Sans", "sans-serif"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
LEGEND = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.2), "ncols": 3, "fontsize": 7,
          "frameon": False}
SVG_TAG = re.compile(r"<svg\b")


def _figure() -> tuple[Figure, object]:
    """Return a new figure and its single axes."""
    figure = Figure(figsize=SIZE)
    # Fixed margins: constrained layout would double the drawing time.
    figure.subplots_adjust(left=0.13, right=0.98, top=0.97, bottom=0.3)
    return figure, figure.add_subplot()


def _svg(figure: Figure, title: str, description: str) -> str:
    """Return the figure as SVG text with an accessible name and description."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]  # drop the XML prolog and DOCTYPE: the SVG is embedded
    svg = SVG_TAG.sub('<svg role="img" aria-labelledby="chart-title chart-desc"', svg, count=1)
    opening_end = svg.index(">") + 1
    labels = (f'<title id="chart-title">{escape(title)}</title>'
              f'<desc id="chart-desc">{escape(description)}</desc>')
    return svg[:opening_end] + labels + svg[opening_end:]


def funnel_svg(funnel: Funnel, title: str) -> str:
    """Draw the funnel plot: peers as grey circles, the user's organisation highlighted."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _figure()
        if funnel.limits:
            n = [row[0] for row in funnel.limits]
            for index, style, label in ((1, "-", "95% limits"), (3, ":", "99.8% limits")):
                axes.plot(n, [row[index] for row in funnel.limits], style, color=NHS_GREY,
                          linewidth=1, label=label)
                axes.plot(n, [row[index + 1] for row in funnel.limits], style,
                          color=NHS_GREY, linewidth=1)
        if funnel.target is not None:
            axes.axhline(funnel.target, color=NHS_DARK, linestyle="--", linewidth=1,
                         label=f"Benchmark {funnel.target:.0f}")
        peers = [p for p in funnel.points if not p.own]
        own = [p for p in funnel.points if p.own]
        axes.scatter([p.n for p in peers], [p.value for p in peers], s=22, color=NHS_GREY,
                     edgecolors="white", linewidths=0.5, label="Other providers", zorder=3)
        if own:
            axes.scatter([p.n for p in own], [p.value for p in own], s=90, marker="D",
                         color=NHS_BLUE, edgecolors=NHS_DARK, label="Your organisation",
                         zorder=4)
        axes.set_xlabel("Number of respondents")
        axes.set_ylabel(funnel.measure.short + " (adjusted)")
        axes.legend(**LEGEND)
        mine = own[0] if own else None
        where = (f"Your organisation scored {mine.value:.0f} with {mine.n} respondents, "
                 f"{mine.band or 'not banded'}." if mine else
                 "Your organisation has too few responses to be shown.")
        description = (f"Funnel plot of {len(funnel.points)} providers' {funnel.measure.label} "
                       f"against the number of respondents, with the benchmark and 95% and "
                       f"99.8% limits. {where}")
        return _svg(figure, title, description)


def trend_svg(points: Sequence[TrendPoint], title: str, measure: str) -> str:
    """Draw an XmR chart: values over periods, mean, process limits, special causes."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _figure()
        periods = [p.period for p in points]
        values = [p.value for p in points]
        axes.plot(periods, values, "-", color=NHS_GREY, linewidth=1, zorder=2)
        if points:
            axes.plot(periods, [p.mean for p in points], "-", color=NHS_DARK, linewidth=1)
            axes.plot(periods, [p.upper for p in points], "--", color=NHS_GREY, linewidth=1)
            axes.plot(periods, [p.lower for p in points], "--", color=NHS_GREY, linewidth=1)
        styles = {IMPROVEMENT: (NHS_LIGHT_BLUE, "^"), CONCERN: (NHS_ORANGE, "v")}
        for point in points:
            colour, marker = styles.get(point.variation, (NHS_GREY, "o"))
            axes.scatter([point.period], [point.value], s=40, color=colour, marker=marker,
                         edgecolors=NHS_DARK, linewidths=0.5, zorder=3)
        axes.set_ylabel(measure + " (adjusted)")
        axes.set_xlabel("Period")
        axes.legend(
            handles=[
                Line2D([], [], color=NHS_DARK, label="Mean"),
                Line2D([], [], color=NHS_GREY, linestyle="--", label="Process limits"),
                Line2D([], [], color=NHS_LIGHT_BLUE, marker="^", linestyle="",
                       label="Improvement"),
                Line2D([], [], color=NHS_ORANGE, marker="v", linestyle="", label="Concern"),
            ],
            **LEGEND,
        )
        flagged = [p.period for p in points if p.variation in styles]
        description = (
            f"XmR chart of {measure} over {len(points)} periods"
            + (f" from {periods[0]} to {periods[-1]}" if points else "")
            + ". " + (f"Special-cause variation in {', '.join(flagged)}." if flagged
                      else "No special-cause variation.")
        )
        return _svg(figure, title, description)
