"""Funnel and XmR charts as accessible SVG (matplotlib, Agg, no pyplot global state).

Charts draw only what they are given, and they are given only published numbers (units
with too few responses are not points), so a chart can never reveal a suppressed value.
Each SVG carries a <title> and <desc> and ``role="img"``; pages and reports put a data
table beside every chart for people who cannot see it.

The SVGs are kept lean because WeasyPrint draws every SVG element in Python (about half a
millisecond each) and a report embeds sixteen charts: the funnel's peers are one path of
round dots, not one marker element per provider; its limits are drawn at each distinct
unit size once; nothing is clipped (the data lie inside the axes); no metadata block, no
wrapper groups, tick marks or backgrounds. Each thread reuses one figure per kind of
chart, since building a figure costs as much as drawing the chart.
"""

from __future__ import annotations

import io
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display; must precede any other matplotlib import

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from analysis.spc import CONCERN, IMPROVEMENT  # noqa: E402
from survey_app.results.views import Funnel, TrendPoint  # noqa: E402

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
    "font.family": "sans-serif",
    "font.sans-serif": ["Liberation Sans", "DejaVu Sans"],  # short font lists to parse
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": False,  # keep each peer's dot, however close to its neighbours
}
METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
PEER_DOT = 4.5  # points: the diameter of a peer's dot
LEGEND = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.2), "ncols": 3, "fontsize": 7,
          "frameon": False}
SVG_NS = "http://www.w3.org/2000/svg"
SVG_GROUP = f"{{{SVG_NS}}}g"
NO_ROTATION = re.compile(r' transform="rotate\(-0 [^"]*\)"')  # matplotlib's upright text
_thread = threading.local()  # each thread's reusable figures
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")


def _new_figure(legend: bool) -> tuple[Figure, Axes]:
    """Return a new figure and its single axes (room below for the legend, if drawn).

    Transparent backgrounds (the page is white) and tick labels without tick marks: each
    is an SVG element fewer to draw, sixteen times per report.
    """
    figure = Figure(figsize=SIZE if legend else (SIZE[0], SIZE[1] * 0.8))
    figure.patch.set_visible(False)
    # Fixed margins: constrained layout would double the drawing time.
    figure.subplots_adjust(left=0.13, right=0.98, top=0.97, bottom=0.3 if legend else 0.15)
    axes = figure.add_subplot()
    axes.patch.set_visible(False)
    axes.tick_params(bottom=False, left=False)
    axes.yaxis.set_major_locator(MaxNLocator(4))  # a few ticks: fewer elements to draw
    return figure, axes


def _figure(kind: str, legend: bool) -> tuple[Figure, Axes]:
    """Return this thread's figure for one kind of chart, emptied of the last chart drawn.

    Building a figure with its axes, ticks and labels is about half the cost of a chart,
    and a report draws sixteen; so each thread keeps one figure per kind (matplotlib
    figures are not thread-safe) and only the data are replaced. ``_svg`` rescales the
    axes to the new data.
    """
    figures = _thread.__dict__.setdefault("figures", {})
    if (kind, legend) not in figures:
        figures[(kind, legend)] = _new_figure(legend)
    figure, axes = figures[(kind, legend)]
    for artist in [*axes.lines, *axes.collections, *axes.patches, *axes.texts]:
        artist.remove()
    if axes.legend_ is not None:
        axes.legend_.remove()
    return figure, axes


def _unwrap_groups(element: ET.Element) -> None:
    """Replace every ``<g>`` that carries nothing but an id by its children, in place.

    matplotlib wraps each tick, label and line in two or three such groups; they change
    nothing on the page, but WeasyPrint cascades styles into each one.
    """
    children: list[ET.Element] = []
    for child in element:
        _unwrap_groups(child)
        if child.tag == SVG_GROUP and set(child.attrib) <= {"id"}:
            children.extend(child)
        else:
            children.append(child)
    element[:] = children


def _svg(figure: Figure, title: str, description: str) -> str:
    """Return the figure as lean SVG text with an accessible name and description."""
    buffer = io.StringIO()
    axes = figure.axes[0]
    axes.relim()  # limits from this chart's data alone (the figure is reused)
    axes.autoscale_view()
    for artist in axes.get_children():
        artist.set_clip_on(False)  # no clip paths: fewer SVG elements to draw
    figure.savefig(buffer, format="svg", metadata=METADATA)
    root = ET.fromstring(NO_ROTATION.sub("", buffer.getvalue()))
    _unwrap_groups(root)
    root.set("role", "img")
    root.set("aria-labelledby", "chart-title chart-desc")
    for index, (tag, text) in enumerate((("title", title), ("desc", description))):
        label = ET.Element(f"{{{SVG_NS}}}{tag}", id=f"chart-{tag}")
        label.text = text
        root.insert(index, label)
    return ET.tostring(root, encoding="unicode")  # no XML prolog: the SVG is embedded


def _limit_curves(funnel: Funnel) -> list[tuple[float, ...]]:
    """Return the funnel limits once per distinct unit size (limits depend on size only),
    so a curve has a few dozen vertices, not one per provider."""
    return list({row[0]: row for row in funnel.limits}.values())


def _dots(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    """Return one path of zero-length strokes, NaN-separated: with round caps each stroke
    is a dot, so hundreds of points are one SVG element instead of one each."""
    x_path: list[float] = []
    y_path: list[float] = []
    for x, y in zip(xs, ys, strict=True):
        x_path += [x, x, float("nan")]
        y_path += [y, y, float("nan")]
    return x_path, y_path


def funnel_svg(funnel: Funnel, title: str, legend: bool = True) -> str:
    """Draw the funnel plot: peers as grey dots, the user's organisation highlighted.

    ``legend=False`` (the PDF) leaves the key to the caption: text in the page is far
    cheaper to lay out than text in an SVG.
    """
    with matplotlib.rc_context(STYLE):
        figure, axes = _figure("funnel", legend)
        curves = _limit_curves(funnel)
        if curves:
            n = [row[0] for row in curves]
            for index, style in ((1, "-"), (3, ":")):  # 95% and 99.8% limits
                axes.plot(n, [row[index] for row in curves], style, color=NHS_GREY,
                          linewidth=1)
                axes.plot(n, [row[index + 1] for row in curves], style,
                          color=NHS_GREY, linewidth=1)
        if funnel.target is not None:
            axes.axhline(funnel.target, color=NHS_DARK, linestyle="--", linewidth=1)
        peers = [p for p in funnel.points if not p.own]
        own = [p for p in funnel.points if p.own]
        axes.plot(*_dots([p.n for p in peers], [p.value for p in peers]), "-",
                  color=NHS_GREY, alpha=0.7, linewidth=PEER_DOT, solid_capstyle="round",
                  zorder=3)
        if own:
            axes.plot([p.n for p in own], [p.value for p in own], "D", markersize=9,
                      color=NHS_BLUE, markeredgecolor=NHS_DARK, zorder=4)
        axes.xaxis.set_major_locator(MaxNLocator(4))  # (the trend's x axis is periods)
        axes.set_xlabel("Number of respondents")
        axes.set_ylabel(funnel.measure.short + " (adjusted)")
        handles = []
        if curves:
            handles += [Line2D([], [], color=NHS_GREY, label="95% limits"),
                        Line2D([], [], color=NHS_GREY, linestyle=":", label="99.8% limits")]
        if funnel.target is not None:
            handles.append(Line2D([], [], color=NHS_DARK, linestyle="--",
                                  label=f"Benchmark {funnel.target:.0f}"))
        handles += [
            Line2D([], [], color=NHS_GREY, marker="o", markersize=PEER_DOT, linestyle="",
                   label="Other providers"),
            Line2D([], [], color=NHS_BLUE, marker="D", markeredgecolor=NHS_DARK,
                   linestyle="", label="Your organisation"),
        ]
        if legend:
            axes.legend(handles=handles, **LEGEND)
        mine = own[0] if own else None
        where = (f"Your organisation scored {mine.value:.0f} with {mine.n} respondents, "
                 f"{mine.band or 'not banded'}." if mine else
                 "Your organisation has too few responses to be shown.")
        description = (f"Funnel plot of {len(funnel.points)} providers' {funnel.measure.label} "
                       f"against the number of respondents, with the benchmark and 95% and "
                       f"99.8% limits. {where}")
        return _svg(figure, title, description)


def trend_svg(points: Sequence[TrendPoint], title: str, measure: str,
              legend: bool = True) -> str:
    """Draw an XmR chart: values over periods, mean, process limits, special causes
    (``legend=False``: the key is in the caption, as for the funnel plot)."""
    with matplotlib.rc_context(STYLE):
        figure, axes = _figure("trend", legend)
        periods = [p.period for p in points]
        at = list(range(len(points)))  # positions, labelled with the periods
        axes.set_xticks(at, labels=periods)
        axes.plot(at, [p.value for p in points], "-", color=NHS_GREY, linewidth=1, zorder=2)
        if points:
            axes.plot(at, [p.mean for p in points], "-", color=NHS_DARK, linewidth=1)
            axes.plot(at, [p.upper for p in points], "--", color=NHS_GREY, linewidth=1)
            axes.plot(at, [p.lower for p in points], "--", color=NHS_GREY, linewidth=1)
        styles = {IMPROVEMENT: (NHS_LIGHT_BLUE, "^"), CONCERN: (NHS_ORANGE, "v")}
        for variation in dict.fromkeys(p.variation for p in points):  # in period order
            chosen = [i for i, p in enumerate(points) if p.variation == variation]
            colour, marker = styles.get(variation, (NHS_GREY, "o"))
            axes.plot(chosen, [points[i].value for i in chosen], marker,
                      color=colour, markersize=6.5, markeredgecolor=NHS_DARK,
                      markeredgewidth=0.5, zorder=3)
        axes.set_ylabel(measure + " (adjusted)")
        axes.set_xlabel("Period")
        if legend:
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
