"""The normalized record every source produces, one per source and period.

A record is plain JSON (see ``schemas/raw-record.schema.json``) so a later stage can run from
the file alone. Every web source, whatever it reads, fills the same fields:

- ``daily``: one row per UTC day and path with ``views`` and ``visitors``. A source that cannot
  count one of them (GoatCounter counts only visitors) writes ``null`` there, never ``0``;
- ``titles``: page titles where the source knows them;
- ``referrers``, ``browsers``, ``systems``, ``countries``, ``screen_sizes``, ``campaigns``:
  ``{"name", "count"}`` rows, largest first;
- ``excluded`` and ``quality``: what the source left out and why.

:class:`RecordBuilder` accumulates counts in memory and turns them into that dictionary with a
stable order, so the same input always gives the same bytes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .period import Period

SCHEMA_VERSION = 1

# The breakdowns every web record carries, in the order they are written.
BREAKDOWNS = ("referrers", "browsers", "systems", "countries", "screen_sizes", "campaigns")


def unavailable(source: str, period: Period, reason: str, **extra) -> dict:
    """The record of a source that could not be collected: no numbers, a reason."""
    return {
        "schema_version": SCHEMA_VERSION,
        "source": source,
        "available": False,
        "reason": reason,
        "period": period.as_dict(),
        **extra,
    }


def ranked(counter: Counter) -> list[dict]:
    """Counter rows as ``{"name", "count"}``, largest first, ties by name, zeros dropped."""
    rows = [(name, n) for name, n in counter.items() if n]
    rows.sort(key=lambda item: (-item[1], item[0]))
    return [{"name": name, "count": n} for name, n in rows]


@dataclass
class DayCounts:
    """Counts for one UTC day: per path, views and the set of visitor keys."""

    views: Counter = field(default_factory=Counter)
    visitors: dict = field(default_factory=lambda: defaultdict(set))
    site_visitors: set = field(default_factory=set)
    breakdowns: dict = field(default_factory=lambda: defaultdict(Counter))
    excluded: Counter = field(default_factory=Counter)
    not_found: Counter = field(default_factory=Counter)


class RecordBuilder:
    """Collects a web source's counts and writes them as a normalized record.

    ``measure`` says what ``views`` are: ``"page_views"`` for sources that see every request,
    ``"visitors"`` for sources such as GoatCounter that only report visitors.
    """

    def __init__(self, source: str, measure: str = "page_views") -> None:
        self.source = source
        self.measure = measure
        self.days: dict[str, DayCounts] = defaultdict(DayCounts)
        self.titles: dict[str, str] = {}

    def view(self, day: str, path: str, visitor: bytes | None) -> bool:
        """Count one page view of ``path`` on ``day`` by an anonymous ``visitor`` key.

        Returns True when this is the visitor's first view that day, so that the caller can
        count browsers, systems and countries once per visitor, as analytics tools do.
        """
        counts = self.days[day]
        counts.views[path] += 1
        if visitor is None:
            return False
        counts.visitors[path].add(visitor)
        if visitor in counts.site_visitors:
            return False
        counts.site_visitors.add(visitor)
        return True

    def count(self, day: str, breakdown: str, name: str, n: int = 1) -> None:
        """Add ``n`` to the ``name`` row of a breakdown such as ``"referrers"`` on ``day``."""
        self.days[day].breakdowns[breakdown][name] += n

    def exclude(self, day: str, reason: str) -> None:
        """Count a request left out, by reason (``"assets"``, ``"bots"``, ...)."""
        self.days[day].excluded[reason] += 1

    def missing(self, day: str, path: str) -> None:
        """Count a request for a path the server did not have (a 404)."""
        self.days[day].not_found[path] += 1

    def latest_day(self) -> str | None:
        return max(self.days) if self.days else None

    def build(self, period: Period, *, quality: dict | None = None, extra: dict | None = None):
        """The record for ``period``: only days inside it count."""
        daily = []
        site_daily = []
        breakdowns = {name: Counter() for name in BREAKDOWNS}
        excluded = Counter()
        not_found = Counter()
        for day in period.dates():
            counts = self.days.get(day)
            if counts is None:
                site_daily.append({"date": day, "views": 0, "visitors": 0})
                continue
            for name, counter in counts.breakdowns.items():
                breakdowns[name].update(counter)
            excluded.update(counts.excluded)
            not_found.update(counts.not_found)
            for path in sorted(counts.views):
                daily.append(
                    {
                        "date": day,
                        "path": path,
                        "views": counts.views[path],
                        "visitors": len(counts.visitors.get(path, ())),
                    }
                )
            site_daily.append(
                {
                    "date": day,
                    "views": sum(counts.views.values()),
                    "visitors": len(counts.site_visitors),
                }
            )

        record = {
            "schema_version": SCHEMA_VERSION,
            "source": self.source,
            "available": True,
            "reason": None,
            "measure": self.measure,
            "period": period.as_dict(),
            "site_daily": site_daily,
            "daily": daily,
            "titles": {path: self.titles[path] for path in sorted(self.titles)},
        }
        for name in BREAKDOWNS:
            record[name] = ranked(breakdowns[name])
        record["not_found"] = ranked(not_found)
        record["excluded"] = {key: excluded[key] for key in sorted(excluded)}
        record["quality"] = quality or {}
        if extra:
            record.update(extra)
        return record
