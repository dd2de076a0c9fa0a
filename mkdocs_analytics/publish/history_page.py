"""The last periods side by side: the main numbers over time."""

from __future__ import annotations

from . import charts
from .html import number, plural, signed_pct, table, text
from .parts import Dashboard, empty, header, unit


def render(board: Dashboard, engagement: dict, series: list[dict]) -> str:
    """``series``: history snapshots, oldest first, the current period last."""
    parts = [header("History", "history.md", engagement)]
    if not series:
        return "\n\n".join(parts + [empty("No period is in the history yet.")]) + "\n"
    name = unit(engagement)
    labels = [s["period"]["start"][5:] + "–" + s["period"]["end"][5:] for s in series]
    views = [_web(s, "views") for s in series]
    visitors = [_web(s, "visitors") for s in series]
    commits = [(s.get("github") or {}).get("total_commits") for s in series]

    lines = [(name.capitalize(), views)]
    if engagement.get("measure") != "visitors":
        lines.append(("Visitors", visitors))
    svg = charts.line(
        "history-traffic",
        f"{name.capitalize()} per period",
        f"{name.capitalize()} in each of the last {plural(len(series), 'period')}, oldest "
        "first; "
        f"the latest period had {number(views[-1])}.",
        labels,
        lines,
    )
    rows = []
    for i, snapshot in enumerate(series):
        before = views[i - 1] if i else None
        change = (
            round((views[i] - before) / before * 100, 1)
            if views[i] is not None and before else None
        )
        rows.append(
            [
                text(snapshot["period"]["start"] + " to " + snapshot["period"]["end"]),
                number(views[i]),
                number(visitors[i]),
                text(signed_pct(change, "n/a")),
                number(commits[i]),
                number(len(snapshot.get("alerts", []))),
            ]
        )
    data = table(
        f"The last {plural(len(series), 'period')}",
        ["Period", name.capitalize(), "Visitors", "Change", "Commits", "Alerts"],
        rows,
        numeric={1, 2, 3, 4, 5},
    )
    parts += [
        "## Traffic over time",
        board.chart("history-traffic", svg, data),
        "Periods without web data are left as gaps, never drawn as zero.",
    ]
    return "\n\n".join(parts) + "\n"


def _web(snapshot: dict, key: str):
    web = snapshot.get("web") or {}
    return web.get(key) if web.get("available") else None
