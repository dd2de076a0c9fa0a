"""Tests for the access-log source, with every expected number worked out by hand.

The main fixture is ``fixtures/logs/combined.log`` (18 lines, Apache/nginx combined format). Its
lines, what each one is, and the UTC day it lands on:

 1  A  10 09:00 +0000  GET /                  200  ref www.search.example  -> 03-10 view
 2  A  10 09:01 +0000  GET /assets/style.css  200  ref own host            -> 03-10 assets
 3  A  10 09:01 +0000  GET /img/logo.png      304  ref own host            -> 03-10 assets
 4  A  10 09:05 +0000  GET /guide/            200  ref own host            -> 03-10 view
 5  A  10 09:06 +0000  GET /guide/index.html  304  ref www.<own host>      -> 03-10 view
 6  B  10 23:30 -0200  GET /guide?utm_campaign=spring  200  ref WWW.Blog.Example.NET
                                                       -> 01:30 UTC on 03-11 view
 7  C  11 01:15 +0300  GET /about/            200  no ref  -> 22:15 UTC on 03-10 view
 8  Googlebot          GET /guide/            200                          -> 03-10 bots
 9  B  10 14:00        POST /search           200                          -> 03-10 methods
10  B  10 14:01        GET /old-page          301                          -> 03-10 redirects
11  B  11 08:00        GET /missing/          404                          -> 03-11 errors
                                                                              + not_found
12  B  11 08:00        GET /favicon.ico       404                          -> 03-11 errors
13  A  11 10:00        GET /                  200  ref search.example      -> 03-11 view
14  A  11 10:02        GET /guide/            200  ref www.search.example  -> 03-11 view
15  B  11 11:00        GET /guide/            200  no ref                  -> 03-11 view
16  D  11 11:30        GET /about             200  ref www.blog.example.net -> 03-11 view
17  A' 11 12:00        GET /guide/            200  no ref                  -> 03-11 view
18  AcmeWatch (user bot list)  GET /          200                          -> 03-11 bots

Visitors (client address + user agent): A = 192.0.2.10 + Firefox/Linux, A' = the same address
with Chrome/Windows (so a different visitor), B = 198.51.100.7 + Chrome/Windows,
C = 203.0.113.5 + Mobile Safari/iOS, D = 203.0.113.77 + Firefox/Linux.
"""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from mkdocs_analytics import plugin
from mkdocs_analytics.sources.access_log import LogError, collect, find_files, normalize_path

FIXTURES = Path(__file__).parent / "fixtures" / "logs"
COMBINED = FIXTURES / "combined.log"

OWN_HOSTS = ["docs.example.org"]
BOTS = ["acmewatch"]

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
ACMEWATCH = "AcmeWatch/1.0 (+https://acme.example)"
CLIENTS = ["192.0.2.10", "198.51.100.7", "203.0.113.5", "203.0.113.77", "192.0.2.99",
           "198.51.100.50"]


@pytest.fixture(autouse=True)
def warnings_stay_warnings(monkeypatch):
    """A build with ``log_level: info`` earlier in the process (test_plugin_build) leaves the
    plugin's downgrade of warnings on; these tests read the sources' warnings."""
    monkeypatch.setattr(plugin._DOWNGRADE, "active", False)

# ---------------------------------------------------------------------------------------------
# Expected record of combined.log over 2024-03-10..2024-03-11, worked out from the table above.

EXPECTED_SITE_DAILY = [
    # 03-10: views 1, 4, 5, 7; visitors A, C.
    {"date": "2024-03-10", "views": 4, "visitors": 2},
    # 03-11: views 6, 13, 14, 15, 16, 17; visitors B, A, D, A'.
    {"date": "2024-03-11", "views": 6, "visitors": 4},
]
EXPECTED_DAILY = [
    {"date": "2024-03-10", "path": "/", "views": 1, "visitors": 1},  # 1 (A)
    {"date": "2024-03-10", "path": "/about", "views": 1, "visitors": 1},  # 7 (C)
    {"date": "2024-03-10", "path": "/guide", "views": 2, "visitors": 1},  # 4, 5 (A twice)
    {"date": "2024-03-11", "path": "/", "views": 1, "visitors": 1},  # 13 (A)
    {"date": "2024-03-11", "path": "/about", "views": 1, "visitors": 1},  # 16 (D)
    {"date": "2024-03-11", "path": "/guide", "views": 4, "visitors": 3},  # 6 B, 14 A, 15 B, 17 A'
]
# Referrers count visitors once per day, like browsers: search.example = A on 03-10 (line 1)
# and A on 03-11 (lines 13 and 14, one person: 1); blog.example.net = B (6, upper case, www.)
# and D (16) on 03-11. A tie of 2, by name.
EXPECTED_REFERRERS = [
    {"name": "blog.example.net", "count": 2},
    {"name": "search.example", "count": 2},
]
# Once per visitor per day: Firefox = A on 03-10, A and D on 03-11; Chrome = B and A' on 03-11;
# Mobile Safari = C on 03-10.
EXPECTED_BROWSERS = [
    {"name": "Firefox", "count": 3},
    {"name": "Chrome", "count": 2},
    {"name": "Mobile Safari", "count": 1},
]
EXPECTED_SYSTEMS = [
    {"name": "Linux", "count": 3},
    {"name": "Windows", "count": 2},
    {"name": "iOS", "count": 1},
]
EXPECTED_EXCLUDED = {
    "assets": 2,  # 2 (css), 3 (png, 304)
    "bots": 2,  # 8 (Googlebot), 18 (user list)
    "errors": 2,  # 11 (page 404), 12 (asset 404)
    "methods": 1,  # 9 (POST)
    "redirects": 1,  # 10 (301)
}


def read(patterns, root, **options):
    options.setdefault("own_hosts", OWN_HOSTS)
    options.setdefault("bots", BOTS)
    return collect(patterns, str(root), **options)


def entry(client, stamp, request, status=200, referrer="-", agent=FIREFOX):
    """One combined-format line."""
    return f'{client} - - [{stamp}] "{request}" {status} 100 "{referrer}" "{agent}"\n'


def without_files(record):
    record = json.loads(json.dumps(record))
    del record["quality"]["files"]
    return record


# 1. The hand-written combined log ------------------------------------------------------------


def test_combined_log_counts_exactly():
    record, reader = read(["combined.log"], FIXTURES, period_days=2)

    assert record["source"] == "access_log"
    assert record["available"] is True
    assert record["measure"] == "page_views"
    # Without period_end the period ends on the latest UTC day in the log.
    assert record["period"] == {"start": "2024-03-10", "end": "2024-03-11", "days": 2}
    assert record["site_daily"] == EXPECTED_SITE_DAILY
    assert record["daily"] == EXPECTED_DAILY
    assert record["referrers"] == EXPECTED_REFERRERS
    assert record["browsers"] == EXPECTED_BROWSERS
    assert record["systems"] == EXPECTED_SYSTEMS
    assert record["campaigns"] == [{"name": "spring", "count": 1}]  # 6
    assert record["countries"] == []
    assert record["screen_sizes"] == []
    assert record["titles"] == {}
    # The page 404 (11) is listed; the asset 404 (12) only counts as an error.
    assert record["not_found"] == [{"name": "/missing", "count": 1}]
    assert record["excluded"] == EXPECTED_EXCLUDED
    assert record["quality"] == {
        "files": ["combined.log"],
        "format": "combined",
        "format_detected": True,
        "lines_read": 18,
        "parsed": 18,
        "malformed": 0,
        "malformed_samples": [],
        "damaged_files": [],
        "skipped_files": [],
        "duplicates": 0,
        "duplicate_files": [],
        # Over the whole file, which here is the period: the same as "excluded".
        "removed": {"bots": 2, "methods": 1, "other_sites": 0, "redirects": 1, "errors": 2,
                    "assets": 2},
        "kept": 10,
        "future": 0,
    }
    # Every line is accounted for exactly once: 10 views + 8 excluded = 18 parsed.
    views = sum(row["views"] for row in record["site_daily"])
    assert views + sum(record["excluded"].values()) == record["quality"]["parsed"]
    assert reader.files == ["combined.log"]


def test_user_bot_list_is_what_excludes_acmewatch():
    # Without the user list, line 18 (AcmeWatch, unknown to crawler-user-agents) is a view on
    # 03-11 of "/" by a new visitor, whose browser and system ua-parser calls "Other".
    record, _ = read(["combined.log"], FIXTURES, period_days=2, bots=())
    assert record["site_daily"][1] == {"date": "2024-03-11", "views": 7, "visitors": 5}
    assert record["excluded"]["bots"] == 1
    assert {"name": "Other", "count": 1} in record["browsers"]


def test_own_hosts_are_not_referrers_only_when_configured():
    # Without own_hosts, lines 4 and 5 (www. dropped) count docs.example.org: lines 2 and 3 are
    # assets, and referrers are only counted for page views. Both are A on 03-10: 1 visitor.
    record, _ = read(["combined.log"], FIXTURES, period_days=2, own_hosts=())
    assert record["referrers"] == [
        {"name": "blog.example.net", "count": 2},
        {"name": "search.example", "count": 2},
        {"name": "docs.example.org", "count": 1},
    ]


def test_missing_pages_count_people_not_requests(tmp_path):
    # One reader reloads a missing page six times, behind a proxy that forwards the address;
    # another reader asks for it once: 2 people, not 7 requests. A bot's 404 is a bot's.
    lines = [
        f'10.0.0.2 - - [10/Mar/2024:09:0{n}:00 +0000] "GET /secret-draft/ HTTP/1.1" 404 10 '
        f'"-" "{FIREFOX}" "198.51.100.20"\n' for n in range(6)
    ] + [
        entry("192.0.2.2", "10/Mar/2024:09:07:00 +0000", "GET /secret-draft HTTP/1.1", 404),
        entry("192.0.2.3", "10/Mar/2024:09:08:00 +0000", "GET /secret-draft/ HTTP/1.1", 404,
              agent=GOOGLEBOT),
    ]
    (tmp_path / "missing.log").write_text("".join(lines))
    record, _ = read(["missing.log"], tmp_path, period_days=1, fmt="nginx")
    assert record["not_found"] == [{"name": "/secret-draft", "count": 2}]
    # Every request still counts once in what was left out.
    assert record["excluded"] == {"bots": 1, "errors": 7}


def test_referrers_and_campaigns_count_people_not_page_views(tmp_path):
    wiki = "https://wiki.secret.example/page"
    spring = "GET /guide/?utm_campaign=spring HTTP/1.1"
    lines = [
        # One reader (192.0.2.1, Firefox) follows six links from the wiki on 03-10, three of
        # them from the spring campaign: 1 visitor for the wiki, 1 for the campaign.
        *(entry("192.0.2.1", f"10/Mar/2024:09:0{n}:00 +0000",
                spring if n < 3 else f"GET /p{n}/ HTTP/1.1", referrer=wiki) for n in range(6)),
        # The same reader the next day: a new visitor of that day (2 for the wiki, 2 for spring).
        entry("192.0.2.1", "11/Mar/2024:09:00:00 +0000", spring, referrer=wiki),
        # The same address with another browser is another person (3 for the wiki).
        entry("192.0.2.1", "11/Mar/2024:09:01:00 +0000", "GET / HTTP/1.1", referrer=wiki,
              agent=CHROME),
        # Hosts written as addresses are never named: IPv4 twice by one reader (1), IPv6 (1),
        # a utm_source that is an address (1): 3 people as "(an IP address)".
        entry("192.0.2.2", "11/Mar/2024:10:00:00 +0000", "GET / HTTP/1.1",
              referrer="http://192.168.1.77/admin"),
        entry("192.0.2.2", "11/Mar/2024:10:01:00 +0000", "GET /guide/ HTTP/1.1",
              referrer="http://192.168.1.77:8080/x"),
        entry("192.0.2.3", "11/Mar/2024:10:02:00 +0000", "GET / HTTP/1.1",
              referrer="https://[2001:db8::99]/"),
        entry("192.0.2.4", "11/Mar/2024:10:03:00 +0000",
              "GET /?utm_source=10.1.2.3 HTTP/1.1"),
    ]
    (tmp_path / "people.log").write_text("".join(lines))
    record, _ = read(["people.log"], tmp_path, period_days=2)
    assert record["site_daily"] == [
        {"date": "2024-03-10", "views": 6, "visitors": 1},
        {"date": "2024-03-11", "views": 6, "visitors": 5},
    ]
    assert record["referrers"] == [
        {"name": "(an IP address)", "count": 3},
        {"name": "wiki.secret.example", "count": 3},
    ]
    assert record["campaigns"] == [{"name": "spring", "count": 2}]
    text = json.dumps(record)
    for address in ("192.168", "2001:db8", "10.1.2.3"):
        assert address not in text


# 2. Bad lines ---------------------------------------------------------------------------------

# Written as bytes: line 8 holds a raw Latin-1 byte that is not valid UTF-8.
MIXED = b"".join(
    [
        # 1 good
        entry("192.0.2.1", "10/Mar/2024:09:00:00 +0000", "GET /a/ HTTP/1.1").encode(),
        # 2 bad: the user agent's quote is never closed
        b'192.0.2.2 - - [10/Mar/2024:09:01:00 +0000] "GET /a/ HTTP/1.1" 200 10 "-" '
        b'"Mozilla/5.0 (X11\n',
        # 3 good: IPv6 client
        entry("2001:db8::1", "10/Mar/2024:09:02:00 +0000", "GET /b/ HTTP/1.1").encode(),
        # 4 a request with no request line: read, and a bot ("-" user agent)
        b'192.0.2.4 - - [10/Mar/2024:09:03:00 +0000] "" 400 0 "-" "-"\n',
        # 5 good: an escaped quote inside the user agent
        entry(
            "192.0.2.3", "10/Mar/2024:09:04:00 +0000", "GET /a/ HTTP/1.1",
            agent=FIREFOX + r" \"quoted\"",
        ).encode(),
        # 6 a TLS handshake sent to the plain-HTTP port, as Apache escapes it: read, a bot
        rb'192.0.2.5 - - [10/Mar/2024:09:05:00 +0000] "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1'
        rb'\x03\x03" 400 226 "-" "-"' + b"\n",
        # 7 bad: blank line
        b"\n",
        # 8 good: a raw non-UTF-8 byte (0xE9, "e acute" in Latin-1) in the path
        b'192.0.2.6 - - [10/Mar/2024:09:06:00 +0000] "GET /caf\xe9 HTTP/1.1" 200 10 "-" "'
        + FIREFOX.encode() + b'"\n',
        # 9 bad: not a log line at all (and it holds an address that must not leak)
        b"192.0.2.8 this is not a log line\n",
        # 10 good: percent-encoded UTF-8 is decoded
        entry("192.0.2.7", "10/Mar/2024:09:07:00 +0000", "GET /caf%C3%A9/ HTTP/1.1").encode(),
    ]
)
MIXED_CLIENTS = ["192.0.2.1", "192.0.2.2", "2001:db8::1", "192.0.2.4", "192.0.2.3", "192.0.2.5",
                 "192.0.2.6", "192.0.2.8", "192.0.2.7"]


def test_bad_lines_are_counted_and_sampled_and_good_ones_kept(tmp_path):
    (tmp_path / "mixed.log").write_bytes(MIXED)
    record, _ = read(["mixed.log"], tmp_path, period_days=1)

    # Good lines 1, 3, 5, 8, 10: five visitors (all different addresses), five views.
    assert record["site_daily"] == [{"date": "2024-03-10", "views": 5, "visitors": 5}]
    assert record["daily"] == [
        {"date": "2024-03-10", "path": "/a", "views": 2, "visitors": 2},  # 1, 5
        {"date": "2024-03-10", "path": "/b", "views": 1, "visitors": 1},  # 3 (IPv6)
        {"date": "2024-03-10", "path": "/caf%E9", "views": 1, "visitors": 1},  # 8
        {"date": "2024-03-10", "path": "/café", "views": 1, "visitors": 1},  # 10
    ]
    # The escaped quote does not hide that line 5 is Firefox on Linux.
    assert record["browsers"] == [{"name": "Firefox", "count": 5}]
    assert record["systems"] == [{"name": "Linux", "count": 5}]
    # Lines 4 and 6 are well-formed log lines of requests that were no request: read, and
    # left out (by their "-" user agent, the first rule that applies).
    assert record["excluded"] == {"bots": 2}
    quality = record["quality"]
    assert (quality["lines_read"], quality["parsed"], quality["malformed"]) == (10, 7, 3)
    assert quality["malformed_samples"] == [
        {"file": "mixed.log", "line": 2, "reason": "unterminated quote"},
        {"file": "mixed.log", "line": 7, "reason": "empty line"},
        {"file": "mixed.log", "line": 9, "reason": "not in combined or common log format"},
    ]
    samples = json.dumps(record["quality"]["malformed_samples"])
    for client in MIXED_CLIENTS:
        assert client not in samples


def test_only_five_samples_are_kept_but_every_bad_line_is_counted(tmp_path):
    lines = [
        entry("192.0.2.1", "32/Mar/2024:09:00:00 +0000", "GET / HTTP/1.1"),  # 1 no such day
        # 2: common fields and a trailing one (such as %D): read
        '192.0.2.1 - - [10/Mar/2024:09:00:00 +0000] "GET / HTTP/1.1" 200 10 junk\n',
        f'192.0.2.1 - - [10/Mar/2024:09:00:00 +0000] "GET / HTTP/1.1" - 0 "-" "{FIREFOX}"\n',
        entry("192.0.2.1", "10/Mar/2024:09:00:00", "GET / HTTP/1.1"),  # 4 no time zone
        entry("192.0.2.1", "10/Mar/2024:09:00:00 +0000", "GET / HTTP/1.1"),  # 5 good
        "garbage\n",  # 6
        "\n",  # 7
        "garbage\n",  # 8, over the sample limit
    ]
    (tmp_path / "bad.log").write_text("".join(lines))
    record, _ = read(["bad.log"], tmp_path, period_days=1)
    quality = record["quality"]
    assert (quality["lines_read"], quality["parsed"], quality["malformed"]) == (8, 2, 6)
    assert quality["malformed_samples"] == [
        {"file": "bad.log", "line": 1, "reason": "unreadable time"},
        {"file": "bad.log", "line": 3, "reason": "no status"},
        {"file": "bad.log", "line": 4, "reason": "unreadable time"},
        {"file": "bad.log", "line": 6, "reason": "not in combined or common log format"},
        {"file": "bad.log", "line": 7, "reason": "empty line"},
    ]
    # Lines 2 and 5: one visitor (the common line 2 has no user agent, so it is another).
    assert record["site_daily"] == [{"date": "2024-03-10", "views": 2, "visitors": 2}]


def gzip_member(text: str) -> bytes:
    return gzip.compress(text.encode(), mtime=0)


# The start of a gzip member whose deflate data breaks at once: a truncated member (EOFError)
# and one whose first block has the reserved block type 3 (zlib.error).
TRUNCATED_MEMBER = gzip_member(
    entry("192.0.2.9", "10/Mar/2024:10:00:00 +0000", "GET /x/ HTTP/1.1")
)[:12]
CORRUPT_MEMBER = gzip_member("x")[:10] + b"\x07" + b"\x00" * 16


@pytest.mark.parametrize(
    "damage", [TRUNCATED_MEMBER, CORRUPT_MEMBER], ids=["truncated", "corrupt"]
)
def test_damaged_gzip_keeps_what_was_read_and_numbers_lines_per_file(tmp_path, damage):
    # a.log (2 good lines) is read first, then b.log.gz: one complete member of 3 good lines
    # followed by a damaged member. The damage is reported at line 4 *of b.log.gz*, and the
    # 2 + 3 lines read before it still count.
    first = "".join(
        entry(f"192.0.2.{n}", "10/Mar/2024:09:00:00 +0000", "GET /a/ HTTP/1.1") for n in (1, 2)
    )
    second = "".join(
        entry(f"192.0.2.{n}", "10/Mar/2024:09:00:00 +0000", "GET /b/ HTTP/1.1") for n in (3, 4, 5)
    )
    (tmp_path / "a.log").write_text(first)
    (tmp_path / "b.log.gz").write_bytes(gzip_member(second) + damage)

    record, _ = read(["a.log", "b.log.gz"], tmp_path, period_days=1)

    assert record["site_daily"] == [{"date": "2024-03-10", "views": 5, "visitors": 5}]
    quality = record["quality"]
    assert quality["files"] == ["a.log", "b.log.gz"]
    assert (quality["lines_read"], quality["parsed"], quality["malformed"]) == (5, 5, 1)
    [sample] = quality["malformed_samples"]
    assert (sample["file"], sample["line"]) == ("b.log.gz", 4)
    assert sample["reason"].startswith("file damaged: ")


# Agents that crawler-user-agents does not list, but ua-parser calls a "Spider" device.
FAVICON = ("Mozilla/5.0 (X11; U; Linux x86_64; en-US; rv:1.9.2.13) Gecko/20101203 "
           "Firefox/6.0 Google favicon")
SPINN3R = ("Mozilla/5.0 (X11; U; Linux x86_64; en-US; rv:1.9.0.19) Gecko/2010040116 "
           "Ubuntu/9.04 (jaunty) Firefox/3.0.19 - Spinn3r 3.1 http://spinn3r.com/robot")


def test_agents_ua_parser_calls_spiders_are_bots(tmp_path):
    (tmp_path / "spiders.log").write_text(
        entry("192.0.2.1", "10/Mar/2024:09:00:00 +0000", "GET / HTTP/1.1", agent=FAVICON)
        + entry("192.0.2.2", "10/Mar/2024:09:01:00 +0000", "GET /guide/ HTTP/1.1",
                agent=SPINN3R)
        + entry("192.0.2.2", "10/Mar/2024:09:02:00 +0000", "GET /a/ HTTP/1.1", agent=SPINN3R)
        + entry("192.0.2.3", "10/Mar/2024:09:03:00 +0000", "GET / HTTP/1.1")
    )
    record, _ = read(["spiders.log"], tmp_path, period_days=1)
    # Only the Firefox 121 reader (line 4) is a person; lines 1 to 3 are bots.
    assert record["site_daily"] == [{"date": "2024-03-10", "views": 1, "visitors": 1}]
    assert record["excluded"] == {"bots": 3}
    assert record["browsers"] == [{"name": "Firefox", "count": 1}]


# Sources that give nothing say so at WARNING ------------------------------------------------


def warnings_of(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]


ERROR_LOG = (
    "[Sun Mar 10 09:00:00.123456 2024] [core:error] [pid 1234] [client 192.0.2.1:5555] "
    "AH00126: Invalid URI in request GET /x HTTP/1.1\n"
    "[Sun Mar 10 09:00:01 2024] [mpm_event:notice] [pid 1] AH00489: Apache/2.4.58 configured\n"
)


def test_an_error_log_or_an_empty_log_gives_nothing_and_says_so(tmp_path, caplog):
    (tmp_path / "error.log").write_text(ERROR_LOG)
    (tmp_path / "empty.log").write_text("")
    caplog.set_level("INFO")
    record, _ = read(["error.log"], tmp_path)
    assert record is None
    # The malformed lines are reported, and the warning says why nothing counts.
    messages = [r.getMessage() for r in caplog.records]
    assert (
        "analytics: access log: 2 malformed lines skipped, first: error.log:1 (not in combined "
        "or common log format), error.log:2 (not in combined or common log format)"
    ) in messages
    assert warnings_of(caplog) == [
        "analytics: access log: nothing to count: none of the 2 lines of error.log is a request "
        "in format combined (line 1: not in combined or common log format). Is it an access "
        "log? An error log holds no requests; for another format, set access_log.format or "
        "access_log.pattern"
    ]
    caplog.clear()
    record, _ = read(["empty.log"], tmp_path)
    assert record is None
    assert warnings_of(caplog) == ["analytics: access log: nothing to count: empty.log is empty"]


def test_a_gzip_that_breaks_off_is_a_warning_with_how_much_was_read(tmp_path, caplog):
    lines = "".join(
        entry(f"192.0.2.{n}", "10/Mar/2024:09:00:00 +0000", "GET /b/ HTTP/1.1") for n in (3, 4, 5)
    )
    # Each line: 75 characters up to the user agent's quote, its 70, then '"' and a newline:
    # 147 bytes, 441 in all.
    assert len(lines.encode()) == 3 * (75 + len(FIREFOX) + 2) == 441
    (tmp_path / "b.log.gz").write_bytes(gzip_member(lines) + TRUNCATED_MEMBER)
    record, _ = read(["b.log.gz"], tmp_path, period_days=1)
    assert record["site_daily"] == [{"date": "2024-03-10", "views": 3, "visitors": 3}]
    assert record["quality"]["damaged_files"] == [
        {"file": "b.log.gz", "lines": 3, "bytes": 441,
         "error": "file damaged: Compressed file ended before the end-of-stream marker was "
                  "reached"},
    ]
    assert warnings_of(caplog) == [
        "analytics: access log: b.log.gz broke off after 3 lines (441 bytes of text): file "
        "damaged: Compressed file ended before the end-of-stream marker was reached; the lines "
        "before it are counted, the rest of the file is lost"
    ]
    # A second run counts the file from the cache and says it again.
    caplog.clear()
    cache = str(tmp_path / "cache")
    read(["b.log.gz"], tmp_path, period_days=1, cache_dir=cache)
    caplog.clear()
    again, reader = read(["b.log.gz"], tmp_path, period_days=1, cache_dir=cache)
    assert [entry.name for entry in reader.deferred] == ["b.log.gz"]
    assert again["quality"]["damaged_files"] == record["quality"]["damaged_files"]
    assert len(warnings_of(caplog)) == 1


def test_a_file_that_cannot_be_opened_is_left_out_and_the_others_count(tmp_path, caplog,
                                                                      monkeypatch):
    from mkdocs_analytics.sources import access_log

    shutil.copy(COMBINED, tmp_path / "access.log")
    (tmp_path / "access.log.1").write_text("x\n")

    def refusing(path, *args, **kwargs):
        # access.log.1 cannot be opened (permissions, a disk error); root reads any mode.
        if str(path).endswith("access.log.1"):
            raise PermissionError(13, "Permission denied", str(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(access_log, "open", refusing, raising=False)
    record, _ = read(["access.log*"], tmp_path, period_days=2)
    assert record["site_daily"] == EXPECTED_SITE_DAILY
    assert record["quality"]["files"] == ["access.log"]
    reason = f"couldn't read access.log.1: [Errno 13] Permission denied: '{tmp_path}/access.log.1'"
    assert record["quality"]["skipped_files"] == [{"file": "access.log.1", "reason": reason}]
    assert warnings_of(caplog) == [
        f"analytics: access log: {reason}; that file is left out, the other files are counted"
    ]
    # With no file left, the source is left out, with the reason.
    with pytest.raises(LogError, match="^couldn't read access.log.1: "):
        read(["access.log.1"], tmp_path)


def test_requests_all_for_other_hosts_warn_and_name_the_option(tmp_path, caplog):
    # A vhost log of another site: every request names www.other.example, not this site.
    (tmp_path / "vhost.log").write_text("".join(
        f"www.other.example:443 192.0.2.{n} - - [10/Mar/2024:09:00:00 +0000] "
        f'"GET /page/ HTTP/1.1" 200 10 "-" "{FIREFOX}"\n'
        for n in (1, 2, 3)
    ))
    record, _ = read(["vhost.log"], tmp_path, period_days=1)
    assert record["site_daily"] == [{"date": "2024-03-10", "views": 0, "visitors": 0}]
    assert record["excluded"] == {"other_sites": 3}
    assert warnings_of(caplog) == [
        "analytics: access log: no page view in vhost.log: of 3 requests, 3 other_sites; every "
        "request is for another site than docs.example.org: list the host names this site is "
        "served under in access_log.hosts, or check site_url"
    ]


def test_a_period_without_a_request_of_the_logs_is_said(tmp_path, caplog):
    record, _ = read(["combined.log"], FIXTURES, period_end=date(2024, 3, 1), period_days=7)
    # The logs say nothing of that week: no numbers (not seven zeros), and the reason.
    assert record["available"] is False
    assert record["reason"] == "no request in the period: the logs hold 2024-03-10..2024-03-11"
    assert "site_daily" not in record
    assert warnings_of(caplog) == [
        "analytics: access log: no request in 2024-02-24--2024-03-01: the logs hold "
        "2024-03-10..2024-03-11"
    ]


def test_a_build_of_an_error_log_fails_strict_unless_log_level_is_info(site):
    from mkdocs.exceptions import Abort

    site.write("mkdocs.yml", """
        site_name: Errors
        theme: mkdocs
        plugins:
          - analytics:
              access_log:
                paths: [logs/error.log]
        """)
    site.write("docs/index.md", "# Home\n")
    site.write("logs/error.log", ERROR_LOG)
    with pytest.raises(Abort, match="Aborted with 1 warnings in strict mode"):
        site.build(strict=True)
    site.write("mkdocs.yml", site.root.joinpath("mkdocs.yml").read_text()
               .replace("  - analytics:\n", "  - analytics:\n      log_level: info\n"))
    site.build(strict=True)
    report = site.json("data/system-engagement-report.json")
    assert report["sources"]["access_log"] == {
        "available": False, "reason": "no requests in the logs",
    }


# access_log.hosts as people write them -------------------------------------------------------


def test_hosts_given_as_urls_are_host_names(site):
    from mkdocs_analytics import project

    site.write("mkdocs.yml", """
        site_name: Hosts
        site_url: https://docs.example.org/
        theme: mkdocs
        plugins:
          - analytics:
              min_count: 1
              period_days: 1
              access_log:
                paths: [logs/access.log]
                hosts: ["https://www.example.net/", "WWW.Example.NET:443", "Mirror.Example.COM.",
                        "http://[2001:DB8::1]:8080/docs/"]
        """)
    site.write("docs/index.md", "# Home\n")
    # A vhost log: two requests for www.example.net, one for the site_url host, one for a
    # host that is not this site's.
    site.write("logs/access.log", "".join(
        f'{host} 192.0.2.{n} - - [10/Mar/2024:09:00:00 +0000] "GET / HTTP/1.1" 200 10 "-" '
        f'"{FIREFOX}"\n'
        for n, host in enumerate(["www.example.net:443", "WWW.EXAMPLE.NET", "docs.example.org",
                                  "other.example"], 1)
    ))
    _, _, settings = project.load(str(site.root / "mkdocs.yml"))
    assert settings.own_hosts == ["docs.example.org", "www.example.net", "www.example.net",
                                  "mirror.example.com", "2001:db8::1"]
    site.build()
    metrics = site.json("data/engagement-metrics.json")
    assert metrics["site_totals"]["page_views"] == 3
    assert metrics["data_quality"]["excluded"] == {"other_sites": 1}


def test_a_host_entry_without_a_host_name_is_refused(site):
    from mkdocs_analytics import project

    site.write("mkdocs.yml", """
        site_name: Hosts
        plugins:
          - analytics:
              access_log:
                hosts: ["https://"]
        """)
    site.write("docs/index.md", "# Home\n")
    with pytest.raises(project.ProjectError, match=(
        "option 'access_log.hosts': 'https://' is not a host name such as 'docs.example.org'"
    )):
        project.load(str(site.root / "mkdocs.yml"))


# 3. Common log format -------------------------------------------------------------------------


def test_common_format_counts_every_request_and_visitors_by_address(tmp_path):
    # The common format has no referrer and no user agent, so nothing tells people from
    # crawlers: every request is judged on method, status and path alone, and a visitor is
    # a client address on a day. Browser and system are "Unknown".
    (tmp_path / "common.log").write_text(
        '192.0.2.1 - frank [10/Mar/2024:09:00:00 +0000] "GET /guide/ HTTP/1.1" 200 2000\n'
        '192.0.2.1 - - [10/Mar/2024:09:00:30 +0000] "GET /guide/next/ HTTP/1.1" 200 2000\n'
        '192.0.2.1 - - [10/Mar/2024:09:01:00 +0000] "GET /assets/app.js HTTP/1.1" 200 500\n'
        '192.0.2.2 - - [10/Mar/2024:09:02:00 +0000] "POST /search HTTP/1.0" 200 50\n'
        '192.0.2.2 - - [10/Mar/2024:09:03:00 +0000] "GET /missing/ HTTP/1.0" 404 -\n'
        '192.0.2.3 - - [10/Mar/2024:09:04:00 +0000] "GET /guide HTTP/1.0" 304 -\n'
    )
    record, _ = read(["common.log"], tmp_path, period_days=1)
    assert record["site_daily"] == [{"date": "2024-03-10", "views": 3, "visitors": 2}]
    assert record["daily"] == [
        {"date": "2024-03-10", "path": "/guide", "views": 2, "visitors": 2},
        {"date": "2024-03-10", "path": "/guide/next", "views": 1, "visitors": 1},
    ]
    assert record["browsers"] == [{"name": "Unknown", "count": 2}]
    assert record["not_found"] == [{"name": "/missing", "count": 1}]
    assert record["excluded"] == {"assets": 1, "errors": 1, "methods": 1}
    quality = record["quality"]
    assert (quality["lines_read"], quality["parsed"], quality["malformed"]) == (6, 6, 0)


def test_feed_queries_on_page_paths_are_assets(tmp_path):
    # Feed readers poll /blog/?flav=rss20 all day long; that is not reading.
    (tmp_path / "feed.log").write_text(
        entry("192.0.2.1", "10/Mar/2024:09:00:00 +0000", "GET /blog/?flav=rss20 HTTP/1.1")
        + entry("192.0.2.1", "10/Mar/2024:09:01:00 +0000", "GET /blog/?feed=rss2 HTTP/1.1")
        + entry("192.0.2.1", "10/Mar/2024:09:02:00 +0000", "GET /blog/?page=2 HTTP/1.1")
    )
    record, _ = read(["feed.log"], tmp_path, period_days=1)
    assert record["site_daily"] == [{"date": "2024-03-10", "views": 1, "visitors": 1}]
    assert record["excluded"] == {"assets": 2}


def test_dash_user_agent_is_a_bot_too(tmp_path):
    (tmp_path / "dash.log").write_text(
        entry("192.0.2.1", "10/Mar/2024:09:00:00 +0000", "GET /guide/ HTTP/1.1", agent="-")
        + entry("192.0.2.1", "10/Mar/2024:09:01:00 +0000", "GET /guide/ HTTP/1.1")
    )
    record, _ = read(["dash.log"], tmp_path, period_days=1)
    assert record["site_daily"] == [{"date": "2024-03-10", "views": 1, "visitors": 1}]
    assert record["excluded"] == {"bots": 1}


# 4. Compressed files and globs ----------------------------------------------------------------


def test_gzip_and_glob_give_the_same_counts_as_the_plain_file(tmp_path):
    lines = COMBINED.read_bytes().splitlines(keepends=True)
    # Rotated logs: the older half compressed, the newer half plain; a glob picks both.
    (tmp_path / "access.log.1.gz").write_bytes(gzip.compress(b"".join(lines[:9])))
    (tmp_path / "access.log").write_bytes(b"".join(lines[9:]))
    (tmp_path / "whole").mkdir()
    (tmp_path / "whole" / "all.log.gz").write_bytes(gzip.compress(COMBINED.read_bytes()))

    plain, _ = read(["combined.log"], FIXTURES, period_days=2)
    globbed, _ = read(["access.log*"], tmp_path, period_days=2)
    compressed, _ = read(["whole/all.log.gz"], tmp_path, period_days=2)

    # In time order: the older half first.
    assert globbed["quality"]["files"] == ["access.log.1.gz", "access.log"]
    assert compressed["quality"]["files"] == ["all.log.gz"]
    assert without_files(globbed) == without_files(plain)
    assert without_files(compressed) == without_files(plain)
    # And both are the hand-worked numbers, not merely equal to each other.
    assert globbed["site_daily"] == EXPECTED_SITE_DAILY
    assert globbed["daily"] == EXPECTED_DAILY
    assert compressed["excluded"] == EXPECTED_EXCLUDED


def test_a_file_named_twice_is_read_once(tmp_path):
    shutil.copy(COMBINED, tmp_path / "access.log")
    record, _ = read(["access.log", "access.*", "./access.log"], tmp_path, period_days=2)
    assert record["quality"]["lines_read"] == 18
    assert record["site_daily"] == EXPECTED_SITE_DAILY


def test_missing_file_or_empty_glob_is_an_error(tmp_path):
    with pytest.raises(LogError):
        find_files(["nothing-*.log"], str(tmp_path))
    with pytest.raises(LogError):
        find_files(["absent.log"], str(tmp_path))


# 5. Period selection --------------------------------------------------------------------------

PERIOD_LOG = "".join(
    [
        # 1: 03-08, before every window below.
        entry("192.0.2.1", "08/Mar/2024:10:00:00 +0000", "GET /old/ HTTP/1.1",
              referrer="https://old.example/"),
        # 2: local 03-09 but 00:30 UTC on 03-10.
        entry("192.0.2.2", "09/Mar/2024:23:30:00 -0100", "GET /guide/ HTTP/1.1",
              referrer="https://www.in.example/"),
        # 3: 03-10, a page 404.
        entry("192.0.2.2", "10/Mar/2024:12:00:00 +0000", "GET /missing/ HTTP/1.1", status=404),
        # 4 and 5: 03-11, a view with referrer and campaign, and a page 404.
        entry("192.0.2.3", "11/Mar/2024:12:00:00 +0000", "GET /new/?utm_campaign=late HTTP/1.1",
              referrer="https://new.example/"),
        entry("192.0.2.3", "11/Mar/2024:12:01:00 +0000", "GET /gone/ HTTP/1.1", status=404),
        # 6: local 03-11 but 00:30 UTC on 03-12, and only a bot: the latest day in the log.
        entry("192.0.2.4", "11/Mar/2024:23:30:00 -0100", "GET / HTTP/1.1", agent=GOOGLEBOT),
    ]
)


def test_period_without_end_ends_on_the_latest_utc_day(tmp_path):
    (tmp_path / "p.log").write_text(PERIOD_LOG)
    record, _ = read(["p.log"], tmp_path, period_days=3)
    # The latest day is 03-12 (line 6, a bot), so the window is 03-10..03-12; line 1 is out.
    assert record["period"] == {"start": "2024-03-10", "end": "2024-03-12", "days": 3}
    assert record["site_daily"] == [
        {"date": "2024-03-10", "views": 1, "visitors": 1},
        {"date": "2024-03-11", "views": 1, "visitors": 1},
        {"date": "2024-03-12", "views": 0, "visitors": 0},
    ]
    assert record["daily"] == [
        {"date": "2024-03-10", "path": "/guide", "views": 1, "visitors": 1},
        {"date": "2024-03-11", "path": "/new", "views": 1, "visitors": 1},
    ]
    assert record["referrers"] == [
        {"name": "in.example", "count": 1},
        {"name": "new.example", "count": 1},
    ]
    assert record["campaigns"] == [{"name": "late", "count": 1}]
    assert record["not_found"] == [{"name": "/gone", "count": 1}, {"name": "/missing", "count": 1}]
    assert record["excluded"] == {"bots": 1, "errors": 2}


def test_default_period_is_seven_days_days_before_the_log_unknown_empty_days_zero(tmp_path):
    (tmp_path / "p.log").write_text(PERIOD_LOG)
    record, _ = read(["p.log"], tmp_path)
    assert record["period"] == {"start": "2024-03-06", "end": "2024-03-12", "days": 7}
    # The log starts on 03-08 (line 1): 03-06 and 03-07 are unknown (null), not zero; 03-09
    # (no request, between requests) and 03-12 (a bot only) are zero.
    assert record["site_daily"][:2] == [
        {"date": "2024-03-06", "views": None, "visitors": None},
        {"date": "2024-03-07", "views": None, "visitors": None},
    ]
    assert [row["views"] for row in record["site_daily"]] == [None, None, 1, 0, 1, 1, 0]
    assert [row["visitors"] for row in record["site_daily"]] == [None, None, 1, 0, 1, 1, 0]
    assert [row["date"] for row in record["site_daily"]][2] == "2024-03-08"
    assert record["referrers"] == [
        {"name": "in.example", "count": 1},
        {"name": "new.example", "count": 1},
        {"name": "old.example", "count": 1},
    ]


def test_period_end_counts_only_days_inside_the_window(tmp_path):
    (tmp_path / "p.log").write_text(PERIOD_LOG)
    record, _ = read(["p.log"], tmp_path, period_end=date(2024, 3, 10), period_days=2)
    assert record["period"] == {"start": "2024-03-09", "end": "2024-03-10", "days": 2}
    # Line 2 was logged on local 03-09 but belongs to UTC 03-10.
    assert record["site_daily"] == [
        {"date": "2024-03-09", "views": 0, "visitors": 0},
        {"date": "2024-03-10", "views": 1, "visitors": 1},
    ]
    assert record["daily"] == [
        {"date": "2024-03-10", "path": "/guide", "views": 1, "visitors": 1},
    ]
    # old.example (03-08) and new.example (03-11) are outside the window, as are the campaign,
    # the /gone 404 and the bot.
    assert record["referrers"] == [{"name": "in.example", "count": 1}]
    assert record["campaigns"] == []
    assert record["not_found"] == [{"name": "/missing", "count": 1}]
    assert record["excluded"] == {"errors": 1}
    # The quality counts describe the files read, not the window.
    quality = record["quality"]
    assert (quality["lines_read"], quality["parsed"], quality["malformed"]) == (6, 6, 0)


def test_no_request_at_all_gives_no_record(tmp_path):
    (tmp_path / "junk.log").write_text("garbage\n\n")
    record, reader = read(["junk.log"], tmp_path)
    assert record is None
    quality = reader.quality()
    assert quality["lines_read"] == 2
    assert quality["malformed"] == 2
    assert [sample["line"] for sample in quality["malformed_samples"]] == [1, 2]


@pytest.mark.parametrize(
    ("stamp", "day"),
    [
        ("01/Jan/2024:05:45:00 +0530", "2024-01-01"),  # 00:15 UTC
        ("01/Jan/2024:05:15:00 +0530", "2023-12-31"),  # 23:45 UTC, same local hour
        ("31/Dec/2023:20:40:00 -0330", "2024-01-01"),  # 00:10 UTC
        ("31/Dec/2023:20:20:00 -0330", "2023-12-31"),  # 23:50 UTC, same local hour
        ("01/Jan/2024:00:59:59 +0100", "2023-12-31"),  # 23:59:59 UTC
        ("31/Dec/2023:23:00:00 -0100", "2024-01-01"),  # 00:00 UTC
    ],
)
def test_utc_day_honours_offset_minutes(tmp_path, stamp, day):
    # Two stamps in the same local hour under a +0530 or -0330 offset fall on different UTC
    # days, so minutes cannot be dropped (nor cached by the hour) for such offsets.
    (tmp_path / "tz.log").write_text(
        entry("192.0.2.1", "01/Jan/2024:12:00:00 +0000", "GET / HTTP/1.1")
        + entry("192.0.2.2", stamp, "GET /t/ HTTP/1.1")
    )
    record, _ = read(["tz.log"], tmp_path, period_end=date(2024, 1, 1), period_days=2)
    assert [row for row in record["daily"] if row["path"] == "/t"] == [
        {"date": day, "path": "/t", "views": 1, "visitors": 1}
    ]


FUTURE_LOG = "".join(
    [
        # 1, 2: 03-11 and 03-12, a view each; 03-12 is "tomorrow" to a clock of 03-11 and
        # still counts (a day of clock skew).
        entry("192.0.2.1", "11/Mar/2024:10:00:00 +0000", "GET / HTTP/1.1",
              referrer="https://a.example/"),
        entry("192.0.2.2", "12/Mar/2024:10:00:00 +0000", "GET /guide/ HTTP/1.1"),
        # 3: local 03-12 but 00:30 UTC on 03-13: in the future.
        entry("192.0.2.3", "12/Mar/2024:23:30:00 -0100", "GET /late/ HTTP/1.1"),
        # 4, 5: a wrong clock in 2031, a view and a bot: both in the future, counted nowhere
        # else (not even as a bot).
        entry("192.0.2.4", "01/Jan/2031:10:00:00 +0000", "GET /2031/ HTTP/1.1",
              referrer="https://future.example/"),
        entry("192.0.2.5", "01/Jan/2031:10:00:00 +0000", "GET / HTTP/1.1", agent=GOOGLEBOT),
    ]
)


def test_requests_dated_in_the_future_are_left_out_and_said(tmp_path, caplog):
    (tmp_path / "future.log").write_text(FUTURE_LOG)
    with caplog.at_level("WARNING"):
        record, reader = read(["future.log"], tmp_path, period_days=3, today=date(2024, 3, 11))
    # The period ends on 03-12, the latest day not in the future, not in 2031.
    assert reader.latest_day() == "2024-03-12"
    assert record["period"] == {"start": "2024-03-10", "end": "2024-03-12", "days": 3}
    assert record["daily"] == [
        {"date": "2024-03-11", "path": "/", "views": 1, "visitors": 1},
        {"date": "2024-03-12", "path": "/guide", "views": 1, "visitors": 1},
    ]
    assert record["referrers"] == [{"name": "a.example", "count": 1}]
    assert record["excluded"] == {}
    quality = record["quality"]
    # parsed 5 = removed 0 + kept 2 + future 3.
    assert (quality["parsed"], quality["kept"], quality["future"]) == (5, 2, 3)
    assert quality["removed"] == dict.fromkeys(quality["removed"], 0)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        "analytics: access log: 3 requests dated after 2024-03-12 (today, UTC, and a day of "
        "clock skew) left out: is the server's clock right? The period ends on 2024-03-12, the "
        "latest day before them"
    ]


def test_a_cached_file_with_future_requests_is_read_again_the_next_day(tmp_path):
    (tmp_path / "future.log").write_text(FUTURE_LOG)
    cache = str(tmp_path / "cache")
    first, _ = read(["future.log"], tmp_path, period_days=3, today=date(2024, 3, 11),
                    cache_dir=cache)
    assert first["quality"]["future"] == 3
    # A day later, line 3 (03-13) is no longer in the future: it counts; 2031 still does not.
    second, reader = read(["future.log"], tmp_path, period_days=3, today=date(2024, 3, 12),
                          cache_dir=cache)
    assert reader.deferred == []
    assert second["period"] == {"start": "2024-03-11", "end": "2024-03-13", "days": 3}
    assert [row["views"] for row in second["site_daily"]] == [1, 1, 1]
    assert second["quality"]["future"] == 2


def test_a_build_with_a_line_of_2099_keeps_the_log_s_period(site, caplog):
    site.write(
        "mkdocs.yml",
        """
        site_name: Future
        site_url: https://docs.example.org/
        theme: mkdocs
        plugins:
          - analytics:
              min_count: 1
              period_days: 2
              access_log:
                paths: [logs/access.log]
        """,
    )
    site.write("docs/index.md", "# Home\n")
    site.write("logs/access.log", FUTURE_LOG.replace("/2031:", "/2099:"))
    with caplog.at_level("WARNING"):
        site.build()
    metrics = site.json("data/engagement-metrics.json")
    # Lines 1 to 3 (line 3 is 03-13 UTC, long past) count; the two of 2099 do not.
    assert metrics["period"] == {"start": "2024-03-12", "end": "2024-03-13", "days": 2}
    assert metrics["site_totals"]["page_views"] == 2
    assert metrics["data_quality"]["future"] == 2
    assert sorted(p.name for p in (site.root / "data" / "history").glob("*.json")) == [
        "2024-03-12--2024-03-13.json"
    ]
    assert any("access log: 2 requests dated after" in r.getMessage()
               and r.levelname == "WARNING" for r in caplog.records)


def test_a_period_end_in_the_future_is_refused_at_load(site, caplog):
    from mkdocs.exceptions import Abort

    site.write(
        "mkdocs.yml",
        """
        site_name: Future
        plugins:
          - analytics:
              period_end: 2099-01-01
        """,
    )
    site.write("docs/index.md", "# Home\n")
    with pytest.raises(Abort):
        site.build()
    assert "option 'period_end' (2099-01-01) is in the future: today is" in caplog.text
    assert not (site.root / "data").exists()


# 6. Privacy -----------------------------------------------------------------------------------


def test_record_holds_no_address_user_agent_or_referrer_url(tmp_path):
    (tmp_path / "mixed.log").write_bytes(MIXED)
    shutil.copy(COMBINED, tmp_path / "combined.log")
    record, reader = read(["*.log"], tmp_path, period_days=2)
    assert record["quality"]["lines_read"] == 28

    dump = json.dumps(record, ensure_ascii=False)
    for client in CLIENTS + MIXED_CLIENTS:
        assert client not in dump
    for agent in (FIREFOX, CHROME, SAFARI, GOOGLEBOT, ACMEWATCH):
        assert agent not in dump
    for fragment in ("Mozilla", "Gecko", "KHTML", "Googlebot", "AcmeWatch", "acme.example"):
        assert fragment not in dump
    # Referrers are bare hosts: no scheme, path or query.
    for fragment in ("https://", "q=docs", "/post/1", "www."):
        assert fragment not in dump
    assert json.dumps(reader.quality()).count("192.0.2") == 0


def test_scanner_sized_paths_referrers_and_campaigns_are_cut(tmp_path):
    long_a = "/" + "a" * 5_000_000  # 5 MB of path
    long_b = "/" + "a" * 2000 + "b"  # the same first 999 characters, another path
    host = "w" * 1500 + ".example"
    campaign = "c" * 3000
    (tmp_path / "scan.log").write_text(
        entry("192.0.2.1", "10/Mar/2024:09:00:00 +0000", f"GET {long_a} HTTP/1.1")
        + entry("192.0.2.2", "10/Mar/2024:09:01:00 +0000",
                f"GET {long_b}?utm_campaign={campaign} HTTP/1.1",
                referrer=f"https://{host}/")
        + entry("192.0.2.3", "10/Mar/2024:09:02:00 +0000", f"GET {long_a}/x HTTP/1.1", status=404)
    )
    record, _ = read(["scan.log"], tmp_path, period_days=1)
    cut_path = "/" + "a" * 998 + "…"
    assert len(cut_path) == 1000
    # Both long paths are one row, marked as cut: 2 views by 2 visitors.
    assert record["daily"] == [
        {"date": "2024-03-10", "path": cut_path, "views": 2, "visitors": 2},
    ]
    assert record["not_found"] == [{"name": cut_path, "count": 1}]
    assert record["referrers"] == [{"name": "w" * 999 + "…", "count": 1}]
    assert record["campaigns"] == [{"name": "c" * 999 + "…", "count": 1}]
    # The record stays small: four names of 1,000 characters, not 5 MB.
    assert len(json.dumps(record)) < 10_000


# 7. Path normalization ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/", "/"),
        ("", "/"),
        ("/index.html", "/"),
        ("/docs", "/docs"),
        ("/docs/", "/docs"),
        ("/docs//", "/docs"),
        ("/docs/index.html", "/docs"),
        ("/docs/index.htm", "/docs"),
        ("/docs/page.html", "/docs/page.html"),  # only index pages fold
        ("/Docs/", "/Docs"),  # case is kept
        ("/caf%C3%A9/", "/café"),  # percent-decoded UTF-8
        ("/a%20b/", "/a b"),
        ("/%7Euser/", "/~user"),
        ("/caf%E9", "/caf%E9"),  # not UTF-8: left encoded
        ("/caf\udce9", "/caf%E9"),  # a raw byte, as read with surrogateescape
        ("/a%0Ab", "/a%0Ab"),  # a control character is re-encoded
        ("/a\x7fb", "/a%7Fb"),
        # Worth knowing: lower-case hex is not canonicalized, so it differs from a raw byte;
        ("/caf%e9", "/caf%e9"),
        # one bad byte leaves the whole path encoded, valid UTF-8 parts included;
        ("/caf%E9/%C3%A9", "/caf%E9/%C3%A9"),
        # an encoded slash becomes a real one.
        ("/a%2Fb/", "/a/b"),
        # A path over 1,000 characters keeps 999 of them and a mark: 1,000 in all.
        ("/" + "x" * 999, "/" + "x" * 999),
        ("/" + "x" * 1000, "/" + "x" * 998 + "…"),
        ("/" + "%C3%A9" * 1000, "/" + "é" * 998 + "…"),
    ],
)
def test_normalize_path(raw, expected):
    assert normalize_path(raw) == expected


@pytest.mark.parametrize(
    ("path", "is_page"),
    [
        ("/", True),
        ("/guide/", True),
        ("/guide", True),
        ("/page.html", True),
        ("/page.HTM", True),
        ("/index.php", True),
        ("/1.2/", True),  # a mike version directory, not a ".2" file
        ("/v1.2", False),  # no slash: looks like a file
        ("/feed/", False),
        ("/rss.xml", False),
        ("/sitemap.xml", False),
        ("/search/search_index.json", False),
        ("/assets/app.js", False),
        ("/fonts/a.woff2", False),
        ("http://docs.example.org/guide/", True),  # absolute-form request target
    ],
)
def test_page_or_asset(tmp_path, path, is_page):
    (tmp_path / "one.log").write_text(
        entry("192.0.2.1", "10/Mar/2024:09:00:00 +0000", f"GET {path} HTTP/1.1")
    )
    record, _ = read(["one.log"], tmp_path, period_days=1)
    views = record["site_daily"][0]["views"]
    assert (views, record["excluded"]) == ((1, {}) if is_page else (0, {"assets": 1}))
