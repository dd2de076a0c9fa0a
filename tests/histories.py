"""Helpers for the aggregation tests: hand-made web records, weekly periods, a data folder.

Every record here is a literal dictionary in the shape of ``schemas/raw-record.schema.json``,
so a test can say exactly what went in. All views of a period fall on its first day unless a
test says otherwise, which keeps the arithmetic in the tests' comments short.
"""

from __future__ import annotations

import json
import textwrap
from datetime import date, timedelta
from pathlib import Path

from mkdocs_analytics import pipeline, schemas
from mkdocs_analytics.period import Period
from mkdocs_analytics.records import BREAKDOWNS, unavailable

# Monday 1 January 2024: week 0 is 2024-01-01..2024-01-07.
FIRST_MONDAY = date(2024, 1, 1)

RULES = """
rules:
  - name: traffic_drop
    metric: trends.views_vs_rolling_avg_pct
    operator: "<"
    value: 50
    severity: warning
    description: Views fell below half of the four-period average
    recommendation: Check that the site and its analytics still work.
  - name: referrer_anomaly
    metric: trends.max_referrer_share_pct
    operator: ">"
    value: 80
    severity: info
    description: One referrer sent more than 80% of all views
    recommendation: Look at that referrer before trusting the numbers.
  - name: traffic_growth
    kind: strength
    metric: trends.views_delta_pct
    operator: ">="
    value: 10
    description: Views grew by at least 10% on the previous period
"""

OUTCOMES = """
kpis:
  feedback:
    description: Feedback from outside the team
    target: 2
    current: 3
"""


def week(n: int) -> Period:
    """The ``n``-th Monday-to-Sunday week from 2024-01-01."""
    start = FIRST_MONDAY + timedelta(days=7 * n)
    return Period(start, start + timedelta(days=6))


def web(
    period: Period,
    pages: dict[str, int],
    visitors: dict[str, int] | None = None,
    site_visitors: int | None = None,
    referrers: dict[str, int] | None = None,
    source: str = "access_log",
    measure: str = "page_views",
) -> dict:
    """A web record whose page views (or visitors) all fall on the period's first day.

    ``visitors`` per page defaults to half the views (rounded down); the site's visitors
    default to the sum of the pages' visitors. With ``measure="visitors"`` every ``views`` is
    null, as GoatCounter writes it, and ``pages`` gives the visitors of each page.
    """
    if measure == "visitors":
        visitors = dict(pages)
    visitors = visitors if visitors is not None else {p: v // 2 for p, v in pages.items()}
    if site_visitors is None:
        site_visitors = sum(visitors.values())
    first = period.dates()[0]
    views_of = (lambda n: None) if measure == "visitors" else (lambda n: n)
    site_daily = [
        {
            "date": day,
            "views": views_of(sum(pages.values()) if day == first else 0),
            "visitors": site_visitors if day == first else 0,
        }
        for day in period.dates()
    ]
    record = {
        "schema_version": 1,
        "source": source,
        "available": True,
        "reason": None,
        "measure": measure,
        "period": period.as_dict(),
        "site_daily": site_daily,
        "daily": [
            {"date": first, "path": path, "views": views_of(n), "visitors": visitors[path]}
            for path, n in sorted(pages.items())
        ],
        "titles": {},
    }
    for name in BREAKDOWNS:
        record[name] = []
    ranked = sorted((referrers or {}).items(), key=lambda item: (-item[1], item[0]))
    record["referrers"] = [{"name": n, "count": c} for n, c in ranked]
    record["not_found"] = []
    record["excluded"] = {}
    record["quality"] = {}
    assert schemas.errors("raw-record", record) == []
    return record


def github(period: Period, commits: int, prs: int = 2, releases: int = 0) -> dict:
    """A GitHub record of one unit."""
    return {
        "schema_version": 1,
        "source": "github",
        "available": True,
        "reason": None,
        "period": period.as_dict(),
        "units": {
            "example": {"commits": commits, "prs_opened": prs, "prs_merged": 1,
                        "releases": releases, "stars": 5},
        },
    }


def down(period: Period, source: str = "access_log", reason: str = "logs unreadable") -> dict:
    return unavailable(source, period, reason)


class Data:
    """A project folder with a rules file, an outcome file and ``data/``, aggregated into."""

    def __init__(self, root: Path, rules: str = RULES, outcomes: str = OUTCOMES) -> None:
        self.root = root
        # History files a test damaged on purpose: the schema check passes over them.
        self.damaged: set[str] = set()
        root.mkdir(parents=True, exist_ok=True)
        (root / "thresholds.yaml").write_text(textwrap.dedent(rules), encoding="utf-8")
        (root / "outcome-kpis.yaml").write_text(textwrap.dedent(outcomes), encoding="utf-8")
        self.settings = pipeline.Settings(
            root=str(root),
            data_dir=str(root / "data"),
            thresholds=str(root / "thresholds.yaml"),
            outcome_kpis=str(root / "outcome-kpis.yaml"),
        )

    @property
    def history(self) -> Path:
        return self.root / "data" / "history"

    def run(self, period: Period, *records: dict, site_pages=None) -> pipeline.Result:
        """Aggregate ``period`` from ``records`` (keyed by their source) and check schemas."""
        by_source = {r["source"]: r for r in records}
        result = pipeline.aggregate(self.settings, period, by_source, site_pages)
        assert_valid(self.root / "data", self.damaged)
        return result

    def files(self) -> list[str]:
        """Every name in the history folder but the lock file."""
        return sorted(p.name for p in self.history.iterdir() if p.name != ".lock")

    def snapshot(self, name: str) -> dict:
        return json.loads((self.history / name).read_text(encoding="utf-8"))


def assert_valid(data_dir: Path, damaged: set[str] = frozenset()) -> None:
    """Every artifact and every native snapshot in ``data_dir`` fits its schema."""
    for name, schema in (
        ("engagement-metrics.json", "engagement-metrics"),
        ("system-engagement-report.json", "system-engagement-report"),
        ("weekly-signals.json", "weekly-signals"),
    ):
        data = json.loads((data_dir / name).read_text(encoding="utf-8"))
        assert schemas.errors(schema, data) == [], name
    for path in sorted((data_dir / "history").glob("????-??-??--????-??-??*.json")):
        if path.name in damaged:
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        assert schemas.errors("history-snapshot", data) == [], path.name
