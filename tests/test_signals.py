"""Weekly signals: exact JSON and Markdown from a hand-made two-week history."""

from __future__ import annotations

import re
import textwrap
from datetime import date

import pytest
from histories import Data, down, github, web, week

from mkdocs_analytics import pipeline, signals
from mkdocs_analytics.period import Period


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    return Data(tmp_path)


def two_weeks(data: Data) -> pipeline.Result:
    # Week 0: 600 + 400 = 1,000 views, 500 visitors, 10 commits.
    data.run(week(0), web(week(0), {"/": 600, "/guide": 400}, site_visitors=500,
                          referrers={"g.example": 100}), github(week(0), commits=10))
    # Week 1: 700 + 423 = 1,123 views, 300 visitors, 15 commits.
    return data.run(
        week(1),
        web(week(1), {"/": 700, "/guide": 423}, site_visitors=300,
            referrers={"g.example": 200, "news.example": 100}),
        github(week(1), commits=15),
    )


STRENGTH = (
    "Views grew by at least 10% on the previous period "
    "(change in views: 12.3%; threshold >= 10%)"
)


def test_weekly_signals_json_of_two_weeks(data):
    result = two_weeks(data)
    assert result.signals == {
        "schema_version": 1,
        "generated_at": "2024-01-15T00:00:00Z",
        "period": {"start": "2024-01-08", "end": "2024-01-14", "days": 7},
        "kpis": [
            # (1123 - 1000) / 1000 = 12.3%
            {"name": "page_views", "label": "Page views", "value": 1123, "unit": "views",
             "delta_pct": 12.3, "available": True},
            # (300 - 500) / 500 = -40%
            {"name": "unique_visitors", "label": "Visitors", "value": 300, "unit": "visitors",
             "delta_pct": -40.0, "available": True},
            {"name": "pages_viewed", "label": "Pages viewed", "value": 2, "unit": "pages",
             "delta_pct": None, "available": True},
            # 200 of the 300 visitors = 66.67%
            {"name": "max_referrer_share_pct", "label": "Largest referrer's share",
             "value": 66.7, "unit": "%", "delta_pct": None, "available": True},
            # (15 - 10) / 10 = 50%
            {"name": "commits", "label": "Commits", "value": 15, "unit": "commits",
             "delta_pct": 50.0, "available": True},
            {"name": "pull_requests", "label": "Pull requests opened", "value": 2,
             "unit": "pull requests", "delta_pct": None, "available": True},
            {"name": "releases", "label": "Releases", "value": 0, "unit": "releases",
             "delta_pct": None, "available": True},
            {"name": "alerts", "label": "Alerts", "value": 0, "unit": "alerts",
             "delta_pct": None, "available": True},
        ],
        # traffic_growth: 12.3 >= 10. No risk: 1123 / 1000 = 112.3% of the average, and
        # the largest referrer has 66.7% (not above 80%).
        "strengths": [STRENGTH],
        "risks": [],
        "recommendations": [],
        "not_judged": [],
        # 3 of a target of 2: 150%, not capped.
        "outcomes": [
            {"name": "feedback", "description": "Feedback from outside the team", "target": 2,
             "current": 3, "progress_pct": 150.0},
        ],
    }
    written = (data.root / "data" / "weekly-signals.json").read_text("utf-8")
    assert written == pipeline.history.dumps(result.signals)


def test_weekly_signals_markdown_of_two_weeks(data):
    two_weeks(data)
    markdown = (data.root / "data" / "weekly-signals.md").read_text("utf-8")
    assert markdown == textwrap.dedent(
        f"""\
        # Weekly signals

        Period: 2024-01-08 to 2024-01-14 (7 days, UTC).

        ## Key numbers

        - Page views: 1,123 views (+12.3% on the previous week)
        - Visitors: 300 visitors (-40.0% on the previous week)
        - Pages viewed: 2 pages
        - Largest referrer's share: 66.7%
        - Commits: 15 commits (+50.0% on the previous week)
        - Pull requests opened: 2 pull requests
        - Releases: 0 releases
        - Alerts: 0 alerts

        ## Strengths

        - {STRENGTH}

        ## Risks

        No risk rule fired this period.

        ## Recommendations

        Nothing to change: keep going.

        ## Outcome KPIs

        - Feedback from outside the team: 3 of 2 (150.0%)
        """
    )
    assert_reads_cleanly(markdown)


def assert_reads_cleanly(markdown: str) -> None:
    assert "- - " not in markdown
    assert "None" not in markdown and "nan" not in markdown.lower()
    lines = markdown.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("## "):
            # A heading is followed by a blank line and a sentence or a bullet, never by
            # another heading or the end.
            assert lines[i + 1] == "" and lines[i + 2].strip(), line
            assert not lines[i + 2].startswith("#"), line
    # Signed changes read one way: "+12.3%" or "-40.0%", one decimal, never "+-" or "--".
    for change in re.findall(r"\(([^()]*) on the previous (?:week|period)\)", markdown):
        assert re.fullmatch(r"[+-]\d[\d,]*\.\d%|no previous|unchanged", change), change


def test_the_first_week_has_no_previous_week(data):
    data.run(week(0), web(week(0), {"/": 1}, site_visitors=1))
    markdown = (data.root / "data" / "weekly-signals.md").read_text("utf-8")
    assert "- Page views: 1 view (no previous week)\n" in markdown
    assert "- Visitors: 1 visitor (no previous week)\n" in markdown
    assert "- Commits: not available\n" in markdown
    # No rule could judge the trends: said once, in words.
    assert markdown.endswith(
        "Not judged this period, for want of data: largest referrer's share of visitors, "
        "change in views, views against the four-period average.\n"
    )
    assert_reads_cleanly(markdown)


def test_a_week_without_web_data_reads_cleanly(data):
    two_weeks(data)
    data.run(week(2), down(week(2)))
    markdown = (data.root / "data" / "weekly-signals.md").read_text("utf-8")
    assert "- Page views: not available\n" in markdown
    assert "- Visitors: not available\n" in markdown
    assert_reads_cleanly(markdown)


def test_signed_changes_and_units():
    assert signals.signed_change(12.3) == "+12.3% on the previous week"
    assert signals.signed_change(-40.0) == "-40.0% on the previous week"
    assert signals.signed_change(0.0) == "unchanged on the previous week"
    assert signals.signed_change(None) == "no previous week"
    assert signals.signed_change(5.0, weekly=False) == "+5.0% on the previous period"
    kpi = {"name": "page_views", "unit": "views", "value": 1234567, "delta_pct": -0.1,
           "available": True}
    assert signals.format_kpi(kpi) == "1,234,567 views (-0.1% on the previous week)"


def test_a_thirty_day_period_speaks_of_periods(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    data = Data(tmp_path)
    first = Period(date(2024, 1, 1), date(2024, 1, 30))
    after = Period(date(2024, 1, 31), date(2024, 2, 29))  # 1 + 29 days: 2024 is a leap year
    assert (first.days, after.days, after.previous()) == (30, 30, first)
    data.run(first, web(first, {"/": 10}))
    data.run(after, web(after, {"/": 15}))
    markdown = (data.root / "data" / "weekly-signals.md").read_text("utf-8")
    assert markdown.startswith("# Signals\n\nPeriod: 2024-01-31 to 2024-02-29 (30 days, UTC).")
    # (15 - 10) / 10 = 50%
    assert "- Page views: 15 views (+50.0% on the previous period)\n" in markdown
    assert_reads_cleanly(markdown)


def outcome_error(tmp_path, text: str) -> str:
    data = Data(tmp_path, outcomes=text)
    with pytest.raises(signals.OutcomeError) as caught:
        pipeline.aggregate(data.settings, week(0), {"access_log": web(week(0), {"/": 1})})
    # Nothing was written (but the history's lock file): the build stops before any artifact.
    written = [p for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert [p.name for p in written] in ([], [".lock"])
    return str(caught.value)


def test_a_missing_target_names_the_file_and_the_kpi(tmp_path):
    text = """
    kpis:
      feedback:
        description: Feedback from outside the team
        current: 3
    """
    assert outcome_error(tmp_path, text) == "outcome-kpis.yaml: KPI 'feedback': missing 'target'"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("target: 0", "target 0 is not a number above zero"),
        ("target: three", "target 'three' is not a number above zero"),
        ("target: .nan", "target nan is not a number above zero"),
        ("target: 3\n        current: lots", "current 'lots' is not a number"),
    ],
)
def test_bad_outcome_values_name_the_kpi(tmp_path, entry, message):
    text = f"""
    kpis:
      feedback:
        {entry}
    """
    assert outcome_error(tmp_path, text) == f"outcome-kpis.yaml: KPI 'feedback': {message}"


def test_the_earlier_outcome_format_is_an_error(tmp_path):
    earlier = """
    targets:
      external_feedback_items: 3
    manual_metrics:
      external_feedback_items: 1
    """
    assert outcome_error(tmp_path, earlier) == (
        "outcome-kpis.yaml: expected a mapping with a 'kpis' mapping"
    )


def test_an_outcome_without_a_value_yet(tmp_path):
    path = tmp_path / "o.yaml"
    path.write_text("kpis:\n  talks:\n    target: 4\n", encoding="utf-8")
    outcome = signals.load_outcomes(str(path))[0]
    assert outcome == {"name": "talks", "description": None, "target": 4, "current": None,
                       "progress_pct": None}
    assert signals.format_outcome(outcome) == "talks: not entered yet (target 4)"
    assert signals.format_outcome({**outcome, "current": 1, "progress_pct": 25.0}) == (
        "talks: 1 of 4 (25.0%)"
    )


def test_a_risk_without_advice_is_not_followed_by_keep_going(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    rules = """
    rules:
      - name: quiet
        metric: site.page_views
        operator: "<"
        value: 5
        description: Fewer than five page views
    """
    data = Data(tmp_path, rules=rules)
    data.run(week(0), web(week(0), {"/": 3}))
    markdown = (data.root / "data" / "weekly-signals.md").read_text("utf-8")
    assert "## Risks\n\n- Fewer than five page views (page views: 3; threshold < 5)\n" in markdown
    # "Nothing to change: keep going." under a risk would contradict it.
    assert "keep going" not in markdown
    assert "## Recommendations\n\nThe rules give no advice for the risks above.\n" in markdown
    assert_reads_cleanly(markdown)
