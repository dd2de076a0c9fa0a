"""Small counts on public pages: what the built site may show, and what it must fold away.

A count below ``min_count`` can point at a person (the one visitor who came from a private
wiki, the two who run an unusual browser). Every surface published in the site (pages,
charts, tables, widget, badge and the JSON copies) is made from the artifacts this module
returns, in which:

- a row of a list (pages, referrers, browsers, ...) below ``min_count`` is folded into one
  ``(other)`` row that says how many rows it holds;
- the folded rows can never be worked out from what is shown: ``(other)`` always holds at
  least two rows and at least ``min_count`` in total, and when it would not, the smallest
  shown rows join it (secondary suppression); a list whose whole total is below
  ``min_count`` shows nothing but that it is small;
- a small number inside a shown row (a page's visitors, a past value in its sparkline, its
  previous period) is hidden as ``null``, with the delta that would reveal it.

The exact numbers stay in the repository's ``data/`` folder; only the built site is folded.
``min_count: 1`` turns all of this off.
"""

from __future__ import annotations

import copy

from ..records import BREAKDOWNS

OTHER = "(other)"
LISTS = (*BREAKDOWNS, "not_found")


def fold_rows(rows: list[dict], k: int, count: str = "count") -> tuple[list[dict], list[dict]]:
    """Split ``rows`` into those shown and those folded into ``(other)``, each list in the
    order given; ``count`` names the number judged (the people a row stands for)."""
    folded = [row for row in rows if (row[count] or 0) < k]
    if not folded:
        return list(rows), []
    shown = [row for row in rows if (row[count] or 0) >= k]
    # The folded rest must hide each of its rows: at least two of them, and k in total.
    # The smallest shown rows join it until it does.
    while shown and (len(folded) < 2 or sum(r[count] or 0 for r in folded) < k):
        smallest = min(shown, key=lambda row: row[count] or 0)
        shown.remove(smallest)
        folded.append(smallest)
    keep = {id(row) for row in folded}
    return [r for r in rows if id(r) not in keep], [r for r in rows if id(r) in keep]


def _other(folded: list[dict], k: int, count: str = "count") -> dict:
    total = sum(row[count] for row in folded)
    hidden = len(folded) < 2 or total < k
    return {"name": OTHER, count: None if hidden else total, "folded": len(folded)}


def fold(rows: list[dict], k: int) -> list[dict]:
    """A ``{"name", "count"}`` list with its small rows folded."""
    shown, folded = fold_rows(rows, k)
    return shown + ([_other(folded, k)] if folded else [])


def _small(value, k: int) -> bool:
    return value is not None and 0 < value < k


def public_engagement(engagement: dict, k: int) -> dict:
    """``engagement-metrics.json`` as the built site may publish it."""
    data = copy.deepcopy(engagement)
    data["privacy"] = {"min_count": k, "folded_into": OTHER}
    if k <= 1 or not data["available"]:
        return data
    for name in LISTS:
        data[name] = fold(data[name], k)
    data["pages"] = _public_pages(data["pages"], k, data["site_totals"]["page_views"])

    trends = data["trends"]
    top = engagement["referrers"][0] if engagement["referrers"] else None
    shown = data["referrers"][0] if data["referrers"] else None
    if top and (shown is None or shown.get("folded")):
        # The top referrer was folded away: its name and share would give its count away.
        trends["top_referrer"] = None
        trends["max_referrer_share_pct"] = None
        trends["reasons"]["max_referrer_share_pct"] = f"hidden: fewer than {k}"
    return data


def _public_pages(pages: list[dict], k: int, total) -> list[dict]:
    # Pages fold by their visitors, not their views: six views by one reader are one person.
    shown, folded = fold_rows(pages, k, count="unique_visitors")
    for page in shown:
        if _small(page["unique_visitors"], k):
            page["unique_visitors"] = None
        if _small(page["previous_views"], k):
            page["previous_views"] = None
            page["views_delta_pct"] = None
            page["views_delta_reason"] = f"hidden: fewer than {k}"
        page["sparkline"] = [None if _small(v, k) else v for v in page["sparkline"]]
    if folded:
        views = sum(page["views"] for page in folded)
        readers = sum(page["unique_visitors"] or 0 for page in folded)
        hidden = len(folded) < 2 or readers < k
        shown.append(
            {
                "path": OTHER,
                "title": f"{len(folded)} pages folded together, so that no page read by "
                         f"fewer than {k} visitors shows",
                "views": None if hidden else views,
                "unique_visitors": None,
                "share_pct": None if hidden or not total else round(views / total * 100, 1),
                "previous_views": None,
                "views_delta_pct": None,
                "views_delta_reason": "folded",
                "sparkline": [None if hidden else views],
                "folded": len(folded),
            }
        )
    return shown


def public_report(report: dict, engagement: dict, k: int) -> dict:
    """``system-engagement-report.json`` as the built site may publish it."""
    data = copy.deepcopy(report)
    data["privacy"] = {"min_count": k, "folded_into": OTHER}
    pages = engagement["pages"]
    if k > 1 and pages and pages[0]["views"] < k:
        data["web_engagement"]["top_page"] = None
    return data
