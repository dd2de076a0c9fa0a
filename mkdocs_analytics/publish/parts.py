"""Pieces every dashboard page is made of: the page collector, front matter, headers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from .html import number, plural, text

CHART_MARK = "<!-- analytics-chart:{} -->"

SOURCE_NAMES = {
    "access_log": "Access logs",
    "goatcounter_export": "GoatCounter export",
    "daily_csv": "Daily counts CSV",
    "goatcounter": "GoatCounter",
    "github": "GitHub",
}

# The dashboard's pages: file name, title in the page and in the local navigation.
PAGES = (
    ("index.md", "Overview"),
    ("pages.md", "Pages"),
    ("sources.md", "Sources"),
    ("activity.md", "Activity"),
    ("history.md", "History"),
    ("signals.md", "Signals"),
)


@dataclass
class Dashboard:
    """What publication adds to the site: pages (Markdown), charts (SVG) and plain files."""

    pages: dict[str, str] = field(default_factory=dict)
    charts: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    # The folded engagement metrics every published surface is made from.
    public: dict = field(default_factory=dict)

    def chart(self, key: str, svg: str, data_table: str = "") -> str:
        """Register a chart; return the Markdown that stands for it and its data table.

        The SVG itself is put in after the search index is built (see the plugin), so its
        axis labels never show up in search results.
        """
        self.charts[key] = svg
        table_part = (
            f"<details><summary>Data table</summary>{data_table}</details>" if data_table else ""
        )
        return f'<figure class="analytics-chart">\n{CHART_MARK.format(key)}\n{table_part}</figure>'

    def inline(self, key: str, svg: str) -> str:
        """Register a small chart (a sparkline) that sits inside a table cell."""
        self.charts[key] = svg
        return CHART_MARK.format(key)


def front_matter(title: str) -> str:
    # Material reads ``search: exclude``; charts are added after indexing in any theme.
    return f"---\ntitle: {json.dumps(title)}\nsearch:\n  exclude: true\n---"


def header(title: str, current: str, engagement: dict) -> str:
    """Front matter, the page heading, the local navigation and the period."""
    links = " · ".join(
        f"**{label}**" if name == current else f"[{label}]({name})" for name, label in PAGES
    )
    return "\n\n".join(
        [
            front_matter(title),
            f"# {title}",
            links,
            period_line(engagement),
        ]
    )


def period_line(engagement: dict) -> str:
    period = engagement["period"]
    start = date.fromisoformat(period["start"])
    end = date.fromisoformat(period["end"])
    sources = ", ".join(
        SOURCE_NAMES.get(name, name).lower() for name in engagement.get("counted_from") or []
    )
    counted = {
        "page_views": f"Counts are page views, from {sources}.",
        "visitors": f"Counts are visitors as GoatCounter counts them (not page views), "
                    f"from {sources}.",
    }.get(engagement.get("measure"), "")
    return (
        f'<p class="analytics-period">Period: <time datetime="{period["start"]}">'
        f'{start:%d %b %Y}</time> to <time datetime="{period["end"]}">{end:%d %b %Y}</time> '
        f"({plural(period['days'], 'day')}, UTC). {counted}</p>"
    )


def unit(engagement: dict) -> str:
    return "visitors" if engagement.get("measure") == "visitors" else "page views"


def empty(message: str) -> str:
    return f'<p class="analytics-empty">{text(message)}</p>'


def privacy_note(engagement: dict) -> str:
    k = (engagement.get("privacy") or {}).get("min_count", 1)
    if k <= 1:
        return ""
    return (
        f'<p class="analytics-note">Rows with fewer than {number(k)} are folded into '
        "“(other)” on these public pages, so no small count can point at a person.</p>"
    )


def row_name(row: dict) -> str:
    if row.get("folded"):
        return f"<em>{text(row['name'])}: {number(row['folded'])} rows</em>"
    return text(row["name"]) if row["name"] else "<em>(unknown)</em>"


def count(value, k: int = 1) -> str:
    """A count for a public table: a hidden small count reads "fewer than k"."""
    if value is None:
        return f"fewer than {k}" if k > 1 else "n/a"
    return number(value)
