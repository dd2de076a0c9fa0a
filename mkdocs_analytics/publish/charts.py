"""Static SVG charts: rendered by pygal at build time, then made safe to inline.

pygal always adds an inline ``<script>`` (its tooltip configuration), comments with today's
date and a random chart id. Each chart here is cleaned of all three, so a chart is plain SVG,
runs nothing, loads nothing from another host and is the same bytes for the same data. It
carries ``role="img"``, a real ``<title>`` and a ``<desc>`` that says what it shows; the page
puts a data table beside it for readers who cannot see it.

Colours are Material's CSS variables (with plain fallbacks for other themes), so a chart follows
the reader's light or dark scheme.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pygal
from pygal.style import Style

from .html import INVISIBLE

SVG_NS = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")

STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="var(--md-default-fg-color, #333)",
    foreground_strong="var(--md-default-fg-color, #111)",
    foreground_subtle="var(--md-default-fg-color--lighter, #767676)",
    opacity=".85",
    opacity_hover=".95",
    colors=(
        # Material's link colour: its primary hue, lightened where the dark scheme needs it.
        "var(--md-typeset-a-color, #4051b5)",
        "#e8710a",
        "var(--md-accent-fg-color, #526cfe)",
        "#1a7f37",
        "#a626a4",
        "#c62828",
    ),
    font_family="inherit",
    title_font_size=16,
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
)

COMMON = {
    "style": STYLE,
    "js": [],
    "disable_xml_declaration": True,
    "width": 800,
    "height": 320,
    "explicit_size": False,
    "print_values": False,
    "legend_at_bottom": True,
    "truncate_legend": -1,
    "tooltip_border_radius": 0,
    "value_formatter": lambda value: f"{value:,.0f}",
}


def line(chart_id: str, title: str, description: str, labels: list[str],
         series: list[tuple[str, list]], **options) -> str:
    """A line chart of one or more series over ``labels`` (dates, periods)."""
    # Long periods: a label on every tenth or so day, not a black band of 366 dates.
    every = max(1, -(-len(labels) // 12))
    chart = pygal.Line(
        title=_visible(title), x_labels=_labels(labels), show_dots=len(labels) <= 31,
        dots_size=3, x_labels_major_every=every, show_minor_x_labels=every == 1,
        x_label_rotation=0 if len(labels) <= 8 else 30,
        show_legend=len(series) > 1, fill=False,
        y_labels=_axis([v for _, values in series for v in values]), **{**COMMON, **options},
    )
    for name, values in series:
        chart.add(_visible(name, 60), values)
    return _clean(chart, chart_id, title, description)


def bars(chart_id: str, title: str, description: str, rows: list[tuple[str, int]],
         **options) -> str:
    """A horizontal bar chart, one bar per row, largest first as given."""
    settings = {**COMMON, "height": max(160, 70 + 28 * len(rows)), **options}
    chart = pygal.HorizontalBar(
        title=_visible(title), show_legend=False, y_labels=_axis([v for _, v in rows]), **settings
    )
    chart.x_labels = _labels([label for label, _ in rows][::-1])
    chart.add(_visible(title), [value for _, value in rows][::-1])
    return _clean(chart, chart_id, title, description)


def grouped_bars(chart_id: str, title: str, description: str, labels: list[str],
                 series: list[tuple[str, list]], **options) -> str:
    """Vertical bars: one group per label, one bar per series."""
    chart = pygal.Bar(
        title=_visible(title), x_labels=_labels(labels),
        y_labels=_axis([v for _, values in series for v in values]), **{**COMMON, **options},
    )
    for name, values in series:
        chart.add(_visible(name, 60), values)
    return _clean(chart, chart_id, title, description)


def sparkline(chart_id: str, title: str, values: list) -> str:
    """A tiny line for a table cell, drawn directly: pygal takes ~15 ms a chart, far too
    slow for one per page of a large site, and a sparkline needs no axes or legend.
    Unknown values (``None``) break the line."""
    ident = f"chart-{_slug(chart_id)}"
    width, height, pad = 100, 24, 2
    known = [v for v in values if v is not None]
    top = max(known) if known else 0
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    segments, current = [], []
    for i, value in enumerate(values):
        if value is None:
            if current:
                segments.append(current)
            current = []
            continue
        y = height - pad - (value / top * (height - 2 * pad) if top else 0)
        current.append(f"{pad + i * step:.1f},{y:.1f}")
    if current:
        segments.append(current)
    numbers = ", ".join("hidden" if v is None else f"{v:,}" for v in values)
    shapes = "".join(
        f'<polyline points="{" ".join(points)}" fill="none" stroke="currentColor" '
        f'stroke-width="1.5"/>'
        if len(points) > 1
        else f'<circle cx="{points[0].split(",")[0]}" cy="{points[0].split(",")[1]}" r="1.5" '
        f'fill="currentColor"/>'
        for points in segments
    )
    title_node = ET.Element("title", {"id": f"{ident}-title"})
    title_node.text = _visible(title)
    desc_node = ET.Element("desc", {"id": f"{ident}-desc"})
    desc_node.text = f"Oldest to newest period: {numbers}"
    return (
        f'<svg xmlns="{SVG_NS}" id="{ident}" class="analytics-sparkline" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">'
        f"{ET.tostring(title_node, encoding='unicode')}{ET.tostring(desc_node, encoding='unicode')}"
        f"{shapes}</svg>"
    )


def _clean(chart, chart_id: str, title: str, description: str) -> str:
    """Render ``chart`` as inline SVG with no script, no comment and a stable id."""
    chart.uuid = _slug(chart_id)
    root = chart.render_tree()
    _strip(root)

    ident = f"chart-{chart.uuid}"
    root.set("role", "img")
    root.set("aria-labelledby", f"{ident}-title {ident}-desc")
    for old in root.findall("title") + root.findall(f"{{{SVG_NS}}}title"):
        root.remove(old)
    title_node = ET.Element("title", {"id": f"{ident}-title"})
    title_node.text = _visible(title)
    desc_node = ET.Element("desc", {"id": f"{ident}-desc"})
    desc_node.text = _visible(description, 600)
    root.insert(0, desc_node)
    root.insert(0, title_node)

    text = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    # Several charts on one page: pygal gives every legend the same id; make them unique.
    text = text.replace('id="activate-serie-', f'id="{ident}-serie-')
    return text


def _axis(values: list) -> list[int]:
    """Whole-number axis marks from zero to the largest value, at most about six of them."""
    top = max([v for v in values if v is not None] or [0])
    if top <= 5:
        return list(range(0, max(int(top), 1) + 1))
    step = 1
    while top / step > 6:
        for factor in (2, 2.5, 2):
            step = int(step * factor)
            if top / step <= 6:
                break
    last = -(-int(top) // step) * step
    return list(range(0, last + 1, step))


def _visible(value: str, limit: int = 300) -> str:
    """Outside text for a chart: shortened, bidi and zero-width controls shown by name.

    pygal escapes markup itself; this keeps a 100 KB path or a right-to-left override in a
    label from swamping or reordering the chart.
    """
    value = INVISIBLE.sub(lambda m: f"[U+{ord(m[0]):04X}]", str(value))
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _labels(labels: list[str]) -> list[str]:
    return [_visible(label, 60) for label in labels]


def _strip(node) -> None:
    for child in list(node):
        tag = child.tag if isinstance(child.tag, str) else ""
        if child.tag is ET.Comment or tag.rsplit("}", 1)[-1] == "script":
            node.remove(child)
        else:
            _strip(child)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chart"
