"""Real `mkdocs build` runs of small sites, checked against numbers worked out by hand."""

from __future__ import annotations

import re

import pytest
from mkdocs.exceptions import Abort, ConfigurationError

from mkdocs_analytics import schemas

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def line(client, stamp, request, status, referrer, agent):
    return f'{client} - - [{stamp} +0000] "{request}" {status} 512 "{referrer}" "{agent}"\n'


# Twelve lines over two UTC days. What each one counts as, and who the visitors are
# (A = 192.0.2.1 with Firefox, B = .2 with Chrome, C = .5 on an iPhone):
HAND_LOG = "".join(
    [
        line("192.0.2.1", "10/Mar/2024:09:00:00", "GET / HTTP/1.1", 200, "-", FIREFOX),  # A /
        line("192.0.2.1", "10/Mar/2024:09:01:00", "GET /guide/ HTTP/1.1", 200,
             "https://docs.example.org/", FIREFOX),  # A /guide, internal referrer
        line("192.0.2.2", "10/Mar/2024:10:00:00", "GET /guide/ HTTP/1.1", 200,
             "https://www.google.com/search", CHROME),  # B /guide, from google.com
        line("192.0.2.2", "10/Mar/2024:10:00:01", "GET /assets/style.css HTTP/1.1", 200,
             "https://docs.example.org/guide/", CHROME),  # asset
        line("192.0.2.3", "10/Mar/2024:11:00:00", "GET /guide/ HTTP/1.1", 200, "-",
             GOOGLEBOT),  # bot
        line("192.0.2.4", "10/Mar/2024:12:00:00", "GET /old/ HTTP/1.1", 301, "-",
             FIREFOX),  # redirect
        line("192.0.2.4", "10/Mar/2024:12:01:00", "GET /nope/ HTTP/1.1", 404, "-",
             FIREFOX),  # error, /nope not found
        line("192.0.2.1", "11/Mar/2024:08:00:00", "GET /guide/index.html HTTP/1.1", 200,
             "https://news.ycombinator.com/item", FIREFOX),  # A again on a new day
        line("192.0.2.5", "11/Mar/2024:08:30:00", "GET / HTTP/1.1", 200,
             "https://google.com/", IPHONE),  # C /, from google.com
        line("192.0.2.5", "11/Mar/2024:08:31:00", "POST /search HTTP/1.1", 200, "-",
             IPHONE),  # method
        line("192.0.2.5", "11/Mar/2024:08:32:00", "GET /about/ HTTP/1.1", 304, "-",
             IPHONE),  # C /about, not modified is still a view
        "this line is not a log line\n",  # malformed
    ]
)


@pytest.fixture
def hand_site(site):
    site.write(
        "mkdocs.yml",
        """
        site_name: Hand test
        site_url: https://docs.example.org/
        theme: mkdocs
        plugins:
          - search
          - analytics:
              min_count: 1
              access_log:
                paths: [logs/access.log]
        """,
    )
    site.write("docs/index.md", "# Home\n")
    site.write("docs/guide.md", "# The guide\n")
    site.write("docs/about.md", "---\ntitle: About us\n---\nText.\n")
    site.write("docs/contact.md", "No heading here.\n")
    site.write("logs/access.log", HAND_LOG)
    site.write(
        "config/thresholds.yaml",
        """
        rules:
          - name: zero_traffic
            metric: pages.published_without_views
            operator: ">"
            value: 0
            severity: info
            description: Some pages got no view
        """,
    )
    return site


def test_hand_counted_log_gives_hand_counted_artifacts(hand_site):
    hand_site.build()
    metrics = hand_site.json("data/engagement-metrics.json")
    # With min_count 1 the published copy folds nothing: it is the same apart from the note.
    published = hand_site.json("site/analytics/engagement-metrics.json")
    assert published.pop("privacy") == {"min_count": 1, "folded_into": "(other)"}
    assert published == metrics

    # The period is the seven days ending with the log's last day.
    assert metrics["period"] == {"start": "2024-03-05", "end": "2024-03-11", "days": 7}
    assert metrics["generated_at"] == "2024-03-12T00:00:00Z"
    # Views: lines 1, 2, 3, 8, 9 and 11. Visitors: A and B on the 10th, A and C on the 11th.
    assert metrics["site_totals"] == {
        "page_views": 6,
        "unique_visitors": 4,
        "referrer_count": 2,
        "pages": 3,
    }
    # The log starts on the 10th: the five days before are unknown (null), not zero.
    assert [(d["date"], d["views"], d["visitors"]) for d in metrics["daily"]] == [
        ("2024-03-05", None, None),
        ("2024-03-06", None, None),
        ("2024-03-07", None, None),
        ("2024-03-08", None, None),
        ("2024-03-09", None, None),
        ("2024-03-10", 3, 2),
        ("2024-03-11", 3, 2),
    ]
    assert [(p["path"], p["title"], p["views"], p["unique_visitors"], p["share_pct"])
            for p in metrics["pages"]] == [
        ("/guide", "The guide", 3, 3, 50.0),
        ("/", "Home", 2, 2, 33.3),
        ("/about", "About us", 1, 1, 16.7),
    ]
    assert metrics["referrers"] == [
        {"name": "google.com", "count": 2},
        {"name": "news.ycombinator.com", "count": 1},
    ]
    assert metrics["not_found"] == [{"name": "/nope", "count": 1}]
    assert metrics["unvisited_pages"] == [{"path": "/contact", "title": "Contact"}]
    quality = metrics["data_quality"]
    assert quality["excluded"] == {
        "assets": 1, "bots": 1, "errors": 1, "methods": 1, "redirects": 1,
    }
    assert (quality["lines_read"], quality["parsed"], quality["malformed"]) == (12, 11, 1)
    assert quality["malformed_samples"] == [
        {"file": "access.log", "line": 12, "reason": "not in combined or common log format"}
    ]
    # The trend cannot be known without a previous period: null with a reason, never 0.
    assert metrics["trends"]["views_delta_pct"] is None
    assert metrics["trends"]["reasons"]["views_delta_pct"] == "no previous period"
    # google.com brought 2 of the 4 visitors (a share of people, not of the 6 views).
    assert metrics["trends"]["max_referrer_share_pct"] == 50.0

    report = hand_site.json("data/system-engagement-report.json")
    assert report["web_engagement"]["total_views"] == 6
    assert report["web_engagement"]["top_page"] == "/guide"
    assert [a["rule"] for a in report["alerts"]] == ["zero_traffic"]
    assert report["alerts"][0]["observed"] == 1

    html = hand_site.html()
    assert '<p class="analytics-card-value">6</p>' in html
    assert '<p class="analytics-card-value">4</p>' in html
    # The daily table says n/a for the unknown days; the chart's lines start on the 10th,
    # with a point for the 10th and one for the 11th (views, then visitors).
    assert ('<td>2024-03-09</td><td class="analytics-num">n/a</td>'
            '<td class="analytics-num">n/a</td>') in html
    chart = re.findall(r"<svg.*?</svg>", html, re.S)[0]
    lines = re.findall(r'<path d="M([^"]*)"[^>]*class="line ', chart)
    assert [len(re.findall(r"\d+\.\d+ \d+\.\d+", line)) for line in lines] == [2, 2]
    pages = hand_site.html("site/analytics/pages/index.html")
    assert "<code>/guide</code>" in pages
    assert "news.ycombinator.com" in hand_site.html("site/analytics/sources/index.html")


def test_browsers_are_counted_once_per_visitor_and_day(hand_site):
    hand_site.build()
    metrics = hand_site.json("data/engagement-metrics.json")
    # Firefox: A on the 10th and A on the 11th; Chrome: B; Mobile Safari: C.
    assert metrics["browsers"] == [
        {"name": "Firefox", "count": 2},
        {"name": "Chrome", "count": 1},
        {"name": "Mobile Safari", "count": 1},
    ]


def test_unconfigured_live_sources_say_why_once(hand_site, analytics_log):
    hand_site.build()
    report = hand_site.json("data/system-engagement-report.json")
    assert report["sources"]["goatcounter"] == {
        "available": False, "reason": "not configured (no site)",
    }
    assert report["github_activity"]["available"] is False
    assert report["github_activity"]["reason"] == "not configured (no units)"
    assert report["github_activity"]["total_commits"] is None
    messages = analytics_log()
    assert sum("access log: 1 malformed line skipped, first: access.log:12" in m
               for m in messages) == 1
    assert messages.count("analytics: GoatCounter not configured (no site); skipping") == 1
    assert messages.count("analytics: GitHub not configured (no units); skipping") == 1


def test_small_counts_are_folded_on_every_published_surface(hand_site):
    hand_site.write("mkdocs.yml", hand_site.root.joinpath("mkdocs.yml").read_text()
                    .replace("min_count: 1", "min_count: 2"))
    thresholds = hand_site.root / "config" / "thresholds.yaml"
    thresholds.write_text(
        thresholds.read_text()
        + "  - {name: broad, kind: strength, metric: trends.max_referrer_share_pct,\n"
        "     operator: '<=', value: 50, description: No referrer dominates}\n"
    )
    hand_site.build()
    # The exact signals in data/ judge the exact share (google.com: 2 of 4 visitors)...
    exact_signals = hand_site.json("data/weekly-signals.json")
    assert exact_signals["strengths"] == [
        "No referrer dominates (largest referrer's share of visitors: 50%; threshold <= 50%)"
    ]
    # ...the published ones cannot, since the referrers were folded: no share, no sentence.
    published_signals = hand_site.json("site/analytics/weekly-signals.json")
    assert published_signals["strengths"] == []
    assert "trends.max_referrer_share_pct" in published_signals["not_judged"]
    assert "share of visitors: 50%" not in hand_site.html("site/analytics/signals/index.html")
    exact = hand_site.json("data/engagement-metrics.json")
    public = hand_site.json("site/analytics/engagement-metrics.json")
    assert exact["pages"][2]["views"] == 1  # data/ keeps the exact numbers

    # Pages 3, 2, 1: /about (1) is below 2, and a fold of one row would give it away, so
    # "/" (2) joins it: (other) holds 2 pages and 3 views. Only /guide is shown.
    assert [(p["path"], p["views"], p.get("folded")) for p in public["pages"]] == [
        ("/guide", 3, None),
        ("(other)", 3, 2),
    ]
    # Referrers 2 and 1: the same secondary fold leaves nothing but (other), and the top
    # referrer's name and share are hidden with it.
    assert public["referrers"] == [{"name": "(other)", "count": 3, "folded": 2}]
    assert public["trends"]["top_referrer"] is None
    assert public["trends"]["max_referrer_share_pct"] is None
    # Browsers: Firefox 2 stays; Chrome 1 and Mobile Safari 1 fold into 2.
    assert public["browsers"] == [
        {"name": "Firefox", "count": 2},
        {"name": "(other)", "count": 2, "folded": 2},
    ]
    assert public["not_found"] == [{"name": "(other)", "count": None, "folded": 1}]

    # No page, table, widget or badge of the built site names a folded row.
    for path in (hand_site.site_dir / "analytics").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".svg"):
            body = path.read_text(encoding="utf-8")
            # (/about is a page of the site, so only its place in a table would tell.)
            for secret in ("news.ycombinator.com", "<code>/about</code>", '"/about"',
                           "Mobile Safari", "/nope"):
                assert secret not in body, (path, secret)
    assert schemas.errors("engagement-metrics", public) == []


def test_dashboard_charts_are_inline_static_svg(hand_site):
    hand_site.build()
    html = hand_site.html()
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 1  # the daily chart; the other charts live on the other pages
    for svg in svgs:
        assert "<script" not in svg
        assert 'role="img"' in svg
        assert not re.search(r"https?://", svg.replace("http://www.w3.org", ""))
        assert re.search(r"<title[^>]*>[^<]+</title>", svg)
    # Charts stay out of the search index: they are added after indexing.
    index = (hand_site.site_dir / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "pygal" not in index and "chart-daily" not in index
    # Nothing was written into docs_dir.
    assert sorted(p.name for p in (hand_site.root / "docs").iterdir()) == [
        "about.md", "contact.md", "guide.md", "index.md",
    ]


def test_raw_record_and_history_are_written_and_valid(hand_site):
    hand_site.build()
    raw = hand_site.json("data/raw/access_log/2024-03-05--2024-03-11.json")
    assert schemas.errors("raw-record", raw) == []
    snapshot = hand_site.json("data/history/2024-03-05--2024-03-11.json")
    assert schemas.errors("history-snapshot", snapshot) == []
    assert snapshot["web"]["views"] == 6
    assert snapshot["web"]["pages"] == {"/": [2, 2], "/about": [1, 1], "/guide": [3, 3]}
    assert snapshot["web"]["daily"] == [
        ["2024-03-05", None, None], ["2024-03-06", None, None], ["2024-03-07", None, None],
        ["2024-03-08", None, None], ["2024-03-09", None, None], ["2024-03-10", 3, 2],
        ["2024-03-11", 3, 2],
    ]


def test_two_builds_of_the_same_period_are_byte_identical(hand_site):
    hand_site.build()
    names = [
        "site/analytics/engagement-metrics.json",
        "site/analytics/system-engagement-report.json",
        "data/engagement-metrics.json",
        "data/system-engagement-report.json",
        "data/raw/access_log/2024-03-05--2024-03-11.json",
        "data/history/2024-03-05--2024-03-11.json",
    ]
    first = {name: (hand_site.root / name).read_bytes() for name in names}
    hand_site.build()
    second = {name: (hand_site.root / name).read_bytes() for name in names}
    assert first == second
    assert sorted(p.name for p in (hand_site.root / "data/history").glob("*.json")) == [
        "2024-03-05--2024-03-11.json"
    ]


def test_a_second_period_gets_deltas_against_the_first(hand_site):
    hand_site.build()
    # The week before had the same six views; the next week has one view.
    hand_site.write(
        "logs/access.log",
        HAND_LOG
        + line("192.0.2.9", "18/Mar/2024:09:00:00", "GET /guide/ HTTP/1.1", 200, "-", FIREFOX),
    )
    hand_site.build()
    metrics = hand_site.json("data/engagement-metrics.json")
    assert metrics["period"]["start"] == "2024-03-12"
    assert metrics["site_totals"]["page_views"] == 1
    assert metrics["trends"]["views_delta_pct"] == round((1 - 6) / 6 * 100, 1) == -83.3
    assert metrics["trends"]["visitors_delta_pct"] == -75.0
    assert metrics["trends"]["rolling_avg_views"] == 6.0
    guide = metrics["pages"][0]
    assert (guide["path"], guide["previous_views"], guide["views_delta_pct"]) == (
        "/guide", 3, round((1 - 3) / 3 * 100, 1),
    )
    assert guide["sparkline"] == [3, 1]


def build_error(site, caplog) -> str:
    """Build ``site``, which must fail; return what MkDocs logged as the reason."""
    with pytest.raises(Abort):
        site.build()
    return caplog.text


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("period_days", "0", "expected a whole number of at least 1, got 0"),
        ("period_end", "last tuesday", "expected a date such as 2026-02-16, got 'last tuesday'"),
        ("dashboard_dir", "../outside", "expected a relative folder such as 'analytics/'"),
        ("top", "many", "Expected type: <class 'int'> but received: <class 'str'>"),
    ],
)
def test_invalid_options_fail_at_load_with_the_option_name(site, caplog, option, value, message):
    site.write(
        "mkdocs.yml",
        f"""
        site_name: Bad
        plugins:
          - analytics:
              {option}: {value}
        """,
    )
    site.write("docs/index.md", "# Home\n")
    with pytest.raises((Abort, ConfigurationError)):
        site.build()
    assert f"Plugin 'analytics' option '{option}': {message}" in caplog.text


def test_data_dir_inside_docs_is_refused(site, caplog):
    site.write(
        "mkdocs.yml",
        """
        site_name: Bad
        plugins:
          - analytics:
              data_dir: docs/data
        """,
    )
    site.write("docs/index.md", "# Home\n")
    assert "option 'data_dir' (docs/data) is inside docs_dir" in build_error(site, caplog)
    assert not (site.root / "docs/data").exists()


def test_a_broken_thresholds_file_names_the_file_and_rule(hand_site, caplog):
    hand_site.write(
        "config/thresholds.yaml",
        """
        rules:
          - name: typo
            metric: site.page_veiws
            operator: "<"
            value: 1
            description: x
        """,
    )
    text = build_error(hand_site, caplog)
    assert "thresholds.yaml: rule 'typo': unknown metric 'site.page_veiws'" in text


def test_the_demo_site_builds_valid_artifacts_and_a_script_free_dashboard(demo):
    demo.build()
    metrics = demo.json("site/analytics/engagement-metrics.json")
    report = demo.json("site/analytics/system-engagement-report.json")
    assert schemas.errors("engagement-metrics", metrics) == []
    assert schemas.errors("system-engagement-report", report) == []
    for path in (demo.root / "data/history").glob("*.json"):
        assert schemas.errors("history-snapshot", demo.json(f"data/history/{path.name}")) == []
    for path in (demo.root / "data/raw").glob("*/*.json"):
        raw = demo.json(str(path.relative_to(demo.root)))
        assert schemas.errors("raw-record", raw) == []

    assert metrics["period"] == {"start": "2015-05-14", "end": "2015-05-20", "days": 7}
    assert metrics["site_totals"]["page_views"] > 0
    # The log starts on 17 May: 14 to 16 May are unknown, not days without a visit.
    assert [(d["date"], d["views"]) for d in metrics["daily"][:3]] == [
        ("2015-05-14", None), ("2015-05-15", None), ("2015-05-16", None),
    ]
    assert all(d["views"] for d in metrics["daily"][3:])
    assert metrics["data_quality"]["lines_read"] == 10000
    assert metrics["data_quality"]["malformed_samples"] == [
        {"file": "apache-combined-10k.log.gz", "line": 8899, "reason": "unterminated quote"}
    ]
    html = demo.html()
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert svgs and not any("<script" in svg for svg in svgs)
    assert f"{metrics['site_totals']['page_views']:,}" in html


def test_no_client_address_reaches_any_written_file(demo):
    demo.build()
    written = [
        p for folder in ("site/analytics", "data/raw", "data/history")
        for p in (demo.root / folder).rglob("*")
        if p.is_file()
    ] + list((demo.root / "data").glob("*.json"))
    assert written
    for path in written:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"\b10\.\d{1,3}\.\d{1,3}\.\d{1,3}\b", text), path


@pytest.mark.parametrize(("level", "fails"), [("warn", True), ("info", False)])
def test_log_level_decides_whether_strict_counts_an_unreadable_source(site, caplog, level,
                                                                      fails):
    site.write(
        "mkdocs.yml",
        f"""
        site_name: Strict
        theme: mkdocs
        plugins:
          - analytics:
              log_level: {level}
              access_log:
                paths: [logs/missing.log]
        """,
    )
    site.write("docs/index.md", "# Home\n")
    if fails:
        with pytest.raises(Abort, match="Aborted with 1 warnings in strict mode"):
            site.build(strict=True)
    else:
        site.build(strict=True)
        assert (site.site_dir / "analytics" / "index.html").exists()
    record = next(r for r in caplog.records if "Couldn't read access logs" in r.getMessage())
    assert record.levelname == ("WARNING" if fails else "INFO")
    assert "no file at 'logs/missing.log'" in record.getMessage()


def test_site_url_path_is_removed_so_pages_match_the_site(site):
    site.write(
        "mkdocs.yml",
        """
        site_name: Sub-path
        site_url: https://example.org/docs/
        theme: mkdocs
        plugins:
          - analytics:
              min_count: 1
              access_log:
                paths: [logs/access.log]
        """,
    )
    site.write("docs/index.md", "# Home\n")
    site.write("docs/guide.md", "# The guide\n")
    site.write("docs/faq.md", "# Questions\n")
    site.write(
        "logs/access.log",
        line("192.0.2.1", "10/Mar/2024:09:00:00", "GET /docs/ HTTP/1.1", 200, "-", FIREFOX)
        + line("192.0.2.1", "10/Mar/2024:09:01:00", "GET /docs/guide/ HTTP/1.1", 200, "-",
               FIREFOX)
        + line("192.0.2.2", "10/Mar/2024:09:02:00", "GET /shop/ HTTP/1.1", 200, "-",
               FIREFOX),
    )
    site.build()
    metrics = site.json("data/engagement-metrics.json")
    # /docs/ is the site's home page, /docs/guide/ its guide; /shop/ is not the site's.
    assert [(p["path"], p["title"], p["views"]) for p in metrics["pages"]] == [
        ("/", "Home", 1), ("/guide", "The guide", 1),
    ]
    assert metrics["unvisited_pages"] == [{"path": "/faq", "title": "Questions"}]
    assert metrics["data_quality"]["excluded"]["other_sites"] == 1
