"""The dashboard pages, rendered from the artifacts alone.

Each page is Markdown with HTML blocks for cards and tables. Charts are not in the Markdown:
the page holds a placeholder comment and the plugin swaps the SVG in after the search index
has been built, so axis labels never pollute search results.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from .. import signals as signal_text
from . import charts
from .html import change_words, number, signed_pct, table, text

CHART_MARK = "<!-- analytics-chart:{} -->"

SOURCE_NAMES = {"access_log": "Access logs", "goatcounter": "GoatCounter", "github": "GitHub"}


@dataclass
class Dashboard:
    """What publication adds to the site: pages (Markdown), charts (SVG) and plain files."""

    pages: dict[str, str] = field(default_factory=dict)
    charts: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def chart(self, key: str, svg: str, data_table: str) -> str:
        """Register a chart; return the Markdown that stands for it and its data table."""
        self.charts[key] = svg
        return (
            f'<figure class="analytics-chart">\n{CHART_MARK.format(key)}\n'
            f"<details><summary>Data table</summary>{data_table}</details></figure>"
        )


def build(engagement: dict, report: dict, signals: dict, folder: str, top: int = 10) -> Dashboard:
    """All dashboard files for the artifacts, under ``folder`` (``analytics/``)."""
    board = Dashboard()
    board.pages[folder + "index.md"] = overview(board, engagement, report, top)
    board.pages[folder + "signals.md"] = signals_page(signals)
    for name, data in (
        ("engagement-metrics.json", engagement),
        ("system-engagement-report.json", report),
        ("weekly-signals.json", signals),
    ):
        board.files[folder + name] = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return board


# Pages -----------------------------------------------------------------------------------


def overview(board: Dashboard, engagement: dict, report: dict, top: int) -> str:
    parts = [
        _front_matter("Site analytics"),
        "# Site analytics\n",
        _period_line(engagement),
        _sources_line(report),
    ]
    if not engagement["available"]:
        parts.append(
            '<p class="analytics-empty">No web traffic data for this period: '
            f"{text(engagement['reason'])}.</p>"
        )
    else:
        parts += [
            _cards(engagement),
            "## Daily " + _unit(engagement) + "\n",
            _daily_chart(board, engagement),
            "## Top pages\n",
            _top_pages(engagement, top),
            "## Top referrers\n",
            _top_referrers(board, engagement, top),
        ]
    parts += ["## Alerts\n", _alerts(report)]
    return "\n\n".join(parts) + "\n"


def _front_matter(title: str) -> str:
    # Material reads ``search: exclude``; the charts are added after indexing anyway.
    return f"---\ntitle: {json.dumps(title)}\nsearch:\n  exclude: true\n---"


def _unit(engagement: dict) -> str:
    return "visitors" if engagement["measure"] == "visitors" else "page views"


def _period_line(engagement: dict) -> str:
    period = engagement["period"]
    start = date.fromisoformat(period["start"])
    end = date.fromisoformat(period["end"])
    return (
        f'<p class="analytics-period">Period: <time datetime="{period["start"]}">'
        f'{start:%d %b %Y}</time> to <time datetime="{period["end"]}">{end:%d %b %Y}</time> '
        f"({period['days']} days, UTC).</p>"
    )


def _sources_line(report: dict) -> str:
    items = []
    for name, status in report["sources"].items():
        label = SOURCE_NAMES.get(name, name)
        if status["available"]:
            items.append(f"<li>{text(label)}: collected</li>")
        else:
            items.append(f"<li>{text(label)}: not available, {text(status['reason'])}</li>")
    return '<ul class="analytics-sources">' + "".join(items) + "</ul>"


def _cards(engagement: dict) -> str:
    totals = engagement["site_totals"]
    trends = engagement["trends"]
    reasons = trends.get("reasons", {})
    visitor_only = engagement["measure"] == "visitors"
    cards = []
    if not visitor_only:
        cards.append(
            _card("Page views", totals["page_views"], trends["views_delta_pct"],
                  reasons.get("views_delta_pct"))
        )
    cards.append(
        _card("Visitors", totals["unique_visitors"], trends["visitors_delta_pct"],
              reasons.get("visitors_delta_pct"))
    )
    cards.append(_card("Pages viewed", totals["pages"], None, "count for this period"))
    cards.append(_card("Referring sites", totals["referrer_count"], None, "count for this period"))
    return '<div class="analytics-cards">' + "".join(cards) + "</div>"


def _card(label: str, value, change, reason) -> str:
    trend = _trend_class(change)
    return (
        f'<div class="analytics-card"><p class="analytics-card-label">{text(label)}</p>'
        f'<p class="analytics-card-value">{number(value)}</p>'
        f'<p class="analytics-card-change {trend}">'
        f"{text(signed_pct(change, '')) + ' ' if change is not None else ''}"
        f"<span>{change_words(change, reason)}</span></p></div>"
    )


def _trend_class(change) -> str:
    if change is None or change == 0:
        return "analytics-flat"
    return "analytics-up" if change > 0 else "analytics-down"


def _daily_chart(board: Dashboard, engagement: dict) -> str:
    rows = engagement["daily"]
    labels = [date.fromisoformat(row["date"]).strftime("%a %d %b") for row in rows]
    unit = _unit(engagement)
    series = [("Visitors", [row["visitors"] for row in rows])]
    if engagement["measure"] != "visitors":
        series.insert(0, ("Page views", [row["views"] for row in rows]))
    peak = max(rows, key=lambda row: row["views"]) if rows else None
    description = (
        f"{unit.capitalize()} per day from {rows[0]['date']} to {rows[-1]['date']}; "
        f"busiest day {peak['date']} with {number(peak['views'])}."
        if rows else "No days in this period."
    )
    svg = charts.line("daily", f"Daily {unit}", description, labels, series)
    data = table(
        f"Daily {unit}",
        ["Day"] + [name for name, _ in series],
        [[text(row["date"])] + [number(values[i]) for _, values in series]
         for i, row in enumerate(rows)],
        numeric={1, 2},
    )
    return board.chart("daily", svg, data)


def _top_pages(engagement: dict, top: int) -> str:
    pages = engagement["pages"][:top]
    if not pages:
        return '<p class="analytics-empty">No page was viewed in this period.</p>'
    unit = _unit(engagement).capitalize()
    headers = ["Page", unit, "Visitors", "Share"]
    rows = [
        [
            _page_label(page),
            number(page["views"]),
            number(page["unique_visitors"]),
            number(page["share_pct"], "%"),
        ]
        for page in pages
    ]
    caption = f"The {len(pages)} most viewed pages of {len(engagement['pages'])}"
    # Without a previous period every change is unknown: say so once, not on every row.
    if any(page["previous_views"] is not None for page in pages):
        headers.append("Change")
        for row, page in zip(rows, pages, strict=True):
            row.append(text(signed_pct(page["views_delta_pct"], page["views_delta_reason"])))
    else:
        caption += " (no previous period to compare with)"
    return table(caption, headers, rows, numeric={1, 2, 3, 4})


def _page_label(page: dict) -> str:
    path = f"<code>{text(page['path'])}</code>"
    return f"{text(page['title'])}<br>{path}" if page.get("title") else path


def _top_referrers(board: Dashboard, engagement: dict, top: int) -> str:
    referrers = engagement["referrers"][:top]
    if not referrers:
        return '<p class="analytics-empty">No visit came from another site in this period.</p>'
    unit = _unit(engagement)
    total = engagement["site_totals"]["page_views"] or engagement["site_totals"]["unique_visitors"]
    rows = [
        [text(r["name"]), number(r["count"]),
         number(round(r["count"] / total * 100, 1) if total else None, "%")]
        for r in referrers
    ]
    svg = charts.bars(
        "referrers",
        "Top referring sites",
        f"The {len(referrers)} sites that sent the most {unit}; "
        f"first {referrers[0]['name']} with {number(referrers[0]['count'])}.",
        [(r["name"], r["count"]) for r in referrers],
    )
    data = table("Top referring sites", ["Site", unit.capitalize(), "Share of all"], rows,
                 numeric={1, 2})
    return board.chart("referrers", svg, data)


def _alerts(report: dict) -> str:
    alerts = report["alerts"]
    if not alerts:
        return '<p class="analytics-empty">No threshold was crossed in this period.</p>'
    items = "".join(
        f'<li class="analytics-alert analytics-{text(a["severity"])}">'
        f"<strong>{text(a['severity'].capitalize())}:</strong> {text(a['message'])}</li>"
        for a in alerts
    )
    return f'<ul class="analytics-alerts">{items}</ul>'


def signals_page(signals: dict) -> str:
    weekly = signals["period"]["days"] == 7
    title = "Weekly signals" if weekly else "Signals"
    kpis = "".join(
        f"<li>{text(k['label'])}: {text(signal_text.format_kpi(k, weekly))}</li>"
        for k in signals["kpis"]
    )
    parts = [
        _front_matter(title),
        f"# {title}\n",
        f'<ul class="analytics-kpis">{kpis}</ul>',
        "## Strengths\n",
        _items(signals["strengths"], "No rule marked a strength this period."),
        "## Risks\n",
        _items(signals["risks"], "No risk rule fired this period."),
        "## Recommendations\n",
        _items(signals["recommendations"], "Nothing to change: keep going."),
    ]
    if signals["outcomes"]:
        rows = [
            [
                text(o["description"] or o["name"]),
                number(o["current"]),
                number(o["target"]),
                number(o["progress_pct"], "%"),
            ]
            for o in signals["outcomes"]
        ]
        parts += [
            "## Outcome KPIs\n",
            table("Manual outcome KPIs against their targets",
                  ["KPI", "Current", "Target", "Progress"], rows, numeric={1, 2, 3}),
        ]
    return "\n\n".join(parts) + "\n"


def _items(items: list[str], empty: str) -> str:
    if not items:
        return f'<p class="analytics-empty">{text(empty)}</p>'
    return "<ul>" + "".join(f"<li>{text(item)}</li>" for item in items) + "</ul>"
