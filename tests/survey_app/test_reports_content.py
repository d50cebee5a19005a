"""What keeps the PDF report quick: one question table across pathways, lean charts and
the garbage collector paused while rendering, figures reused without leaking."""

from __future__ import annotations

import gc
import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace

from survey_app.reports.charts import funnel_svg, trend_svg
from survey_app.reports.pdf import collector_paused, html_to_pdf
from survey_app.results.measures import Measure
from survey_app.results.report import question_tables
from survey_app.results.views import Funnel, FunnelPoint, TrendPoint


def pathway(code: str, top_boxes: list[object]) -> SimpleNamespace:
    """A pathway's results as the report reads them: code, name and item rows."""
    items = [
        {"instrument": "ctm15", "item_id": f"q{i + 1}", "label": f"Q{i + 1} Words",
         "top_box": value, "benchmark_top_box": 0.5, "reverse": False}
        for i, value in enumerate(top_boxes)
    ]
    return SimpleNamespace(pathway=code, name=code.capitalize(), items=items)


def test_question_tables_put_pathways_side_by_side_and_keep_suppressed_cells() -> None:
    pathways = [pathway(f"p{i}", [0.61, "*", None]) for i in range(8)]
    tables = question_tables(pathways, per_table=5)  # type: ignore[arg-type]
    assert [t.pathways for t in tables] == [["P0", "P1", "P2", "P3"], ["P4", "P5", "P6", "P7"]]
    first = tables[0].rows
    assert [row.label for row in first] == ["Q1 Words", "Q2 Words", "Q3 Words"]
    assert first[0].cells == [(0.61, 0.5)] * 4
    assert first[1].cells == [("*", 0.5)] * 4 and first[2].cells == [(None, 0.5)] * 4


def test_a_question_missing_from_one_pathway_is_an_empty_cell() -> None:
    both = [pathway("a", [0.7, 0.8]), pathway("b", [0.6])]
    tables = question_tables(both)  # type: ignore[arg-type]
    assert tables[0].rows[1].cells == [(0.8, 0.5), (None, None)]
    assert question_tables([]) == []


def funnel_of(providers: int) -> Funnel:
    """A funnel plot of ``providers`` units, the first one ours."""
    points = [FunnelPoint(f"Provider {i}", 30 + i % 40, 50 + i % 30, "as expected", i == 0)
              for i in range(providers)]
    limits = sorted((float(p.n), 30.0, 70.0, 20.0, 80.0) for p in points)
    return Funnel(Measure("ctm15", "CTM-15 score", "CTM-15"), 52.0, points, limits, 0)


def test_funnel_svg_size_does_not_grow_with_the_number_of_providers() -> None:
    small, large = funnel_svg(funnel_of(20), "Few"), funnel_svg(funnel_of(500), "Many")
    elements = [len(re.findall(r"<[a-z]", svg)) for svg in (small, large)]
    assert abs(elements[1] - elements[0]) <= 10, elements  # peers: one path, not one mark each
    assert "clip-path" not in large and "<metadata" not in large
    root = ET.fromstring(large)
    assert root.get("role") == "img" and root[0].text == "Many"  # the accessible name
    assert "<g" not in large, "matplotlib's id-only wrapper groups are unwrapped"


def test_the_collector_is_paused_while_rendering_and_restored_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        with collector_paused():  # a report's charts inside its render
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    assert html_to_pdf("<p>Report</p>").startswith(b"%PDF") and gc.isenabled()


def trend_of(periods: int, shift: float) -> list[TrendPoint]:
    """An XmR chart's points over ``periods`` quarters, the last one a concern."""
    return [TrendPoint(f"2025-Q{i + 1}", 60 + shift + i, 62 + shift, 50 + shift, 74 + shift,
                       "concern" if i == periods - 1 else "common cause", "")
            for i in range(periods)]


def test_a_reused_figure_draws_each_chart_as_if_it_were_the_first() -> None:
    first = funnel_svg(funnel_of(20), "A", legend=False)
    funnel_svg(Funnel(Measure("i", "I statements score", "I statements"), None, [], [], 0),
               "Empty", legend=False)
    funnel_svg(funnel_of(400), "B", legend=False)
    assert funnel_svg(funnel_of(20), "A", legend=False) == first
    first = trend_svg(trend_of(3, 0), "A", "CTM-15")
    wider = trend_svg(trend_of(4, 20), "B", "CTM-15")
    assert trend_svg(trend_of(3, 0), "A", "CTM-15") == first
    assert "2025-Q4" in wider and "2025-Q4" not in first  # the periods are the new ones
