"""Per-day counts, written as a normalized record (see :mod:`..records`).

The file sources count into a :class:`Tally`: an access log's days as it reads them, a
warehouse's daily rows, GoatCounter's first visits, or days counted on an earlier run.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone

from ..period import Period
from ..records import BREAKDOWNS, SCHEMA_VERSION, ranked

# Days of clock skew allowed: a line dated tomorrow (UTC) still counts, a later one is "future".
CLOCK_SKEW_DAYS = 1


def last_allowed_day(today: date | None = None) -> str:
    """The latest UTC day a file source may count: today (UTC), plus a day of clock skew.

    A line or row dated later comes from a wrong clock (or a forged line): it is left out of
    the counts, and said, so that it can neither move the period nor write a snapshot of a
    year that has not happened.
    """
    today = today or datetime.now(timezone.utc).date()
    return (today + timedelta(days=CLOCK_SKEW_DAYS)).isoformat()


class DayTally:
    """One UTC day: views and visitors per path, the site's visitors, breakdown rows."""

    __slots__ = ("views", "visitors", "site_visitors", "site_views", "breakdowns", "excluded",
                 "not_found")

    def __init__(self) -> None:
        self.views: Counter = Counter()
        self.visitors: Counter = Counter()
        self.site_visitors = 0
        # Set when a source gives the site's views itself; else they are the pages' sum.
        self.site_views: int | None = None
        self.breakdowns: dict[str, Counter] = {name: Counter() for name in BREAKDOWNS}
        self.excluded: Counter = Counter()
        self.not_found: Counter = Counter()


class Tally:
    """Counts of one source by UTC day, written as a record with :meth:`build`.

    ``measure`` is ``"page_views"`` or ``"visitors"``; with ``"visitors"`` every ``views`` in
    the record is null, as the GoatCounter source writes it.
    """

    def __init__(self, source: str, measure: str = "page_views") -> None:
        self.source = source
        self.measure = measure
        self.days: dict[str, DayTally] = {}
        self.titles: dict[str, str] = {}

    def day(self, day: str) -> DayTally:
        counts = self.days.get(day)
        if counts is None:
            counts = self.days[day] = DayTally()
        return counts

    def latest_day(self) -> str | None:
        return max(self.days) if self.days else None

    def earliest_day(self) -> str | None:
        return min(self.days) if self.days else None

    def misses(self, period: Period) -> bool:
        """Whether the tally holds days, none of them in ``period``."""
        return bool(self.days) and not any(period.contains(day) for day in self.days)

    def build(self, period: Period, *, quality: dict | None = None, extra: dict | None = None,
              known: tuple[str | None, str | None] | None = None):
        """The record of ``period``: only the days inside it count.

        ``known`` is the first and last day the source's files hold (by default, this tally's
        first and last day). A day of the period outside them is unknown, not a day without
        visits: its ``site_daily`` row has null ``views`` and ``visitors``. A day between them
        without counts is a zero.
        """
        views_known = self.measure != "visitors"
        first, last = known if known is not None else (self.earliest_day(), self.latest_day())
        daily, site_daily = [], []
        breakdowns = {name: Counter() for name in BREAKDOWNS}
        excluded, not_found = Counter(), Counter()
        for day in period.dates():
            counts = self.days.get(day)
            if counts is None:
                covered = first is not None and first <= day <= last
                site_daily.append(
                    {"date": day, "views": 0 if views_known and covered else None,
                     "visitors": 0 if covered else None}
                )
                continue
            for name in BREAKDOWNS:
                breakdowns[name].update(counts.breakdowns[name])
            excluded.update(counts.excluded)
            not_found.update(counts.not_found)
            for path in sorted(set(counts.views) | set(counts.visitors)):
                daily.append(
                    {
                        "date": day,
                        "path": path,
                        "views": counts.views[path] if views_known else None,
                        "visitors": counts.visitors[path],
                    }
                )
            site_views = counts.site_views
            if site_views is None:
                site_views = sum(counts.views.values())
            site_daily.append(
                {
                    "date": day,
                    "views": site_views if views_known else None,
                    "visitors": counts.site_visitors,
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
        record["excluded"] = {key: excluded[key] for key in sorted(excluded) if excluded[key]}
        record["quality"] = quality or {}
        if extra:
            record.update(extra)
        return record
