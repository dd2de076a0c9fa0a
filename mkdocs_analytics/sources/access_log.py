"""Web-server access logs (Apache and nginx *combined* and *common* formats).

Each line is one request. A request counts as a page view when it is a successful ``GET`` of a
page by something that is not a known crawler; everything else is counted by the reason it was
left out (``bots``, ``methods``, ``redirects``, ``errors``, ``assets``) so the numbers can be
checked against the log.

Privacy: a visitor is the same client address and user agent on the same UTC day. The pair is
hashed in memory with a random salt made for this run and never written, and only counts leave
this module; no address, user agent or hash is ever stored.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import os
import re
import secrets
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from urllib.parse import parse_qsl, unquote, urlsplit

import crawleruseragents
from ua_parser import parse_os, parse_user_agent

from ..period import Period
from ..records import RecordBuilder

SOURCE = "access_log"

# How many bad lines are kept as examples (file and line number, never the line itself, which
# holds a client address).
SAMPLES = 5

# A quoted field: anything but a quote or backslash, or a backslash escape (Apache writes \" and
# \\, nginx \x22).
_QUOTED = r'"((?:[^"\\]|\\.)*)"'

LINE = re.compile(
    r"(?P<client>\S+) \S+ (?:\S+|\"[^\"]*\") \[(?P<time>[^\]]+)\] "
    + _QUOTED.replace("(", "(?P<request>", 1)
    + r" (?P<status>\d{3}|-) (?P<size>\S+)"
    + r"(?: " + _QUOTED.replace("(", "(?P<referrer>", 1)
    + r" " + _QUOTED.replace("(", "(?P<agent>", 1) + ")?"
    + r"(?P<rest>.*)"
)

REQUEST = re.compile(r"([A-Z]{3,10}) (\S+)(?: (HTTP/\d(?:\.\d)?))?")

MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}

# A path is a page when its last segment has no extension or one of these; anything else
# (images, styles, scripts, fonts, feeds, downloads) is an asset.
PAGE_EXTENSIONS = {"", "html", "htm", "xhtml", "shtml", "php"}
FEED_NAMES = {"feed", "rss", "atom", "feed.xml", "rss.xml", "atom.xml", "index.xml"}


class LogError(Exception):
    """A log file could not be read at all (missing, unreadable)."""


def find_files(patterns: Iterable[str], root: str) -> list[str]:
    """The files named by ``patterns`` (paths or globs, relative to ``root``), sorted."""
    found: set[str] = set()
    for pattern in patterns:
        full = os.path.join(root, pattern)
        matches = glob.glob(full) if glob.has_magic(full) else [full]
        if not matches:
            raise LogError(f"no log file matches {pattern!r}")
        for path in matches:
            if not os.path.exists(path):
                raise LogError(f"no log file at {pattern!r}")
            if not os.path.isfile(path):
                raise LogError(f"{pattern!r} is not a readable file")
            found.add(os.path.normpath(path))
    return sorted(found)


def open_lines(path: str) -> Iterator[bytes]:
    """The raw lines of a plain or gzip-compressed file."""
    with open(path, "rb") as head:
        compressed = head.read(2) == b"\x1f\x8b"
    opener = gzip.open if compressed else open
    with opener(path, "rb") as lines:
        yield from lines


class AccessLogReader:
    """Reads log files into a :class:`RecordBuilder`, counting every line once."""

    def __init__(self, own_hosts: Iterable[str] = (), bots: Iterable[str] = ()) -> None:
        self.builder = RecordBuilder(SOURCE, measure="page_views")
        self.own_hosts = {_bare_host(host) for host in own_hosts if host}
        self.bots = [word.lower() for word in bots if word]
        self.salt = secrets.token_bytes(16)
        self.quality = Counter()
        self.samples: list[dict] = []
        self.files: list[str] = []
        self._days: dict[str, str] = {}
        self._agents: dict[str, tuple[str, str, bool]] = {}

    # Reading ---------------------------------------------------------------------------

    def read(self, path: str) -> None:
        self.files.append(os.path.basename(path))
        number = 0
        try:
            for number, raw in enumerate(open_lines(path), 1):
                self.quality["lines_read"] += 1
                reason = self._line(raw)
                if reason:
                    self._bad(path, number, reason)
        except (OSError, EOFError, zlib.error) as error:
            # A truncated or corrupt .gz keeps what was read before the damage.
            self._bad(path, number + 1, f"file damaged: {error}")

    def _bad(self, path: str, number: int, reason: str) -> None:
        self.quality["malformed"] += 1
        if len(self.samples) < SAMPLES:
            self.samples.append({"file": os.path.basename(path), "line": number, "reason": reason})

    def _line(self, raw: bytes) -> str | None:
        """Count one line; return why it is malformed, or None."""
        text = raw.rstrip(b"\r\n").decode("utf-8", "surrogateescape")
        if not text.strip():
            return "empty line"
        match = LINE.match(text)
        if match is None:
            return "not in combined or common log format"
        if match["agent"] is None and match["rest"].strip():
            return "unterminated quote" if '"' in match["rest"] else "unexpected trailing text"
        request = REQUEST.fullmatch(match["request"])
        if request is None:
            return "empty request" if not match["request"] else "request is not 'METHOD path'"
        day = self._day(match["time"])
        if day is None:
            return "unreadable time"
        if match["status"] == "-":
            return "no status"
        self.quality["parsed"] += 1
        self._request(day, request, int(match["status"]), match)
        return None

    def _request(self, day: str, request: re.Match, status: int, match: re.Match) -> None:
        builder = self.builder
        method, target = request[1], request[2]
        if match["agent"] is None:
            # The common format logs no user agent: nothing tells people from crawlers, so
            # every request counts, and a visitor is a client address on a day.
            agent, browser, system, is_bot = "", "Unknown", "Unknown", False
        else:
            agent = _unescape(match["agent"])
            browser, system, is_bot = self._agent(agent)

        if is_bot:
            builder.exclude(day, "bots")
            return
        if method != "GET":
            builder.exclude(day, "methods")
            return

        path, query = _split_target(target)
        page = _is_page(path) and not _is_feed_query(target)
        if 300 <= status < 400 and status != 304:
            builder.exclude(day, "redirects")
            return
        if not (200 <= status < 300 or status == 304):
            builder.exclude(day, "errors")
            if status == 404 and page:
                builder.missing(day, normalize_path(path))
            return
        if not page:
            builder.exclude(day, "assets")
            return

        path = normalize_path(path)
        visitor = hashlib.blake2b(
            f"{day}\x00{match['client']}\x00{agent}".encode("utf-8", "surrogateescape"),
            key=self.salt,
            digest_size=8,
        ).digest()
        if builder.view(day, path, visitor):
            builder.count(day, "browsers", browser)
            builder.count(day, "systems", system)
        referrer = self._referrer(_unescape(match["referrer"] or ""))
        if referrer:
            builder.count(day, "referrers", referrer)
        campaign = query.get("utm_campaign", "").strip()
        if campaign:
            builder.count(day, "campaigns", campaign)
        self.quality["kept"] += 1

    # Field helpers ---------------------------------------------------------------------

    def _day(self, stamp: str) -> str | None:
        """The UTC day of an Apache time stamp (``17/May/2015:10:05:03 +0000``)."""
        # Minutes change the UTC day only with offsets such as +0530, so whole-hour offsets
        # are cached by the hour.
        key = stamp[:14] + stamp[20:] if stamp[24:26] == "00" else stamp[:17] + stamp[20:]
        day = self._days.get(key)
        if day is None:
            try:
                moment = datetime(
                    int(stamp[7:11]), MONTHS[stamp[3:6]], int(stamp[0:2]), int(stamp[12:14]),
                    int(stamp[15:17]),
                    tzinfo=datetime.strptime(stamp[21:26], "%z").tzinfo,
                )
            except (KeyError, ValueError):
                return None
            day = moment.astimezone(timezone.utc).date().isoformat()
            self._days[key] = day
        return day

    def _agent(self, agent: str) -> tuple[str, str, bool]:
        """Browser family, OS family and whether the user agent is a crawler, cached."""
        known = self._agents.get(agent)
        if known is None:
            lowered = agent.lower()
            is_bot = (
                agent in ("", "-")
                or crawleruseragents.is_crawler(agent)
                or any(word in lowered for word in self.bots)
            )
            browser = parse_user_agent(agent)
            system = parse_os(agent)
            known = (
                browser.family if browser else "Other",
                system.family if system else "Other",
                is_bot,
            )
            self._agents[agent] = known
        return known

    def _referrer(self, referrer: str) -> str | None:
        """The referring host, or None for direct visits and the site's own pages."""
        if referrer in ("", "-"):
            return None
        try:
            host = urlsplit(referrer).hostname
        except ValueError:
            return None
        if not host:
            return None
        host = _bare_host(host)
        return None if host in self.own_hosts else host

    # Result ----------------------------------------------------------------------------

    def record(self, period: Period) -> dict:
        quality = {
            "files": self.files,
            "lines_read": self.quality["lines_read"],
            "parsed": self.quality["parsed"],
            "malformed": self.quality["malformed"],
            "malformed_samples": self.samples,
        }
        return self.builder.build(period, quality=quality)


def collect(
    patterns: Iterable[str],
    root: str,
    period_end=None,
    period_days: int = 7,
    own_hosts: Iterable[str] = (),
    bots: Iterable[str] = (),
) -> tuple[dict | None, AccessLogReader]:
    """Read every log file; return the normalized record and the reader (for its report).

    Without ``period_end`` the period ends with the latest day found in the logs; with no
    request in the logs at all there is no period and the record is None.
    """
    reader = AccessLogReader(own_hosts=own_hosts, bots=bots)
    for path in find_files(patterns, root):
        reader.read(path)
    latest = reader.builder.latest_day()
    if period_end is None:
        if latest is None:
            return None, reader
        period_end = datetime.fromisoformat(latest).date()
    period = Period.ending(period_end, period_days)
    return reader.record(period), reader


# Path and text helpers -------------------------------------------------------------------


def normalize_path(path: str) -> str:
    """One name per page: percent-decoded, ``index.html`` and the trailing slash folded.

    ``/docs/``, ``/docs`` and ``/docs/index.html`` all become ``/docs``; the root stays ``/``.
    Bytes that are not UTF-8 stay percent-encoded, so the result is always valid text.
    """
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        decoded = path
    decoded = _quote_invalid(decoded)
    if decoded.endswith("/index.html") or decoded.endswith("/index.htm"):
        decoded = decoded.rsplit("/", 1)[0] + "/"
    decoded = "/" + decoded.strip("/")
    return decoded


def _quote_invalid(text: str) -> str:
    """Percent-encode bytes that were not valid UTF-8 (kept as surrogates) and controls."""
    out = []
    for char in text:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"%{code - 0xDC00:02X}")
        elif code < 0x20 or code == 0x7F:
            out.append(f"%{code:02X}")
        else:
            out.append(char)
    return "".join(out)


def _split_target(target: str) -> tuple[str, dict]:
    """The path and the query parameters of a request target (absolute URIs too)."""
    if "://" in target:
        target = urlsplit(target).path or "/"
    path, _, query = target.partition("?")
    params = dict(parse_qsl(query)) if query and "utm_" in query else {}
    return path.split("#", 1)[0] or "/", params


# Blog engines serve feeds from page paths with a query (``/blog/?flav=rss20``,
# ``?feed=rss2``, ``?format=atom``): those are feed readers polling, not people reading.
_FEED_QUERY = re.compile(r"[?&](?:flav|feed|format|type)=(?:rss|atom|feed)", re.IGNORECASE)


def _is_feed_query(target: str) -> bool:
    return "?" in target and _FEED_QUERY.search(target) is not None


def _is_page(path: str) -> bool:
    last = path.rstrip("/").rsplit("/", 1)[-1].lower()
    if last in FEED_NAMES:
        return False
    if path.endswith("/"):
        return True  # a directory such as /1.2/ (mike versions), not a ".2" file
    extension = last.rsplit(".", 1)[1] if "." in last else ""
    return extension in PAGE_EXTENSIONS


def _bare_host(host: str) -> str:
    host = host.lower().strip().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return (
        text.replace('\\"', '"').replace("\\x22", '"').replace("\\\\", "\\")
    )
