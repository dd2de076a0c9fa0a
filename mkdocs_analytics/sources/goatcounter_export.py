"""GoatCounter CSV exports (format versions 1 and 2, plain or ``.gz``) as a file source.

An export (Settings, Export, or ``POST /api/v0/export``) lists every pageview GoatCounter kept,
one row each: path, title, event flag, browser, system, session, bot flag, referrer and its
scheme, screen size, location, ``FirstVisit`` and the UTC time. Sites collect these rows only
with "individual pageviews" on, off by default since GoatCounter 2.6: such exports hold the
header alone, and the record says so.

Counted as GoatCounter counts: a visitor is a row with ``FirstVisit`` (the first view of a
path in a session), rows of bots are left out (and, in version 1 exports, which hold the user
agent, rows of agents ``ua-parser`` calls a ``Spider`` device, as the access log does), events
are kept apart from pages. So the record
has ``"measure": "visitors"`` and every ``views`` is null, like the API source's, and the two
merge. Browsers, systems, screen sizes, countries and referrers are counted on those first
visits, as the dashboard of GoatCounter does:

- browsers and systems by name, without version (``Chrome 86`` → ``Chrome``); version 1
  exports hold the raw user agent there, which is parsed (and never kept);
- screen sizes in GoatCounter's groups by width: ``phone`` (up to 384), ``largephone`` (1024),
  ``tablet`` (1440), ``desktop`` (1920), ``desktophd``, ``unknown``;
- countries as ISO 3166 codes (``US-TX`` counts for ``US``);
- referrers as the API source names them: a host for a link (scheme ``h``), GoatCounter's
  group name (``Google``) or the campaign source (scheme ``c``) as written. The export has no
  campaign column: the campaign sources (``utm_source``, ``ref``) are listed as ``campaigns``.
  A host that is an IP address is counted as ``(an IP address)``, never named.

Rows dated after today (UTC), beyond a day of clock skew, are left out, counted in the
quality's ``future`` and said at WARNING.

A file that is no export (a stray ``notes.csv`` in ``stats/*``) or cannot be read is left out
with a WARNING naming it and why, and the other files count; only when no file can be read is
the source left out. A ``.gz`` that breaks off keeps the rows before the damage, and says so.

Files are read in the order of their first row; a file whose content equals an earlier one's
is read once. Incremental exports (``start_from_hit_id``) never overlap; two full exports of
the same site do, and would count twice: give the newest one only.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import zlib
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timezone
from urllib.parse import urlsplit

import ua_parser
from mkdocs.plugins import get_plugin_logger

from ..period import Period
from ..records import ranked, unavailable
from . import access_log
from .access_log import _bare_host, normalize_path, site_path
from .names import cut, public_referrer
from .tally import Tally, last_allowed_day

log = get_plugin_logger("analytics")

SOURCE = "goatcounter_export"
SAMPLES = 5

# The columns a row must have, by their names in the header (without the version digit).
NEEDED = ("Path", "Event", "Bot", "FirstVisit", "Date")

# What reading a damaged or unreadable file raises (gzip.BadGzipFile is an OSError).
READ_ERRORS = (OSError, EOFError, zlib.error)


class ExportError(Exception):
    """An export that cannot be read at all: missing, or not a GoatCounter CSV export."""


def find_files(patterns: Iterable[str], root: str) -> list[str]:
    return access_log.find_files(patterns, root, ExportError)


def size_group(size: str) -> str:
    """GoatCounter's screen-size group of a ``width,height,scale`` value."""
    try:
        width = int(float(size.split(",", 1)[0]))
    except ValueError:
        width = 0
    if width <= 0:
        return "unknown"
    for limit, name in ((384, "phone"), (1024, "largephone"), (1440, "tablet"),
                        (1920, "desktop")):
        if width <= limit:
            return name
    return "desktophd"


def without_version(name: str) -> str:
    """``Chrome 86`` → ``Chrome``; ``macOS 10.15`` → ``macOS``; an empty name is Unknown."""
    name = name.strip()
    head, _, last = name.rpartition(" ")
    if head and last[:1].isdigit():
        name = head
    return name or "Unknown"


def _yes(value: str) -> bool:
    return value.strip().lower() not in ("", "0", "false", "f", "no")


class ExportReader:
    """Rows of one or more exports, counted by UTC day."""

    def __init__(self, own_hosts: Iterable[str] = (), prefix: str = "",
                 last_day: str | None = None) -> None:
        self.own = {_bare_host(host) for host in own_hosts if host}
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        # Rows of later days are in the future (a wrong clock): see tally.last_allowed_day.
        self.last_day = last_day or last_allowed_day()
        self.tally = Tally(SOURCE, measure="visitors")
        self.events: dict[str, Counter] = {}
        self.titles_seen: dict[str, str] = {}
        self.files: list[str] = []
        self.versions: list[int] = []
        self.counts: Counter = Counter()
        self.samples: list[dict] = []
        self.duplicate_files: list[str] = []
        # Files left out, and why; files that broke off part-way, and after how many rows.
        self.skipped: list[dict] = []
        self.damaged: list[dict] = []
        self._agents: dict[str, tuple[str, str, bool]] = {}

    def read_all(self, paths: list[str]) -> None:
        """Read each file once, oldest first; a copy of a file read already is left out."""
        digests = set()
        order = []
        for path in paths:
            try:
                order.append((_first_date(path) or "", os.path.basename(path), path))
            except ExportError as error:
                self.skipped.append({"file": os.path.basename(path), "reason": str(error)})
        for _, name, path in sorted(order):
            part = ExportReader(self.own, self.prefix, self.last_day)
            try:
                digest = part.read(path)
            except ExportError as error:
                self.skipped.append({"file": name, "reason": str(error)})
                continue
            if digest in digests:
                self.duplicate_files.append(name)
                continue
            digests.add(digest)
            self._merge(part)
        self.skipped.sort(key=lambda skipped: skipped["file"])
        self.tally.titles = dict(self.titles_seen)

    def _merge(self, part: ExportReader) -> None:
        for day, counts in part.tally.days.items():
            mine = self.tally.day(day)
            mine.visitors.update(counts.visitors)
            mine.site_visitors += counts.site_visitors
            for name, counter in counts.breakdowns.items():
                mine.breakdowns[name].update(counter)
            mine.excluded.update(counts.excluded)
        for day, events in part.events.items():
            self.events.setdefault(day, Counter()).update(events)
        self.titles_seen.update(part.titles_seen)
        self.files += part.files
        self.versions += part.versions
        self.counts.update(part.counts)
        self.samples = (self.samples + part.samples)[:SAMPLES]
        self.damaged += part.damaged

    def read(self, path: str) -> str:
        """Count one file; return the hash of its content. Raises :class:`ExportError` when
        the file cannot be read or is no export; a file that breaks off after its header
        keeps the rows before the damage (listed in ``damaged``)."""
        name = os.path.basename(path)
        self.files.append(name)
        digest = hashlib.blake2b(digest_size=16)
        try:
            file = _open_text(path)
        except READ_ERRORS as error:
            raise ExportError(f"couldn't read {name}: {error}") from None
        with file:
            rows = csv.reader(_hashed(file, digest))
            try:
                header = next(rows)
            except StopIteration:
                self._bad(name, 1, "empty file")
                return digest.hexdigest()
            except csv.Error as error:
                raise ExportError(f"{name} is not a CSV file: {error}") from None
            except READ_ERRORS as error:
                raise ExportError(f"couldn't read {name}: {error}") from None
            columns = _columns(name, header)
            self.versions.append(int(header[0][0]))
            width = len(header)
            try:
                for row in rows:
                    self.counts["rows"] += 1
                    if len(row) != width:
                        self._bad(name, rows.line_num, f"{len(row)} fields, not {width}")
                        continue
                    reason = self._row({key: row[index] for key, index in columns.items()})
                    if reason:
                        self._bad(name, rows.line_num, reason)
            except csv.Error as error:
                self._bad(name, rows.line_num, f"not CSV: {error}")
            except READ_ERRORS as error:
                self.damaged.append({"file": name, "rows": self.counts["rows"],
                                     "error": f"file damaged: {error}"})
                self._bad(name, rows.line_num + 1, f"file damaged: {error}")
        return digest.hexdigest()

    def _bad(self, name: str, line: int, reason: str) -> None:
        self.counts["malformed"] += 1
        if len(self.samples) < SAMPLES:
            self.samples.append({"file": name, "line": line, "reason": reason})

    def _row(self, row: dict) -> str | None:
        """Count one row; the reason it is bad, or None."""
        try:
            when = datetime.fromisoformat(row["Date"].strip().replace("Z", "+00:00"))
        except ValueError:
            return "unreadable date"
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        day = when.astimezone(timezone.utc).date().isoformat()
        if day > self.last_day:
            self.counts["future"] += 1
            return None
        counts = self.tally.day(day)
        browser, system, spider = self._browser_system(row)
        if _yes(row["Bot"]) or spider:
            counts.excluded["bots"] += 1
            self.counts["bots"] += 1
            return None
        first = _yes(row["FirstVisit"])
        raw_path = row["Path"].strip()
        if not raw_path:
            return "no path"
        if _yes(row["Event"]):
            self.counts["events"] += 1
            if first:
                counts.excluded["events"] += 1
                self.events.setdefault(day, Counter())[raw_path] += 1
            return None
        path = site_path(normalize_path(raw_path.split("#", 1)[0].split("?", 1)[0]),
                         self.prefix)
        if path is None:
            counts.excluded["other_sites"] += 1
            self.counts["other_sites"] += 1
            return None
        self.counts["pageviews"] += 1
        title = cut(row.get("Title", "").strip())
        if title:
            self.titles_seen[path] = title
        if not first:
            return None
        self.counts["visitors"] += 1
        counts.visitors[path] += 1
        counts.site_visitors += 1
        breakdowns = counts.breakdowns
        breakdowns["browsers"][browser] += 1
        breakdowns["systems"][system] += 1
        breakdowns["screen_sizes"][size_group(row.get("Screen size", ""))] += 1
        country = row.get("Location", "").strip().split("-", 1)[0].upper()
        breakdowns["countries"][country or "Unknown"] += 1
        referrer, campaign = self._referrer(row.get("Referrer", ""),
                                            row.get("Referrer scheme", ""))
        if referrer:
            breakdowns["referrers"][referrer] += 1
        else:
            self.counts["direct"] += 1
        if campaign:
            breakdowns["campaigns"][campaign] += 1
        return None

    def _browser_system(self, row: dict) -> tuple[str, str, bool]:
        """Browser, system, and whether the user agent is a crawler ua-parser knows."""
        if "System" in row:
            return (without_version(row.get("Browser", "")), without_version(row["System"]),
                    False)
        # Version 1: the browser column holds the user agent.
        agent = row.get("Browser", "")
        known = self._agents.get(agent)
        if known is None:
            parsed = ua_parser.parse(agent)
            browser, system, device = parsed.user_agent, parsed.os, parsed.device
            known = (browser.family if browser else "Unknown",
                     system.family if system else "Unknown",
                     device is not None and device.family == "Spider")
            self._agents[agent] = known
        return known

    def _referrer(self, name: str, scheme: str) -> tuple[str | None, str | None]:
        """The referrer's name and, for a campaign source, the campaign."""
        name = name.strip()
        if not name:
            return None, None
        scheme = scheme.strip()
        if scheme == "c":
            return public_referrer(name), public_referrer(name)
        if scheme == "h" or (not scheme and "." in name and " " not in name):
            try:
                host = urlsplit(name if "://" in name else "//" + name).hostname
            except ValueError:
                host = None
            host = _bare_host(host) if host else None
            return (None if host in self.own else host and public_referrer(host)), None
        return public_referrer(name), None

    # Results ---------------------------------------------------------------------------

    def latest_day(self) -> str | None:
        return self.tally.latest_day()

    def quality(self) -> dict:
        counts = self.counts
        return {
            "files": self.files,
            "format_versions": sorted(set(self.versions)),
            "rows": counts["rows"],
            "malformed": counts["malformed"],
            "malformed_samples": self.samples,
            "duplicate_files": self.duplicate_files,
            "skipped_files": self.skipped,
            "damaged_files": self.damaged,
            "bots": counts["bots"],
            "events": counts["events"],
            "other_sites": counts["other_sites"],
            "pageviews": counts["pageviews"],
            "visitors": counts["visitors"],
            "direct_visits": counts["direct"],
            "future": counts["future"],
            "note": None if counts["rows"] else (
                "the export has no rows: GoatCounter keeps them only with 'individual "
                "pageviews' on (Settings), off by default since version 2.6"
            ),
        }

    def record(self, period: Period) -> dict:
        if self.tally.misses(period):
            first, last = self.tally.earliest_day(), self.latest_day()
            log.warning("GoatCounter export: no row in %s: the export holds %s..%s",
                        period.name, first, last)
            return unavailable(SOURCE, period,
                               f"no row in the period: the export holds {first}..{last}")
        events: Counter = Counter()
        for day in period.dates():
            events.update(self.events.get(day, {}))
        return self.tally.build(period, quality=self.quality(), extra={"events": ranked(events)})


def _columns(name: str, header: list[str]) -> dict[str, int]:
    """Column positions by name, from a header whose first cell starts with the version."""
    first = header[0] if header else ""
    if first[:1] not in ("1", "2") or first[1:] != "Path":
        raise ExportError(
            f"{name} is not a GoatCounter CSV export (its header starts with {first[:20]!r}, "
            "not '1Path' or '2Path')"
        )
    columns = {cell.strip(): index for index, cell in enumerate(header)}
    columns["Path"] = 0
    columns.pop(first, None)
    missing = [column for column in NEEDED if column not in columns]
    if missing:
        raise ExportError(f"{name} lacks the columns {', '.join(missing)}")
    return columns


def _open_text(path: str):
    with open(path, "rb") as head:
        compressed = head.read(2) == b"\x1f\x8b"
    raw = gzip.open(path, "rb") if compressed else open(path, "rb")
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")


def _hashed(lines, digest):
    for line in lines:
        digest.update(line.encode("utf-8", "replace"))
        yield line


def _first_date(path: str) -> str | None:
    """The date of the first row, which orders the files (Date is the last column)."""
    try:
        with _open_text(path) as file:
            file.readline()
            row = file.readline()
    except READ_ERRORS as error:
        raise ExportError(f"couldn't read {os.path.basename(path)}: {error}") from None
    return row.rsplit(",", 1)[-1].strip() or None


def _say_what_is_missing(quality: dict, prefix: str) -> None:
    """Malformed rows at INFO; at WARNING, an export that gives no visitor, and why."""
    files = ", ".join(quality["files"])
    samples = ", ".join(f"{s['file']}:{s['line']} ({s['reason']})"
                        for s in quality["malformed_samples"])
    if quality["malformed"]:
        log.info("GoatCounter export: %d malformed rows skipped, first: %s",
                 quality["malformed"], samples)
    if quality["visitors"]:
        return
    if quality["note"]:
        log.warning("GoatCounter export: nothing to count in %s: %s", files, quality["note"])
    elif quality["malformed"] == quality["rows"]:
        log.warning("GoatCounter export: nothing to count: none of the %d rows of %s could be "
                    "read (first: %s)", quality["rows"], files, samples)
    else:
        left = {"malformed": quality["malformed"], "bots": quality["bots"],
                "events": quality["events"], "other_sites": quality["other_sites"],
                "future": quality["future"]}
        hint = (
            f"; every page is outside site_url's path ({prefix}/): check site_url"
            if prefix and quality["other_sites"] and not quality["pageviews"] else ""
        )
        log.warning(
            "GoatCounter export: no first visit of a page in %s: of %d rows, %s%s", files,
            quality["rows"], ", ".join(f"{n} {k}" for k, n in left.items() if n) or "none",
            hint,
        )


def scan(patterns: Iterable[str], root: str, *, own_hosts: Iterable[str] = (),
         prefix: str = "", today: date | None = None) -> ExportReader:
    """Read the export files; the reader then gives the latest day and a period's record."""
    reader = ExportReader(own_hosts, prefix, last_allowed_day(today))
    try:
        reader.read_all(find_files(patterns, root))
    except READ_ERRORS as error:
        raise ExportError(f"couldn't read the export: {error}") from None
    if reader.skipped and not reader.files:
        # Not one file could be read: the source is left out, with every reason.
        raise ExportError("; ".join(skipped["reason"] for skipped in reader.skipped))
    for skipped in reader.skipped:
        log.warning("GoatCounter export: %s; that file is left out, the other files are "
                    "counted", skipped["reason"])
    for damage in reader.damaged:
        log.warning("GoatCounter export: %s broke off after %d rows: %s; the rows before it "
                    "are counted, the rest of the file is lost",
                    damage["file"], damage["rows"], damage["error"])
    quality = reader.quality()
    log.info(
        "GoatCounter export: %d rows in %s (format %s): %d first visits of pages, %d events, "
        "%d bot rows left out",
        quality["rows"], ", ".join(quality["files"]),
        "/".join(map(str, quality["format_versions"])) or "?",
        quality["visitors"], quality["events"], quality["bots"],
    )
    _say_what_is_missing(quality, reader.prefix)
    if quality["future"]:
        log.warning(
            "GoatCounter export: %d rows dated after %s (today, UTC, and a day of clock skew) "
            "left out: is the clock of the GoatCounter server right?",
            quality["future"], reader.last_day,
        )
    return reader
