"""From the sources' records and the history to the artifacts people and systems read.

Pure arithmetic: no network, no MkDocs, no clock. Every function here returns the same output
for the same input, which is what makes re-running a period byte-identical.

A number that cannot be known is ``None`` with a reason beside it, never a made-up ``0``: a
delta against a missing or empty previous period, or the counts of a source that was down.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from .history import History
from .period import Period
from .records import BREAKDOWNS, SCHEMA_VERSION
from .sources.names import public_referrer_rows

# In order of preference: the first available one is the base, and those with its measure are
# added to it (page views: logs and warehouse counts; visitors: GoatCounter and its export).
WEB_SOURCES = ("access_log", "daily_csv", "goatcounter", "goatcounter_export")

# How many periods a page's sparkline and the rolling average look back.
SPARKLINE_PERIODS = 12
ROLLING_PERIODS = 4
# How many referrers a history snapshot keeps (enough for trends; the rest is in data/raw).
SNAPSHOT_REFERRERS = 50


def delta_pct(
    current, previous, missing: str = "no previous period"
) -> tuple[float | None, str | None]:
    """Percent change from ``previous`` to ``current``, or None and the reason.

    ``missing`` is the reason given when ``previous`` is None.
    """
    if current is None:
        return None, "no data for this period"
    if previous is None:
        return None, missing
    if previous == 0:
        return None, "previous period was zero"
    return round((current - previous) / previous * 100, 1), None


def share_pct(part, whole) -> float | None:
    if part is None or not whole:
        return None
    return round(part / whole * 100, 1)


# Web engagement --------------------------------------------------------------------------


def merge_web(records: list[dict]) -> dict | None:
    """One web record from the available ones: summed when they count the same thing.

    Sources that count different things (page views from logs, visitors from GoatCounter)
    cannot be added; the first one listed wins and the others are named as left out.
    """
    available = [r for r in records if r.get("available")]
    if not available:
        return None
    # The API and an export of GoatCounter describe the same visits: never add them up,
    # the API's numbers count.
    same_visits = {"goatcounter_export"} if {"goatcounter", "goatcounter_export"} <= {
        r["source"] for r in available
    } else set()
    base = next(r for r in available if r["source"] not in same_visits)
    used = [
        r for r in available
        if r["measure"] == base["measure"] and r["source"] not in same_visits
    ]
    if len(used) == 1:
        # No referrer host written as an IP address is ever published, whatever the source.
        return {**base, "sources": [base["source"]],
                "left_out": _names([r for r in available if r is not base]),
                "referrers": public_referrer_rows(base.get("referrers") or [])}

    daily = Counter()
    visitors = Counter()
    site = defaultdict(lambda: [0, 0])
    # Days some source counted; on the others no source knows anything (null, never 0).
    known = set()
    titles = {}
    breakdowns = {name: Counter() for name in BREAKDOWNS}
    not_found = Counter()
    excluded = Counter()
    for record in used:
        for row in record["daily"]:
            daily[row["date"], row["path"]] += row["views"] or 0
            visitors[row["date"], row["path"]] += row["visitors"] or 0
        for row in record["site_daily"]:
            site[row["date"]][0] += row["views"] or 0
            site[row["date"]][1] += row["visitors"] or 0
            if row["visitors"] is not None:
                known.add(row["date"])
        titles.update(record.get("titles") or {})
        for name in BREAKDOWNS:
            breakdowns[name].update({r["name"]: r["count"] for r in record.get(name, [])})
        not_found.update({r["name"]: r["count"] for r in record.get("not_found", [])})
        excluded.update(record.get("excluded") or {})
    visitor_only = base["measure"] == "visitors"
    merged = {
        **base,
        "sources": _names(used),
        "left_out": _names([r for r in available if r not in used]),
        "daily": [
            {
                "date": day,
                "path": path,
                "views": None if visitor_only else daily[day, path],
                "visitors": visitors[day, path],
            }
            for day, path in sorted(daily)
        ],
        "site_daily": [
            {"date": day, "views": None if visitor_only or day not in known else v[0],
             "visitors": v[1] if day in known else None}
            for day, v in sorted(site.items())
        ],
        "titles": titles,
        "not_found": _ranked(not_found),
        "excluded": dict(sorted(excluded.items())),
    }
    for name in BREAKDOWNS:
        merged[name] = _ranked(breakdowns[name])
    merged["referrers"] = public_referrer_rows(merged["referrers"])
    return merged


def _names(records: list[dict]) -> list[str]:
    return [r["source"] for r in records]


def _ranked(counter: Counter) -> list[dict]:
    rows = sorted(((n, c) for n, c in counter.items() if c), key=lambda item: (-item[1], item[0]))
    return [{"name": n, "count": c} for n, c in rows]


def _page_totals(web: dict) -> dict[str, list[int]]:
    """``{path: [views, visitors]}`` summed over the period's days."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in web["daily"]:
        totals[row["path"]][0] += row["views"] if row["views"] is not None else row["visitors"]
        totals[row["path"]][1] += row["visitors"] or 0
    return totals


def _views(web: dict, row: dict) -> int | None:
    """What the period counts per row: page views, or visitors for visitor-only sources;
    None on a day the sources know nothing of (before a log's first request)."""
    return row["views"] if row["views"] is not None else row["visitors"]


def engagement_metrics(
    period: Period,
    records: list[dict],
    history: History,
    generated_at: str,
    site_pages: list[dict] | None = None,
) -> dict:
    """``engagement-metrics.json``: site totals, per-page metrics, breakdowns and trends."""
    web = merge_web(records)
    sources = {r["source"]: availability(r) for r in records}
    base = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": generated_at,
        "period": period.as_dict(),
        "sources": sources,
    }
    if web is None:
        reasons = "; ".join(f"{name}: {s['reason']}" for name, s in sources.items())
        return {
            **base,
            "available": False,
            "reason": reasons or "no web source is configured",
            "measure": None,
            "site_totals": {"page_views": None, "unique_visitors": None, "referrer_count": None,
                            "pages": None},
            "daily": [],
            "pages": [],
            "unvisited_pages": None,
            **{name: [] for name in BREAKDOWNS},
            "not_found": [],
            "trends": _no_trends("no web data for this period"),
            "data_quality": None,
        }

    totals = _page_totals(web)
    # Unknown days (null) add nothing to the totals.
    site_views = sum(_views(web, row) or 0 for row in web["site_daily"])
    site_visitors = sum(row["visitors"] or 0 for row in web["site_daily"])
    past = _past_web(history, period, web["measure"], SPARKLINE_PERIODS - 1)
    previous, missing = past[0]
    rolling = []
    for block, _ in past[:ROLLING_PERIODS]:
        if block is None:
            break  # a gap ends the run: older periods never stand in for a missing one
        rolling.append(block)
    # Oldest first, one place per period, from the first one the history has a snapshot of.
    series = list(reversed(past))
    while series and series[0][1] == NO_SNAPSHOT:
        series.pop(0)
    series = [block for block, _ in series]
    titles = dict(web.get("titles") or {})
    for page in site_pages or []:
        titles.setdefault(page["path"], page["title"])

    pages = []
    for path, (views, visitors) in sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0])):
        before = previous["pages"].get(path, [0, 0])[0] if previous else None
        change, why = delta_pct(views, before, missing)
        pages.append(
            {
                "path": path,
                "title": titles.get(path),
                "views": views,
                "unique_visitors": visitors,
                "share_pct": share_pct(views, site_views),
                "previous_views": before,
                "views_delta_pct": change,
                "views_delta_reason": why,
                "sparkline": [
                    (s["pages"].get(path, [0, 0])[0] if s else None) for s in series
                ] + [views],
            }
        )

    unvisited = None
    if site_pages is not None:
        unvisited = [
            {"path": p["path"], "title": p["title"]}
            for p in sorted(site_pages, key=lambda p: p["path"])
            if not totals.get(p["path"], [0])[0]
        ]

    return {
        **base,
        "available": True,
        "reason": None,
        "measure": web["measure"],
        "counted_from": web["sources"],
        "site_totals": {
            "page_views": site_views if web["measure"] == "page_views" else None,
            "unique_visitors": site_visitors,
            "referrer_count": len(web["referrers"]),
            "pages": len(totals),
        },
        "daily": [
            {"date": row["date"], "views": _views(web, row), "visitors": row["visitors"]}
            for row in web["site_daily"]
        ],
        "pages": pages,
        "unvisited_pages": unvisited,
        **{name: web[name] for name in BREAKDOWNS},
        "not_found": web.get("not_found", []),
        "trends": _trends(web, site_views, site_visitors, previous, rolling, missing),
        "data_quality": {**(web.get("quality") or {}), "excluded": web.get("excluded", {})},
    }


def availability(record: dict) -> dict:
    return {"available": bool(record.get("available")), "reason": record.get("reason")}


MEASURE_NAMES = {"page_views": "page views", "visitors": "visitors"}
NO_SNAPSHOT = "no previous period"


def _past_web(
    history: History, period: Period, measure: str, count: int
) -> list[tuple[dict | None, str | None]]:
    """The web blocks of the ``count`` periods just before ``period``, nearest first.

    Each period is followed back one by one, so a missing week keeps its place. A block is
    None, with the reason, where it cannot be compared with this period: no snapshot, a web
    source that was unavailable then (unknown, never zero), or another measure (visitors
    against page views).
    """
    found: list[tuple[dict | None, str | None]] = []
    current = period
    for _ in range(count):
        current = current.previous()
        snapshot = history.get(current)
        web = (snapshot or {}).get("web") or {}
        if snapshot is None:
            found.append((None, NO_SNAPSHOT))
        elif not web.get("available"):
            found.append((None, "no web data for the previous period"))
        elif web.get("measure") != measure:
            other = MEASURE_NAMES.get(web.get("measure"), str(web.get("measure")))
            found.append((None, f"the previous period counted {other}"))
        else:
            found.append((web, None))
    return found


def _no_trends(reason: str) -> dict:
    return {
        "views_delta_pct": None,
        "visitors_delta_pct": None,
        "rolling_avg_views": None,
        "rolling_avg_visitors": None,
        "rolling_periods": 0,
        "views_vs_rolling_avg_pct": None,
        "max_referrer_share_pct": None,
        "top_referrer": None,
        "reasons": {"all": reason},
    }


def _trends(web, views, visitors, previous, rolling, missing="no previous period") -> dict:
    reasons = {}
    views_delta, why = delta_pct(views, previous["views"] if previous else None, missing)
    if why:
        reasons["views_delta_pct"] = why
    visitors_delta, why = delta_pct(
        visitors, previous["visitors"] if previous else None, missing
    )
    if why:
        reasons["visitors_delta_pct"] = why

    avg_views = avg_visitors = vs_rolling = None
    if rolling:
        # The ratio comes from the exact mean, not from the mean rounded for display.
        mean = sum(s["views"] for s in rolling) / len(rolling)
        avg_views = round(mean, 1)
        avg_visitors = round(sum(s["visitors"] for s in rolling) / len(rolling), 1)
        if mean:
            vs_rolling = round(views / mean * 100, 1)
        else:
            reasons["views_vs_rolling_avg_pct"] = "rolling average is zero"
    else:
        # The run of earlier periods is empty exactly when the previous one is unusable.
        for key in ("rolling_avg_views", "rolling_avg_visitors", "views_vs_rolling_avg_pct"):
            reasons[key] = missing

    # A share of people: the largest referrer's visitors of the site's visitors (every
    # source counts referrers in visitors), never more than all of them.
    top = web["referrers"][0] if web["referrers"] else None
    top_share = share_pct(min(top["count"], visitors), visitors) if top else None
    if top is None:
        reasons["max_referrer_share_pct"] = "no referrers"

    return {
        "views_delta_pct": views_delta,
        "visitors_delta_pct": visitors_delta,
        "rolling_avg_views": avg_views,
        "rolling_avg_visitors": avg_visitors,
        "rolling_periods": len(rolling),
        "views_vs_rolling_avg_pct": vs_rolling,
        "max_referrer_share_pct": top_share,
        "top_referrer": top["name"] if top else None,
        "reasons": reasons,
    }


# GitHub activity -------------------------------------------------------------------------


def _incompleteness(record: dict, units: dict) -> dict:
    """``reason`` and ``partial`` of the GitHub block: partial when the collection stopped
    early, or when a unit is incomplete because something in it could not be read (a mistyped
    organisation answering 404); the counts are then those of what was read."""
    reason = record.get("reason")
    unfinished = [name for name, unit in units.items() if not unit["complete"]]
    if reason is None and unfinished:
        unread = [text for name in unfinished for text in record["units"][name].get("unread", [])]
        which = "unit" if len(unfinished) == 1 else "units"
        reason = (
            f"{which} {', '.join(unfinished)} incomplete: couldn't read "
            + ("; ".join(unread or record.get("problems") or []) or "every entry")
        )
    return {"reason": reason, "partial": bool(record.get("partial")) or bool(unfinished)}


def github_activity(record: dict | None, history: History, period: Period) -> dict:
    """The ``github_activity`` block of the report, per unit in the order the user wrote."""
    if not record or not record.get("available"):
        reason = (record or {}).get("reason") or "not configured"
        return {
            "available": False,
            "reason": reason,
            "partial": False,
            "total_commits": None,
            "total_prs": None,
            "total_prs_merged": None,
            "total_releases": None,
            "total_stars": None,
            "commits_delta_pct": None,
            "organ_breakdown": {},
            "releases": [],
        }
    previous = (history.get(period.previous()) or {}).get("github") or {}
    previous_units = previous.get("organ_breakdown") or {}
    units = {}
    for name, unit in record["units"].items():
        stars = unit.get("stars")
        # A unit a stopped collection did not finish has a partial star count: no gain.
        complete = unit.get("complete", True)
        earlier = previous_units.get(name) or {}
        before = earlier.get("stars") if complete and earlier.get("complete", True) else None
        units[name] = {
            "commits": unit["commits"],
            "prs": unit["prs_opened"],
            "prs_merged": unit["prs_merged"],
            "releases": unit["releases"],
            "stars": stars,
            "stars_gained": stars - before if stars is not None and before is not None else None,
            "complete": complete,
        }
    commits = sum(u["commits"] for u in units.values())
    change, _ = delta_pct(commits, previous.get("total_commits") if previous else None)
    star_values = [u["stars"] for u in units.values()]
    return {
        "available": True,
        # A collection stopped early (quota, server errors), or a unit with an organisation or
        # repository that could not be read, says why, and "partial".
        **_incompleteness(record, units),
        "total_commits": commits,
        "total_prs": sum(u["prs"] for u in units.values()),
        "total_prs_merged": sum(u["prs_merged"] for u in units.values()),
        "total_releases": sum(u["releases"] for u in units.values()),
        "total_stars": None if None in star_values else sum(star_values),
        "commits_delta_pct": change,
        "organ_breakdown": units,
        # Each release published in the period: repository, tag, published_at.
        "releases": record.get("releases") or [],
    }


# The report and the snapshot -------------------------------------------------------------


def system_report(engagement: dict, github: dict, alerts: list[dict], sources: dict) -> dict:
    """``system-engagement-report.json``: the summary other systems fetch."""
    pages = engagement["pages"]
    top = pages[0]["path"] if pages else None
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": engagement["generated_at"],
        "period": engagement["period"],
        "sources": sources,
        "web_engagement": {
            "available": engagement["available"],
            "reason": engagement["reason"],
            "measure": engagement["measure"],
            "total_views": (
                sum(p["views"] for p in pages) if engagement["available"] else None
            ),
            "total_visitors": engagement["site_totals"]["unique_visitors"],
            "top_page": top,
            "views_delta_pct": engagement["trends"]["views_delta_pct"],
            "visitors_delta_pct": engagement["trends"]["visitors_delta_pct"],
        },
        "github_activity": github,
        "alerts": alerts,
    }


def snapshot(engagement: dict, report: dict) -> dict:
    """What history keeps of a period: enough for deltas, averages and sparklines."""
    web = {"available": engagement["available"], "measure": engagement["measure"]}
    if engagement["available"]:
        web.update(
            {
                # The site's own count, the one this period's trends compare: for visitors,
                # the site's visitors, not the sum over pages (one reader of two pages is
                # two page visitors but one site visitor).
                "views": sum(d["views"] or 0 for d in engagement["daily"]),
                "visitors": engagement["site_totals"]["unique_visitors"],
                "pages": {
                    p["path"]: [p["views"], p["unique_visitors"]] for p in engagement["pages"]
                },
                "referrers": engagement["referrers"][:SNAPSHOT_REFERRERS],
                "daily": [[d["date"], d["views"], d["visitors"]] for d in engagement["daily"]],
            }
        )
    github = report["github_activity"]
    return {
        "schema_version": SCHEMA_VERSION,
        "period": engagement["period"],
        "web": web,
        "github": {
            key: github[key]
            for key in ("available", "total_commits", "total_prs", "total_prs_merged",
                        "total_releases", "total_stars", "organ_breakdown")
        },
        "alerts": [alert["rule"] for alert in report["alerts"]],
    }
