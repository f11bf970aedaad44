"""The pages' charts: SVG drawn on the server by pygal, shown as ``<img src="data:...">``.

pygal (a maintained SVG charting library, pure Python) rather than hand-built SVG: axes, scales,
legends and labels are its job. Its SVG carries its own ``<style>`` and, by default, a script
from pygal's site; as an image (a data: URL, which the CSP's ``img-src 'self' data:`` allows)
the SVG runs no script and fetches nothing, and its styles do not meet the page's policy. The
script is turned off all the same. Every chart has a table beside it with the same figures:
the image's alt text says what it shows and points to the table.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import pygal
from pygal.style import Style

# Dark enough on white for text (WCAG AA), told apart by line style as well as colour.
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1b1f24",
    foreground_strong="#1b1f24",
    foreground_subtle="#4a5361",
    colors=("#0b5cad", "#a4161a", "#1e6b34", "#6b3fa0"),
    font_family="system-ui, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    title_font_size=15,
)
COMMON: dict[str, Any] = {
    "style": STYLE,
    "js": [],  # no script (an image runs none anyway, and nothing is fetched)
    "width": 640,
    "height": 300,
    "show_legend": True,
    "legend_at_bottom": True,
    "truncate_legend": -1,
    "dots_size": 5,
    "print_values": False,
}


def data_url(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def when_as_date(when: str) -> date:
    """A LevelAt's ``when``: a date (an observation) or a school year (a self-assessment), which
    is placed on 1 October of its first calendar year, when self-assessments are usually done."""
    if len(when) == 7 and when[4] == "-":  # 2025-26
        return date(int(when[:4]), 10, 1)
    return date.fromisoformat(when[:10])


def levels_over_time(item: dict[str, Any], levels: list[dict[str, Any]]) -> str:
    """One element's self and observed levels over time (a line each, observed dashed)."""
    chart = pygal.DateLine(
        **COMMON,
        range=(1, max(len(levels), 2)),
        y_labels=[level["position"] for level in levels],
        x_label_rotation=30,
        truncate_label=-1,
        x_value_formatter=lambda d: d.strftime("%b %Y"),
        value_formatter=lambda v: _label(levels, v),
        show_y_guides=True,
        allow_interruptions=False,
    )
    chart.y_labels_major_every = 1
    chart.config.value_formatter = lambda v: _label(levels, v)
    chart.x_labels = sorted(
        {when_as_date(p["when"]) for p in item["selfLevels"] + item["observedLevels"]}
    )
    for title, points, dashed in (
        ("Self-assessment", item["selfLevels"], False),
        ("Observed", item["observedLevels"], True),
    ):
        series = sorted((when_as_date(p["when"]), p["level"]["position"]) for p in points)
        stroke = {"width": 3, "dasharray": "8, 5"} if dashed else {"width": 3}
        chart.add(title, series, stroke_style=stroke)
    return data_url(chart.render())


def _label(levels: list[dict[str, Any]], value: float | None) -> str:
    for level in levels:
        if value is not None and level["position"] == round(value):
            return str(level["label"])
    return "" if value is None else str(value)


def hours_by_year(rows: list[dict[str, Any]]) -> str:
    """Training hours per school year, a bar each."""
    chart = pygal.Bar(**{**COMMON, "show_legend": False}, y_title="Hours")
    chart.x_labels = [row["schoolYear"] for row in rows]
    chart.add("Training hours", [row["hours"] for row in rows])
    return data_url(chart.render())
