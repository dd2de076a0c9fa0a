"""The reporting period: whole UTC days, both ends included.

A period is named by its first and last day (``2015-05-14--2015-05-20``). That name keys the
raw records and the history snapshots, so re-running the same period finds the same files,
whatever the date of the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @classmethod
    def ending(cls, end: date, days: int) -> Period:
        return cls(end - timedelta(days=days - 1), end)

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read a period name such as ``2015-05-14--2015-05-20``."""
        first, _, last = text.partition("--")
        return cls(date.fromisoformat(first), date.fromisoformat(last))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def name(self) -> str:
        return f"{self.start.isoformat()}--{self.end.isoformat()}"

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period.ending(self.start - timedelta(days=1), self.days)

    def dates(self) -> list[str]:
        return [(self.start + timedelta(days=i)).isoformat() for i in range(self.days)]

    def contains(self, day: str) -> bool:
        return self.start.isoformat() <= day <= self.end.isoformat()

    def start_instant(self) -> datetime:
        return datetime.combine(self.start, time(0), tzinfo=timezone.utc)

    def end_instant(self) -> datetime:
        """The first instant after the period (exclusive end)."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=timezone.utc)

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days}


def last_complete_day(now: datetime | None = None) -> date:
    """Yesterday in UTC: the last day whose counts can no longer change."""
    now = now or datetime.now(timezone.utc)
    return now.astimezone(timezone.utc).date() - timedelta(days=1)


def isoformat_z(moment: datetime) -> str:
    """An instant as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
