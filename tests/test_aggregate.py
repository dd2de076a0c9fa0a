"""Aggregation over histories of 1, 2, 5 and 60 weekly periods, worked out by hand.

Each test aggregates period after period through ``pipeline.aggregate`` into one data folder,
so the history grows as it would week by week, and checks the numbers against arithmetic
written beside them.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from histories import Data, down, web, week
from hypothesis import given, settings
from hypothesis import strategies as st

from mkdocs_analytics import aggregate as agg
from mkdocs_analytics.sources.names import public_referrer

REASONS_WITHOUT_PREVIOUS = {
    "views_delta_pct": "no previous period",
    "visitors_delta_pct": "no previous period",
    "rolling_avg_views": "no previous period",
    "rolling_avg_visitors": "no previous period",
    "views_vs_rolling_avg_pct": "no previous period",
}


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    return Data(tmp_path)


def page(engagement: dict, path: str) -> dict:
    return next(p for p in engagement["pages"] if p["path"] == path)


# One period ------------------------------------------------------------------------------


def test_one_period_has_totals_and_no_made_up_trend(data):
    # 60 + 40 = 100 views; visitors default to half of each page: 30 + 20 = 50.
    result = data.run(week(0), web(week(0), {"/": 60, "/guide": 40}, referrers={"g.com": 30}))
    engagement = result.engagement

    assert engagement["period"] == {"start": "2024-01-01", "end": "2024-01-07", "days": 7}
    assert engagement["generated_at"] == "2024-01-08T00:00:00Z"
    assert engagement["site_totals"] == {
        "page_views": 100, "unique_visitors": 50, "referrer_count": 1, "pages": 2,
    }
    assert engagement["trends"] == {
        "views_delta_pct": None,
        "visitors_delta_pct": None,
        "rolling_avg_views": None,
        "rolling_avg_visitors": None,
        "rolling_periods": 0,
        "views_vs_rolling_avg_pct": None,
        "max_referrer_share_pct": 60.0,  # 30 of the 50 visitors: a share of people
        "top_referrer": "g.com",
        "reasons": REASONS_WITHOUT_PREVIOUS,
    }
    assert [
        (p["path"], p["views"], p["unique_visitors"], p["share_pct"], p["previous_views"],
         p["views_delta_pct"], p["views_delta_reason"], p["sparkline"])
        for p in engagement["pages"]
    ] == [
        ("/", 60, 30, 60.0, None, None, "no previous period", [60]),
        ("/guide", 40, 20, 40.0, None, None, "no previous period", [40]),
    ]
    assert result.report["alerts"] == []
    assert result.report["web_engagement"] == {
        "available": True,
        "reason": None,
        "measure": "page_views",
        "total_views": 100,
        "total_visitors": 50,
        "top_page": "/",
        "views_delta_pct": None,
        "visitors_delta_pct": None,
    }
    assert result.written == [
        "engagement-metrics.json",
        "system-engagement-report.json",
        "weekly-signals.json",
        "weekly-signals.md",
        "history/2024-01-01--2024-01-07.json",
    ]
    snapshot = data.snapshot("2024-01-01--2024-01-07.json")
    assert snapshot["web"]["views"] == 100
    assert snapshot["web"]["visitors"] == 50
    assert snapshot["web"]["pages"] == {"/": [60, 30], "/guide": [40, 20]}


# Two periods -----------------------------------------------------------------------------


def test_two_periods_give_deltas_and_a_one_period_average(data):
    data.run(week(0), web(week(0), {"/": 60, "/guide": 40}, referrers={"g.com": 30}))
    # 90 + 30 + 5 = 125 views; the site saw 60 visitors, 45 of them from g.com.
    second = web(week(1), {"/": 90, "/guide": 30, "/new": 5}, site_visitors=60,
                 referrers={"g.com": 45, "news.example": 15})
    result = data.run(week(1), second)
    trends = result.engagement["trends"]

    assert trends == {
        "views_delta_pct": 25.0,  # (125 - 100) / 100
        "visitors_delta_pct": 20.0,  # (60 - 50) / 50
        "rolling_avg_views": 100.0,  # week 0 alone
        "rolling_avg_visitors": 50.0,
        "rolling_periods": 1,
        "views_vs_rolling_avg_pct": 125.0,  # 125 / 100
        "max_referrer_share_pct": 75.0,  # 45 / 60 visitors
        "top_referrer": "g.com",
        "reasons": {},
    }
    assert [
        (p["path"], p["share_pct"], p["previous_views"], p["views_delta_pct"],
         p["views_delta_reason"], p["sparkline"])
        for p in result.engagement["pages"]
    ] == [
        ("/", 72.0, 60, 50.0, None, [60, 90]),  # 90/125; (90-60)/60
        ("/guide", 24.0, 40, -25.0, None, [40, 30]),  # 30/125; (30-40)/40
        # A new page had 0 views before: no percentage of zero.
        ("/new", 4.0, 0, None, "previous period was zero", [0, 5]),  # 5/125
    ]
    assert result.report["alerts"] == []
    assert result.report["web_engagement"]["views_delta_pct"] == 25.0
    assert result.report["web_engagement"]["visitors_delta_pct"] == 20.0
    # traffic_growth is a strength rule: a strength, never an alert.
    assert result.signals["strengths"] == [
        "Views grew by at least 10% on the previous period "
        "(change in views: 25%; threshold >= 10%)"
    ]


# Five periods ----------------------------------------------------------------------------

FIVE = [
    # (views of "/", views of "/guide", site visitors)
    (60, 40, 40),  # week 0: 100 views
    (120, 80, 80),  # week 1: 200
    (180, 120, 120),  # week 2: 300
    (240, 160, 160),  # week 3: 400
    (100, 0, 60),  # week 4: 100, "/guide" not viewed at all
]


def test_five_periods_fill_the_rolling_window_and_a_drop_fires_traffic_drop(data):
    results = []
    for n, (home, guide, visitors) in enumerate(FIVE):
        pages = {"/": home, **({"/guide": guide} if guide else {})}
        results.append(data.run(week(n), web(week(n), pages, site_visitors=visitors)))

    def trend(n, *keys):
        return tuple(results[n].engagement["trends"][k] for k in keys)

    keys = ("views_delta_pct", "visitors_delta_pct", "rolling_avg_views",
            "rolling_avg_visitors", "rolling_periods", "views_vs_rolling_avg_pct")
    assert trend(0, *keys) == (None, None, None, None, 0, None)
    # (200-100)/100; (80-40)/40; average of week 0; 200/100
    assert trend(1, *keys) == (100.0, 100.0, 100.0, 40.0, 1, 200.0)
    # (300-200)/200; (120-80)/80; (200+100)/2 and (80+40)/2; 300/150
    assert trend(2, *keys) == (50.0, 50.0, 150.0, 60.0, 2, 200.0)
    # (400-300)/300 = 33.33; (160-120)/120 = 33.33; (300+200+100)/3 and (120+80+40)/3;
    # 400/200
    assert trend(3, *keys) == (33.3, 33.3, 200.0, 80.0, 3, 200.0)
    # (100-400)/400; (60-160)/160 = -62.5; (400+300+200+100)/4 and (160+120+80+40)/4;
    # 100/250 = 40%: below half the average.
    assert trend(4, *keys) == (-75.0, -62.5, 250.0, 100.0, 4, 40.0)

    home = page(results[4].engagement, "/")
    assert home["sparkline"] == [60, 120, 180, 240, 100]
    assert (home["previous_views"], home["views_delta_pct"]) == (240, -58.3)  # -140/240
    assert [p["path"] for p in results[4].engagement["pages"]] == ["/"]

    # No alert until week 4, then exactly traffic_drop.
    assert [r.report["alerts"] for r in results[:4]] == [[], [], [], []]
    assert results[4].report["alerts"] == [
        {
            "rule": "traffic_drop",
            "severity": "warning",
            "metric": "trends.views_vs_rolling_avg_pct",
            "observed": 40.0,
            "operator": "<",
            "threshold": 50,
            "message": "Views fell below half of the four-period average "
            "(views against the four-period average: 40%; threshold < 50%)",
        }
    ]
    assert results[4].signals["risks"] == [results[4].report["alerts"][0]["message"]]
    assert results[4].signals["recommendations"] == [
        "Check that the site and its analytics still work."
    ]
    assert data.snapshot("2024-01-29--2024-02-04.json")["alerts"] == ["traffic_drop"]
    assert data.files() == [
        "2024-01-01--2024-01-07.json",
        "2024-01-08--2024-01-14.json",
        "2024-01-15--2024-01-21.json",
        "2024-01-22--2024-01-28.json",
        "2024-01-29--2024-02-04.json",
    ]


# Sixty periods ---------------------------------------------------------------------------


def series(n: int) -> tuple[int, int, int, int]:
    """Week ``n``: views of "/", views of "/a", site visitors, referrer count.

    A sawtooth between 100 and 196 views; every tenth week (9, 19, ...) falls to a quarter.
    """
    views = 100 + (n * 53) % 97
    if n % 10 == 9:
        views //= 4
    a = views // 3
    return views - a, a, views // 2 + n % 5, views // 5


def test_sixty_periods_match_an_independent_computation(data):
    results = [
        data.run(week(n), web(week(n), {"/": home, "/a": a}, site_visitors=visitors,
                              referrers={"ref.example": ref}))
        for n, (home, a, visitors, ref) in ((n, series(n)) for n in range(60))
    ]
    views = [sum(series(n)[:2]) for n in range(60)]
    visitors = [series(n)[2] for n in range(60)]
    homes = [series(n)[0] for n in range(60)]

    drops = []
    for n, result in enumerate(results):
        trends = result.engagement["trends"]
        previous = n - 1
        if n == 0:
            expected_delta = expected_visitors_delta = None
        else:
            expected_delta = round((views[n] - views[previous]) / views[previous] * 100, 1)
            expected_visitors_delta = round(
                (visitors[n] - visitors[previous]) / visitors[previous] * 100, 1
            )
        window = views[max(0, n - 4):n]
        visitor_window = visitors[max(0, n - 4):n]
        if window:
            mean = sum(window) / len(window)
            expected_avg = round(mean, 1)
            expected_avg_visitors = round(sum(visitor_window) / len(visitor_window), 1)
            expected_vs = round(views[n] / mean * 100, 1)
        else:
            expected_avg = expected_avg_visitors = expected_vs = None
        assert (
            trends["views_delta_pct"],
            trends["visitors_delta_pct"],
            trends["rolling_avg_views"],
            trends["rolling_avg_visitors"],
            trends["rolling_periods"],
            trends["views_vs_rolling_avg_pct"],
            trends["max_referrer_share_pct"],
        ) == (
            expected_delta,
            expected_visitors_delta,
            expected_avg,
            expected_avg_visitors,
            len(window),
            expected_vs,
            # The referrer's visitors of the site's visitors.
            round(series(n)[3] / visitors[n] * 100, 1),
        ), f"week {n}"
        assert result.engagement["site_totals"]["page_views"] == views[n]
        home = page(result.engagement, "/")
        assert home["sparkline"] == homes[max(0, n - 11):n + 1], f"week {n}"
        assert len(home["sparkline"]) == min(n + 1, 12)
        fired = [a["rule"] for a in result.report["alerts"]]
        assert fired == (["traffic_drop"] if expected_vs is not None and expected_vs < 50 else [])
        if fired:
            drops.append(n)

    # The quarter weeks are the drops: e.g. week 9 has 100 + 477 % 97 = 189 -> 189 // 4 = 47
    # views; weeks 5..8 had 100 + 265 % 97 = 171, 127, 180 and 136, an average of
    # 614 / 4 = 153.5, and 47 / 153.5 = 30.6%.
    assert drops == [9, 19, 29, 39, 49, 59]
    assert views[9] == 47 and views[5:9] == [171, 127, 180, 136]
    assert results[9].engagement["trends"]["views_vs_rolling_avg_pct"] == 30.6
    assert results[9].engagement["trends"]["rolling_avg_views"] == 153.5
    assert len(data.files()) == 60


# Unavailable source ----------------------------------------------------------------------


def test_an_unavailable_source_is_absent_not_zero_and_raises_no_traffic_drop(data, tmp_path):
    for n in range(4):
        data.run(week(n), web(week(n), {"/": 100}))
    result = data.run(week(4), down(week(4), reason="access log not found"))
    engagement = result.engagement

    assert engagement["available"] is False
    assert engagement["reason"] == "access_log: access log not found"
    assert engagement["site_totals"] == {
        "page_views": None, "unique_visitors": None, "referrer_count": None, "pages": None,
    }
    assert engagement["pages"] == [] and engagement["daily"] == []
    assert engagement["trends"]["views_delta_pct"] is None
    assert engagement["trends"]["views_vs_rolling_avg_pct"] is None
    assert engagement["trends"]["reasons"] == {"all": "no web data for this period"}
    web_report = result.report["web_engagement"]
    assert (web_report["total_views"], web_report["total_visitors"]) == (None, None)
    assert web_report["reason"] == "access_log: access log not found"
    assert result.report["alerts"] == []
    kpis = {k["name"]: k for k in result.signals["kpis"]}
    assert kpis["page_views"]["value"] is None and kpis["page_views"]["available"] is False
    markdown = (tmp_path / "data" / "weekly-signals.md").read_text(encoding="utf-8")
    assert "- Page views: not available" in markdown
    assert "None" not in markdown and " 0 views" not in markdown
    assert data.snapshot("2024-01-29--2024-02-04.json")["web"] == {
        "available": False, "measure": None,
    }

    # The week after: the outage is no previous period and no zero. The average takes only
    # contiguous weeks with data before it, so weeks 0..3 are beyond the gap.
    after = data.run(week(5), web(week(5), {"/": 20}))
    trends = after.engagement["trends"]
    assert trends["views_delta_pct"] is None
    assert trends["reasons"]["views_delta_pct"] == "no web data for the previous period"
    assert (trends["rolling_avg_views"], trends["rolling_periods"]) == (None, 0)
    assert after.report["alerts"] == []
    home = page(after.engagement, "/")
    assert home["views_delta_reason"] == "no web data for the previous period"
    assert home["previous_views"] is None
    # The sparkline keeps its place in time: weeks 0..3, the outage, week 5.
    assert home["sparkline"] == [100, 100, 100, 100, None, 20]

    # Two weeks on, week 5 alone is the average: 30 / 20 = 150%.
    later = data.run(week(6), web(week(6), {"/": 30}))
    assert later.engagement["trends"]["views_delta_pct"] == 50.0  # (30-20)/20
    assert later.engagement["trends"]["rolling_avg_views"] == 20.0
    assert later.engagement["trends"]["views_vs_rolling_avg_pct"] == 150.0


def test_a_missing_week_is_a_gap_in_average_and_sparkline(data):
    for n in (0, 1, 2):
        data.run(week(n), web(week(n), {"/": 100 * (n + 1)}))
    # Week 3 was never aggregated.
    result = data.run(week(4), web(week(4), {"/": 50}))
    trends = result.engagement["trends"]
    assert trends["views_delta_pct"] is None
    assert trends["reasons"]["views_delta_pct"] == "no previous period"
    assert trends["rolling_periods"] == 0
    assert page(result.engagement, "/")["sparkline"] == [100, 200, 300, None, 50]


# Measures --------------------------------------------------------------------------------


def test_visitor_counts_compare_site_visitors_with_site_visitors(data):
    # GoatCounter-style: pages count visitors (40 + 30 = 70), but one visitor who reads two
    # pages is one site visitor: the site had 50.
    data.run(week(0), web(week(0), {"/": 40, "/b": 30}, site_visitors=50,
                          source="goatcounter", measure="visitors"))
    result = data.run(week(1), web(week(1), {"/": 40, "/b": 30}, site_visitors=50,
                                   source="goatcounter", measure="visitors"))
    trends = result.engagement["trends"]
    # The same week twice: no change, and the average is the 50 site visitors.
    assert (trends["views_delta_pct"], trends["visitors_delta_pct"]) == (0.0, 0.0)
    assert (trends["rolling_avg_views"], trends["views_vs_rolling_avg_pct"]) == (50.0, 100.0)
    assert result.engagement["site_totals"]["page_views"] is None
    assert result.engagement["measure"] == "visitors"
    assert data.snapshot("2024-01-08--2024-01-14.json")["web"]["views"] == 50


def test_a_change_of_measure_gives_no_delta(data):
    # Week 0 counted GoatCounter visitors, week 1 page views from logs: not comparable.
    data.run(week(0), web(week(0), {"/": 40}, source="goatcounter", measure="visitors"))
    result = data.run(week(1), web(week(1), {"/": 100}))
    trends = result.engagement["trends"]
    assert (trends["views_delta_pct"], trends["rolling_avg_views"]) == (None, None)
    assert trends["reasons"]["views_delta_pct"] == "the previous period counted visitors"
    home = page(result.engagement, "/")
    assert home["views_delta_reason"] == "the previous period counted visitors"
    assert home["sparkline"] == [None, 100]


def test_records_of_another_period_are_not_counted(data):
    # A stale record (week 0's) handed in for week 1 must not pass for week 1's numbers.
    result = data.run(week(1), web(week(0), {"/": 100}))
    assert result.engagement["available"] is False
    assert result.engagement["reason"] == (
        "access_log: the record covers 2024-01-01--2024-01-07, not 2024-01-08--2024-01-14"
    )
    assert result.engagement["site_totals"]["page_views"] is None


def test_artifacts_are_the_same_bytes_from_two_fresh_folders(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    folders = []
    for name in ("one", "two"):
        data = Data(tmp_path / name)
        for n in range(3):
            data.run(week(n), web(week(n), {"/": 10 + n, "/x": 5}, referrers={"r": 3}))
        folders.append(tmp_path / name / "data")
    for relative in ("engagement-metrics.json", "system-engagement-report.json",
                     "weekly-signals.json", "weekly-signals.md",
                     "history/2024-01-15--2024-01-21.json"):
        assert (folders[0] / relative).read_bytes() == (folders[1] / relative).read_bytes()
    engagement = json.loads((folders[0] / "engagement-metrics.json").read_text("utf-8"))
    assert engagement["site_totals"]["page_views"] == 17  # 12 + 5


# Properties ------------------------------------------------------------------------------

PATHS = st.one_of(
    st.sampled_from(["/", "/guide", "/a/b", "/ü", "/x y"]),
    st.text(min_size=1, max_size=6).map(lambda s: "/" + s),
)
ROWS = st.lists(
    st.tuples(
        st.integers(0, 6),  # day of the week
        PATHS,
        st.integers(0, 500),  # views
        st.integers(0, 500),  # visitors, at most the views (below)
    ),
    max_size=25,
)
REFERRERS = st.dictionaries(st.text(min_size=1, max_size=8), st.integers(1, 300), max_size=5)


def literal(period, rows, referrers, source="access_log") -> dict:
    """A page-view record from ``(day, path, views, visitors)`` rows, repeats allowed."""
    record = web(period, {}, source=source, referrers=referrers)
    days = period.dates()
    record["daily"] = [
        {"date": days[d], "path": path, "views": views, "visitors": min(visitors, views)}
        for d, path, views, visitors in sorted(rows)
    ]
    record["site_daily"] = [
        {
            "date": day,
            "views": sum(r["views"] for r in record["daily"] if r["date"] == day),
            "visitors": sum(r["visitors"] for r in record["daily"] if r["date"] == day),
        }
        for day in days
    ]
    return record


@settings(max_examples=60, deadline=None)
@given(rows=ROWS, referrers=REFERRERS)
def test_no_view_is_lost_between_record_and_artifacts(rows, referrers):
    with tempfile.TemporaryDirectory() as folder:
        data = Data(Path(folder))
        result = data.run(week(0), literal(week(0), rows, referrers))
    engagement = result.engagement
    total = sum(views for _, _, views, _ in rows)
    assert sum(p["views"] for p in engagement["pages"]) == total
    assert engagement["site_totals"]["page_views"] == total
    assert sum(d["views"] for d in engagement["daily"]) == total
    assert result.report["web_engagement"]["total_views"] == total
    # Per page too: every path keeps all its views, repeated rows included.
    expected = {}
    for _, path, views, _ in rows:
        expected[path] = expected.get(path, 0) + views
    assert {p["path"]: p["views"] for p in engagement["pages"]} == expected
    assert sum(r["count"] for r in engagement["referrers"]) == sum(referrers.values())


@settings(max_examples=30, deadline=None)
@given(first=ROWS, second=ROWS, referrers=REFERRERS)
def test_aggregation_is_a_pure_function_of_its_inputs(first, second, referrers):
    names = ["engagement-metrics.json", "system-engagement-report.json", "weekly-signals.json",
             "weekly-signals.md", "history/" + week(0).name + ".json",
             "history/" + week(1).name + ".json"]
    outputs = []
    with tempfile.TemporaryDirectory() as folder:
        for copy in ("one", "two"):
            data = Data(Path(folder) / copy)
            data.run(week(0), literal(week(0), first, referrers))
            data.run(week(1), literal(week(1), second, {}))
            outputs.append({n: (data.root / "data" / n).read_bytes() for n in names})
    assert outputs[0] == outputs[1]


@settings(max_examples=100, deadline=None)
@given(a=ROWS, b=ROWS, refs_a=REFERRERS, refs_b=REFERRERS)
def test_merging_two_records_of_one_measure_keeps_every_count(a, b, refs_a, refs_b):
    one = literal(week(0), a, refs_a, source="access_log")
    two = literal(week(0), b, refs_b, source="other_log")
    one["excluded"], two["excluded"] = {"bots": 2}, {"bots": 3, "assets": 1}
    one["not_found"] = [{"name": "/gone", "count": 4}]
    merged = agg.merge_web([one, two])

    def per_key(records):
        counts = {}
        for record in records:
            for row in record["daily"]:
                key = (row["date"], row["path"])
                views, visitors = counts.get(key, (0, 0))
                counts[key] = (views + row["views"], visitors + row["visitors"])
        return counts

    assert per_key([merged]) == per_key([one, two])
    assert merged["sources"] == ["access_log", "other_log"]
    for day_merged, day_one, day_two in zip(
        merged["site_daily"], one["site_daily"], two["site_daily"], strict=True
    ):
        assert day_merged["views"] == day_one["views"] + day_two["views"]
        assert day_merged["visitors"] == day_one["visitors"] + day_two["visitors"]
    referrers = {}
    for name, count in [*refs_a.items(), *refs_b.items()]:
        # A name that is an IP address (such as "0.0") is published as "(an IP address)".
        name = public_referrer(name)
        referrers[name] = referrers.get(name, 0) + count
    assert {r["name"]: r["count"] for r in merged["referrers"]} == referrers
    assert merged["excluded"] == {"assets": 1, "bots": 5}
    assert merged["not_found"] == [{"name": "/gone", "count": 4}]


def test_referrer_hosts_that_are_addresses_are_never_published_whatever_the_source():
    # A GoatCounter record names its referrers as GoatCounter gives them: the hosts written
    # as addresses are counted together (4 + 3 = 7), alone or merged with another record.
    record = web(week(0), {"/": 20}, source="goatcounter", measure="visitors",
                 referrers={"192.168.1.77": 4, "2001:db8::99": 3, "g.com": 5})
    assert agg.merge_web([record])["referrers"] == [
        {"name": "(an IP address)", "count": 7}, {"name": "g.com", "count": 5},
    ]
    other = web(week(0), {"/": 2}, source="goatcounter_export", measure="visitors",
                referrers={"10.0.0.1": 1})
    merged = agg.merge_web([record, {**other, "source": "other"}])
    assert merged["referrers"] == [
        {"name": "(an IP address)", "count": 8}, {"name": "g.com", "count": 5},
    ]


def test_a_long_referrer_name_of_any_source_is_cut():
    record = web(week(0), {"/": 20}, source="goatcounter", measure="visitors",
                 referrers={"x" * 1500: 4})
    assert agg.merge_web([record])["referrers"] == [{"name": "x" * 999 + "…", "count": 4}]


def test_unknown_days_stay_unknown_and_totals_skip_them(tmp_path, monkeypatch):
    # A log that starts on the week's 3rd day: days 1-2 unknown (null), day 4 a true zero; a
    # warehouse CSV that knows day 2 only.
    log = web(week(0), {"/": 10}, visitors={"/": 4})
    days = week(0).dates()
    log["daily"] = [{"date": days[2], "path": "/", "views": 10, "visitors": 4}]
    log["site_daily"] = [
        {"date": day, "views": views, "visitors": visitors}
        for day, views, visitors in zip(days, [None, None, 10, 0, 0, 0, 0],
                                        [None, None, 4, 0, 0, 0, 0], strict=True)
    ]
    merged = agg.merge_web([log])
    assert merged["site_daily"][:4] == [
        {"date": days[0], "views": None, "visitors": None},
        {"date": days[1], "views": None, "visitors": None},
        {"date": days[2], "views": 10, "visitors": 4},
        {"date": days[3], "views": 0, "visitors": 0},
    ]
    warehouse = web(week(0), {"/a": 3}, visitors={"/a": 2}, source="daily_csv")
    warehouse["daily"] = [{"date": days[1], "path": "/a", "views": 3, "visitors": 2}]
    warehouse["site_daily"] = [
        {"date": day, "views": 3 if day == days[1] else None,
         "visitors": 2 if day == days[1] else None} for day in days
    ]
    both = agg.merge_web([log, warehouse])
    # Day 1: nobody knows; day 2: only the warehouse does (3 views); day 3: only the log.
    assert [(d["views"], d["visitors"]) for d in both["site_daily"]] == [
        (None, None), (3, 2), (10, 4), (0, 0), (0, 0), (0, 0), (0, 0),
    ]
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    result = Data(tmp_path).run(week(0), log)
    engagement = result.engagement
    # 10 views and 4 visitors: the unknown days add nothing, and stay null in "daily".
    assert engagement["site_totals"]["page_views"] == 10
    assert engagement["site_totals"]["unique_visitors"] == 4
    assert [(d["views"], d["visitors"]) for d in engagement["daily"]] == [
        (None, None), (None, None), (10, 4), (0, 0), (0, 0), (0, 0), (0, 0),
    ]
    assert result.report["web_engagement"]["total_views"] == 10
    snapshot = json.loads(
        (tmp_path / "data" / "history" / f"{week(0).name}.json").read_text("utf-8")
    )
    assert snapshot["web"]["views"] == 10
    assert snapshot["web"]["daily"][:3] == [[days[0], None, None], [days[1], None, None],
                                           [days[2], 10, 4]]


def test_goatcounter_api_and_export_of_the_same_site_are_not_added_up():
    from mkdocs_analytics.aggregate import merge_web

    def record(source, visitors):
        return {"source": source, "available": True, "measure": "visitors",
                "daily": [{"date": "2024-03-11", "path": "/", "views": None,
                           "visitors": visitors}],
                "site_daily": [{"date": "2024-03-11", "views": None, "visitors": visitors}],
                "titles": {}, "referrers": [], "browsers": [], "systems": [], "countries": [],
                "screen_sizes": [], "campaigns": [], "not_found": [], "excluded": {},
                "quality": {}}

    merged = merge_web([record("goatcounter_export", 5), record("goatcounter", 5)])
    assert merged["sources"] == ["goatcounter"]
    assert merged["left_out"] == ["goatcounter_export"]
    assert merged["site_daily"][0]["visitors"] == 5  # not 10
