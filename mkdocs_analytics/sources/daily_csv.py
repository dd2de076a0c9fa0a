"""Daily counts from a CSV file: ``date,path,views,visitors[,referrer]``.

For sites whose traffic is counted elsewhere (ClickHouse, BigQuery, DuckDB over CDN logs):
the warehouse adds up, this source publishes. ``docs/sources/warehouse.md`` has the queries.

- ``date``: the UTC day, ``2024-03-10``; ``path``: the page (query strings and ``index.html``
  are folded as the access-log source folds them; a path outside ``site_url``'s path is
  another site's);
- ``views`` and ``visitors``: whole numbers, for that path on that day;
- ``referrer`` (optional column): the referring host or URL; rows are then per referrer, and
  a path's numbers are the sum of its rows (so a visitor who came twice by two referrers
  counts twice: the warehouse knows better, give it a row without referrer if it matters).
  A referrer counts the rows' ``visitors`` (people, as every breakdown does), not their
  views; a host that is an IP address is counted as ``(an IP address)``.

A row with the path ``*`` gives the site's own totals for its day: its ``visitors`` are the
day's distinct visitors, which the pages' rows cannot give (a visitor of two pages is in both).
Without such a row, the site's visitors are the sum over pages, an upper bound, and the
record's quality says so.

A header row is optional; with one, columns are found by name, in any order. Files are plain or
``.gz``. When several files hold the same date (a weekly export of the last 28 days), the rows
of the newest file (by modification time) are used for that date and the others' are not.
Rows dated after today (UTC), beyond a day of clock skew, are left out, counted in the
quality's ``future`` and said at WARNING. A file that cannot be read, or stops being CSV (a
field over 128 KiB, a ``.gz`` that breaks off), keeps the rows read before and is named at
WARNING; the other files count. Only when no file gives a row is the source left out.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import zlib
from collections import Counter
from collections.abc import Iterable
from datetime import date
from urllib.parse import urlsplit

from mkdocs.plugins import get_plugin_logger

from ..period import Period
from ..records import unavailable
from . import access_log
from .access_log import _bare_host, normalize_path, site_path
from .names import public_referrer
from .tally import Tally, last_allowed_day

log = get_plugin_logger("analytics")

SOURCE = "daily_csv"
SAMPLES = 5
COLUMNS = ("date", "path", "views", "visitors", "referrer")
SITE = "*"

# What reading a damaged, unreadable or non-CSV file raises (gzip.BadGzipFile is an OSError).
READ_ERRORS = (OSError, EOFError, zlib.error, UnicodeError, csv.Error)


class DailyCsvError(Exception):
    """A file that cannot be read at all: missing, or not CSV."""


def find_files(patterns: Iterable[str], root: str) -> list[str]:
    return access_log.find_files(patterns, root, DailyCsvError)


class DailyCsvReader:
    def __init__(self, own_hosts: Iterable[str] = (), prefix: str = "",
                 today: date | None = None) -> None:
        self.own = {_bare_host(host) for host in own_hosts if host}
        self.prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
        # Rows of later days are in the future (a wrong clock): see tally.last_allowed_day.
        self.last_day = last_allowed_day(today)
        self.tally = Tally(SOURCE, measure="page_views")
        self.files: list[str] = []
        self.counts: Counter = Counter()
        self.samples: list[dict] = []
        self.site_days: set[str] = set()
        # Which file gave each date (the newest that has it).
        self.owner: dict[str, str] = {}
        # Files that could not be read at all, and files that broke off part-way.
        self.skipped: list[dict] = []
        self.damaged: list[dict] = []

    def read_all(self, paths: list[str]) -> None:
        """Newest file first: a date already given by a newer file is skipped."""
        order = sorted(paths, key=lambda path: (os.stat(path).st_mtime_ns, path), reverse=True)
        for path in order:
            before = self.counts["rows"]
            try:
                self.read(path)
            except READ_ERRORS as error:
                name = os.path.basename(path)
                rows = self.counts["rows"] - before
                reason = (f"{name} is not a CSV file: {error}" if isinstance(error, csv.Error)
                          else f"couldn't read {name}: {error}")
                if rows:
                    self.damaged.append({"file": name, "rows": rows, "error": reason})
                else:
                    self.skipped.append({"file": name, "reason": reason})
        skipped = {skipped["file"] for skipped in self.skipped}
        self.skipped.sort(key=lambda skipped: skipped["file"])
        self.files = [os.path.basename(path) for path in sorted(paths)
                      if os.path.basename(path) not in skipped]

    def read(self, path: str) -> None:
        name = os.path.basename(path)
        taken = set(self.owner)
        with _open_text(path) as file:
            rows = csv.reader(file)
            columns = None
            for row in rows:
                if not row or not any(cell.strip() for cell in row):
                    continue
                if columns is None:
                    columns, is_header = _columns(row)
                    if is_header:
                        continue
                self.counts["rows"] += 1
                reason = self._row(row, columns, name, taken)
                if reason:
                    self.counts["malformed"] += 1
                    if len(self.samples) < SAMPLES:
                        self.samples.append(
                            {"file": name, "line": rows.line_num, "reason": reason}
                        )

    def _row(self, row: list[str], columns: dict, name: str, taken: set) -> str | None:
        def cell(column: str) -> str:
            index = columns.get(column)
            return row[index].strip() if index is not None and index < len(row) else ""

        try:
            day = date.fromisoformat(cell("date")).isoformat()
        except ValueError:
            return "unreadable date"
        try:
            views, visitors = int(cell("views")), int(cell("visitors"))
        except ValueError:
            return "views and visitors must be whole numbers"
        if views < 0 or visitors < 0:
            return "negative count"
        if day > self.last_day:
            self.counts["future"] += 1
            return None
        if day in taken:
            self.counts["superseded"] += 1
            return None
        self.owner.setdefault(day, name)
        counts = self.tally.day(day)
        raw = cell("path")
        if raw == SITE:
            counts.site_views = (counts.site_views or 0) + views
            self.site_days.add(day)
            counts.site_visitors += visitors
            return None
        if not raw:
            return "no path"
        path = site_path(normalize_path(raw.split("#", 1)[0].split("?", 1)[0]), self.prefix)
        if path is None:
            counts.excluded["other_sites"] += views
            self.counts["other_sites"] += 1
            return None
        counts.views[path] += views
        counts.visitors[path] += visitors
        referrer = self._referrer(cell("referrer"))
        if referrer:
            counts.breakdowns["referrers"][referrer] += visitors
        return None

    def _referrer(self, value: str) -> str | None:
        if value in ("", "-", "(direct)", "(none)"):
            return None
        try:
            host = urlsplit(value if "://" in value else "//" + value).hostname
        except ValueError:
            host = None
        if not host:
            return public_referrer(value)
        host = _bare_host(host)
        return None if host in self.own else public_referrer(host)

    def latest_day(self) -> str | None:
        return self.tally.latest_day()

    def quality(self, period: Period | None = None) -> dict:
        days = [day for day in self.tally.days if period is None or period.contains(day)]
        return {
            "files": self.files,
            "rows": self.counts["rows"],
            "malformed": self.counts["malformed"],
            "malformed_samples": self.samples,
            "superseded_rows": self.counts["superseded"],
            "future": self.counts["future"],
            "skipped_files": self.skipped,
            "damaged_files": self.damaged,
            "site_visitors": (
                "given" if days and all(day in self.site_days for day in days)
                else "sum of pages" if not any(day in self.site_days for day in days)
                else "given for some days, the sum of pages for the others"
            ),
        }

    def record(self, period: Period) -> dict:
        if self.tally.misses(period):
            first, last = self.tally.earliest_day(), self.latest_day()
            log.warning("daily CSV: no row in %s: the files hold %s..%s", period.name,
                        first, last)
            return unavailable(SOURCE, period,
                               f"no row in the period: the files hold {first}..{last}")
        for day, counts in self.tally.days.items():
            if day not in self.site_days:
                counts.site_visitors = sum(counts.visitors.values())
        return self.tally.build(period, quality=self.quality(period))


def _columns(row: list[str]) -> tuple[dict[str, int], bool]:
    """Columns by name from a header row, or in the documented order when ``row`` is data."""
    names = [cell.strip().lower() for cell in row]
    if "date" in names and "path" in names:
        return {name: index for index, name in enumerate(names) if name in COLUMNS}, True
    return {name: index for index, name in enumerate(COLUMNS)}, False


def _open_text(path: str):
    with open(path, "rb") as head:
        compressed = head.read(2) == b"\x1f\x8b"
    raw = gzip.open(path, "rb") if compressed else open(path, "rb")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")


def _say_what_is_missing(reader: DailyCsvReader, quality: dict) -> None:
    """Malformed rows at INFO; at WARNING, files that give no page view, and why."""
    files = ", ".join(quality["files"])
    samples = ", ".join(f"{s['file']}:{s['line']} ({s['reason']})"
                        for s in quality["malformed_samples"])
    if quality["malformed"]:
        log.info("daily CSV: %d malformed rows skipped, first: %s", quality["malformed"], samples)
    days = reader.tally.days.values()
    if any(day.views or day.site_views for day in days):
        return
    if not quality["rows"]:
        log.warning("daily CSV: nothing to count: %s %s no rows", files,
                    "holds" if len(quality["files"]) == 1 else "hold")
    elif quality["malformed"] == quality["rows"]:
        log.warning("daily CSV: nothing to count: none of the %d rows of %s could be read "
                    "(first: %s)", quality["rows"], files, samples)
    else:
        left = {"malformed": quality["malformed"], "in the future": quality["future"],
                "replaced by a newer file": quality["superseded_rows"],
                "outside site_url's path": reader.counts["other_sites"]}
        hint = (f"; check site_url, whose path ({reader.prefix}/) the pages must lie under"
                if reader.counts["other_sites"] else "")
        log.warning("daily CSV: no page view in %s: of %d rows, %s%s", files, quality["rows"],
                    ", ".join(f"{n} {k}" for k, n in left.items() if n) or "none has a view",
                    hint)


def scan(patterns: Iterable[str], root: str, *, own_hosts: Iterable[str] = (),
         prefix: str = "", today: date | None = None) -> DailyCsvReader:
    """Read the CSV files; the reader then gives the latest day and a period's record."""
    reader = DailyCsvReader(own_hosts, prefix, today)
    reader.read_all(find_files(patterns, root))
    if reader.skipped and not reader.files:
        # Not one file could be read: the source is left out, with every reason.
        raise DailyCsvError("; ".join(skipped["reason"] for skipped in reader.skipped))
    for skipped in reader.skipped:
        log.warning("daily CSV: %s; that file is left out, the other files are counted",
                    skipped["reason"])
    for damage in reader.damaged:
        log.warning("daily CSV: %s after %d rows; the rows before are counted, the rest of "
                    "%s is lost", damage["error"], damage["rows"], damage["file"])
    quality = reader.quality()
    log.info(
        "daily CSV: %d rows in %s; %d bad, %d replaced by a newer file",
        quality["rows"], ", ".join(quality["files"]), quality["malformed"],
        quality["superseded_rows"],
    )
    _say_what_is_missing(reader, quality)
    if quality["future"]:
        log.warning(
            "daily CSV: %d rows dated after %s (today, UTC, and a day of clock skew) left out: "
            "is the warehouse's clock right?", quality["future"], reader.last_day,
        )
    return reader
