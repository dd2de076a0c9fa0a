"""The dashboard, rendered from the artifacts alone.

Everything published goes through :mod:`.privacy` first: the pages, charts, widget, badge
and JSON copies in the built site all show the folded numbers, never the exact ones kept in
``data/``. Each page is Markdown with HTML blocks; charts are placeholders swapped in after
the search index is built.
"""

from __future__ import annotations

import json

from .. import signals as signal_notes
from .. import thresholds
from . import activity, history_page, overview, pages, privacy, signals_page, sources, widget
from .parts import CHART_MARK, PAGES, Dashboard

__all__ = ["CHART_MARK", "PAGES", "Dashboard", "build"]


def build(
    engagement: dict,
    report: dict,
    folder: str,
    *,
    rules: list[dict] | None = None,
    outcomes: list[dict] | None = None,
    series: list[dict] | None = None,
    previous: dict | None = None,
    top: int = 10,
    min_count: int = 5,
) -> Dashboard:
    """All dashboard files under ``folder`` (``analytics/``).

    ``series`` holds the history snapshots of the last periods, oldest first, the current
    one last; ``previous`` is the snapshot of the period just before, for the daily
    comparison on the front page.

    Alerts and signals are worked out again from the folded numbers with the same ``rules``:
    a sentence such as "the largest referrer sent 33.3% of 3 views" would otherwise give a
    folded count away.
    """
    public = privacy.public_engagement(engagement, min_count)
    public_report = privacy.public_report(report, engagement, min_count)
    rules = rules or []
    public_report["alerts"] = thresholds.evaluate(
        rules, thresholds.metrics(public, public_report)
    )
    signals = signal_notes.build(public, public_report, rules, outcomes or [])
    series = series or []
    previous = (previous or {}).get("web")

    board = Dashboard(public=public)
    board.pages[folder + "index.md"] = overview.render(
        board, public, public_report, signals, previous
    )
    board.pages[folder + "pages.md"] = pages.render(board, public, top)
    board.pages[folder + "sources.md"] = sources.render(board, public, top)
    board.pages[folder + "activity.md"] = activity.render(board, public, public_report)
    board.pages[folder + "history.md"] = history_page.render(board, public, series)
    board.pages[folder + "signals.md"] = signals_page.render(public, signals)

    for name, data in (
        ("engagement-metrics.json", public),
        ("system-engagement-report.json", public_report),
        ("weekly-signals.json", signals),
    ):
        board.files[folder + name] = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    board.files[folder + "widget.html"] = widget.widget(public, top=min(top, 5))
    board.files[folder + "badge.svg"] = widget.badge(public)
    return board
