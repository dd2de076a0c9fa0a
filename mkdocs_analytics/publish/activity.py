"""GitHub activity per unit: commits, pull requests, releases and stars."""

from __future__ import annotations

from . import charts
from .html import number, signed_pct, table, text
from .parts import Dashboard, empty, header

METRICS = (
    ("commits", "Commits"),
    ("prs", "Pull requests opened"),
    ("prs_merged", "Pull requests merged"),
    ("releases", "Releases"),
)


def render(board: Dashboard, engagement: dict, report: dict) -> str:
    github = report["github_activity"]
    parts = [header("Activity", "activity.md", engagement)]
    if not github["available"]:
        parts.append(empty(f"No GitHub activity for this period: {github['reason']}."))
        return "\n\n".join(parts) + "\n"
    units = github["organ_breakdown"]
    if github.get("partial"):
        parts.append(
            '<p class="analytics-note"><strong>Incomplete:</strong> '
            f"{text(github.get('reason') or 'the collection stopped early')}. Units marked "
            "“incomplete” count only the repositories that could be read.</p>"
        )
    parts += [
        _totals(github),
        "## By unit",
        _chart(board, units),
        _table(units),
    ]
    releases = github.get("releases") or []
    if releases:
        parts += ["## Releases", _releases(releases)]
    return "\n\n".join(parts) + "\n"


def _totals(github: dict) -> str:
    return (
        f"<p>In this period: {number(github['total_commits'])} commits "
        f"({text(signed_pct(github['commits_delta_pct']))}), "
        f"{number(github['total_prs'])} pull requests opened, "
        f"{number(github['total_prs_merged'])} merged, "
        f"{number(github['total_releases'])} releases; "
        f"{number(github['total_stars'])} stars in all.</p>"
    )


def _chart(board: Dashboard, units: dict) -> str:
    if not units:
        return empty("No unit is configured.")
    names = list(units)
    series = [(label, [units[n][key] for n in names]) for key, label in METRICS]
    busiest = max(names, key=lambda n: units[n]["commits"])
    svg = charts.grouped_bars(
        "activity-units",
        "GitHub activity by unit",
        f"Commits, pull requests and releases for {len(names)} units, in the configured "
        f"order; most commits: {busiest} with {number(units[busiest]['commits'])}.",
        names,
        series,
    )
    return board.chart("activity-units", svg)


def _table(units: dict) -> str:
    rows = [
        [text(name) + ("" if unit.get("complete", True) else " <em>(incomplete)</em>")]
        + [number(unit[key]) for key, _ in METRICS]
        + [number(unit.get("stars")), text(_gain(unit.get("stars_gained")))]
        for name, unit in units.items()
    ]
    return table(
        "Activity per unit in this period",
        ["Unit"] + [label for _, label in METRICS] + ["Stars", "Stars gained"],
        rows,
        numeric=set(range(1, len(METRICS) + 3)),
    )


def _gain(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:+,}"


def _releases(releases: list[dict]) -> str:
    rows = [
        [text((r.get("published_at") or "")[:10]), text(r.get("repository", "")), text(r["tag"])]
        for r in releases
    ]
    return table("Releases published in this period", ["Day", "Repository", "Tag"], rows)
