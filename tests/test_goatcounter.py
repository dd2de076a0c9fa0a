"""Tests for the GoatCounter source against a local server answering with the API's shapes.

The fixtures (``fixtures/goatcounter``, see its README) describe one site over the eight UTC
days 2020-06-11 to 2020-06-18, served as three pages of hits:

    page 1  /50, /49, /48          one visitor each on 06-18  (GoatCounter's own test data)
    page 2  /caf%C3%A9/            one visitor on 06-17
            click-cv-html (event)  one visitor on 06-17
    page 3  /48/index.html         one visitor on 06-18, folds into /48

So the pages have 5 visitors: /48 2, /49 1, /50 1, /café 1; the site 1 on 06-17 and 4 on
06-18 (``/stats/total`` says 2 and 4, the event included). With ``top_pages: 2`` the referrers
of /48 (path ids 48 and 45) and /49 are asked for.

No test waits for real: the client's ``sleep`` and ``clock`` are a fake whose time moves only
when it sleeps, so every wait can be asserted exactly.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from mkdocs_analytics import pipeline, schemas
from mkdocs_analytics.config import GoatCounterConfig
from mkdocs_analytics.period import Period
from mkdocs_analytics.pipeline import Settings
from mkdocs_analytics.sources import goatcounter
from mkdocs_analytics.sources.goatcounter import api_url, page_path, utc_days

FIXTURES = Path(__file__).parent / "fixtures" / "goatcounter"
TOKEN = "gc-test-9f8e7d6c5b4a39281706"
PERIOD = Period(date(2020, 6, 11), date(2020, 6, 18))
SPAN = {"start": "2020-06-11T00:00:00Z", "end": "2020-06-18T23:59:59Z"}
HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "Content-Type": "application/json",
    "Accept": "application/json",
}
BREAKDOWNS = ("toprefs", "browsers", "systems", "sizes", "locations", "campaigns")


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class FakeTime:
    """``sleep`` and ``clock`` for the client: time passes only by sleeping."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def server():
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def api(server):
    yield server
    server.clear()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def warnings(caplog):
    """The plugin's warning lines."""
    caplog.set_level(logging.INFO)
    return lambda: [
        r.getMessage() for r in caplog.records
        if r.name.endswith(".analytics") and r.levelno >= logging.WARNING
    ]


def options(server: HTTPServer, **overrides) -> SimpleNamespace:
    values = {
        "site": server.url_for("/").rstrip("/"),
        "token": TOKEN,
        "top_pages": 2,
        "timeout": 5,
        "max_requests": 100,
    }
    return SimpleNamespace(**{**values, **overrides})


def settings(tmp_path) -> Settings:
    return Settings(root=str(tmp_path), data_dir=str(tmp_path / "data"),
                    own_hosts=["docs.example.org"])


def collect(server, tmp_path, fake_time, **overrides) -> dict:
    return goatcounter.collect(
        options(server, **overrides), PERIOD, settings(tmp_path),
        sleep=fake_time.sleep, clock=fake_time.clock,
    )


def expect(server: HTTPServer, endpoint: str, query: dict | None = None, oneshot=False):
    method = server.expect_oneshot_request if oneshot else server.expect_request
    return method(
        "/api/v0" + endpoint, method="GET", headers=HEADERS,
        query_string={**SPAN, **(query or {})} if query is not None else None,
    )


def serve_site(server: HTTPServer, total: str = "total.json") -> None:
    """The whole fixture site, each answer only to the exact query the client must send."""
    server.expect_request("/api/v0/me", headers=HEADERS).respond_with_json(fixture("me.json"))
    expect(server, "/stats/total", {}).respond_with_json(fixture(total))
    pages = [("api-hits-works.json", None), ("hits-page2.json", "50,49,48"),
             ("hits-page3.json", "50,49,48,47,46")]
    for name, excluded in pages:
        query = {"limit": "100"} | ({"exclude_paths": excluded} if excluded else {})
        expect(server, "/stats/hits", query).respond_with_json(fixture(name))
    expect(server, "/stats/hits/48", {"limit": "100"}).respond_with_json(fixture("refs-48.json"))
    expect(server, "/stats/hits/45", {"limit": "100"}).respond_with_json(
        {"more": False, "refs": [{"count": 1, "name": "", "ref_scheme": "o"}]}
    )
    expect(server, "/stats/hits/49", {"limit": "100"}).respond_with_json(
        {"more": False, "refs": []}
    )
    for page in BREAKDOWNS:
        expect(server, f"/stats/{page}", {"limit": "100"}).respond_with_json(
            fixture(f"stats-{page}.json")
        )


def site_daily(visitors_17: int, visitors_18: int) -> list[dict]:
    days = [{"date": d, "views": None, "visitors": 0} for d in PERIOD.dates()]
    days[-2]["visitors"], days[-1]["visitors"] = visitors_17, visitors_18
    return days


EXPECTED = {
    "schema_version": 1,
    "source": "goatcounter",
    "available": True,
    "reason": None,
    "measure": "visitors",
    "period": {"start": "2020-06-11", "end": "2020-06-18", "days": 8},
    "site_daily": site_daily(1, 4),
    "daily": [
        {"date": "2020-06-17", "path": "/café", "views": None, "visitors": 1},
        {"date": "2020-06-18", "path": "/48", "views": None, "visitors": 2},
        {"date": "2020-06-18", "path": "/49", "views": None, "visitors": 1},
        {"date": "2020-06-18", "path": "/50", "views": None, "visitors": 1},
    ],
    "titles": {"/48": "title - 48", "/49": "title - 49", "/50": "title - 50", "/café": "Café"},
    "referrers": [{"name": "reddit.com", "count": 2}, {"name": "Google", "count": 1}],
    "browsers": [
        {"name": "Firefox", "count": 3},
        {"name": "Chrome", "count": 2},
        {"name": "Unknown", "count": 1},
    ],
    "systems": [
        {"name": "Linux", "count": 3},
        {"name": "Windows", "count": 2},
        {"name": "macOS", "count": 1},
    ],
    "countries": [
        {"name": "NL", "count": 3},
        {"name": "AR", "count": 2},
        {"name": "Unknown", "count": 1},
    ],
    "screen_sizes": [{"name": "desktop", "count": 4}, {"name": "phone", "count": 2}],
    "campaigns": [{"name": "spring", "count": 1}],
    "not_found": [],
    "excluded": {"events": 1},
    "quality": {
        "daily_series": "stats/total",
        "totals": {"total": 6, "total_events": 1, "total_utc": 6},
        "paths": 4,
        "direct_visits": 3,
        "outside_period": 0,
        "missing": [],
    },
    "timezone": "UTC",
    "events": [{"name": "click-cv-html", "count": 1}],
    "page_referrers": {"/48": [{"name": "reddit.com", "count": 1}], "/49": []},
}


def assert_no_token(*texts) -> None:
    for text in texts:
        assert TOKEN not in (text if isinstance(text, str) else json.dumps(text))


# The whole collection ----------------------------------------------------------------------


def test_three_pages_of_hits_give_the_normalized_record(api, tmp_path, fake_time, caplog):
    serve_site(api)
    caplog.set_level(logging.INFO)
    record = collect(api, tmp_path, fake_time)

    assert record == EXPECTED
    assert schemas.errors("raw-record", record) == []
    # me, total, three pages of hits, referrers of ids 48, 45 and 49, six breakdowns.
    assert len(api.log) == 14
    # Paced at three requests a second, never faster.
    assert fake_time.sleeps == [0.333] * 13
    assert caplog.messages[-1] == (
        "analytics: GoatCounter: 5 visitors on 4 pages and 1 on events in "
        "2020-06-11--2020-06-18 (timezone UTC, 14 requests)"
    )
    assert_no_token(record, caplog.text)


def test_old_servers_without_a_daily_series_add_up_the_pages(api, tmp_path, fake_time):
    serve_site(api, total="total-v2.6.json")
    record = collect(api, tmp_path, fake_time)
    assert record["site_daily"] == site_daily(1, 4)
    assert record["quality"]["daily_series"] == "sum of pages"


def test_a_404_for_totals_is_tolerated_as_no_totals(api, tmp_path, fake_time):
    expect(api, "/stats/total", {}).respond_with_json({"error": "not found"}, status=404)
    serve_site(api)
    record = collect(api, tmp_path, fake_time)
    assert record["site_daily"] == site_daily(1, 4)
    assert record["quality"]["daily_series"] == "sum of pages"
    assert record["quality"]["totals"] == {"total": None, "total_events": None,
                                           "total_utc": None}


def test_a_breakdown_an_old_server_lacks_is_left_empty(api, tmp_path, fake_time):
    expect(api, "/stats/campaigns", {"limit": "100"}).respond_with_json(
        {"errors": {"page": ["must be one of: browsers, systems, locations, sizes, toprefs"]}},
        status=400,
    )
    serve_site(api)
    record = collect(api, tmp_path, fake_time)
    assert record["campaigns"] == []
    assert record["quality"]["missing"] == ["campaigns"]
    assert {**record, "campaigns": EXPECTED["campaigns"], "quality": EXPECTED["quality"]} == (
        EXPECTED
    )


def test_events_are_kept_apart_from_pages(api, tmp_path, fake_time):
    serve_site(api)
    record = collect(api, tmp_path, fake_time)
    assert "click-cv-html" not in {row["path"] for row in record["daily"]}
    assert "/click-cv-html" not in {row["path"] for row in record["daily"]}
    assert record["events"] == [{"name": "click-cv-html", "count": 1}]
    assert record["excluded"] == {"events": 1}
    # The site's series on 06-17 is /stats/total's 2 less the event's 1.
    assert record["site_daily"][-2] == {"date": "2020-06-17", "views": None, "visitors": 1}


def test_a_site_without_hits_has_zero_days_not_missing_ones(api, tmp_path, fake_time):
    api.expect_request("/api/v0/me").respond_with_json(fixture("me.json"))
    expect(api, "/stats/total", {}).respond_with_json(
        {"total": 0, "total_events": 0, "total_utc": 0, "stats": []}
    )
    expect(api, "/stats/hits", {"limit": "100"}).respond_with_json(
        fixture("api-hits-no-hits.json")
    )
    for page in BREAKDOWNS:
        expect(api, f"/stats/{page}", {"limit": "100"}).respond_with_json(
            {"more": False, "stats": []}
        )
    record = collect(api, tmp_path, fake_time)
    assert record["available"] is True
    assert record["site_daily"] == site_daily(0, 0)
    assert record["daily"] == [] and record["page_referrers"] == {}


def test_days_in_the_owners_timezone_are_moved_back_to_utc_days(api, tmp_path, fake_time):
    me = fixture("me.json")
    me["user"]["settings"]["timezone"] = "JP.Asia/Tokyo"  # UTC+9, no daylight saving time
    api.expect_request("/api/v0/me").respond_with_json(me)
    expect(api, "/stats/total", {}).respond_with_json(fixture("total-v2.6.json"))
    # 03:00 on 06-18 in Tokyo is 18:00 on 06-17 in UTC; 12:00 in Tokyo is 03:00 UTC.
    hourly = [0] * 24
    hourly[3], hourly[12] = 1, 2
    hits = {"hits": [{"count": 3, "event": False, "max": 2, "path": "/guide", "path_id": 7,
                      "title": "Guide", "stats": [{"day": "2020-06-18", "daily": 3,
                                                   "hourly": hourly}]}],
            "more": False, "total": 3}
    expect(api, "/stats/hits", {"limit": "100"}).respond_with_json(hits)
    expect(api, "/stats/hits/7", {"limit": "100"}).respond_with_json({"refs": [], "more": False})
    for page in BREAKDOWNS:
        expect(api, f"/stats/{page}", {"limit": "100"}).respond_with_json(
            {"more": False, "stats": []}
        )
    record = collect(api, tmp_path, fake_time)
    assert record["timezone"] == "Asia/Tokyo"
    assert record["daily"] == [
        {"date": "2020-06-17", "path": "/guide", "views": None, "visitors": 1},
        {"date": "2020-06-18", "path": "/guide", "views": None, "visitors": 2},
    ]


def test_breakdowns_follow_more_with_offset(api, fake_time):
    expect(api, "/stats/browsers", {"limit": "100"}).respond_with_json(
        {"more": True, "stats": [{"count": 2, "id": "Firefox", "name": "Firefox"}] * 100}
    )
    expect(api, "/stats/browsers", {"limit": "100", "offset": "100"}).respond_with_json(
        {"more": False, "stats": [{"count": 1, "id": "Chrome", "name": "Chrome"}]}
    )
    with goatcounter.Client(api_url(options(api).site), TOKEN, 5,
                            goatcounter.Gate(10, fake_time.sleep, fake_time.clock)) as client:
        rows = goatcounter.read_breakdown(client, SPAN, "browsers")
    assert len(rows) == 101 and rows[-1]["name"] == "Chrome"


# Rate limits and retries -------------------------------------------------------------------


def test_a_429_with_retry_after_0_waits_one_second_then_goes_on(api, tmp_path, fake_time):
    api.expect_oneshot_request("/api/v0/me").respond_with_data(
        '{"error": "rate limited exceeded; try again in 734ms"}', status=429,
        headers={"Retry-After": "0", "X-Rate-Limit-Reset": "0"}, content_type="text/plain",
    )
    serve_site(api)
    record = collect(api, tmp_path, fake_time)
    assert record == EXPECTED
    assert fake_time.sleeps[0] == 1.0
    assert len(api.log) == 15


@pytest.mark.parametrize(
    ("headers", "body", "wait"),
    [
        ({"Retry-After": "0"}, '{"error": "rate limited exceeded; try again in 734ms"}', 1.0),
        # Servers before v2.6: no Retry-After, and a plain-text body.
        ({"X-Rate-Limit-Reset": "2"}, "rate limited exceeded\n", 2.0),
    ],
)
def test_a_429_storm_exhausts_the_retries(api, tmp_path, fake_time, warnings, headers, body,
                                          wait):
    api.expect_request("/api/v0/me").respond_with_data(
        body, status=429, headers=headers, content_type="text/plain"
    )
    record = collect(api, tmp_path, fake_time)
    detail = body.strip().removeprefix('{"error": "').removesuffix('"}')
    reason = (
        f"still rate-limited after 3 retries (HTTP 429: {detail}): try again later; "
        "GoatCounter limits requests per IP address"
    )
    assert record == {
        "schema_version": 1, "source": "goatcounter", "available": False, "reason": reason,
        "period": PERIOD.as_dict(),
    }
    assert warnings() == [f"analytics: GoatCounter unavailable for {PERIOD.name}: {reason}"]
    assert len(api.log) == 4
    assert fake_time.sleeps == [wait] * 3


def test_a_429_asking_for_an_hour_gives_up_at_once(api, tmp_path, fake_time, warnings):
    api.expect_request("/api/v0/me").respond_with_data(
        "", status=429, headers={"Retry-After": "3600"}
    )
    record = collect(api, tmp_path, fake_time)
    assert record["reason"] == (
        "rate-limited for 3600 s more (HTTP 429): try again later; "
        "GoatCounter limits requests per IP address"
    )
    assert len(api.log) == 1 and fake_time.sleeps == []


def test_a_500_is_retried_after_a_backoff(api, tmp_path, fake_time, caplog):
    caplog.set_level(logging.INFO)
    api.expect_oneshot_request("/api/v0/stats/total").respond_with_json(
        {"error": "unexpected error code 'a1b2c3'; this has been reported for investigation"},
        status=500,
    )
    serve_site(api)
    record = collect(api, tmp_path, fake_time)
    assert record == EXPECTED
    # /me, then /stats/total after the pace, then the retry after one second.
    assert fake_time.sleeps[:2] == [0.333, 1.0]
    assert "analytics: GoatCounter: HTTP 500; retrying in 1 s (1 of 3)" in caplog.messages


def test_5xx_errors_back_off_then_give_up(api, tmp_path, fake_time, warnings):
    api.expect_request("/api/v0/me").respond_with_data(
        "<html><body><h1>502 Bad Gateway</h1></body></html>", status=502,
        content_type="text/html",
    )
    record = collect(api, tmp_path, fake_time)
    assert record["reason"] == (
        "GoatCounter failed after 3 retries (HTTP 502: an HTML page): try again later"
    )
    assert fake_time.sleeps == [1.0, 2.0, 4.0]
    assert len(api.log) == 4


def test_the_request_cap_stops_the_collection(api, tmp_path, fake_time, warnings):
    serve_site(api)
    record = collect(api, tmp_path, fake_time, max_requests=5)
    assert record["reason"] == (
        "stopped at 5 requests, the most one collection may make: "
        "raise the option 'max_requests'"
    )
    assert len(api.log) == 5


def test_retries_count_against_the_cap_and_the_failure_is_reported(api, tmp_path, fake_time):
    """A retry the cap leaves no room for is not made; the reason is the failure retried,
    not the cap (raising max_requests would not help)."""
    api.expect_request("/api/v0/me").respond_with_data("", status=503)
    record = collect(api, tmp_path, fake_time, max_requests=2)
    assert record["reason"] == (
        "GoatCounter failed after 1 retries (HTTP 503: no message): try again later"
    )
    assert len(api.log) == 2
    assert fake_time.sleeps == [1.0]


def test_a_refused_connection_with_a_small_cap_says_so(tmp_path, fake_time):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    record = goatcounter.collect(
        SimpleNamespace(site=f"http://127.0.0.1:{port}", token=TOKEN, top_pages=2, timeout=5,
                        max_requests=2),
        PERIOD, settings(tmp_path), sleep=fake_time.sleep, clock=fake_time.clock,
    )
    assert record["reason"] == (
        f"couldn't connect to 127.0.0.1:{port} (Connection refused): check the option 'site' "
        "and the network"
    )
    assert fake_time.sleeps == [1.0]  # one retry: two attempts, the cap


# Errors ------------------------------------------------------------------------------------


def test_an_unknown_token_is_one_line_about_the_token(api, tmp_path, fake_time, warnings):
    api.expect_request("/api/v0/me").respond_with_data(
        '{"error":"unknown token"}', status=401, content_type="text/plain",
        headers={"WWW-Authenticate": "Basic realm=GoatCounter"},
    )
    record = collect(api, tmp_path, fake_time)
    host = api_url(options(api).site).removeprefix("http://")
    reason = (
        "the token was refused (HTTP 401: unknown token): check GOATCOUNTER_TOKEN or the "
        f"option 'token'; it must be an API token of an admin of {host}"
    )
    assert record["reason"] == reason
    assert warnings() == [f"analytics: GoatCounter unavailable for {PERIOD.name}: {reason}"]
    assert len(api.log) == 1


def test_a_403_names_the_missing_permission(api, tmp_path, fake_time, warnings):
    api.expect_request("/api/v0/me").respond_with_json(fixture("me.json"))
    expect(api, "/stats/total", {}).respond_with_data(
        '{"error":"requires \'stats\' permissions"}', status=403, content_type="text/plain"
    )
    record = collect(api, tmp_path, fake_time)
    host = api_url(options(api).site).removeprefix("http://")
    assert record["reason"] == (
        "the token lacks a permission (HTTP 403: requires 'stats' permissions): make one "
        f"with 'Read statistics' under Settings, API on {host}"
    )
    assert len(warnings()) == 1


def test_me_tells_a_token_without_stats_before_any_stats_request(api, tmp_path, fake_time):
    me = fixture("me.json")
    me["token"]["permissions"] = 2  # count only
    api.expect_request("/api/v0/me").respond_with_json(me)
    record = collect(api, tmp_path, fake_time)
    host = api_url(options(api).site).removeprefix("http://")
    assert record["reason"] == (
        "the token lacks the 'stats' permission (Read statistics): make one with it under "
        f"Settings, API on {host}"
    )
    assert len(api.log) == 1


def test_a_403_for_another_site_says_so(api, tmp_path, fake_time):
    api.expect_request("/api/v0/me").respond_with_data(
        '{"error":"this token does not have access to this site"}', status=403
    )
    record = collect(api, tmp_path, fake_time)
    host = api_url(options(api).site).removeprefix("http://")
    assert record["reason"] == (
        f"the token has no access to {host} (HTTP 403: this token does not have access to "
        "this site): wrong site, or a token of another account"
    )


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ('{"error":"unknown parameter: \\"exclude_paths\\""}',
         'unknown parameter: "exclude_paths"'),
        ('{"errors":{"limit":["must be 100 or less"]}}', "parameter 'limit': must be 100 or less"),
    ],
)
def test_a_400_names_the_parameter(api, tmp_path, fake_time, body, detail):
    api.expect_request("/api/v0/me").respond_with_json(fixture("me.json"))
    expect(api, "/stats/total", {}).respond_with_json(fixture("total.json"))
    api.expect_request("/api/v0/stats/hits").respond_with_data(body, status=400)
    record = collect(api, tmp_path, fake_time)
    assert record["reason"] == f"the request /api/v0/stats/hits was refused (HTTP 400: {detail})"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (200, "/api/v0/me answered an HTML page, not JSON: is 'site' the address of a "
              "GoatCounter site?"),
        (415, "/api/v0/me answered HTTP 415: an HTML page"),
    ],
)
def test_an_html_error_page_is_recognised(api, tmp_path, fake_time, status, reason):
    page = "<!DOCTYPE html>\n<html><head><title>Error</title></head><body>Oops</body></html>"
    api.expect_request("/api/v0/me").respond_with_data(page, status=status,
                                                       content_type="text/html")
    record = collect(api, tmp_path, fake_time)
    assert record["reason"] == reason


def test_a_truncated_json_body_is_an_error_not_a_crash(api, tmp_path, fake_time, warnings):
    api.expect_request("/api/v0/me").respond_with_json(fixture("me.json"))
    expect(api, "/stats/total", {}).respond_with_json(fixture("total.json"))
    body = (FIXTURES / "api-hits-works.json").read_bytes()[:300]
    api.expect_request("/api/v0/stats/hits").respond_with_data(
        body, content_type="application/json"
    )
    record = collect(api, tmp_path, fake_time)
    assert record["reason"] == (
        "the answer to /api/v0/stats/hits is not complete JSON (300 bytes; Unterminated "
        "string starting at: line 14 column 21 (char 298)): try again later"
    )
    assert len(warnings()) == 1


def test_a_slow_answer_past_the_timeout(api, tmp_path, fake_time, warnings):
    def slow(request):
        time.sleep(0.6)
        return Response(json.dumps(fixture("me.json")), content_type="application/json")

    api.expect_request("/api/v0/me").respond_with_handler(slow)
    record = collect(api, tmp_path, fake_time, timeout=0.3)
    host = api_url(options(api).site).removeprefix("http://")
    assert record["reason"] == (
        f"no answer from {host} within 0.3 s (/api/v0/me): try again later, or raise the "
        "option 'timeout'"
    )
    assert len(warnings()) == 1
    # The server is shared between tests: let the abandoned slow answers finish here, or
    # they land in the next test's request log.
    deadline = time.monotonic() + 5
    while len(api.log) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(api.log) == 2  # the first try and its one retry


def test_a_closed_port_is_a_connection_error(tmp_path, fake_time):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    record = goatcounter.collect(
        SimpleNamespace(site=f"http://127.0.0.1:{port}", token=TOKEN, top_pages=2, timeout=5,
                        max_requests=100),
        PERIOD, settings(tmp_path), sleep=fake_time.sleep, clock=fake_time.clock,
    )
    assert record["reason"] == (
        f"couldn't connect to 127.0.0.1:{port} (Connection refused): check the option 'site' "
        "and the network"
    )
    assert fake_time.sleeps == [1.0, 2.0, 4.0]


def test_no_token_means_no_request(api, tmp_path, fake_time):
    record = collect(api, tmp_path, fake_time, token=None)
    assert record["reason"] == "no API token: set GOATCOUNTER_TOKEN or the option 'token'"
    assert len(api.log) == 0


def test_a_token_echoed_by_the_server_is_scrubbed(api, tmp_path, fake_time, caplog):
    api.expect_request("/api/v0/me").respond_with_data(
        json.dumps({"error": f"unknown token {TOKEN}"}), status=401
    )
    record = collect(api, tmp_path, fake_time)
    assert "unknown token [token]" in record["reason"]
    assert_no_token(record, caplog.text)


# Paths, addresses and days -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "page"),
    [
        ("/caf%C3%A9/", "/café"),
        ("/%E6%97%A5%E6%9C%AC%E8%AA%9E", "/日本語"),
        ("/docs/index.html", "/docs"),
        ("/guide?utm_source=x#top", "/guide"),
        ("/bad%FFbyte", "/bad%FFbyte"),
        ("/", "/"),
    ],
)
def test_paths_are_named_as_the_access_log_names_them(path, page):
    assert page_path(path) == page


@pytest.mark.parametrize(
    ("site", "url"),
    [
        ("mysite", "https://mysite.goatcounter.com"),
        ("https://stats.example.com/", "https://stats.example.com"),
        ("stats.example.com", "https://stats.example.com"),
        ("https://example.com/goatcounter/api/v0", "https://example.com/goatcounter"),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081"),
    ],
)
def test_site_is_a_code_or_an_address(site, url):
    assert api_url(site) == url


def test_a_wrong_site_is_one_line(tmp_path, fake_time):
    record = goatcounter.collect(
        SimpleNamespace(site="my site", token=TOKEN, top_pages=2, timeout=5, max_requests=9),
        PERIOD, settings(tmp_path), sleep=fake_time.sleep, clock=fake_time.clock,
    )
    assert record["reason"] == (
        "option 'site' must be a site code such as 'mysite' or an address such as "
        "https://stats.example.com, got 'my site'"
    )


def test_utc_days_without_hours_keep_their_day():
    buckets = [{"day": "2020-06-18", "daily": 3}]
    assert utc_days(buckets, timedelta(hours=2)) == {"2020-06-18": 3}
    assert utc_days(buckets, timedelta(0)) == {"2020-06-18": 3}


# A real build ------------------------------------------------------------------------------


def test_a_site_builds_its_dashboard_from_the_server(api, site, fake_time, monkeypatch,
                                                     caplog):
    serve_site(api)
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(
        goatcounter, "collect",
        partial(goatcounter.collect, sleep=fake_time.sleep, clock=fake_time.clock),
    )
    monkeypatch.setenv("GOATCOUNTER_TOKEN", TOKEN)
    site.write(
        "mkdocs.yml",
        f"""
        site_name: GoatCounter test
        site_url: https://docs.example.org/
        theme: mkdocs
        plugins:
          - analytics:
              period_end: 2020-06-18
              period_days: 8
              data_dir: data
              min_count: 1  # no folding of small counts: the test's numbers are small
              goatcounter:
                site: {options(api).site}
                token: !ENV GOATCOUNTER_TOKEN
                top_pages: 2
        """,
    )
    site.write("docs/index.md", "# Home\n")
    site.write("docs/48.md", "# Forty-eight\n")
    site.build()

    metrics = site.json("site/analytics/engagement-metrics.json")
    assert metrics["measure"] == "visitors"
    assert metrics["counted_from"] == ["goatcounter"]
    assert metrics["site_totals"] == {
        "page_views": None, "unique_visitors": 5, "referrer_count": 2, "pages": 4,
    }
    assert [(p["path"], p["unique_visitors"]) for p in metrics["pages"]] == [
        ("/48", 2), ("/49", 1), ("/50", 1), ("/café", 1),
    ]
    assert metrics["referrers"] == EXPECTED["referrers"]
    raw = site.json(f"data/raw/goatcounter/{PERIOD.name}.json")
    # The options it was collected with (site, top_pages, the site's hosts), never the token.
    assert raw.pop(pipeline.FINGERPRINT).startswith("sha256:")
    assert raw == EXPECTED

    html = site.html()
    assert '<p class="analytics-card-value">5</p>' in html  # visitors
    assert "GoatCounter: collected" in html
    assert "Daily visitors" in html and "Page views" not in html
    pages = "".join(p.read_text(encoding="utf-8")
                    for p in (site.site_dir / "analytics").rglob("*.html"))
    assert "/café" in pages and "reddit.com" in pages

    # The token is nowhere: not in the site, the data folder, or any log line.
    for path in [*site.site_dir.rglob("*"), *(site.root / "data").rglob("*")]:
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    assert_no_token(caplog.text)


def test_a_failed_collection_keeps_the_good_raw_record(api, tmp_path, fake_time, monkeypatch):
    api.expect_request("/api/v0/me").respond_with_json({"error": "unknown token"}, status=401)
    monkeypatch.setattr(
        goatcounter, "collect",
        partial(goatcounter.collect, sleep=fake_time.sleep, clock=fake_time.clock),
    )
    config = settings(tmp_path)
    config.goatcounter = GoatCounterConfig()
    config.goatcounter.load_dict({"site": options(api).site, "token": TOKEN})
    assert config.goatcounter.validate() == ([], [])
    config.period_end, config.period_days, config.cache_ttl = PERIOD.end, PERIOD.days, 0
    raw = Path(config.raw_path("goatcounter", PERIOD))
    raw.parent.mkdir(parents=True)
    raw.write_text(json.dumps(EXPECTED), encoding="utf-8")
    before = raw.read_bytes()

    collection = pipeline.collect(config)

    assert collection.records["goatcounter"]["available"] is False
    assert collection.records["goatcounter"]["reason"].startswith("the token was refused")
    assert raw.read_bytes() == before
    # And the period's numbers are unknown, not zero.
    result = pipeline.aggregate(config, PERIOD, collection.records)
    assert result.engagement["available"] is False
    assert result.engagement["site_totals"]["unique_visitors"] is None


def test_referrers_that_are_addresses_are_never_kept_as_such():
    from mkdocs_analytics.sources.goatcounter import Referrers

    rows = [
        {"name": "192.168.1.77/admin", "count": 3, "ref_scheme": "h"},
        {"name": "[2001:db8::99]/x", "count": 1, "ref_scheme": "h"},
        {"name": "www.example.com/start.html", "count": 2, "ref_scheme": "h"},
    ]
    assert Referrers([]).ranked(rows) == [
        {"name": "(an IP address)", "count": 4},
        {"name": "example.com", "count": 2},
    ]
