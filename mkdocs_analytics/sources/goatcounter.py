"""GoatCounter, read through its API (v0) for the period's whole UTC days.

One collection asks, in this order:

1. ``/me``: that the token works and may read statistics, and the owner's timezone, in which
   the API labels its days and hours;
2. ``/stats/total``: the site totals and, from server v2.7 on, the site's series per day;
3. ``/stats/hits``: every path, 100 at a time. The endpoint has no offset: each call repeats
   the query with every path id received so far in ``exclude_paths`` until ``more`` is false;
4. ``/stats/hits/{path_id}``: the referrers of the ``top_pages`` most visited pages;
5. ``/stats/{toprefs,browsers,systems,sizes,locations,campaigns}``: the site's breakdowns.

The period goes out as UTC instants with ``Z``: 00:00:00 of the first day to 23:59:59 of the
last, since the API includes both ends (by the hour).

GoatCounter counts visitors (the first view of a path in a session), not page views: the record
says ``"measure": "visitors"`` and every ``views`` is null. Events (``event: true``) are not
pages; they are counted apart, in ``events``.

Every request, retries included, passes one :class:`Gate`: at most ``max_requests`` of them
per collection, at most three a second (the server allows four a second per IP address). A
retry the cap leaves no room for is not made, and the failure it would have retried is the
reason (``couldn't connect to ... (Connection refused)``), not the cap.
urllib3's ``Retry`` retries 429 (after ``Retry-After``, where 0 means one second, or
``X-Rate-Limit-Reset`` on servers before v2.6), 5xx and connection errors, a few times, with
backoff. Every answer is read within the limits of ``http.py``: whole within ``timeout`` seconds
(a server that drips never holds a build), at most 8 MB, after at most 5 redirects; a body cut
off, too slow or too large makes the source unavailable at once, without a retry.

The token travels only in the ``Authorization`` header. No message is made from a request or
its headers, and every reason is scrubbed of the token before it is logged or stored, in case a
server echoes it back.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from mkdocs.plugins import get_plugin_logger
from requests.auth import AuthBase
from urllib3.exceptions import MaxRetryError, NewConnectionError
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util.retry import Retry

from ..period import Period, isoformat_z
from ..records import BREAKDOWNS, SCHEMA_VERSION, ranked, unavailable
from . import http
from .access_log import _bare_host, normalize_path, site_path
from .names import public_referrer

log = get_plugin_logger("analytics")

SOURCE = "goatcounter"
API = "/api/v0"

# Rows per call: the most the stats endpoints give.
LIMIT = 100
# The server allows 4 requests a second per IP address; stay under it.
REQUESTS_PER_SECOND = 3
# Retries of one request after a 429, a 5xx or a connection error; a timeout is retried once.
RETRIES = 3
# The shortest wait before a retry, and the longest wait a 429 may ask for: beyond it (the
# hourly budget of goatcounter.com is spent) the collection gives up rather than stall a build.
SHORTEST_WAIT = 1.0
LONGEST_WAIT = 60.0
RETRY_STATUSES = (429, 500, 502, 503, 504)

# What to do about an answer not read whole (sources/http.py), by what went wrong.
ANSWER_ADVICE = {
    "time": "try again later, or raise the option 'timeout'",
    "size": "is 'site' the address of a GoatCounter site?",
    "cut": "try again later",
}

# The token permission bit for "Read statistics".
STATS_PERMISSION = 64

# The API's breakdown pages and the record's names for them.
BREAKDOWN_PAGES = (
    ("toprefs", "referrers"),
    ("browsers", "browsers"),
    ("systems", "systems"),
    ("sizes", "screen_sizes"),
    ("locations", "countries"),
    ("campaigns", "campaigns"),
)
# ``toprefs`` picks the top 4 x limit referrers before applying the offset: deeper pages are
# always empty.
TOPREFS_DEPTH = 4 * LIMIT

_SITE_CODE = re.compile(r"[a-z0-9][a-z0-9-]*")


class GoatCounterError(Exception):
    """A collection that cannot go on; the message is one line a user can act on."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


# Entry point -----------------------------------------------------------------------------


def collect(
    options, period: Period, settings, *, sleep=time.sleep, clock=time.monotonic
) -> dict:
    """The normalized record of ``period``, or an unavailable record with the reason.

    ``sleep`` and ``clock`` are there for tests, which must not wait for real.
    """
    gate = Gate(options.max_requests, sleep, clock)
    try:
        base = api_url(options.site or "")
        if not options.token:
            raise GoatCounterError("no API token: set GOATCOUNTER_TOKEN or the option 'token'")
        with Client(base, options.token, options.timeout, gate) as client:
            record = _collect(client, period, options.top_pages, settings.own_hosts,
                              getattr(settings, "site_prefix", ""))
    except GoatCounterError as error:
        reason = scrub(str(error), options.token)
        log.warning("GoatCounter unavailable for %s: %s", period.name, reason)
        return unavailable(SOURCE, period, reason)

    events = sum(row["count"] for row in record["events"])
    log.info(
        "GoatCounter: %d visitors on %d pages and %d on events in %s (timezone %s, %d requests)",
        sum(row["visitors"] for row in record["daily"]),
        len({row["path"] for row in record["daily"]}),
        events,
        period.name,
        record["timezone"],
        gate.used,
    )
    return record


def _collect(client: Client, period: Period, top_pages: int, own_hosts,
             prefix: str = "") -> dict:
    span = {
        "start": isoformat_z(period.start_instant()),
        "end": isoformat_z(period.end_instant() - timedelta(seconds=1)),
    }

    # The token first: a wrong one fails here, before any statistics are asked for.
    zone = read_me(client)
    shift = utc_offset(zone)

    totals = read_total(client, span)
    pages = count_pages(read_hits(client, span), shift, period, prefix)

    # A page folded from several paths (``/a`` and ``/a/index.html``) has several ids.
    referrers = Referrers(own_hosts)
    page_referrers = {}
    for path in pages.top(top_pages):
        rows = [row for path_id in pages.ids[path]
                for row in read_page_referrers(client, span, path_id)]
        page_referrers[path] = referrers.ranked(rows)

    breakdowns = {name: read_breakdown(client, span, page) for page, name in BREAKDOWN_PAGES}
    return build_record(period, zone, shift, totals, pages, breakdowns, page_referrers, referrers)


def scrub(text: str, token: str | None) -> str:
    """``text`` without the token, whatever put it there."""
    return text.replace(token, "[token]") if token else text


# Address ---------------------------------------------------------------------------------


def api_url(site: str) -> str:
    """The site's address: a code means ``https://<code>.goatcounter.com``.

    A full URL (self-hosted, maybe under a base path) is kept as written; a host name without a
    scheme gets ``https://``.
    """
    site = site.strip().rstrip("/")
    if site.endswith(API):
        site = site[: -len(API)]
    if _SITE_CODE.fullmatch(site):
        return f"https://{site}.goatcounter.com"
    if "://" not in site and "." in site and " " not in site:
        site = "https://" + site
    parts = urlsplit(site)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GoatCounterError(
            "option 'site' must be a site code such as 'mysite' or an address such as "
            f"https://stats.example.com, got {site!r}"
        )
    return site


def _host(base: str) -> str:
    """The host (and port) of ``base``, for messages: never a user name or password."""
    parts = urlsplit(base)
    return parts.hostname + (f":{parts.port}" if parts.port else "")


# Requests --------------------------------------------------------------------------------


class Gate:
    """Every request passes here first: the cap on requests, then the pace."""

    def __init__(self, max_requests: int, sleep, clock) -> None:
        self.max_requests = max_requests
        self.sleep = sleep
        self.clock = clock
        self.used = 0
        self.last: float | None = None

    def wait(self, seconds: float) -> None:
        if seconds > 0:
            self.sleep(seconds)

    def enter(self) -> None:
        if self.used >= self.max_requests:
            raise GoatCounterError(
                f"stopped at {self.used} requests, the most one collection may make: "
                "raise the option 'max_requests'"
            )
        if self.last is not None:
            self.wait(self.last + 1 / REQUESTS_PER_SECOND - self.clock())
        self.last = self.clock()
        self.used += 1


class GatedRetry(Retry):
    """urllib3's retry policy, waiting through the :class:`Gate` before each retry."""

    def __init__(self, *args, gate: Gate | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.gate = gate

    def new(self, **kwargs) -> GatedRetry:
        return super().new(gate=self.gate, **kwargs)

    def is_exhausted(self) -> bool:
        """Out of retries, or of requests: a retry the cap leaves no room for is not made,
        and the failure it would have retried is reported as it is (a refused connection, a
        502), not as the cap."""
        return super().is_exhausted() or self.gate.used >= self.gate.max_requests

    def sleep(self, response=None) -> None:
        wait = self.retry_wait(response)
        what = f"HTTP {response.status}" if response is not None else "no connection"
        log.info("GoatCounter: %s; retrying in %g s (%d of %d)", what, wait,
                 len(self.history), RETRIES)
        self.gate.wait(wait)
        self.gate.enter()

    def retry_wait(self, response) -> float:
        backoff = max(self.get_backoff_time(), SHORTEST_WAIT)
        if response is None or response.status != 429:
            return backoff
        wait = rate_limit_wait(response.headers)
        if wait > LONGEST_WAIT:
            raise GoatCounterError(
                f"rate-limited for {wait:.0f} s more (HTTP 429): try again later; "
                "GoatCounter limits requests per IP address"
            )
        return wait


def rate_limit_wait(headers) -> float:
    """Seconds a 429 asks to wait: ``Retry-After``, else ``X-Rate-Limit-Reset``, at least 1.

    Both can say 0 (less than a second left); servers before v2.6 send only the second.
    """
    for name in ("Retry-After", "X-Rate-Limit-Reset"):
        value = (headers.get(name) or "").strip()
        if value.isdigit():
            return max(float(value), SHORTEST_WAIT)
    return SHORTEST_WAIT


class BearerToken(AuthBase):
    """``Authorization: Bearer``; set as the session's auth so that ``.netrc`` cannot replace
    it, and requests drops it on a redirect to another host."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "BearerToken([token])"


class Client:
    """GET requests to one site's API: JSON answers, or a :class:`GoatCounterError`."""

    def __init__(self, base: str, token: str, timeout: float, gate: Gate) -> None:
        self.base = base
        self.host = _host(base)
        self.timeout = timeout
        self.gate = gate
        retry = GatedRetry(
            total=RETRIES,
            connect=RETRIES,
            read=1,
            status=RETRIES,
            other=0,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET"}),
            backoff_factor=1,
            raise_on_status=False,
            respect_retry_after_header=False,  # waits are decided in GatedRetry
            gate=gate,
        )
        self.session = http.session(retry)
        self.session.auth = BearerToken(token)
        self.session.headers.update(
            {
                "Accept": "application/json",
                # Without it the server renders errors as an HTML page instead of JSON.
                "Content-Type": "application/json",
                "User-Agent": "mkdocs-analytics",
            }
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.session.close()

    def get(self, endpoint: str, params: dict | None = None) -> dict:
        """The JSON object ``endpoint`` (``/stats/total``) answers to ``params``."""
        self.gate.enter()
        try:
            response = self.session.get(
                self.base + API + endpoint, params=params, timeout=self.timeout
            )
        except requests.RequestException as error:
            raise GoatCounterError(self._network_problem(error, endpoint)) from None
        return self._decode(response, API + endpoint)

    def _network_problem(self, error: requests.RequestException, endpoint: str) -> str:
        """One line on a request that got no usable answer."""
        if isinstance(error, http.AnswerError):
            return f"the answer to {API}{endpoint} {error}: {ANSWER_ADVICE[error.kind]}"
        if isinstance(error, requests.TooManyRedirects):
            return (
                f"{API}{endpoint} redirected more than {http.MAX_REDIRECTS} times: check the "
                "option 'site'"
            )
        reason = error.args[0] if error.args else error
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        if not isinstance(reason, BaseException):
            reason = error  # a message only (an address requests cannot use)
        # A refused connection is a NewConnectionError, which urllib3 derives from its
        # timeout errors.
        timed_out = isinstance(reason, Urllib3Timeout) and not isinstance(
            reason, NewConnectionError
        )
        if timed_out or isinstance(error, requests.Timeout):
            return (
                f"no answer from {self.host} within {self.timeout} s ({API}{endpoint}): "
                "try again later, or raise the option 'timeout'"
            )
        return (
            f"couldn't connect to {self.host} ({http.os_reason(reason)}): "
            "check the option 'site' and the network"
        )

    def _decode(self, response: requests.Response, endpoint: str) -> dict:
        status = response.status_code
        html = _is_html(response)
        if status >= 400:
            detail = "an HTML page" if html else _error_text(response.content)
            problem = self._status_problem(status, detail, endpoint, response)
            raise GoatCounterError(problem, status)
        if html:
            raise GoatCounterError(
                f"{endpoint} answered an HTML page, not JSON: "
                "is 'site' the address of a GoatCounter site?"
            )
        try:
            data = json.loads(response.content)
        except ValueError as error:
            raise GoatCounterError(
                f"the answer to {endpoint} is not complete JSON ({len(response.content)} "
                f"bytes; {error}): try again later"
            ) from None
        if not isinstance(data, dict):
            raise GoatCounterError(f"the answer to {endpoint} is not a JSON object")
        return data

    def _status_problem(self, status: int, detail: str, endpoint: str, response) -> str:
        """One line on what an error status means for the user."""
        said = f"HTTP {status}: {detail}"
        if status == 401:
            return (
                f"the token was refused ({said}): check GOATCOUNTER_TOKEN or the option "
                f"'token'; it must be an API token of an admin of {self.host}"
            )
        if status == 403 and "permission" in detail:
            return (
                f"the token lacks a permission ({said}): make one with 'Read statistics' "
                f"under Settings, API on {self.host}"
            )
        if status == 403:
            return (
                f"the token has no access to {self.host} ({said}): wrong site, or a token "
                "of another account"
            )
        if status == 400 and "no site at this domain" in detail:
            return f"{self.host} has no GoatCounter site ({said}): check the option 'site'"
        if status == 400:
            return f"the request {endpoint} was refused ({said})"
        if status == 404:
            return (
                f"{endpoint} was not found ({said}): is 'site' the address of a "
                "GoatCounter site?"
            )
        retried = len(getattr(getattr(response.raw, "retries", None), "history", ()))
        if status == 429:
            return (
                f"still rate-limited after {retried} retries ({said}): try again later; "
                "GoatCounter limits requests per IP address"
            )
        if status >= 500:
            return f"GoatCounter failed after {retried} retries ({said}): try again later"
        return f"{endpoint} answered {said}"


def _is_html(response: requests.Response) -> bool:
    """An HTML page: the header says so, or the body starts with a tag.

    Error answers say ``text/plain`` even when they hold JSON, so the body decides too.
    """
    kind = response.headers.get("Content-Type", "")
    return "html" in kind.lower() or response.content.lstrip()[:1] == b"<"


def _error_text(body: bytes) -> str:
    """The API's error message: ``error``, or the ``errors`` map, or the first line of text."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        text = data["error"]
    elif isinstance(data, dict) and isinstance(data.get("errors"), dict):
        text = "; ".join(
            f"parameter {name!r}: {_joined(problem)}" for name, problem in data["errors"].items()
        )
    else:
        lines = body.decode("utf-8", "replace").strip().splitlines()
        text = lines[0] if lines else "no message"
    return " ".join(text.split())[:200]


def _joined(problem) -> str:
    return ", ".join(map(str, problem)) if isinstance(problem, list) else str(problem)


# Reading the API -------------------------------------------------------------------------


def check(options, *, sleep=time.sleep, clock=time.monotonic) -> tuple[bool, str]:
    """Reach the site once (``/me``) and say whether the token can read statistics."""
    try:
        base = api_url(options.site or "")
        if not options.token:
            return False, "no API token: set GOATCOUNTER_TOKEN or the option 'token'"
        gate = Gate(options.max_requests, sleep, clock)
        with Client(base, options.token, options.timeout, gate) as client:
            zone = read_me(client)
    except GoatCounterError as error:
        return False, scrub(str(error), options.token)
    return True, f"{base} answers; the token may read statistics (timezone {zone})"


def read_me(client: Client) -> str:
    """Check the token may read statistics; return the owner's timezone (IANA name)."""
    data = client.get("/me")
    permissions = (data.get("token") or {}).get("permissions")
    if isinstance(permissions, int) and not permissions & STATS_PERMISSION:
        raise GoatCounterError(
            "the token lacks the 'stats' permission (Read statistics): make one with it "
            f"under Settings, API on {client.host}"
        )
    settings = (data.get("user") or {}).get("settings") or {}
    return zone_name(settings.get("timezone"))


def zone_name(value) -> str:
    """``NL.Europe/Amsterdam`` (country code, dot, IANA name) as ``Europe/Amsterdam``."""
    if not isinstance(value, str):
        return "UTC"
    return value.partition(".")[2] or value or "UTC"


def utc_offset(zone: str) -> timedelta:
    """The zone's offset now: the API shifts its buckets by the current offset, DST or not."""
    try:
        tzinfo = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        log.info("GoatCounter: unknown timezone %r; its days are taken as UTC days", zone)
        return timedelta(0)
    return datetime.now(tzinfo).utcoffset() or timedelta(0)


def read_total(client: Client, span: dict) -> dict | None:
    """``/stats/total``; None on the 404 some brand-new sites are said to answer."""
    try:
        return client.get("/stats/total", span)
    except GoatCounterError as error:
        if error.status == 404:
            return None
        raise


def read_hits(client: Client, span: dict) -> list[dict]:
    """Every path with visitors in the span, pages and events."""
    hits: list[dict] = []
    seen: list[int] = []
    while True:
        params = {**span, "limit": LIMIT}
        if seen:
            params["exclude_paths"] = ",".join(map(str, seen))
        data = client.get("/stats/hits", params)
        rows = [_hit(row) for row in _rows(data, "hits", "/stats/hits")]
        known = set(seen)
        new = [row for row in rows if row["path_id"] not in known]
        if rows and not new:
            raise GoatCounterError(
                f"{API}/stats/hits repeated paths already received: this server ignores "
                "'exclude_paths'"
            )
        hits += new
        seen += [row["path_id"] for row in new]
        if not data.get("more") or not rows:
            return hits


def _hit(row: dict) -> dict:
    if not isinstance(row.get("path_id"), int) or not isinstance(row.get("path"), str):
        raise GoatCounterError(f"unexpected answer from {API}/stats/hits: a row without path")
    return row


def read_page_referrers(client: Client, span: dict, path_id: int) -> list[dict]:
    return _paged(client, f"/stats/hits/{path_id}", "refs", span)


def read_breakdown(client: Client, span: dict, page: str) -> list[dict] | None:
    """The rows of ``/stats/{page}``; None when the server has no such page (HTTP 400)."""
    depth = TOPREFS_DEPTH if page == "toprefs" else None
    try:
        return _paged(client, f"/stats/{page}", "stats", span, depth)
    except GoatCounterError as error:
        if error.status != 400:
            raise
        log.info("GoatCounter: no %s on this server (%s); left empty", page, error)
        return None


def _paged(client, endpoint: str, key: str, span: dict, depth: int | None = None) -> list[dict]:
    """Every row of an endpoint paged with ``offset``, to ``depth`` rows at most."""
    rows: list[dict] = []
    while True:
        params = {**span, "limit": LIMIT}
        if rows:
            params["offset"] = len(rows)
        data = client.get(endpoint, params)
        page = _rows(data, key, endpoint)
        rows += page
        if not data.get("more") or not page or (depth and len(rows) >= depth):
            return rows


def _rows(data: dict, key: str, endpoint: str) -> list[dict]:
    rows = data.get(key)
    if rows is None and key in ("refs", "stats"):
        return []  # a list with no rows may come as null
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise GoatCounterError(f"unexpected answer from {API}{endpoint}: no '{key}' list")
    return rows


# From answers to the record ---------------------------------------------------------------


def utc_days(buckets, shift: timedelta) -> Counter:
    """Visitors per UTC day from the API's day buckets, which are in the owner's timezone.

    Each bucket has 24 hourly counts; moved back by the zone's offset they land on their UTC
    day. A bucket without hours keeps its own day.
    """
    days: Counter = Counter()
    for bucket in buckets or []:
        day, hourly = bucket.get("day"), bucket.get("hourly")
        if not isinstance(day, str):
            continue
        if not shift or not isinstance(hourly, list):
            days[day] += bucket.get("daily") or 0
            continue
        midnight = datetime.fromisoformat(day)
        for hour, count in enumerate(hourly):
            if count:
                days[(midnight + timedelta(hours=hour) - shift).date().isoformat()] += count
    return days


def page_path(path: str) -> str:
    """The page a GoatCounter path names, as the access-log source names it."""
    return normalize_path(path.split("#", 1)[0].split("?", 1)[0])


@dataclass
class PageCounts:
    """``/stats/hits`` rows added up: pages per UTC day, and events apart."""

    daily: Counter = field(default_factory=Counter)
    titles: dict = field(default_factory=dict)
    ids: dict = field(default_factory=lambda: defaultdict(list))
    events: Counter = field(default_factory=Counter)
    event_days: Counter = field(default_factory=Counter)
    outside: int = 0

    def totals(self) -> Counter:
        per_path: Counter = Counter()
        for (_, path), count in self.daily.items():
            per_path[path] += count
        return per_path

    def top(self, n: int) -> list[str]:
        """The ``n`` most visited pages, ties by path."""
        order = sorted(self.totals().items(), key=lambda item: (-item[1], item[0]))
        return [path for path, _ in order[:n]]


def count_pages(hits: list[dict], shift: timedelta, period: Period,
                prefix: str = "") -> PageCounts:
    counts = PageCounts()
    for hit in hits:
        days = utc_days(hit.get("stats"), shift)
        counts.outside += sum(n for day, n in days.items() if not period.contains(day))
        days = {day: n for day, n in days.items() if period.contains(day) and n}
        if hit.get("event"):
            counts.events[hit["path"].strip()] += sum(days.values())
            counts.event_days.update(days)
            continue
        # Pages are named within the site, without site_url's path; others are not ours.
        path = site_path(page_path(hit["path"]), prefix)
        if path is None:
            continue
        counts.ids[path].append(hit["path_id"])
        for day, n in days.items():
            counts.daily[day, path] += n
        # Rows come most visited first: the first title of a folded path is the main one.
        if hit.get("title") and path not in counts.titles:
            counts.titles[path] = hit["title"]
    return counts


def site_days(totals: dict | None, pages: PageCounts, shift: timedelta) -> tuple[Counter, str]:
    """Visitors per UTC day on pages, and where the series came from.

    ``/stats/total`` has the series from v2.7 on; it counts events too, which are taken out.
    Older servers have none: the pages' own series are added up.
    """
    series = (totals or {}).get("stats")
    if isinstance(series, list):
        days = utc_days(series, shift)
        days.subtract(pages.event_days)
        return Counter({day: n for day, n in days.items() if n > 0}), "stats/total"
    days = Counter()
    for (day, _), n in pages.daily.items():
        days[day] += n
    return days, "sum of pages"


class Referrers:
    """Referrer names as the access-log source writes them: hosts, without the site's own."""

    def __init__(self, own_hosts) -> None:
        self.own = {_bare_host(host) for host in own_hosts or () if host}
        self.direct = 0

    def name(self, row: dict) -> str | None:
        """``www.example.com/start.html`` (scheme ``h``) becomes ``example.com``; groups such
        as ``Google`` and campaign sources stay; direct visits (no name) have none."""
        name = (row.get("name") or "").strip()
        if not name:
            return None
        if row.get("ref_scheme") != "h":
            return public_referrer(name)
        host = urlsplit("//" + name).hostname
        host = _bare_host(host) if host else None
        # An address as a referrer names a machine, maybe a person's: never kept as such.
        return None if host in self.own else (public_referrer(host) if host else None)

    def ranked(self, rows) -> list[dict]:
        counts: Counter = Counter()
        for row in rows:
            name = self.name(row)
            if name is not None:
                counts[name] += _count(row)
        return ranked(counts)

    def count_direct(self, rows: list[dict]) -> None:
        self.direct += sum(_count(row) for row in rows if not (row.get("name") or "").strip())


def _count(row: dict) -> int:
    count = row.get("count")
    return count if isinstance(count, int) and count > 0 else 0


def breakdown(name: str, rows: list[dict], referrers: Referrers) -> list[dict]:
    """An API breakdown as record rows; unknown values are named ``Unknown``."""
    if name == "referrers":
        referrers.count_direct(rows or [])
        return referrers.ranked(rows or [])
    counts: Counter = Counter()
    for row in rows or []:
        if name == "screen_sizes":
            label = row.get("id") or "unknown"  # phone, tablet, desktop, ...: name is empty
        elif name == "countries":
            # The ISO 3166 code, as the CSV export gives it: the dashboard names countries.
            code = str(row.get("id") or "")
            label = code.upper() if code and code != "(unknown)" else "Unknown"
        else:
            label = row.get("name") or row.get("id") or "Unknown"
        counts[str(label)] += _count(row)
    return ranked(counts)


def _totals(totals: dict | None) -> dict:
    keys = ("total", "total_events", "total_utc")
    return {key: (totals or {}).get(key) if isinstance((totals or {}).get(key), int) else None
            for key in keys}


def build_record(
    period: Period,
    zone: str,
    shift: timedelta,
    totals: dict | None,
    pages: PageCounts,
    breakdowns: dict,
    page_referrers: dict,
    referrers: Referrers,
) -> dict:
    """The normalized raw record (see ``records.py``), in the access-log record's key order."""
    site, series = site_days(totals, pages, shift)
    rows = {name: breakdown(name, breakdowns[name], referrers) for name in BREAKDOWNS}
    record = {
        "schema_version": SCHEMA_VERSION,
        "source": SOURCE,
        "available": True,
        "reason": None,
        "measure": "visitors",
        "period": period.as_dict(),
        "site_daily": [
            {"date": day, "views": None, "visitors": site.get(day, 0)} for day in period.dates()
        ],
        "daily": [
            {"date": day, "path": path, "views": None, "visitors": n}
            for (day, path), n in sorted(pages.daily.items())
        ],
        "titles": dict(sorted(pages.titles.items())),
        **rows,
        "not_found": [],
        "excluded": {"events": sum(pages.events.values())} if pages.events else {},
        "quality": {
            "daily_series": series,
            "totals": _totals(totals),
            "paths": len(pages.ids),
            "direct_visits": referrers.direct,
            "outside_period": pages.outside,
            "missing": [name for name in BREAKDOWNS if breakdowns[name] is None],
        },
        "timezone": zone,
        "events": ranked(pages.events),
        "page_referrers": page_referrers,
    }
    return record
