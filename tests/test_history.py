"""The append-only history: corrupt snapshots, late data, concurrent builds, legacy import."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import threading
from datetime import timedelta

import pytest
from histories import Data, assert_valid, down, github, web, week

from mkdocs_analytics import history, pipeline, schemas
from mkdocs_analytics.period import Period

W0, W1, W2 = (week(n).name + ".json" for n in range(3))


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    return Data(tmp_path)


def home(result) -> dict:
    return next(p for p in result.engagement["pages"] if p["path"] == "/")


# Corrupt snapshots -----------------------------------------------------------------------


def test_corrupt_snapshots_are_reported_by_name_and_skipped(data, analytics_log):
    data.run(week(0), web(week(0), {"/": 100}))
    data.run(week(1), web(week(1), {"/": 200}))
    # Week 1 is damaged on disk; two older files are valid JSON but no snapshot.
    damaged = {
        W1: b"{not json",
        week(-1).name + ".json": b"[1, 2]",
        week(-2).name + ".json": b'{"web": "oops"}',
    }
    for name, content in damaged.items():
        (data.history / name).write_bytes(content)

    found = history.load(str(data.history))
    assert found.problems == [
        "2023-12-18--2023-12-24.json: not a history snapshot "
        "((root): \"schema_version\" is a required property)",
        "2023-12-25--2023-12-31.json: not a JSON object",
        "2024-01-08--2024-01-14.json: "
        "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
    ]
    assert list(found.snapshots) == [week(0)]

    result = pipeline.aggregate(
        data.settings, week(2), {"access_log": web(week(2), {"/": 150})}
    )
    # The build went on, and said which files it skipped.
    warnings = [m for m in analytics_log() if "history snapshot" in m]
    assert warnings == [
        f"analytics: Couldn't read history snapshot {problem}; skipped"
        for problem in found.problems
    ]
    # Week 1 was the previous period: no delta, no average, a gap in the sparkline.
    trends = result.engagement["trends"]
    assert trends["views_delta_pct"] is None
    assert trends["reasons"]["views_delta_pct"] == "no previous period"
    assert trends["rolling_periods"] == 0
    assert home(result)["sparkline"] == [100, None, 150]
    assert result.report["alerts"] == []
    assert "history/" + W2 in result.written
    # Nothing damaged was touched.
    for name, content in damaged.items():
        assert (data.history / name).read_bytes() == content


def test_a_snapshot_copied_under_another_name_is_not_read_as_that_period(data):
    data.run(week(0), web(week(0), {"/": 100}))
    # Week 0's snapshot copied by hand as week 1's: its counts are not week 1's.
    (data.history / W1).write_bytes((data.history / W0).read_bytes())
    data.damaged.add(W1)
    found = history.load(str(data.history))
    assert found.problems == [f"{W1}: holds the period 2024-01-01--2024-01-07"]
    assert list(found.snapshots) == [week(0)]


def test_a_corrupt_newest_revision_falls_back_to_the_one_before(data):
    data.run(week(0), web(week(0), {"/": 100}))
    (data.history / (week(0).name + ".r2.json")).write_text("{", encoding="utf-8")
    data.damaged.add(week(0).name + ".r2.json")
    found = history.load(str(data.history))
    assert [p.split(":")[0] for p in found.problems] == ["2024-01-01--2024-01-07.r2.json"]
    assert found.get(week(0))["web"]["views"] == 100

    result = data.run(week(1), web(week(1), {"/": 150}))
    assert result.engagement["trends"]["views_delta_pct"] == 50.0  # (150-100)/100


# Late data -------------------------------------------------------------------------------


def test_late_data_becomes_a_revision_and_later_periods_use_it(data):
    first = data.run(week(0), web(week(0), {"/": 100}))
    assert "history/" + W0 in first.written
    original = (data.history / W0).read_bytes()

    # Late data: week 0 really had 120 views.
    late = data.run(week(0), web(week(0), {"/": 120}))
    assert "history/2024-01-01--2024-01-07.r2.json" in late.written
    assert data.files() == [W0, "2024-01-01--2024-01-07.r2.json"]
    assert (data.history / W0).read_bytes() == original
    assert data.snapshot("2024-01-01--2024-01-07.r2.json")["web"]["views"] == 120

    # The same inputs again: nothing at all is written.
    again = data.run(week(0), web(week(0), {"/": 120}))
    assert again.written == []
    assert data.files() == [W0, "2024-01-01--2024-01-07.r2.json"]

    # Week 1 compares with the newest revision: (150-120)/120 = 25%, not (150-100)/100.
    result = data.run(week(1), web(week(1), {"/": 150}))
    assert result.engagement["trends"]["views_delta_pct"] == 25.0
    assert home(result)["sparkline"] == [120, 150]

    # More late data for week 0 (130): r3; week 1 re-run: (150-130)/130 = 15.38 -> 15.4.
    data.run(week(0), web(week(0), {"/": 130}))
    rerun = data.run(week(1), web(week(1), {"/": 150}))
    assert rerun.engagement["trends"]["views_delta_pct"] == 15.4
    assert "engagement-metrics.json" in rerun.written
    # Week 1's own counts did not change, and a snapshot keeps counts, not deltas: no r2.
    assert data.files() == [
        W0,
        "2024-01-01--2024-01-07.r2.json",
        "2024-01-01--2024-01-07.r3.json",
        W1,
    ]
    assert (data.history / W0).read_bytes() == original


def test_a_rerun_without_data_keeps_the_snapshot_that_had_it(data, analytics_log):
    data.run(week(0), web(week(0), {"/": 100}))
    original = (data.history / W0).read_bytes()
    # The same period again, but the logs are gone now.
    result = data.run(week(0), down(week(0)))
    assert result.engagement["available"] is False
    assert not any(name.startswith("history/") for name in result.written)
    assert data.files() == [W0]
    assert (data.history / W0).read_bytes() == original
    assert (
        "analytics: Kept history snapshot 2024-01-01--2024-01-07: this run has no web data "
        "for the period" in analytics_log()
    )
    # So the next week still compares with the 100 views: (80-100)/100.
    after = data.run(week(1), web(week(1), {"/": 80}))
    assert after.engagement["trends"]["views_delta_pct"] == -20.0

    # A rerun that has new GitHub numbers but no web data: a revision with the GitHub
    # numbers and the web numbers of the snapshot before.
    result = data.run(week(0), down(week(0)), github(week(0), commits=12))
    assert "history/2024-01-01--2024-01-07.r2.json" in result.written
    revision = data.snapshot("2024-01-01--2024-01-07.r2.json")
    assert revision["web"] == data.snapshot(W0)["web"]
    assert revision["github"]["total_commits"] == 12
    assert (data.history / W0).read_bytes() == original


def test_snapshots_and_artifacts_get_ordinary_file_permissions(data):
    data.run(week(0), web(week(0), {"/": 100}))
    umask = os.umask(0)
    os.umask(umask)
    expected = 0o666 & ~umask
    for path in (data.history / W0, data.root / "data" / "engagement-metrics.json"):
        assert stat.S_IMODE(path.stat().st_mode) == expected, path.name


# Two builds at once ----------------------------------------------------------------------


def aggregate_in_child(root: str, n: int, views: int, barrier) -> None:
    """One build in its own process: wait for the others, then aggregate week ``n``."""
    settings = pipeline.Settings(
        root=root,
        data_dir=os.path.join(root, "data"),
        thresholds=os.path.join(root, "thresholds.yaml"),
        outcome_kpis=os.path.join(root, "outcome-kpis.yaml"),
    )
    record = web(week(n), {"/": views, "/x": n + 1})
    barrier.wait()
    pipeline.aggregate(settings, week(n), {"access_log": record})


def test_concurrent_builds_lose_nothing_and_leave_no_partial_file(data):
    # Week 0 twice with the same counts, week 1 with two different counts (a late-data race),
    # week 2 twice with the same counts: six processes start at the same moment.
    jobs = [(0, 100), (0, 100), (1, 200), (1, 300), (2, 400), (2, 400)]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(jobs))
    processes = [
        context.Process(target=aggregate_in_child, args=(str(data.root), n, views, barrier))
        for n, views in jobs
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [p.exitcode for p in processes] == [0] * len(jobs)

    # One snapshot per distinct content: week 1's two versions are both kept.
    assert data.files() == [W0, W1, "2024-01-08--2024-01-14.r2.json", W2]
    week1 = {data.snapshot(n)["web"]["views"] for n in (W1, "2024-01-08--2024-01-14.r2.json")}
    assert week1 == {202, 302}  # 200 + 2 and 300 + 2
    assert data.snapshot(W0)["web"]["views"] == 101
    assert data.snapshot(W2)["web"]["views"] == 403
    # No temporary file anywhere, every file whole and valid.
    leftovers = [p.name for p in data.root.rglob("*") if p.name.startswith(".tmp")]
    assert leftovers == []
    for name in data.files():
        assert schemas.errors("history-snapshot", data.snapshot(name)) == []
    assert_valid(data.root / "data")
    # The artifacts are the set of one build, not a mix of two.
    periods = {
        json.loads((data.root / "data" / name).read_text("utf-8"))["period"]["start"]
        for name in ("engagement-metrics.json", "system-engagement-report.json",
                     "weekly-signals.json")
    }
    assert len(periods) == 1


def test_a_slow_build_is_not_interleaved_with_another(data, monkeypatch):
    """A build that pauses between its artifacts is not overwritten half-way.

    Build A writes its first artifact, then waits (up to a second) for build B to finish
    all of its files. Under the lock B cannot start until A is done, so the wait times out
    and A's set is followed by B's whole set; without it the folder ends with a mix.
    """
    written = threading.Event()
    b_done = threading.Event()
    real = history.write_atomic

    def write(path, text):
        changed = real(path, text)
        name = threading.current_thread().name
        if name == "A" and path.endswith("engagement-metrics.json"):
            written.set()
            b_done.wait(1)
        if name == "B" and path.endswith("weekly-signals.md"):
            b_done.set()
        return changed

    monkeypatch.setattr(history, "write_atomic", write)

    def build(n):
        pipeline.aggregate(data.settings, week(n), {"access_log": web(week(n), {"/": 10})})

    a = threading.Thread(target=build, args=(0,), name="A")
    b = threading.Thread(target=build, args=(1,), name="B")
    a.start()
    assert written.wait(10)
    b.start()
    a.join(30)
    b.join(30)
    starts = {
        json.loads((data.root / "data" / name).read_text("utf-8"))["period"]["start"]
        for name in ("engagement-metrics.json", "system-engagement-report.json",
                     "weekly-signals.json")
    }
    assert starts == {"2024-01-08"}
    assert "Period: 2024-01-08 to 2024-01-14" in (
        data.root / "data" / "weekly-signals.md"
    ).read_text("utf-8")
    assert data.files() == [W0, W1]


# Legacy import ---------------------------------------------------------------------------

# The earlier implementation's pair of files for a run on 2024-01-08: GoatCounter's period
# ran to the run date at midnight, so the days counted were 2024-01-01..2024-01-07, week 0.
LEGACY_ENGAGEMENT = {
    "generated_at": "2024-01-08T08:00:03.123456+00:00",
    "period": {"start": "2024-01-01", "end": "2024-01-08"},
    "site_totals": {"page_views": 80, "unique_visitors": 0, "referrer_count": 1},
    "pages": [
        {"path": "/", "title": "Home", "views": 50, "unique_visitors": 0},
        {"path": "/guide", "title": "Guide", "views": 30, "unique_visitors": 0},
    ],
    "referrers": [{"name": "google.com", "count": 20}],
    "browsers": [],
    "systems": [],
    "trends": {"views_delta_pct": None, "visitors_delta_pct": None,
               "max_referrer_share_pct": 25.0},
    "attribution": {
        "tracked_pages": 0, "tracked_views": 0, "tracked_unique_visitors": 0,
        "tracked_views_ratio_pct": 0.0, "untagged_views": 80, "untagged_unique_visitors": 0,
        "by_source": {}, "by_medium": {}, "by_campaign": {},
    },
}
LEGACY_REPORT = {
    "generated_at": "2024-01-08T08:00:03.223456+00:00",
    "period": {"start": "2024-01-01", "end": "2024-01-08"},
    "web_engagement": {"total_views": 80, "total_visitors": 0, "top_essay": "/"},
    "distribution": {"tracked_views_ratio_pct": 0.0, "tracked_views": 0, "untagged_views": 80,
                     "top_source": None, "sources": {}, "campaigns": {}},
    "github_activity": {
        "total_commits": 0, "total_prs": 7, "total_releases": 1,
        "organ_breakdown": {"ORGAN-I": {"commits": 0, "prs": 7, "releases": 1}},
    },
    "alerts": [{"rule": "github_stall", "description": "Low commits", "severity": "warning",
                "current_value": 0, "threshold": 5.0,
                "triggered_at": "2024-01-08T08:00:03.300000+00:00"}],
}
LEGACY_NAMES = ("engagement-metrics-2024-01-08.json", "system-engagement-report-2024-01-08.json")


def write_legacy(data: Data) -> dict[str, bytes]:
    data.history.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, content in zip(LEGACY_NAMES, (LEGACY_ENGAGEMENT, LEGACY_REPORT), strict=True):
        files[name] = json.dumps(content, indent=2).encode("utf-8")
        (data.history / name).write_bytes(files[name])
    return files


def test_legacy_files_become_the_previous_week(data):
    files = write_legacy(data)
    found = history.load(str(data.history))
    assert found.problems == []
    imported = found.get(week(0))
    assert imported["imported_from"] == list(LEGACY_NAMES)
    assert imported["web"] == {
        "available": True,
        "measure": "visitors",  # GoatCounter counted visitors, whatever the field said
        "views": 80,
        "visitors": 80,
        "pages": {"/": [50, 50], "/guide": [30, 30]},
        "referrers": [{"name": "google.com", "count": 20}],
    }
    assert imported["github"]["total_commits"] == 0
    assert imported["alerts"] == ["github_stall"]
    assert schemas.errors("history-snapshot", imported) == []

    # The next week, counted by GoatCounter: 60 + 40 page visitors, 100 site visitors.
    result = data.run(week(1), web(week(1), {"/": 60, "/guide": 40}, site_visitors=100,
                                   source="goatcounter", measure="visitors"))
    trends = result.engagement["trends"]
    assert trends["views_delta_pct"] == 25.0  # (100 - 80) / 80
    assert trends["visitors_delta_pct"] == 25.0
    assert (trends["rolling_avg_views"], trends["views_vs_rolling_avg_pct"]) == (80.0, 125.0)
    pages = {p["path"]: p for p in result.engagement["pages"]}
    assert pages["/"]["views_delta_pct"] == 20.0  # (60 - 50) / 50
    assert pages["/guide"]["views_delta_pct"] == 33.3  # (40 - 30) / 30
    assert pages["/"]["sparkline"] == [50, 60]
    # The legacy files are read, never changed, and no native week 0 is made of them.
    for name, content in files.items():
        assert (data.history / name).read_bytes() == content
    assert data.files() == sorted([*LEGACY_NAMES, W1])


def test_legacy_visitors_are_not_compared_with_page_views(data):
    write_legacy(data)
    result = data.run(week(1), web(week(1), {"/": 300}))
    trends = result.engagement["trends"]
    assert trends["views_delta_pct"] is None
    assert trends["reasons"]["views_delta_pct"] == "the previous period counted visitors"


def test_a_native_snapshot_wins_over_a_legacy_one_of_the_same_week(data):
    write_legacy(data)
    data.run(week(0), web(week(0), {"/": 10}, source="goatcounter", measure="visitors"))
    snapshot = history.load(str(data.history)).get(week(0))
    assert "imported_from" not in snapshot
    assert snapshot["web"]["views"] == 10
    # GitHub was not configured this time: the legacy GitHub numbers are kept, not lost.
    assert snapshot["github"]["total_prs"] == 7
    assert data.files() == sorted([*LEGACY_NAMES, W0])


def test_a_broken_legacy_file_is_reported(data):
    data.history.mkdir(parents=True)
    (data.history / "engagement-metrics-2024-01-08.json").write_text('{"period": {}}', "utf-8")
    found = history.load(str(data.history))
    assert found.problems == ["engagement-metrics-2024-01-08.json: 'start'"]
    assert found.snapshots == {}


def test_period_names_are_whole_utc_days_both_ends_included():
    period = Period.parse("2024-01-01--2024-01-07")
    assert (period.days, period.previous().name) == (7, "2023-12-25--2023-12-31")
    assert week(0) == period


def test_series_follows_whole_periods_back_and_skips_overlapping_ones(tmp_path):
    folder = tmp_path / "history"
    folder.mkdir()
    # Weekly periods built every day of three weeks (overlapping), with week 1 missing.
    for offset in range(21):
        period = Period(week(0).start + timedelta(days=offset),
                        week(0).end + timedelta(days=offset))
        if period == week(1):
            continue
        snapshot = {"schema_version": 1, "period": period.as_dict(),
                    "web": {"available": False, "measure": None},
                    "github": {"available": False}, "alerts": []}
        (folder / f"{period.name}.json").write_text(json.dumps(snapshot), "utf-8")
    found = history.load(str(folder))
    assert found.problems == []
    # From week 2 back: week 2, (week 1 missing), week 0; nothing of the days between.
    assert [p for p, _ in found.series(week(2), 12)] == [week(0), week(2)]
    assert [p for p, _ in found.series(week(2), 1)] == [week(2)]
    # Weeks 3..5 have none: the series goes further back, as far as the history goes.
    assert [p for p, _ in found.series(week(5), 3)] == [week(0), week(2)]
    assert found.series(week(-1), 3) == []
