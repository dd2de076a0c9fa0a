"""Every page: views, visitors, change and a sparkline; pages nobody visited; missing pages."""

from __future__ import annotations

from . import charts
from .html import number, plural, signed_pct, table, text
from .parts import Dashboard, count, empty, header, privacy_note, row_name, unit


def render(board: Dashboard, engagement: dict, top: int = 10) -> str:
    parts = [header("Pages", "pages.md", engagement)]
    if not engagement["available"]:
        parts.append(empty(f"No web traffic data for this period: {engagement['reason']}."))
        return "\n\n".join(parts) + "\n"
    k = engagement["privacy"]["min_count"]
    parts += [
        privacy_note(engagement),
        "## Most viewed",
        _top_chart(board, engagement, top),
        "## Every page",
        _table(board, engagement, k),
        "## Published pages with no view",
        _unvisited(engagement),
        "## Requested but missing (404)",
        _missing(engagement, k),
    ]
    return "\n\n".join(parts) + "\n"


def _top_chart(board: Dashboard, engagement: dict, count: int) -> str:
    top = [p for p in engagement["pages"] if not p.get("folded") and p["views"]][:count]
    if not top:
        return empty("No page reached the count shown on public pages.")
    name = unit(engagement)
    svg = charts.bars(
        "pages-top",
        f"Most viewed pages by {name}",
        f"The {len(top)} pages with the most {name}; first {top[0]['path']} "
        f"with {number(top[0]['views'])}.",
        [(p["path"], p["views"]) for p in top],
    )
    return board.chart("pages-top", svg)


def _table(board: Dashboard, engagement: dict, k: int) -> str:
    pages = engagement["pages"]
    if not pages:
        return empty("No page was viewed in this period.")
    # Change and trend need earlier periods; without any, say so once, not on every row.
    history = any(len(page["sparkline"]) > 1 for page in pages)
    headers = ["Page", unit(engagement).capitalize(), "Visitors", "Share"]
    if history:
        headers += ["Change", "Trend"]
    rows = []
    for index, page in enumerate(pages):
        row = [
            _label(page),
            count(page["views"], k),
            count(page["unique_visitors"], k),
            number(page["share_pct"], "%"),
        ]
        if history:
            row += [
                text(signed_pct(page["views_delta_pct"], page["views_delta_reason"] or "n/a")),
                _spark(board, engagement, index, page),
            ]
        rows.append(row)
    caption = f"All {plural(len(pages), 'row')}, most viewed first"
    if not history:
        caption += " (no earlier period to compare with yet)"
    return table(caption, headers, rows, numeric={1, 2, 3})


def _spark(board: Dashboard, engagement: dict, index: int, page: dict) -> str:
    if page.get("folded") or len(page["sparkline"]) < 2:
        return ""
    title = f"{unit(engagement).capitalize()} of {page['path']} over the last periods"
    return board.inline(f"spark-{index}", charts.sparkline(f"spark-{index}", title,
                                                            page["sparkline"]))


def _label(page: dict) -> str:
    if page.get("folded"):
        return f"<em>{text(page['title'])}</em>"
    path = f"<code>{text(page['path'])}</code>"
    return f"{text(page['title'])}<br>{path}" if page.get("title") else path


def _unvisited(engagement: dict) -> str:
    pages = engagement.get("unvisited_pages")
    if pages is None:
        return empty("The site's own pages are not known to this run.")
    if not pages:
        return empty("Every published page was viewed at least once.")
    rows = [[text(p["title"]), f"<code>{text(p['path'])}</code>"] for p in pages]
    return table(f"{len(pages)} published pages without a view", ["Title", "Path"], rows)


def _missing(engagement: dict, k: int) -> str:
    rows = engagement.get("not_found") or []
    if not rows:
        return empty("No request for a missing page was recorded (or the source cannot tell).")
    return table(
        "Paths requested that the server did not have",
        ["Path", "Requests"],
        [[row_name(r), count(r["count"], k)] for r in rows],
        numeric={1},
    )
