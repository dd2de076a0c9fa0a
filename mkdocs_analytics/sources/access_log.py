"""Web-server access logs: Apache, nginx, Caddy, Bunny CDN, or a pattern of the user's.

Each line is one request (``log_formats.py`` turns lines into requests). A request counts as a
page view when it is a successful ``GET`` of a page of this site by something that is not a
known crawler; everything else is counted by the rule that removed it, first match wins:

1. ``bots``: the user agent is on the maintained crawler list (``crawler-user-agents``) or the
   user's own list, or is one ``ua-parser`` calls a ``Spider`` device (``... Google favicon``,
   Spinn3r's ``spinn3r.com/robot``), or is empty;
2. ``methods``: not a ``GET`` (``HEAD``, ``POST``), or no request at all (``""``, ``"-"``, the
   bytes of a TLS handshake sent to the plain-HTTP port);
3. ``other_sites``: another virtual host than this site's, or a path outside ``site_url``'s
   path;
4. ``redirects`` (3xx but 304), ``errors`` (4xx, 5xx; a page's 404 is listed in
   ``not_found``), ``assets`` (images, styles, scripts, feeds).

Paths drop their query string but for ``utm_campaign`` (a campaign) and ``utm_source`` (the
referrer when the request has no referrer from another site: GoatCounter always prefers it, we
prefer what the browser said); ``/docs``, ``/docs/`` and ``/docs/index.html`` are one page. An
absolute-form target (``GET https://docs.example.org/guide/``) of the site's own host is its
path. With ``site_url: https://example.org/docs/``, requests outside ``/docs/`` are another
site's (``other_sites``); pages keep their full path, as the site's page list names them.
A path, referrer or campaign over 1,000 characters (a scanner's) is cut to 999 and ``…``.

Privacy: a visitor is the same client address and user agent on the same UTC day. The pair is
hashed in memory with a random salt made for this run and never written; behind a proxy, the
last public address of a forwarded-for list is the client. Only counts leave this module; no
address, user agent or hash is ever stored, not even in the cache. Every breakdown counts
people, not requests: a referrer, a campaign, a browser, a system, a country or a missing page
counts each visitor once a day, however many pages they read (so one reader who came six
times from a private wiki is 1, and ``min_count`` folds that row). A referrer whose host is an
IP address is never named: all such are counted as ``(an IP address)`` (see ``names.py``).

Files (plain, ``.gz``, globs of rotated logs) are read in time order, by the first request of
each, and each file once: the same file reached twice (a link, a repeated pattern) and a file
whose content equals an earlier one's (``access.log.2`` beside ``access.log.2.gz``) are read
once. When a file starts before the previous one ends and its first request is one the previous
file holds (two copies of a growing log), the requests both hold are counted once.

Requests dated after today (UTC), beyond a day of clock skew, are left out of every count and
counted in the quality block's ``future``, and said at WARNING: one line of 2031 must not move
the period to 2031. The default period ends on the latest day that is not in the future.

Unchanged files are not read again: see ``log_cache.py``.

A file that cannot be opened is left out with a WARNING naming it, and the others count; only
when no file can be opened is the source left out.

Logs that give nothing say so at WARNING (which ``log_level: info`` turns into INFO): an empty
file, a file without a single request (an error log), no page view at all (every request for
another host: set ``access_log.hosts``), a ``.gz`` that breaks off (with how much of it was
read), and a period that holds none of the files' days.
"""

from __future__ import annotations

import gc
import glob
import gzip
import hashlib
import ipaddress
import os
import re
import secrets
import zlib
from collections import Counter
from collections.abc import Iterable
from datetime import date, timedelta
from urllib.parse import parse_qsl, unquote, urlsplit

import crawleruseragents
import ua_parser
from mkdocs.plugins import get_plugin_logger

from .. import progress
from ..period import Period
from ..records import unavailable
from . import log_cache, log_formats
from .names import cut, public_referrer
from .tally import Tally, last_allowed_day

log = get_plugin_logger("analytics")

SOURCE = "access_log"

# How many bad lines are kept as examples (file and line number, never the line itself, which
# holds a client address).
SAMPLES = 5

# Bytes read at a time; lines are never split between chunks.
CHUNK = 1 << 20
# Bytes read from the start of a file to tell its format and first time.
PEEK = 64 * 1024

# Caches of parsed fields are emptied when they grow past this many entries, so that a log
# full of unique query strings or referrer URLs cannot fill the memory; fields longer than
# CACHE_KEY_LIMIT bytes (a scanner's megabytes of path) are never kept in them.
CACHE_LIMIT = 50_000
CACHE_KEY_LIMIT = 4096

# Requests kept (as 64-bit hashes) at the end of a file to find them again at the start of an
# overlapping next file; past this many, overlaps are not looked for.
TAIL_LIMIT = 500_000

# The order of the rules in the quality block.
RULES = ("bots", "methods", "other_sites", "redirects", "errors", "assets")

# A path is a page when its last segment has no extension or one of these; anything else
# (images, styles, scripts, fonts, feeds, downloads) is an asset.
PAGE_EXTENSIONS = {"", "html", "htm", "xhtml", "shtml", "php"}
FEED_NAMES = {"feed", "rss", "atom", "feed.xml", "rss.xml", "atom.xml", "index.xml"}

# Status classes: a view, a redirect, an error, a missing page.
OK, REDIRECT, ERROR, MISSING = 0, 1, 2, 3
STATUS = {
    b"%03d" % code: (
        OK if 200 <= code < 300 or code == 304
        else REDIRECT if 300 <= code < 400
        else MISSING if code == 404
        else ERROR
    )
    for code in range(1000)
}

# Addresses of the proxies' own networks, skipped in forwarded-for lists: private, shared
# (carrier-grade NAT), loopback, link-local, unique-local.
_INTERNAL = {
    4: [ipaddress.ip_network(net) for net in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
        "169.254.0.0/16", "0.0.0.0/8")],
    6: [ipaddress.ip_network(net) for net in ("fc00::/7", "fe80::/10", "::1/128", "::/128")],
}

UNKNOWN_AGENT = ("Unknown", "Unknown", False)
BOT = ("Other", "Other", True)


class LogError(Exception):
    """A log file could not be read at all (missing, unreadable), or a bad format option."""


def find_files(patterns: Iterable[str], root: str, error: type[Exception] = LogError
               ) -> list[str]:
    """The files named by ``patterns`` (paths or globs, relative to ``root``), sorted, each
    once even when reached by two names (a link, ``./access.log``). Every file source finds
    its files here; ``error`` is the one it raises."""
    found: dict[tuple[int, int], str] = {}
    for pattern in patterns:
        full = os.path.join(root, pattern)
        matches = glob.glob(full) if glob.has_magic(full) else [full]
        if not matches:
            raise error(f"no file matches {pattern!r}")
        for path in sorted(matches):
            if not os.path.exists(path):
                raise error(f"no file at {pattern!r}")
            if not os.path.isfile(path):
                raise error(f"{pattern!r} is not a readable file")
            info = os.stat(path)
            found.setdefault((info.st_dev, info.st_ino), os.path.normpath(path))
    return sorted(found.values())


class Damaged(Exception):
    """A compressed file broke off; what was read before the damage stands."""


def chunks(path: str, start: int = 0, end: int | None = None):
    """``(offset, bytes)`` of whole lines of a plain or gzip file, from ``start`` to ``end``
    (offsets in the uncompressed text). Raises :class:`Damaged` after the last good chunk."""
    with open(path, "rb") as head:
        compressed = head.read(2) == b"\x1f\x8b"
    if not compressed:
        with open(path, "rb") as file:
            file.seek(start)
            yield from _whole_lines(file.read, start, end)
        return
    damage = []
    with gzip.open(path, "rb") as file:
        if start:
            file.seek(start)
        yield from _whole_lines(_careful(file.read1, damage), start, end)
    if damage:
        raise Damaged(str(damage[0]))


def _careful(read, damage: list):
    """``read``, which stops (with the error noted) where a compressed file is damaged:
    ``read1`` gives what was decompressed before the damage first."""

    def careful(size: int) -> bytes:
        if damage:
            return b""
        try:
            return read(size)
        except (OSError, EOFError, zlib.error) as error:
            damage.append(error)
            return b""

    return careful


def _whole_lines(read, offset: int, end: int | None):
    rest = b""
    while end is None or offset + len(rest) < end:
        data = read(CHUNK)
        if not data:
            break
        data = rest + data if rest else data
        cut = data.rfind(b"\n") + 1
        if cut:
            yield offset, data[:cut] if cut < len(data) else data
            offset += cut
            rest = data[cut:]
        else:
            rest = data
    if rest:
        yield offset, rest


# Accumulators ----------------------------------------------------------------------------


class DayAcc:
    """One UTC day of one file (or of the period): counts, and visitors as hashed keys."""

    __slots__ = (
        "views", "visitors", "site", "countries", "referrers", "campaigns", "not_found",
        "bots", "methods", "other_sites", "redirects", "errors", "assets", "kept",
        "start", "end", "seen",
    )

    def __init__(self) -> None:
        self.views: dict[str, int] = {}
        # Per path, the set of visitor keys; per visitor, the (browser, system, bot) of its
        # first request of the day, and its country where the log has one.
        self.visitors: dict[str, set] = {}
        self.site: dict[int, tuple] = {}
        self.countries: dict[int, str] = {}
        # Per referrer and per campaign, the set of visitor keys: people, not page views.
        self.referrers: dict[str, set] = {}
        self.campaigns: dict[str, set] = {}
        # Per missing page, the visitors who asked for it (a reload is no second person).
        self.not_found: dict[str, set] = {}
        self.bots = self.methods = self.other_sites = 0
        self.redirects = self.errors = self.assets = self.kept = 0
        # Offsets of the first and past the last chunk holding this day, and the requests
        # seen when the last chunk ended.
        self.start: int | None = None
        self.end = 0
        self.seen = 0

    def total(self) -> int:
        return (self.bots + self.methods + self.other_sites + self.redirects + self.errors
                + self.assets + self.kept)

    def merge(self, other: DayAcc) -> None:
        """Add another file's day: visitors are united, so nobody counts twice."""
        _add(self.views, other.views)
        for mine, theirs in ((self.visitors, other.visitors), (self.referrers, other.referrers),
                             (self.campaigns, other.campaigns), (self.not_found, other.not_found)):
            _unite(mine, theirs)
        for key, agent in other.site.items():
            self.site.setdefault(key, agent)
        for key, country in other.countries.items():
            self.countries.setdefault(key, country)
        for rule in RULES + ("kept",):
            setattr(self, rule, getattr(self, rule) + getattr(other, rule))

    def excluded(self) -> dict[str, int]:
        return {rule: getattr(self, rule) for rule in RULES if getattr(self, rule)}

    def counts(self) -> dict:
        """The day as plain counts (what the cache keeps): no key, no address."""
        return {
            "span": [self.start or 0, self.end],
            "views": dict(self.views),
            "visitors": {path: len(keys) for path, keys in self.visitors.items()},
            "site_visitors": len(self.site),
            "browsers": dict(Counter(agent[0] for agent in self.site.values())),
            "systems": dict(Counter(agent[1] for agent in self.site.values())),
            "countries": dict(Counter(self.countries.values())),
            "referrers": {name: len(keys) for name, keys in self.referrers.items()},
            "campaigns": {name: len(keys) for name, keys in self.campaigns.items()},
            "not_found": {path: len(keys) for path, keys in self.not_found.items()},
            "excluded": self.excluded(),
            "kept": self.kept,
        }


def _add(mine: dict, other: dict) -> None:
    for key, n in other.items():
        mine[key] = mine.get(key, 0) + n


def _unite(mine: dict, other: dict) -> None:
    """Add another part's sets of visitor keys by name: a visitor in both counts once."""
    for name, keys in other.items():
        known = mine.get(name)
        if known is None:
            mine[name] = keys
        else:
            known |= keys


def add_counts(tally: Tally, day: str, counts: dict) -> None:
    """Add one day's plain counts (from :meth:`DayAcc.counts`) to a :class:`Tally`."""
    target = tally.day(day)
    target.views.update(counts["views"])
    target.visitors.update(counts["visitors"])
    target.site_visitors += counts["site_visitors"]
    for name in ("browsers", "systems", "countries", "referrers", "campaigns"):
        target.breakdowns[name].update(counts[name])
    target.excluded.update(counts["excluded"])
    target.not_found.update(counts["not_found"])


class FileRead:
    """What reading one file found: its days, its bad lines, its place in time."""

    def __init__(self, path: str, parser, fmt: str, detected: bool) -> None:
        self.path = path
        self.name = os.path.basename(path)
        self.parser = parser
        self.format = fmt
        self.detected = detected
        self.days: dict[str, DayAcc] = {}
        self.hours: dict[bytes, DayAcc] = {}
        self.zone: bytes | None = None
        self.others: dict[bytes, DayAcc | None] = {}
        self.lines_read = 0
        self.parsed = 0
        self.malformed = 0
        # Where a compressed file broke off: the error, the lines and bytes read before it.
        self.damaged: dict | None = None
        # Whole lines' bytes read so far (uncompressed).
        self.bytes_read = 0
        # Requests dated after the last day allowed (a wrong clock): counted nowhere else.
        self.future = 0
        self.samples: list[dict] = []
        self.duplicates = 0
        self.first: int | None = None
        self.last: int | None = None
        # The content's hash, when another file starts at the same minute (a copy?).
        self.digest = None
        # Requests near the end, to recognise them at the start of an overlapping next file.
        self.tail: Counter = Counter()
        self.tail_full = False
        self.overlapping = False
        # Set for a partial re-read: only this day is kept.
        self.only: str | None = None
        self.scratch = DayAcc()
        # Days already settled into plain counts (see AccessLogReader._settle), and the
        # latest day of the file so far.
        self.final: dict[str, dict] = {}
        self.latest_day: str | None = None
        self.chunk = (0, 0)
        # Filled when the file is done and its visitor keys are let go.
        self.day_names: set[str] = set()
        self.summary: dict = {}
        self.lists = False

    def bad(self, number: int, reason: str) -> None:
        """Count a bad line; the first ones (by line number) are kept as examples."""
        self.malformed += 1
        samples = self.samples
        if len(samples) < SAMPLES or number < samples[-1]["line"]:
            samples.append({"file": self.name, "line": number, "reason": reason})
            samples.sort(key=lambda sample: sample["line"])
            del samples[SAMPLES:]


# The reader --------------------------------------------------------------------------------


class AccessLogReader:
    """Reads log files in time order into the counts of the period's days.

    With a ``period``, only its days are kept; without one, the days of the last
    ``period_days`` up to the latest day in the files, since that is the period chosen then.
    """

    def __init__(
        self,
        own_hosts: Iterable[str] = (),
        bots: Iterable[str] = (),
        *,
        fmt: str = "auto",
        pattern: str | None = None,
        prefix: str = "",
        period: Period | None = None,
        period_days: int = 7,
        cache_dir: str | None = None,
        today: date | None = None,
    ) -> None:
        self.own_hosts = {_bare_host(host) for host in own_hosts if host}
        self.bar = None  # the progress bar while files are read
        # Requests of later days are in the future: see last_allowed_day.
        self.last_day = last_allowed_day(today)
        # Where such a request's day would be: an accumulator that is never counted.
        self.future = DayAcc()
        self.bots = [word.lower() for word in bots if word]
        self.fmt = fmt
        self.pattern = pattern or None
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        self.period = period
        self.period_days = period_days
        try:
            log_formats.get(fmt, self.pattern) if fmt != "auto" or self.pattern else None
        except log_formats.FormatError as error:
            raise LogError(str(error)) from None
        self.cache = log_cache.Cache(cache_dir, self._fingerprint()) if cache_dir else None
        self.salt = secrets.token_bytes(16)
        self.reads: list[FileRead] = []
        self.deferred: list[log_cache.Entry] = []
        self.duplicate_files: list[str] = []
        self.files: list[str] = []
        # Files that could not be opened, and why.
        self.skipped: list[dict] = []
        # The kept days: visitors as keys (from files read now) and as plain counts (days
        # that one cached file holds alone).
        self.window: dict[str, DayAcc] = {}
        self.window_counts: dict[str, list[dict]] = {}
        self.latest: str | None = None
        # The earliest UTC day with a request (of any kind) in the files.
        self.earliest: str | None = None
        self.reread_days = 0
        self._agents: dict = {b"": BOT, b"-": BOT, None: UNKNOWN_AGENT}
        # For formats without a user agent (common): an empty one is no sign of a bot.
        self._plain_agents: dict = {b"": UNKNOWN_AGENT, None: UNKNOWN_AGENT}
        self._targets: dict[bytes, tuple] = {}
        self._referrers: dict[bytes, str] = {}
        self._hosts: dict[bytes, bool] = {}
        self._clients: dict[tuple, bytes] = {}
        self._moments: dict[tuple, tuple | None] = {}

    def _fingerprint(self) -> dict:
        return {
            "format": self.fmt,
            "pattern": self.pattern,
            "own_hosts": sorted(self.own_hosts),
            "bots": sorted(self.bots),
            "prefix": self.prefix,
        }

    # Reading ---------------------------------------------------------------------------

    def read_all(self, paths: list[str]) -> None:
        """Read every file once, in time order; unchanged ones come from the cache.

        The cyclic garbage collector pauses meanwhile: the counts hold no cycles, and it
        would otherwise scan the requests made by the million (reference counting still
        frees each batch).
        """
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._read_all(paths)
        finally:
            if collecting:
                gc.enable()

    def _read_all(self, paths: list[str]) -> None:
        plan = []
        for path in paths:
            entry = self.cache.get(path) if self.cache else None
            if entry is not None and entry.quality.get("future"):
                # What was in the future then may not be now: read the file again.
                entry = None
            try:
                plan.append(entry if entry is not None else self._open(path))
            except LogError as error:
                # One file that cannot be opened is left out (and said); the others count.
                self.skipped.append({"file": os.path.basename(path), "reason": str(error)})
        plan.sort(key=lambda item: (item.first is None, item.first or 0, item.name))
        # Files that start in the same minute may be copies of each other: their contents
        # are hashed to tell.
        starts = Counter(item.first for item in plan if item.first is not None)
        twins = {first for first, n in starts.items() if n > 1}
        digests: set[str] = set()
        copies: set[str] = set()
        previous = None
        # Reading is the long part of a large log: a bar of bytes read, on a terminal only.
        self.bar = progress.bar(None, "reading logs", unit="B", unit_scale=True)
        for index, item in enumerate(plan):
            following = plan[index + 1].first if index + 1 < len(plan) else None
            if isinstance(item, log_cache.Entry):
                alone = (
                    (previous is None or previous.last is None or item.first is None
                     or previous.last < item.first)
                    and (following is None or item.last is None or following > item.last)
                    and (item.first not in twins or item.digest is not None)
                )
                if alone:
                    if item.digest is not None and item.digest in digests:
                        self.duplicate_files.append(item.name)
                        copies.add(item.path)
                        continue
                    if item.digest is not None:
                        digests.add(item.digest)
                    self.deferred.append(item)
                    previous = item
                    continue
                try:
                    item = self._open(item.path)
                except LogError as error:
                    self.skipped.append({"file": item.name, "reason": str(error)})
                    copies.add(item.path)
                    continue
            if item.first in twins:
                item.digest = hashlib.blake2b(digest_size=16)
            self._read(item, previous if isinstance(previous, FileRead) else None, following)
            if isinstance(previous, FileRead):
                previous.tail = Counter()
            if item.digest is not None:
                digest = item.digest.hexdigest()
                if digest in digests:
                    self.duplicate_files.append(item.name)
                    copies.add(item.path)
                    continue
                digests.add(digest)
            self._keep(item)
            previous = item
        self.bar.close()
        self.bar = None
        for entry in self.deferred:
            if entry.days:
                last = max(entry.days)
                self.latest = last if self.latest is None or last > self.latest else self.latest
                self._seen(min(entry.days))
        self._prune()
        for entry in self.deferred:
            self._apply(entry)
        self.files = [item.name for item in plan if item.path not in copies]
        if self.cache:
            self.cache.finish()

    def _open(self, path: str) -> FileRead:
        """A file ready to read: its format (detected from its first lines) and first time.

        Only the first 64 KiB are read here; the file is read once, afterwards, in full.
        """
        try:
            with open(path, "rb") as file:
                start = file.read(PEEK)
            if start[:2] == b"\x1f\x8b":
                with gzip.open(path, "rb") as file:
                    # What comes before a damage still tells the format.
                    read, parts = _careful(file.read1, []), []
                    while sum(map(len, parts)) < PEEK and (part := read(PEEK)):
                        parts.append(part)
                    start = b"".join(parts)
        except OSError as error:
            raise LogError(f"couldn't read {os.path.basename(path)}: {error}") from None
        head = start.split(b"\n", log_formats.DETECT_LINES * 4)[:-1] or [start]
        detected = self.fmt == "auto" and not self.pattern
        if detected:
            name, _ = log_formats.detect(head)
        else:
            name = "pattern" if self.pattern and self.fmt == "auto" else self.fmt
        lists = log_formats.has_lists(head)
        read = FileRead(path, log_formats.get(name, self.pattern, lists), name, detected)
        read.lists = lists
        probe = log_formats.get(name, self.pattern, lists)
        for raw in head:
            parsed = probe.line(raw)
            if not isinstance(parsed, str):
                when = self._moment(parsed)
                if when is not None:
                    read.first = when[1]
                    break
        return read

    def _read(self, read: FileRead, previous: FileRead | None, following: int | None,
              start: int = 0, end: int | None = None) -> None:
        """Count the requests of one file, or of the span ``start``..``end`` of it."""
        checking = read.overlapping = bool(
            previous is not None and previous.tail and read.first is not None
            and previous.last is not None and read.first <= previous.last
        )
        first_request = True
        try:
            for offset, chunk in chunks(read.path, start, end):
                read.bytes_read = offset + len(chunk)
                if self.bar is not None:
                    self.bar.update(len(chunk))
                if read.digest is not None:
                    read.digest.update(chunk)
                number = read.lines_read + 1
                requests, numbers, bad, lines = read.parser.batch(chunk, number)
                read.lines_read += lines
                for at, reason in bad:
                    read.bad(at, reason)
                if not requests:
                    continue
                if numbers is None and checking:
                    numbers = list(range(number, number + len(requests)))
                if checking:
                    if first_request and not previous.tail.get(hash(requests[0])):
                        # Another server's log of the same hours, not a copy: all counts.
                        checking = read.overlapping = False
                    else:
                        requests, numbers = self._unseen(read, previous, requests, numbers)
                        checking = not requests or self._minute(requests[-1]) <= previous.last
                first_request = False
                if not requests:
                    continue
                if following is not None and not read.tail_full:
                    self._remember(read, requests, following)
                read.parsed += len(requests)
                read.chunk = (offset, offset + len(chunk))
                if self._count(read, requests):
                    self._unreadable(read, requests, numbers, number)
                self._track(read, offset, offset + len(chunk), requests)
                self._bound_caches()
        except Damaged as error:
            read.damaged = {"file": read.name, "lines": read.lines_read,
                            "bytes": read.bytes_read, "error": f"file damaged: {error}"}
            read.bad(read.lines_read + 1, f"file damaged: {error}")
        except OSError as error:
            read.damaged = {"file": read.name, "lines": read.lines_read,
                            "bytes": read.bytes_read, "error": f"file unreadable: {error}"}
            read.bad(read.lines_read + 1, f"file unreadable: {error}")
        if hasattr(read.parser, "finish"):
            for at, reason in read.parser.finish():
                read.bad(at, reason)

    def _bound_caches(self) -> None:
        for cache in (self._targets, self._referrers, self._clients, self._moments,
                      self._hosts):
            if len(cache) > CACHE_LIMIT:
                cache.clear()
        if len(self._agents) > CACHE_LIMIT:
            self._agents.clear()
            self._agents.update({b"": BOT, b"-": BOT, None: UNKNOWN_AGENT})

    def _unseen(self, read: FileRead, previous: FileRead, requests, numbers):
        """The requests of an overlapping file that the previous file did not hold."""
        tail, last = previous.tail, previous.last
        kept, kept_numbers = [], []
        for request, number in zip(requests, numbers, strict=True):
            key = hash(request)
            if tail.get(key) and self._minute(request) <= last:
                tail[key] -= 1
                read.duplicates += 1
                continue
            kept.append(request)
            kept_numbers.append(number)
        return kept, kept_numbers

    def _remember(self, read: FileRead, requests, following: int) -> None:
        """Keep the requests from the next file's first minute on, to recognise them."""
        if self._minute(requests[-1]) < following and self._minute(requests[0]) < following:
            return
        for request in requests:
            if self._minute(request) >= following:
                read.tail[hash(request)] += 1
        if len(read.tail) > TAIL_LIMIT:
            read.tail.clear()
            read.tail_full = True

    def _minute(self, request) -> int:
        when = self._moment(request)
        return when[1] if when else -1

    def _moment(self, request) -> tuple | None:
        key = (request[3], request[4], request[5])
        when = self._moments.get(key, False)
        if when is False:
            when = self._moments[key] = log_formats.moment(*key)
        return when

    def _unreadable(self, read: FileRead, requests, numbers, number: int) -> None:
        """Report the requests whose time could not be read, with their line numbers."""
        for index, request in enumerate(requests):
            if self._moment(request) is None:
                read.bad(numbers[index] if numbers is not None else number + index,
                         "unreadable time")
                read.parsed -= 1

    def _track(self, read: FileRead, start: int, end: int, requests) -> None:
        """Where each day's requests are in the file, and the file's first and last minute."""
        for acc in read.days.values():
            total = acc.total()
            if total != acc.seen:
                acc.seen = total
                if acc.start is None:
                    acc.start = start
                acc.end = end
        for request in (requests[0], requests[-1]):
            minute = self._minute(request)
            if minute < 0:
                continue
            if read.first is None or minute < read.first:
                read.first = minute
            if read.last is None or minute > read.last:
                read.last = minute

    def _day(self, read: FileRead, hour: bytes, minute: bytes, zone: bytes) -> DayAcc | None:
        """The accumulator of a request's UTC day (None when its time is unreadable)."""
        whole = zone == b"Z" or zone[3:] == b"00"
        key = hour + b" " + zone if whole else hour + b":" + minute + b" " + zone
        if key in read.others:
            return read.others[key]
        when = log_formats.moment(hour, b"00" if whole else minute, zone)
        if when is None:
            read.others[key] = None
            return None
        day = when[0]
        if day > self.last_day:
            acc = self.future
        elif read.only is not None and day != read.only:
            acc = read.scratch
        else:
            acc = read.days.get(day)
            if acc is None:
                acc = read.days[day] = DayAcc()
                if read.latest_day is None or day > read.latest_day:
                    read.latest_day = day
                    self._settle(read)
        if whole and read.zone in (None, zone):
            read.zone = zone
            read.hours[hour] = acc
        else:
            read.others[key] = acc
        return acc

    def _settle(self, read: FileRead) -> None:
        """Turn the days the period does not need, two days behind the file's latest, into
        plain counts: their visitor keys are let go, so that a file of a year costs the
        memory of a few days. A request that comes later still for such a day (lines are in
        time order, give or take the seconds a request lasts) is counted in a new part, whose
        visitors are added to the settled ones'."""
        cutoff = (date.fromisoformat(read.latest_day) - timedelta(days=2)).isoformat()
        for day in [day for day in read.days if day < cutoff]:
            if self._wanted(day, read.latest_day):
                continue
            acc = read.days.pop(day)
            if acc.total() != acc.seen:
                # Requests of this day in the chunk being counted: it belongs to the span.
                acc.start = read.chunk[0] if acc.start is None else acc.start
                acc.end = read.chunk[1]
            if self.cache:
                counts = acc.counts()
            else:
                # Without a cache only the file's totals by rule are needed of this day.
                counts = {"span": [0, 0], "excluded": acc.excluded(), "kept": acc.kept}
            read.final[day] = _plus(read.final[day], counts) if day in read.final else counts
            for cache in (read.hours, read.others):
                for key in [key for key, value in cache.items() if value is acc]:
                    del cache[key]

    def _count(self, read: FileRead, requests) -> bool:
        """Count a batch of requests: the hot loop. True when a time was unreadable.

        Lookups are dictionary subscripts (a miss, which calls the helper that fills the
        cache, is rare): faster than ``get`` at half a million lines a second.
        """
        hours, zone0 = read.hours, read.zone
        agents = self._agents if read.parser.has_agent else self._plain_agents
        targets, referrers = self._targets, self._referrers
        hosts, statuses, salt = self._hosts, STATUS, self.salt
        future = self.future
        failed = False
        for (host, forwarded, client, hour, minute, zone, method, target, status, referrer,
             agent, forwarded_header, country) in requests:
            if zone == zone0:
                try:
                    acc = hours[hour]
                except KeyError:
                    acc = self._day(read, hour, minute, zone)
            else:
                acc = self._day(read, hour, minute, zone)
            if acc is None:
                failed = True
                continue
            zone0 = read.zone
            if acc is future:
                read.future += 1
                continue
            try:
                ua = agents[agent]
            except KeyError:
                ua = self._agent(agent)
            if ua[2]:
                acc.bots += 1
                continue
            if method != b"GET":
                acc.methods += 1
                continue
            if host:
                try:
                    ours = hosts[host]
                except KeyError:
                    ours = self._host(host)
                if not ours:
                    acc.other_sites += 1
                    continue
            try:
                page = targets[target]
            except KeyError:
                page = self._target(target)
            path = page[0]
            if path is None:
                acc.other_sites += 1
                continue
            kind = statuses[status]
            if kind:
                if kind == REDIRECT:
                    acc.redirects += 1
                else:
                    acc.errors += 1
                    if kind == MISSING and page[1]:
                        if forwarded or forwarded_header:
                            client = self._client(forwarded, client, forwarded_header)
                        key = hash((salt, client, agent))
                        try:
                            acc.not_found[path].add(key)
                        except KeyError:
                            acc.not_found[path] = {key}
                continue
            if not page[1]:
                acc.assets += 1
                continue

            views = acc.views
            views[path] = views.get(path, 0) + 1
            if forwarded or forwarded_header:
                client = self._client(forwarded, client, forwarded_header)
            key = hash((salt, client, agent))
            try:
                acc.visitors[path].add(key)
            except KeyError:
                acc.visitors[path] = {key}
            site = acc.site
            if key not in site:
                site[key] = ua
                if country:
                    acc.countries[key] = country.decode("ascii", "replace")
            try:
                source = referrers[referrer]
            except KeyError:
                source = self._referrer(referrer)
            if not source:
                source = page[3]
            if source:
                try:
                    acc.referrers[source].add(key)
                except KeyError:
                    acc.referrers[source] = {key}
            if page[2]:
                try:
                    acc.campaigns[page[2]].add(key)
                except KeyError:
                    acc.campaigns[page[2]] = {key}
            acc.kept += 1
        return failed

    # Field helpers ---------------------------------------------------------------------

    def _agent(self, agent: bytes) -> tuple[str, str, bool]:
        """Browser family, OS family and whether the user agent is a crawler, cached."""
        text = agent.decode("utf-8", "replace")
        lowered = text.lower()
        parsed = ua_parser.parse(text)
        browser, system, device = parsed.user_agent, parsed.os, parsed.device
        is_bot = (
            text.strip() in ("", "-")
            or crawleruseragents.is_crawler(text)
            or any(word in lowered for word in self.bots)
            # Crawlers the list misses that ua-parser knows (its device family "Spider").
            or (device is not None and device.family == "Spider")
        )
        known = (
            browser.family if browser else "Other",
            system.family if system else "Other",
            is_bot,
        )
        if len(agent) <= CACHE_KEY_LIMIT:
            self._agents[agent] = known
        return known

    def _host(self, host: bytes) -> bool:
        """Whether a virtual host is this site (any host is, when none is configured)."""
        name = host.decode("utf-8", "replace")
        if name.count(":") == 1:
            name = name.split(":", 1)[0]
        ours = not self.own_hosts or _bare_host(name) in self.own_hosts
        if len(host) <= CACHE_KEY_LIMIT:
            self._hosts[host] = ours
        return ours

    def _target(self, target: bytes) -> tuple:
        """``(page path or None outside the site, is a page, campaign, utm_source)``."""
        text = target.decode("utf-8", "surrogateescape")
        page = None
        if "://" in text:
            # An absolute-form target: a proxy request, or a client that names the host.
            try:
                parts = urlsplit(text)
                host = parts.hostname
            except ValueError:
                parts, host = None, None
            if host and self.own_hosts and _bare_host(host) not in self.own_hosts:
                page = (None, False, "", "")
            elif parts is not None:
                text = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        if page is None:
            path, _, query = text.partition("?")
            path = path.split("#", 1)[0] or "/"
            params = dict(parse_qsl(query)) if query and "utm_" in query else {}
            page = (
                site_path(normalize_path(path), self.prefix),
                _is_page(path) and not _is_feed_query(text),
                cut(params.get("utm_campaign", "").strip()),
                public_referrer(params.get("utm_source", "").strip().lower()),
            )
        if len(target) <= CACHE_KEY_LIMIT:
            self._targets[target] = page
        return page

    def _referrer(self, referrer: bytes) -> str:
        """The referring host, or ``""`` for direct visits and the site's own pages."""
        source = ""
        if referrer not in (b"", b"-"):
            try:
                text = _quote_invalid(referrer.decode("utf-8", "surrogateescape"))
                host = urlsplit(text).hostname
            except ValueError:
                host = None
            if host:
                host = _bare_host(host)
                source = "" if host in self.own_hosts else public_referrer(host)
        if len(referrer) <= CACHE_KEY_LIMIT:
            self._referrers[referrer] = source
        return source

    def _client(self, forwarded: bytes, client: bytes, header: bytes) -> bytes:
        """The client behind proxies: the last public address of the forwarded-for list
        (as GoatCounter takes it), else the address the server saw."""
        key = (forwarded, client, header)
        known = self._clients.get(key)
        if known is not None:
            return known
        listed = (forwarded + client) if forwarded else header
        chosen = client
        for part in reversed(listed.split(b",")):
            part = part.strip()
            try:
                address = ipaddress.ip_address(part.decode("ascii"))
            except (ValueError, UnicodeDecodeError):
                continue
            if not any(address in network for network in _INTERNAL[address.version]):
                chosen = part
                break
        self._clients[key] = chosen
        return chosen

    # Keeping days ----------------------------------------------------------------------

    def _keep(self, read: FileRead) -> None:
        """Add a file just read: its wanted days to the window, all its days to the cache;
        then let its visitor keys go."""
        self.reads.append(read)
        days = dict(read.final)
        for day, acc in read.days.items():
            days[day] = _plus(days[day], acc.counts()) if day in days else acc.counts()
        read.summary = _summary(read, days)
        read.day_names = set(days)
        for day in days:
            if self.latest is None or day > self.latest:
                self.latest = day
        if days:
            self._seen(min(days))
        if self.cache and not read.overlapping:
            self.cache.put(read.path, read, read.summary, days)
        read.final = {}
        for day, acc in read.days.items():
            mine = self.window.get(day)
            if mine is None:
                self.window[day] = acc
            else:
                mine.merge(acc)
        self._prune()
        read.days, read.hours, read.others = {}, {}, {}

    def _seen(self, day: str) -> None:
        if self.earliest is None or day < self.earliest:
            self.earliest = day

    def _prune(self) -> None:
        for day in [day for day in self.window if not self._wanted(day)]:
            del self.window[day]

    def _wanted(self, day: str, latest: str | None = None) -> bool:
        """Whether the period may hold ``day``: the given period, or the last
        ``period_days`` up to the latest day seen (which only ever moves on)."""
        if self.period is not None:
            return self.period.contains(day)
        latest = max(filter(None, (self.latest, latest)), default=None)
        if latest is None:
            return True
        floor = date.fromisoformat(latest) - timedelta(days=self.period_days - 1)
        return day >= floor.isoformat()

    def _apply(self, entry: log_cache.Entry) -> None:
        """Add a cached file: the days no other file holds from its counts, the others by
        reading again the part of the file that holds them."""
        others = set()
        for read in self.reads:
            others |= read.day_names
        for other in self.deferred:
            if other is not entry:
                others.update(other.days)
        for day, counts in entry.days.items():
            if not self._wanted(day):
                continue
            if day not in others:
                self.window_counts.setdefault(day, []).append(counts)
                continue
            self.reread_days += 1
            read = FileRead(entry.path, log_formats.get(entry.format, self.pattern, True),
                            entry.format, False)
            read.only = day
            start, end = counts["span"]
            self._read(read, None, None, start, end)
            acc = read.days.get(day)
            if acc is not None:
                mine = self.window.get(day)
                if mine is None:
                    self.window[day] = acc
                else:
                    mine.merge(acc)

    # Results ---------------------------------------------------------------------------

    def latest_day(self) -> str | None:
        """The latest UTC day with a request (of any kind) in the files."""
        return self.latest

    def earliest_day(self) -> str | None:
        """The earliest UTC day with a request (of any kind) in the files."""
        return self.earliest

    def quality(self) -> dict:
        """What was read, from every file. The counts by rule describe the files, not the
        period (the record's ``excluded`` does that): ``lines_read`` = ``parsed`` +
        ``malformed`` + ``duplicates`` (one line each), and ``parsed`` = the ``removed`` +
        ``kept`` + ``future`` (requests dated after today and a day of clock skew, counted
        nowhere else)."""
        summaries = sorted(
            [(read.first or 0, read.name, read.summary) for read in self.reads]
            + [(entry.first or 0, entry.name, entry.quality) for entry in self.deferred],
            key=lambda item: (item[0], item[1]),
        )
        totals = Counter()
        removed = Counter()
        samples: list[dict] = []
        damaged: list[dict] = []
        formats: list[str] = []
        detected = True
        for _, _, summary in summaries:
            damaged += summary.get("damaged") or []
            for key in ("lines_read", "parsed", "malformed", "duplicates", "kept", "future"):
                totals[key] += summary.get(key, 0)
            removed.update(summary["removed"])
            samples += summary["malformed_samples"]
            if summary["format"] not in formats:
                formats.append(summary["format"])
            detected = detected and summary["format_detected"]
        return {
            "files": self.files,
            "format": ", ".join(formats) or self.fmt,
            "format_detected": detected and bool(formats),
            "lines_read": totals["lines_read"],
            "parsed": totals["parsed"],
            "malformed": totals["malformed"],
            "malformed_samples": samples[:SAMPLES],
            "damaged_files": damaged,
            "skipped_files": self.skipped,
            "duplicates": totals["duplicates"],
            "duplicate_files": self.duplicate_files,
            "removed": {rule: removed[rule] for rule in RULES},
            "kept": totals["kept"],
            "future": totals["future"],
        }

    def record(self, period: Period) -> dict:
        """The record of ``period``, which must lie within the days this reader kept."""
        if self.latest is not None and (
            self.latest < period.start.isoformat() or self.earliest > period.end.isoformat()
        ):
            # Not a period without visits: one the logs say nothing about.
            log.warning(
                "access log: no request in %s: the logs hold %s..%s", period.name,
                self.earliest, self.latest,
            )
            return unavailable(SOURCE, period, f"no request in the period: the logs hold "
                                               f"{self.earliest}..{self.latest}")
        tally = Tally(SOURCE, measure="page_views")
        for day in period.dates():
            acc = self.window.get(day)
            if acc is not None:
                target = tally.day(day)
                target.views.update(acc.views)
                target.visitors.update({path: len(keys) for path, keys in acc.visitors.items()})
                target.site_visitors += len(acc.site)
                breakdowns = target.breakdowns
                breakdowns["browsers"].update(agent[0] for agent in acc.site.values())
                breakdowns["systems"].update(agent[1] for agent in acc.site.values())
                breakdowns["countries"].update(acc.countries.values())
                for name in ("referrers", "campaigns"):
                    breakdowns[name].update(
                        {row: len(keys) for row, keys in getattr(acc, name).items()}
                    )
                target.excluded.update(acc.excluded())
                target.not_found.update({path: len(keys) for path, keys in acc.not_found.items()})
            for counts in self.window_counts.get(day, ()):
                add_counts(tally, day, counts)
        # Days before the logs' first request (or after their last) are unknown, not zero.
        return tally.build(period, quality=self.quality(), known=(self.earliest, self.latest))


def _plus(one: dict, other: dict) -> dict:
    """Two parts of a day's plain counts added up (visitors too: see ``_settle``)."""
    total = {"span": [min(one["span"][0], other["span"][0]),
                      max(one["span"][1], other["span"][1])]}
    for key, value in one.items():
        if key == "span":
            continue
        if isinstance(value, dict):
            total[key] = dict(value)
            _add(total[key], other.get(key, {}))
        else:
            total[key] = value + other.get(key, 0)
    return total


def _summary(read: FileRead, days: dict) -> dict:
    """A file's quality counts (what the cache keeps of it besides its days)."""
    removed = Counter()
    kept = 0
    for counts in days.values():
        removed.update(counts["excluded"])
        kept += counts["kept"]
    return {
        "format": read.format,
        "format_detected": read.detected,
        "lines_read": read.lines_read,
        "parsed": read.parsed,
        "malformed": read.malformed,
        "malformed_samples": read.samples,
        "damaged": [read.damaged] if read.damaged else [],
        "duplicates": read.duplicates,
        "removed": {rule: removed[rule] for rule in RULES},
        "kept": kept,
        "future": read.future,
    }


# Entry points ------------------------------------------------------------------------------


def scan(
    patterns: Iterable[str],
    root: str,
    *,
    period: Period | None = None,
    period_days: int = 7,
    own_hosts: Iterable[str] = (),
    bots: Iterable[str] = (),
    fmt: str = "auto",
    pattern: str | None = None,
    prefix: str = "",
    cache_dir: str | None = None,
    today: date | None = None,
) -> AccessLogReader:
    """Read the log files; the reader then gives the latest day and the record of a period.

    With ``period`` the reader keeps its days; without, the ``period_days`` days up to the
    latest day in the files.
    """
    reader = AccessLogReader(
        own_hosts, bots, fmt=fmt, pattern=pattern, prefix=prefix, period=period,
        period_days=period_days, cache_dir=cache_dir, today=today,
    )
    reader.read_all(find_files(patterns, root))
    if reader.skipped and not reader.files:
        # Not one file could be opened: the source is left out, with every reason.
        raise LogError("; ".join(skipped["reason"] for skipped in reader.skipped))
    for skipped in reader.skipped:
        log.warning("access log: %s; that file is left out, the other files are counted",
                    skipped["reason"])
    quality = reader.quality()
    unchanged = len(reader.deferred)
    log.info(
        "access log: %s format %s in %s%s",
        "detected" if quality["format_detected"] else "configured",
        quality["format"],
        ", ".join(quality["files"]) or "no file",
        f" ({unchanged} unchanged since the last run, counted from the cache; "
        f"{reader.reread_days} of their days read again)" if unchanged else "",
    )
    _say_what_is_missing(reader, quality)
    if quality["future"]:
        log.warning(
            "access log: %d requests dated after %s (today, UTC, and a day of clock skew) "
            "left out: is the server's clock right? The period ends %s",
            quality["future"], reader.last_day,
            f"on {reader.latest_day()}, the latest day before them"
            if reader.latest_day() else "nowhere: no request is dated before them",
        )
    return reader


def _say_what_is_missing(reader: AccessLogReader, quality: dict) -> None:
    """Warn when the logs give nothing, or less than they hold, and say why."""
    files = ", ".join(quality["files"]) or "no file"
    for damage in quality["damaged_files"]:
        log.warning(
            "access log: %s broke off after %d lines (%s bytes of text): %s; the lines before "
            "it are counted, the rest of the file is lost",
            damage["file"], damage["lines"], f"{damage['bytes']:,}", damage["error"],
        )
    samples = ", ".join(f"{s['file']}:{s['line']} ({s['reason']})"
                        for s in quality["malformed_samples"])
    if quality["malformed"] and reader.latest_day() is None:
        # With a record, the collection reports them beside its counts (pipeline.py).
        log.info("access log: %d malformed %s skipped, first: %s", quality["malformed"],
                 "line" if quality["malformed"] == 1 else "lines", samples)
    requests = quality["parsed"] - quality["future"]
    if not quality["lines_read"]:
        log.warning("access log: nothing to count: %s %s empty", files,
                    "is" if len(quality["files"]) == 1 else "are")
    elif not quality["parsed"]:
        log.warning(
            "access log: nothing to count: none of the %d lines of %s is a request in format %s "
            "(line %s: %s). Is it an access log? An error log holds no requests; for another "
            "format, set access_log.format or access_log.pattern",
            quality["lines_read"], files, quality["format"],
            quality["malformed_samples"][0]["line"], quality["malformed_samples"][0]["reason"],
        )
    elif requests and not quality["kept"]:
        removed = quality["removed"]
        reasons = ", ".join(f"{n} {rule}" for rule, n in removed.items() if n)
        hint = ""
        if removed["other_sites"] == requests:
            hosts = ", ".join(sorted(reader.own_hosts)) or "any host"
            hint = (
                f"; every request is for another site than {hosts}"
                + (f" under {reader.prefix}/" if reader.prefix else "")
                + ": list the host names this site is served under in access_log.hosts, "
                "or check site_url"
            )
        log.warning("access log: no page view in %s: of %d requests, %s%s",
                    files, requests, reasons, hint)


def collect(
    patterns: Iterable[str],
    root: str,
    period_end=None,
    period_days: int = 7,
    own_hosts: Iterable[str] = (),
    bots: Iterable[str] = (),
    **options,
) -> tuple[dict | None, AccessLogReader]:
    """Read every log file; return the normalized record and the reader (for its report).

    Without ``period_end`` the period ends with the latest day found in the logs; with no
    request in the logs at all there is no period and the record is None.
    """
    period = Period.ending(period_end, period_days) if period_end is not None else None
    reader = scan(patterns, root, period=period, period_days=period_days,
                  own_hosts=own_hosts, bots=bots, **options)
    if period is None:
        latest = reader.latest_day()
        if latest is None:
            return None, reader
        period = Period.ending(date.fromisoformat(latest), period_days)
    return reader.record(period), reader


# Path and text helpers -------------------------------------------------------------------


def normalize_path(path: str) -> str:
    """One name per page: percent-decoded, ``index.html`` and the trailing slash folded.

    ``/docs/``, ``/docs`` and ``/docs/index.html`` all become ``/docs``; the root stays ``/``.
    Bytes that are not UTF-8 stay percent-encoded, so the result is always valid text. A
    double-encoded path (``%2541``) is decoded once (``%41``), as the server did. A path over
    1,000 characters is cut to 999 and ``…`` (see ``names.cut``).
    """
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        decoded = path
    decoded = _quote_invalid(decoded)
    if decoded.endswith("/index.html") or decoded.endswith("/index.htm"):
        decoded = decoded.rsplit("/", 1)[0] + "/"
    decoded = "/" + decoded.strip("/")
    return cut(decoded)


def site_path(path: str, prefix: str) -> str | None:
    """The page's path within the site: a normalized path under the site's path ``prefix``
    (``/docs`` for ``site_url: https://example.org/docs/``) without it, so ``/docs/guide``
    is ``/guide`` and ``/docs`` is ``/``; None for a request outside the site.

    Every source names pages this way, and so does the site's own page list (``site.py``),
    so titles and unvisited pages match.
    """
    if not prefix or prefix == "/":
        return path
    if path == prefix:
        return "/"
    if path.startswith(prefix + "/"):
        return path[len(prefix):]
    return None


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
