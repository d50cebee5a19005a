"""A provider's benchmark report as an A4 PDF (WeasyPrint), with no network access.

The HTML is self-contained: the stylesheet is inlined and every chart is an SVG data: URI.
The URL fetcher allows only ``data:`` URLs and fails the render on anything else, so a
report can never fetch from the network (or the file system) while rendering; fonts come
from the machine through fontconfig. The PDF is tagged for assistive technology.
"""

from __future__ import annotations

import base64
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from survey_app.reports.charts import funnel_svg, trend_svg
from survey_app.reports.formatting import FILTERS
from survey_app.results.measures import PUBLISHING
from survey_app.results.report import ProviderReport

TEMPLATE = "reports/report.html"
SHARED_CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "results.css"
_renders = 0  # renders under way in this process (threads in the portal)
_renders_lock = threading.Lock()
_collector_was_enabled = True


@dataclass(frozen=True)
class PathwayCharts:
    """One pathway's charts as data: URIs (no funnel plot without a provider to plot, no
    trend chart without trend points)."""

    funnel: str | None
    trend: str | None


@cache
def environment() -> Environment:
    """Return the report's Jinja environment (the app's templates folder, our filters).

    Built without Flask so that report worker processes need no app context.
    """
    env = Environment(
        loader=PackageLoader("survey_app", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.globals["publishing"] = PUBLISHING
    return env


def data_uri(svg: str) -> str:
    """Return an SVG document as a base64 data: URI."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def charts_for(report: ProviderReport) -> dict[str, PathwayCharts]:
    """Draw every pathway's funnel plot and XmR chart, where it has one."""
    charts = {}
    for pathway in report.pathways:
        title = f"{pathway.name}, {pathway.period}"
        trend = trend_svg(pathway.trend, f"Trend: {pathway.name}",
                          pathway.funnel.measure.short, legend=False) if pathway.trend else None
        funnel = funnel_svg(pathway.funnel, f"Funnel plot: {title}", legend=False) \
            if pathway.funnel.points else None
        charts[pathway.pathway] = PathwayCharts(
            funnel=data_uri(funnel) if funnel else None,
            trend=data_uri(trend) if trend else None,
        )
    return charts


def report_html(report: ProviderReport) -> str:
    """Return the report as one self-contained HTML document."""
    return environment().get_template(TEMPLATE).render(
        report=report, charts=charts_for(report), shared_css=shared_css()
    )


@cache
def shared_css() -> str:
    """Return the portal's results stylesheet, inlined so tables look the same in print."""
    return SHARED_CSS.read_text(encoding="utf-8")


def offline_fetcher() -> URLFetcher:
    """Return a fetcher that allows only inline ``data:`` URLs and fails on anything else."""
    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a report renders, then collect once.

    WeasyPrint allocates hundreds of thousands of boxes; the collector would otherwise
    rescan them, and the big benchmark bundle in the same process, dozens of times per
    report (about a third of the render time), to free almost nothing until the end.
    """
    global _renders, _collector_was_enabled
    with _renders_lock:
        if _renders == 0:
            _collector_was_enabled = gc.isenabled()
        _renders += 1
        gc.disable()
    try:
        yield
    finally:
        with _renders_lock:
            _renders -= 1
            if _renders == 0 and _collector_was_enabled:
                gc.enable()
        gc.collect(0)  # what the render left is all in the youngest generation


def html_to_pdf(html: str) -> bytes:
    """Render HTML to a tagged A4 PDF without touching the network."""
    with collector_paused():
        return HTML(string=html, url_fetcher=offline_fetcher()).write_pdf(pdf_tags=True)


def report_pdf(report: ProviderReport) -> bytes:
    """Return the report as PDF bytes (charts drawn with the collector paused too)."""
    with collector_paused():
        return html_to_pdf(report_html(report))
