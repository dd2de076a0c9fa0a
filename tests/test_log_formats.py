"""Every log format and line shape, read into exact counts; rotated files, overlaps, the cache.

Expected numbers are worked out by hand from the fixture lines (``fixtures/logs/README.md``).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from mkdocs_analytics.sources import access_log, log_formats
from mkdocs_analytics.sources.access_log import LogError, collect

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
FORMATS = FIXTURES / "formats"
SHAPES = FIXTURES / "shapes"

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def entry(client, stamp, request, status=200, agent=FIREFOX, referrer="-"):
    return f'{client} - - [{stamp} +0000] "{request}" {status} 100 "{referrer}" "{agent}"\n'


def counts(record):
    """The numbers a shape test compares: quality, exclusions, site days, pages."""
    quality = record["quality"]
    return {
        "read": (quality["lines_read"], quality["parsed"], quality["malformed"]),
        "excluded": record["excluded"],
        "site": [(d["date"], d["views"], d["visitors"]) for d in record["site_daily"]],
        "pages": [(d["path"], d["views"], d["visitors"]) for d in record["daily"]],
    }


# 1. Format detection on GoatCounter's own samples --------------------------------------------

# Every line of these files is from 10 Oct 2000 (20:55 UTC) but the proxy.pac line, from
# 15 May 2023: the period below covers both.
ALL_DAYS = {"period_end": date(2024, 3, 1), "period_days": 9000}


@pytest.mark.parametrize(
    ("name", "detected"),
    [
        ("combined", "combined"),
        ("combined-vhost", "combined-vhost"),
        ("common", "common"),
        ("common-vhost", "common-vhost"),
        ("bunny", "bunny"),
        ("bunny-extended", "bunny-extended"),
        ("caddy-1.json", "caddy"),
        ("caddy-2.json", "caddy"),
    ],
)
def test_each_sample_is_detected_as_its_format(name, detected, caplog):
    lines = (FORMATS / name).read_bytes().splitlines(keepends=True)
    assert log_formats.detect(lines)[0] == detected
    with caplog.at_level("INFO"):
        record, _ = collect([name], str(FORMATS), **ALL_DAYS)
    assert record["quality"]["format"] == detected
    assert record["quality"]["format_detected"] is True
    assert f"detected format {detected} in {name}" in caplog.text


def test_combined_and_bunny_samples_count_the_same_requests():
    # Five requests: GET / with the user agent "Mozilla/5.0" and a referrer, then four
    # requests whose user agent is "-" or empty: bots. The vhost and Bunny variants say the
    # same in other words (Bunny also has a country).
    for name in ("combined", "combined-vhost", "bunny", "bunny-extended"):
        record, _ = collect([name], str(FORMATS), **ALL_DAYS)
        assert counts(record)["read"] == (5, 5, 0), name
        assert record["excluded"] == {"bots": 4}, name
        assert [(d["date"], d["path"], d["views"], d["visitors"]) for d in record["daily"]] == [
            ("2000-10-10", "/", 1, 1)
        ], name
        assert record["referrers"] == [{"name": "example.com", "count": 1}], name
        assert record["quality"]["removed"]["bots"] == 4
        assert record["quality"]["kept"] == 1
    bunny, _ = collect(["bunny"], str(FORMATS), **ALL_DAYS)
    assert bunny["countries"] == [{"name": "DE", "count": 1}]


def test_common_samples_have_no_user_agent_so_no_bots():
    # The common format has no user agent: the four pages are views of 127.0.0.1 on 10 Oct
    # 2000; /proxy.pac (1.1.1.1, 2023) is an asset.
    for name in ("common", "common-vhost"):
        record, _ = collect([name], str(FORMATS), **ALL_DAYS)
        assert record["excluded"] == {"assets": 1}
        assert [(d["path"], d["views"], d["visitors"]) for d in record["daily"]] == [
            ("/", 1, 1), ("/dash-size", 1, 1), ("/test.html", 1, 1), ("/vhost-port", 1, 1),
        ]
        day = [d for d in record["site_daily"] if d["date"] == "2000-10-10"]
        assert day == [{"date": "2000-10-10", "views": 4, "visitors": 1}]
        assert record["browsers"] == [{"name": "Unknown", "count": 1}]


def test_caddy_samples():
    # caddy-1.json: one pretty-printed object (41 lines) and a blank line, which is bad.
    record, _ = collect(["caddy-1.json"], str(FORMATS), **ALL_DAYS)
    assert counts(record)["read"] == (42, 1, 1)
    assert record["quality"]["malformed_samples"] == [
        {"file": "caddy-1.json", "line": 42, "reason": "empty line"}
    ]
    # ts 1706794321 is 2024-02-01 13:32 UTC; the query string is dropped.
    assert counts(record)["pages"] == [("/absolute_uri.html", 1, 1)]
    assert record["referrers"] == [{"name": "another.example.com", "count": 1}]
    # caddy-2.json: five HEAD requests; the second has no User-Agent header, so it is a bot
    # (the first rule that applies), the other four are not GETs.
    record, _ = collect(["caddy-2.json"], str(FORMATS), **ALL_DAYS)
    assert counts(record)["read"] == (5, 5, 0)
    assert record["excluded"] == {"bots": 1, "methods": 4}


def test_virtual_hosts_of_other_sites_are_left_out():
    # With the site's host known, requests for other virtual hosts are another site's.
    record, _ = collect(["combined-vhost"], str(FORMATS), own_hosts=["docs.example.org"],
                        **ALL_DAYS)
    assert record["excluded"] == {"bots": 4, "other_sites": 1}
    assert record["daily"] == []
    record, _ = collect(["common-vhost"], str(FORMATS), own_hosts=["example.com"], **ALL_DAYS)
    assert record["excluded"] == {"assets": 1}  # example.com:80 is example.com


def test_a_configured_format_is_not_detected(caplog):
    with caplog.at_level("INFO"):
        record, _ = collect(["combined"], str(FORMATS), fmt="combined", **ALL_DAYS)
    assert record["quality"]["format_detected"] is False
    assert "configured format combined" in caplog.text


def test_an_unknown_format_or_bad_pattern_is_an_error():
    with pytest.raises(LogError, match="unknown log format"):
        collect(["combined"], str(FORMATS), fmt="apache2")
    with pytest.raises(LogError, match="no time"):
        collect(["combined"], str(FORMATS), fmt="pattern", pattern="%h %r %>s")
    with pytest.raises(LogError, match="needs the option 'pattern'"):
        collect(["combined"], str(FORMATS), fmt="pattern")


# 2. One file per line shape ------------------------------------------------------------------

DAY = "2024-03-10"

SHAPE_COUNTS = {
    # 2001:db8::1, fe80::1%eth0 and fe80::1%eth1 are three visitors (a zone id is part of the
    # address); each of /a and /b is seen by two.
    "ipv6.log": {
        "read": (4, 4, 0), "excluded": {}, "site": [(DAY, 4, 3)],
        "pages": [("/a", 2, 2), ("/b", 2, 2)],
    },
    # Host names (HostnameLookups On) are clients like addresses.
    "hostname.log": {
        "read": (3, 3, 0), "excluded": {}, "site": [(DAY, 3, 2)],
        "pages": [("/", 2, 2), ("/a", 1, 1)],
    },
    # The client is the last public address of the list: 203.0.113.9 twice (behind two
    # proxies), 198.51.100.4, and 10.0.0.2 when there is no list.
    "forwarded.log": {
        "read": (4, 4, 0), "excluded": {}, "site": [(DAY, 4, 3)],
        "pages": [("/", 1, 1), ("/a", 2, 2), ("/b", 1, 1)],
    },
    # \" in a referrer and a user agent, nginx's \x22 in a path and a user agent; the third
    # line is Googlebot with an escaped quote.
    "escapes.log": {
        "read": (3, 3, 0), "excluded": {"bots": 1}, "site": [(DAY, 2, 2)],
        "pages": [("/a", 1, 1), ('/b"c', 1, 1)],
    },
    # HTTP/2.0, HTTP/2, no protocol, HTTP/3: one visitor.
    "protocols.log": {
        "read": (4, 4, 0), "excluded": {}, "site": [(DAY, 4, 1)],
        "pages": [("/a", 2, 1), ("/b", 1, 1), ("/c", 1, 1)],
    },
    # Absolute targets of the site's host are its pages (www. and index.html folded); a proxy
    # request for another host is another site's; CONNECT is not a GET.
    "absolute.log": {
        "read": (4, 4, 0), "excluded": {"methods": 1, "other_sites": 1},
        "site": [(DAY, 2, 1)], "pages": [("/guide", 2, 1)],
    },
    # "" with user agent "-" is a bot; "-" and "" requests are not GETs.
    "empty-requests.log": {
        "read": (4, 4, 0), "excluded": {"bots": 1, "methods": 2}, "site": [(DAY, 1, 1)],
        "pages": [("/", 1, 1)],
    },
    # TLS handshakes on the HTTP port, escaped by Apache (one with user agent "-") and as raw
    # bytes.
    "binary.log": {
        "read": (4, 4, 0), "excluded": {"bots": 1, "methods": 2}, "site": [(DAY, 1, 1)],
        "pages": [("/", 1, 1)],
    },
    # A raw Latin-1 é and its percent-encoded form are one page; bytes that are no UTF-8 stay
    # percent-encoded.
    "non-utf8.log": {
        "read": (3, 3, 0), "excluded": {}, "site": [(DAY, 3, 3)],
        "pages": [("/%FF%FE", 1, 1), ("/caf%E9", 2, 2)],
    },
    # UTF-8 in upper or lower case hex is decoded; a double-encoded path is decoded once; an
    # encoded slash is a slash.
    "percent.log": {
        "read": (4, 4, 0), "excluded": {}, "site": [(DAY, 4, 4)],
        "pages": [("/a/b", 1, 1), ("/caf%C3%A9", 1, 1), ("/café", 2, 2)],
    },
    # A 20 kB query (dropped) with a 9 kB user agent, and an 8 kB path that is a 404.
    "long.log": {
        "read": (3, 3, 0), "excluded": {"errors": 1}, "site": [(DAY, 2, 2)],
        "pages": [("/a", 2, 2)],
    },
    # nginx's "$http_x_forwarded_for" ("-"), key=value fields, a number and a quoted cookie
    # after combined lines; a common line with a duration (%D).
    "trailing.log": {
        "read": (4, 4, 0), "excluded": {}, "site": [(DAY, 4, 4)],
        "pages": [("/a", 3, 3), ("/b", 1, 1)],
    },
}


@pytest.mark.parametrize("name", sorted(SHAPE_COUNTS))
def test_each_line_shape_counts_exactly(name):
    record, _ = collect([name], str(SHAPES), period_days=1, own_hosts=["docs.example.org"])
    assert counts(record) == SHAPE_COUNTS[name]
    quality = record["quality"]
    # Every request is removed by one rule or kept.
    assert sum(quality["removed"].values()) + quality["kept"] == quality["parsed"]
    assert quality["kept"] == sum(row["views"] for row in record["daily"])


def test_shape_details():
    escapes, _ = collect(["escapes.log"], str(SHAPES), period_days=1)
    assert escapes["referrers"] == [{"name": "ref.example", "count": 1}]
    assert escapes["browsers"] == [{"name": "Firefox", "count": 2}]
    long, _ = collect(["long.log"], str(SHAPES), period_days=1)
    # An 8,001-character path is cut to 1,000 characters, the last one the mark "…".
    assert long["not_found"] == [{"name": "/" + "a" * 998 + "…", "count": 1}]
    broken, _ = collect(["non-utf8.log"], str(SHAPES), period_days=1)
    # A referrer host in Windows-1251 bytes, percent-encoded like a path.
    assert broken["referrers"] == [{"name": "%e4%e5.example", "count": 1}]
    trailing, _ = collect(["trailing.log"], str(SHAPES), period_days=1)
    assert trailing["browsers"] == [
        {"name": "Firefox", "count": 3}, {"name": "Unknown", "count": 1},
    ]


def test_a_line_longer_than_a_chunk_is_one_line(tmp_path):
    lines = [
        entry("192.0.2.1", "10/Mar/2024:09:00:00", "GET /a/ HTTP/1.1"),
        entry("192.0.2.2", "10/Mar/2024:09:01:00",
              "GET /b/?pad=" + "z" * (access_log.CHUNK + 1000) + " HTTP/1.1"),
        "not a log line\n",
        entry("192.0.2.3", "10/Mar/2024:09:02:00", "GET /a/ HTTP/1.1"),
    ]
    (tmp_path / "big.log").write_text("".join(lines))
    record, _ = collect(["big.log"], str(tmp_path), period_days=1)
    assert counts(record)["read"] == (4, 3, 1)
    assert record["quality"]["malformed_samples"][0]["line"] == 3
    assert counts(record)["pages"] == [("/a", 2, 2), ("/b", 1, 1)]


def test_bad_lines_keep_their_numbers_in_a_large_file(tmp_path):
    # Enough lines for several pieces of the fast path; two bad lines far apart.
    good = entry("192.0.2.1", "10/Mar/2024:09:00:00", "GET /a/ HTTP/1.1")
    lines = [good] * 3000 + ["garbage\n"] + [good] * 3000 + ["\n"] + [good] * 10
    (tmp_path / "many.log").write_text("".join(lines))
    record, _ = collect(["many.log"], str(tmp_path), period_days=1)
    assert counts(record)["read"] == (6012, 6010, 2)
    assert [s["line"] for s in record["quality"]["malformed_samples"]] == [3001, 6002]
    assert counts(record)["site"] == [(DAY, 6010, 1)]


def test_site_url_path_leaves_out_other_paths(tmp_path):
    (tmp_path / "p.log").write_text(
        entry("192.0.2.1", "10/Mar/2024:09:00:00", "GET /docs/ HTTP/1.1")
        + entry("192.0.2.1", "10/Mar/2024:09:01:00", "GET /docs/guide/ HTTP/1.1")
        + entry("192.0.2.1", "10/Mar/2024:09:02:00", "GET /blog/ HTTP/1.1")
        + entry("192.0.2.1", "10/Mar/2024:09:03:00", "GET /docsearch/ HTTP/1.1")
    )
    record, _ = collect(["p.log"], str(tmp_path), period_days=1, prefix="/docs")
    # Pages keep their full path, as the site's page list names them.
    # Pages are named within the site, site_url's path removed: /docs/ is its home page.
    assert counts(record)["pages"] == [("/", 1, 1), ("/guide", 1, 1)]
    assert record["excluded"] == {"other_sites": 2}


def test_utm_parameters_are_campaigns_and_a_missing_referrer(tmp_path):
    (tmp_path / "utm.log").write_text(
        entry("192.0.2.1", "10/Mar/2024:09:00:00",
              "GET /a/?utm_source=Newsletter&utm_campaign=spring HTTP/1.1")
        # A referrer from another site wins over utm_source.
        + entry("192.0.2.2", "10/Mar/2024:09:01:00",
                "GET /a/?utm_source=newsletter&utm_medium=email HTTP/1.1",
                referrer="https://mail.example.com/inbox")
        + entry("192.0.2.3", "10/Mar/2024:09:02:00", "GET /a/?page=2 HTTP/1.1")
    )
    record, _ = collect(["utm.log"], str(tmp_path), period_days=1)
    assert counts(record)["pages"] == [("/a", 3, 3)]
    assert record["referrers"] == [
        {"name": "mail.example.com", "count": 1}, {"name": "newsletter", "count": 1},
    ]
    assert record["campaigns"] == [{"name": "spring", "count": 1}]


def test_a_zone_change_within_a_file_is_read_right(tmp_path):
    # Local time with a DST change: 01:30 happens twice, at -0600 and -0700.
    (tmp_path / "dst.log").write_text(
        entry("192.0.2.1", "05/Nov/2023:01:30:00 -0500", "GET /a/ HTTP/1.1").replace(
            " +0000", "")
        + entry("192.0.2.2", "05/Nov/2023:18:30:00 -0600", "GET /b/ HTTP/1.1").replace(
            " +0000", "")
        + entry("192.0.2.3", "05/Nov/2023:18:30:00 -0500", "GET /c/ HTTP/1.1").replace(
            " +0000", "")
    )
    record, _ = collect(["dst.log"], str(tmp_path), period_end=date(2023, 11, 6),
                        period_days=2)
    # 01:30-0500 is 06:30 UTC on the 5th; 18:30-0600 is 00:30 UTC on the 6th; 18:30-0500 is
    # 23:30 UTC on the 5th.
    assert [(d["date"], d["path"]) for d in record["daily"]] == [
        ("2023-11-05", "/a"), ("2023-11-05", "/c"), ("2023-11-06", "/b"),
    ]


# 3. User patterns ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "line"),
    [
        (
            '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i" %D',
            f'192.0.2.1 - - [10/Mar/2024:09:00:00 +0000] "GET /a/?utm_campaign=x HTTP/1.1" '
            f'200 100 "https://search.example/" "{FIREFOX}" 1234',
        ),
        (
            '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
            '"$http_referer" "$http_user_agent" $request_time',
            f'192.0.2.1 - - [10/Mar/2024:09:00:00 +0000] "GET /a/?utm_campaign=x HTTP/1.1" '
            f'200 100 "https://search.example/" "{FIREFOX}" 0.002',
        ),
        (
            '$time_iso8601 $remote_addr "$request" $status "$http_referer" "$http_user_agent"',
            f'2024-03-10T10:00:00+01:00 192.0.2.1 "GET /a/?utm_campaign=x HTTP/2.0" 200 '
            f'"https://search.example/" "{FIREFOX}"',
        ),
        (
            "$msec $remote_addr $request_method $request_uri $status $http_referer "
            '"$http_user_agent"',
            f"1710061200.123 192.0.2.1 GET /a/?utm_campaign=x 200 https://search.example/ "
            f'"{FIREFOX}"',
        ),
    ],
    ids=["apache", "nginx", "iso8601", "msec"],
)
def test_user_patterns(tmp_path, pattern, line):
    (tmp_path / "p.log").write_text(line + "\nnot this\n")
    record, _ = collect(["p.log"], str(tmp_path), period_days=1, fmt="pattern",
                        pattern=pattern)
    assert record["quality"]["format"] == "pattern"
    assert counts(record)["read"] == (2, 1, 1)
    assert record["quality"]["malformed_samples"] == [
        {"file": "p.log", "line": 2, "reason": "does not match the pattern"}
    ]
    assert counts(record)["site"] == [(DAY, 1, 1)]
    assert counts(record)["pages"] == [("/a", 1, 1)]
    assert record["referrers"] == [{"name": "search.example", "count": 1}]
    assert record["campaigns"] == [{"name": "x", "count": 1}]
    assert record["browsers"] == [{"name": "Firefox", "count": 1}]


def test_a_pattern_without_user_agent_counts_every_client():
    fmt = log_formats.get("pattern", "%h %t %r %>s")
    assert fmt.has_agent is False


# 4. Rotated files: time order, a .gz, an overlap --------------------------------------------

A, B, C, D, E = "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"
OLDER = [  # access.log.2.gz
    entry(A, "10/Mar/2024:08:00:00", "GET /a/ HTTP/1.1"),
    entry(B, "10/Mar/2024:09:00:00", "GET /b/ HTTP/1.1"),
    entry(A, "11/Mar/2024:01:00:00", "GET /a/ HTTP/1.1"),
    entry(C, "11/Mar/2024:02:00:00", "GET /c/ HTTP/1.1"),
]
MIDDLE = [  # access.log.1, after a copy of OLDER's last two lines
    entry(A, "11/Mar/2024:10:00:00", "GET /b/ HTTP/1.1"),
    entry(D, "11/Mar/2024:11:00:00", "GET /a/ HTTP/1.1"),
    entry(B, "12/Mar/2024:09:00:00", "GET /a/ HTTP/1.1"),
]
NEWEST = [  # access.log
    entry(B, "12/Mar/2024:12:00:00", "GET /b/ HTTP/1.1"),
    entry(E, "13/Mar/2024:08:00:00", "GET /c/ HTTP/1.1"),
    entry("192.0.2.9", "13/Mar/2024:09:00:00", "GET /a/ HTTP/1.1", agent=GOOGLEBOT),
]
# Day by day: the 10th: A /a, B /b. The 11th (in both older files): A /a, C /c, A /b, D /a:
# visitors A, C, D. The 12th (in both newer files): B /a, B /b. The 13th: E /c, a bot.
ROTATED_SITE = [
    {"date": "2024-03-10", "views": 2, "visitors": 2},
    {"date": "2024-03-11", "views": 4, "visitors": 3},
    {"date": "2024-03-12", "views": 2, "visitors": 1},
    {"date": "2024-03-13", "views": 1, "visitors": 1},
]
ROTATED_PAGES = [
    ("2024-03-10", "/a", 1, 1), ("2024-03-10", "/b", 1, 1),
    ("2024-03-11", "/a", 2, 2), ("2024-03-11", "/b", 1, 1), ("2024-03-11", "/c", 1, 1),
    ("2024-03-12", "/a", 1, 1), ("2024-03-12", "/b", 1, 1),
    ("2024-03-13", "/c", 1, 1),
]


def rotated(folder: Path, overlap: bool) -> None:
    (folder / "access.log.2.gz").write_bytes(gzip.compress("".join(OLDER).encode()))
    (folder / "access.log.1").write_text("".join((OLDER[2:] if overlap else []) + MIDDLE))
    (folder / "access.log").write_text("".join(NEWEST))


def pages(record):
    return [(d["date"], d["path"], d["views"], d["visitors"]) for d in record["daily"]]


def test_rotated_files_with_an_overlap_count_each_request_once(tmp_path):
    rotated(tmp_path, overlap=True)
    record, _ = collect(["access.log*"], str(tmp_path), period_days=4)
    quality = record["quality"]
    # In time order, whatever the names say.
    assert quality["files"] == ["access.log.2.gz", "access.log.1", "access.log"]
    # access.log.1 starts with two requests access.log.2.gz holds: counted once.
    assert (quality["lines_read"], quality["parsed"], quality["duplicates"]) == (12, 10, 2)
    assert record["site_daily"] == ROTATED_SITE
    assert pages(record) == ROTATED_PAGES
    assert record["excluded"] == {"bots": 1}
    assert (quality["kept"], quality["removed"]["bots"]) == (9, 1)


def test_logs_of_two_servers_for_the_same_hours_all_count(tmp_path):
    # web2 overlaps web1 in time but does not start with one of its requests: another
    # server's log. Its one request that looks like one of web1's still counts.
    (tmp_path / "web1.log").write_text("".join(OLDER))
    (tmp_path / "web2.log").write_text(
        entry(D, "10/Mar/2024:08:30:00", "GET /d/ HTTP/1.1") + OLDER[3]
    )
    record, _ = collect(["web*.log"], str(tmp_path), period_days=2)
    assert record["quality"]["duplicates"] == 0
    assert sum(d["views"] for d in record["site_daily"]) == 6


def test_the_same_file_twice_is_read_once(tmp_path):
    rotated(tmp_path, overlap=False)
    shutil.copy(tmp_path / "access.log.1", tmp_path / "access.log.1.copy")
    (tmp_path / "access.log.1.gz").write_bytes(
        gzip.compress((tmp_path / "access.log.1").read_bytes())
    )
    os.link(tmp_path / "access.log", tmp_path / "hardlink.log")
    record, _ = collect(["access.log*", "hardlink.log", "./access.log"], str(tmp_path),
                        period_days=4)
    quality = record["quality"]
    assert quality["duplicate_files"] == ["access.log.1.copy", "access.log.1.gz"]
    assert quality["files"] == ["access.log.2.gz", "access.log.1", "access.log"]
    assert record["site_daily"] == ROTATED_SITE
    assert pages(record) == ROTATED_PAGES


def test_period_days_only_keeps_the_days_it_needs(tmp_path):
    rotated(tmp_path, overlap=True)
    record, reader = collect(["access.log*"], str(tmp_path), period_days=2)
    assert record["site_daily"] == ROTATED_SITE[2:]
    assert sorted(reader.window) == ["2024-03-12", "2024-03-13"]
    # The quality counts still describe every file.
    assert record["quality"]["lines_read"] == 12


# 5. The cache -------------------------------------------------------------------------------


def cached(folder: Path, cache: Path, days=4):
    return collect(["access.log*"], str(folder), period_days=days, cache_dir=str(cache))


def test_unchanged_files_come_from_the_cache_with_the_same_counts(tmp_path):
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    logs.mkdir()
    rotated(logs, overlap=False)
    first, reader = cached(logs, cache)
    assert reader.deferred == []
    assert len(list(cache.glob("*.json"))) == 3
    assert first["site_daily"] == ROTATED_SITE
    assert pages(first) == ROTATED_PAGES

    again, reader = cached(logs, cache)
    assert [entry.name for entry in reader.deferred] == [
        "access.log.2.gz", "access.log.1", "access.log",
    ]
    # The 11th and the 12th are each split between two files: their parts are read again
    # to count visitors exactly (A is in both parts of the 11th, B in both of the 12th).
    assert reader.reread_days == 4
    assert again == first


def test_a_changed_file_is_read_again_and_a_renamed_one_is_not(tmp_path):
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    logs.mkdir()
    rotated(logs, overlap=False)
    cached(logs, cache)
    # logrotate renames: access.log.1 becomes access.log.2 (same content and time).
    os.rename(logs / "access.log.2.gz", logs / "access.log.3.gz")
    os.rename(logs / "access.log.1", logs / "access.log.2")
    with open(logs / "access.log", "a") as file:
        file.write(entry(C, "13/Mar/2024:10:00:00", "GET /a/ HTTP/1.1"))
    record, reader = cached(logs, cache)
    assert sorted(entry.name for entry in reader.deferred) == ["access.log.2", "access.log.3.gz"]
    assert [read.name for read in reader.reads] == ["access.log"]
    assert record["site_daily"][-1] == {"date": "2024-03-13", "views": 2, "visitors": 2}
    # The entry of the old access.log was not used: it is gone.
    assert len(list(cache.glob("*.json"))) == 3


def test_the_cache_holds_counts_only(tmp_path):
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    logs.mkdir()
    rotated(logs, overlap=False)
    cached(logs, cache)
    text = "".join(path.read_text() for path in cache.glob("*.json"))
    for secret in (A, B, C, D, E, "192.0.2", FIREFOX, "Mozilla", "Googlebot"):
        assert secret not in text
    entry_ = json.loads(next(cache.glob("*.json")).read_text())
    assert set(entry_) == {"fingerprint", "format", "first", "last", "digest", "quality",
                           "days"}


def test_other_options_make_the_cache_stale(tmp_path):
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    logs.mkdir()
    rotated(logs, overlap=False)
    cached(logs, cache)
    record, reader = collect(["access.log*"], str(logs), period_days=4, cache_dir=str(cache),
                             bots=["firefox"])
    assert reader.deferred == []
    assert record["excluded"] == {"bots": 10}


def test_a_period_end_reads_only_what_it_needs_from_the_cache(tmp_path):
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    logs.mkdir()
    rotated(logs, overlap=False)
    cached(logs, cache)
    record, reader = collect(["access.log*"], str(logs), period_end=date(2024, 3, 10),
                             period_days=1, cache_dir=str(cache))
    # The 10th is in access.log.2.gz alone: its counts come from the cache, nothing is read.
    assert reader.reread_days == 0 and reader.reads == []
    assert record["site_daily"] == ROTATED_SITE[:1]
    assert record["quality"]["lines_read"] == 10


def test_a_long_file_lets_go_of_the_visitors_of_days_it_no_longer_needs(tmp_path):
    # Thirty days in one file, the same two visitors each day and a third on the last day.
    # Only the last days are kept with visitor keys; the others are settled as counts, exact
    # still, as the cache shows.
    lines = []
    for day in range(1, 31):
        for client in (A, B):
            lines.append(entry(client, f"{day:02d}/Apr/2024:12:00:00", "GET /a/ HTTP/1.1"))
    lines.append(entry(C, "30/Apr/2024:13:00:00", "GET /a/ HTTP/1.1"))
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "april.log").write_text("".join(lines))
    cache = tmp_path / "cache"
    record, reader = collect(["april.log"], str(tmp_path / "logs"), period_days=2,
                             cache_dir=str(cache))
    assert record["site_daily"] == [
        {"date": "2024-04-29", "views": 2, "visitors": 2},
        {"date": "2024-04-30", "views": 3, "visitors": 3},
    ]
    assert sorted(reader.window) == ["2024-04-29", "2024-04-30"]
    days = json.loads(next(cache.glob("*.json")).read_text())["days"]
    assert len(days) == 30
    assert all(days[f"2024-04-{n:02d}"]["site_visitors"] == 2 for n in range(1, 30))
    assert days["2024-04-30"]["site_visitors"] == 3
    # A later run for settled days takes their counts from the cache: the same numbers.
    again, _ = collect(["april.log"], str(tmp_path / "logs"), period_end=date(2024, 4, 10),
                       period_days=3, cache_dir=str(cache))
    assert [d["visitors"] for d in again["site_daily"]] == [2, 2, 2]
