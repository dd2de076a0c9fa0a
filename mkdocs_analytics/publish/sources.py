"""Where readers come from and what they use: referrers, campaigns, browsers, systems,
screen sizes and countries."""

from __future__ import annotations

import pycountry

from . import charts
from .html import number, table, text
from .parts import Dashboard, count, empty, header, privacy_note, row_name, unit

SECTIONS = (
    ("referrers", "Referring sites", "Site"),
    ("campaigns", "Campaigns", "Campaign"),
    ("browsers", "Browsers", "Browser"),
    ("systems", "Operating systems", "System"),
    ("screen_sizes", "Screen sizes", "Size"),
    ("countries", "Countries", "Country"),
)
CHARTED = {"referrers", "browsers", "systems", "screen_sizes", "countries"}


def render(board: Dashboard, engagement: dict, top: int) -> str:
    parts = [header("Sources", "sources.md", engagement)]
    if not engagement["available"]:
        parts.append(empty(f"No web traffic data for this period: {engagement['reason']}."))
        return "\n\n".join(parts) + "\n"
    parts.append(privacy_note(engagement))
    k = engagement["privacy"]["min_count"]
    for key, title, column in SECTIONS:
        parts += [f"## {title}", _section(board, engagement, key, title, column, top, k)]
    return "\n\n".join(parts) + "\n"


def _section(board, engagement, key, title, column, top, k) -> str:
    rows = engagement.get(key) or []
    if not rows:
        return empty(f"No {title.lower()} recorded in this period (or the source cannot tell).")
    name = "visitors" if key != "referrers" else unit(engagement)
    total = sum(r["count"] or 0 for r in rows)
    data = table(
        f"{title} by {name}",
        [column, name.capitalize(), "Share"],
        [
            [_name(key, r), count(r["count"], k),
             number(round(r["count"] / total * 100, 1) if r["count"] and total else None, "%")]
            for r in rows
        ],
        numeric={1, 2},
    )
    shown = [r for r in rows if not r.get("folded") and r["count"]][:top]
    if key not in CHARTED or not shown:
        return data
    svg = charts.bars(
        f"sources-{key}",
        f"{title} by {name}",
        f"The {len(shown)} largest {title.lower()}; first {shown[0]['name'] or '(unknown)'} "
        f"with {number(shown[0]['count'])}.",
        [(_plain(key, r), r["count"]) for r in shown],
    )
    return board.chart(f"sources-{key}", svg, data)


def _name(key: str, row: dict) -> str:
    if key == "countries" and not row.get("folded"):
        return text(_plain(key, row))
    return row_name(row)


def _plain(key: str, row: dict) -> str:
    """A row's label as plain text (charts escape it themselves)."""
    name = row["name"] or "(unknown)"
    if key == "countries":
        return country_name(name)
    return name


def country_name(code: str) -> str:
    """``NL`` → ``Netherlands``, from the ISO 3166 list; anything else as given."""
    country = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    return getattr(country, "common_name", None) or getattr(country, "name", code)
