"""The dashboard's front page: the period's headline numbers, its days, alerts and signals."""

from __future__ import annotations

from datetime import date

from . import charts
from .html import change_words, number, signed_pct, table, text
from .parts import SOURCE_NAMES, Dashboard, empty, header, unit


def render(board: Dashboard, engagement: dict, report: dict, signals: dict,
           previous: dict | None) -> str:
    parts = [header("Site analytics", "index.md", engagement), _sources(report)]
    if not engagement["available"]:
        parts.append(empty(f"No web traffic data for this period: {engagement['reason']}."))
    else:
        parts += [
            _cards(engagement, report),
            f"## Daily {unit(engagement)}",
            _daily(board, engagement, report, previous),
        ]
    parts += ["## Alerts", _alerts(report), "## Signals", _signals(signals), _downloads()]
    return "\n\n".join(parts) + "\n"


def _sources(report: dict) -> str:
    items = []
    for name, status in report["sources"].items():
        label = text(SOURCE_NAMES.get(name, name))
        state = "collected" if status["available"] else f"not available, {status['reason']}"
        items.append(f"<li>{label}: {text(state)}</li>")
    return '<ul class="analytics-sources" aria-label="Sources">' + "".join(items) + "</ul>"


def _cards(engagement: dict, report: dict) -> str:
    totals = engagement["site_totals"]
    trends = engagement["trends"]
    reasons = trends.get("reasons", {})
    cards = []
    if engagement["measure"] != "visitors":
        cards.append(card("Page views", totals["page_views"], trends["views_delta_pct"],
                          reasons.get("views_delta_pct")))
    cards.append(card("Visitors", totals["unique_visitors"], trends["visitors_delta_pct"],
                      reasons.get("visitors_delta_pct")))
    cards.append(card("Pages viewed", totals["pages"]))
    cards.append(card("Referring sites", totals["referrer_count"]))
    github = report["github_activity"]
    if github["available"]:
        cards.append(card("Commits", github["total_commits"], github["commits_delta_pct"],
                          "no previous period"))
    return '<div class="analytics-cards">' + "".join(cards) + "</div>"


def card(label: str, value, change=None, reason: str | None = None) -> str:
    """A KPI card: the number, then its change in a sign and in words (not colour alone)."""
    if reason is None and change is None:
        detail = "<span>in this period</span>"
        trend = "analytics-flat"
    else:
        trend = (
            "analytics-flat" if not change
            else "analytics-up" if change > 0 else "analytics-down"
        )
        sign = f"{text(signed_pct(change))} " if change is not None else ""
        detail = f"{sign}<span>{change_words(change, reason)}</span>"
    return (
        f'<div class="analytics-card"><p class="analytics-card-label">{text(label)}</p>'
        f'<p class="analytics-card-value">{number(value)}</p>'
        f'<p class="analytics-card-change {trend}">{detail}</p></div>'
    )


def _daily(board: Dashboard, engagement: dict, report: dict, previous: dict | None) -> str:
    rows = engagement["daily"]
    releases = _releases_by_day(report)
    labels = [
        date.fromisoformat(r["date"]).strftime("%a %d %b") + (" ★" if r["date"] in releases else "")
        for r in rows
    ]
    name = unit(engagement)
    series = [(f"{name.capitalize()}, this period", [r["views"] for r in rows])]
    before = [d[1] for d in (previous or {}).get("daily", [])]
    if len(before) == len(rows):
        series.append((f"{name.capitalize()}, previous period", before))
    if engagement["measure"] != "visitors":
        series.append(("Visitors, this period", [r["visitors"] for r in rows]))

    # A day no source knows (null: before a log's first request) is a gap, never the busiest.
    busiest = max(rows, key=lambda r: r["views"] or 0)
    description = (
        f"{name.capitalize()} per day from {rows[0]['date']} to {rows[-1]['date']}; the "
        f"busiest day was {busiest['date']} with {number(busiest['views'])}."
        + (" Days marked ★ had a release." if releases else "")
    )
    svg = charts.line("overview-daily", f"Daily {name}", description, labels, series)
    data = table(
        f"Daily {name}",
        ["Day"] + [label for label, _ in series] + (["Releases"] if releases else []),
        [
            [text(r["date"])] + [number(values[i]) for _, values in series]
            + ([text(", ".join(releases.get(r["date"], [])))] if releases else [])
            for i, r in enumerate(rows)
        ],
        numeric=set(range(1, len(series) + 1)),
    )
    return board.chart("overview-daily", svg, data)


def _releases_by_day(report: dict) -> dict[str, list[str]]:
    """Releases of the period by UTC day, from the GitHub block when it lists them."""
    days: dict[str, list[str]] = {}
    for release in report["github_activity"].get("releases") or []:
        day = (release.get("published_at") or "")[:10]
        if day:
            days.setdefault(day, []).append(f"{release.get('repository', '')} {release['tag']}")
    return days


def _alerts(report: dict) -> str:
    alerts = report["alerts"]
    if not alerts:
        return empty("No threshold was crossed in this period.")
    items = "".join(
        f'<li class="analytics-alert analytics-{text(a["severity"])}">'
        f"<strong>{text(a['severity'].capitalize())}:</strong> {text(a['message'])}</li>"
        for a in alerts
    )
    return f'<ul class="analytics-alerts">{items}</ul>'


def _signals(signals: dict) -> str:
    lines = []
    if signals["strengths"]:
        lines.append(f"<li><strong>Strength:</strong> {text(signals['strengths'][0])}</li>")
    if signals["risks"]:
        lines.append(f"<li><strong>Risk:</strong> {text(signals['risks'][0])}</li>")
    if signals["recommendations"]:
        lines.append(f"<li><strong>Next:</strong> {text(signals['recommendations'][0])}</li>")
    summary = "<ul>" + "".join(lines) + "</ul>" if lines else empty("Nothing stood out.")
    return summary + "\n\n[All weekly signals](signals.md)"


def _downloads() -> str:
    return (
        "Data of this page: [engagement-metrics.json](engagement-metrics.json) · "
        "[system-engagement-report.json](system-engagement-report.json) · "
        "[weekly-signals.json](weekly-signals.json) · "
        "[embeddable widget](widget.html) · [badge](badge.svg)"
    )
