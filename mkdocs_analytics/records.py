"""The normalized record every source produces, one per source and period.

A record is plain JSON (see ``schemas/raw-record.schema.json``) so a later stage can run from
the file alone. Every web source, whatever it reads, fills the same fields:

- ``daily``: one row per UTC day and path with ``views`` and ``visitors``. A source that cannot
  count one of them (GoatCounter counts only visitors) writes ``null`` there, never ``0``;
- ``titles``: page titles where the source knows them;
- ``referrers``, ``browsers``, ``systems``, ``countries``, ``screen_sizes``, ``campaigns``:
  ``{"name", "count"}`` rows, largest first;
- ``excluded`` and ``quality``: what the source left out and why.

The file sources build records with :mod:`.sources.tally`, the live ones row by row; both
write them in a stable order, so the same input always gives the same bytes.
"""

from __future__ import annotations

from collections import Counter

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
