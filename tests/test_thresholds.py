"""Threshold rules: every way a rules file can be wrong, and the alerts right ones raise."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from histories import Data, down, web, week

from mkdocs_analytics import thresholds

REPO = Path(__file__).resolve().parent.parent

GOOD = """
  - name: traffic_drop
    metric: trends.views_vs_rolling_avg_pct
    operator: "<"
    value: 50
    severity: warning
    description: Views fell below half of the average
"""


def load(tmp_path, text: str) -> list[dict]:
    path = tmp_path / "thresholds.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return thresholds.load(str(path))


def rules_error(tmp_path, text: str) -> str:
    with pytest.raises(thresholds.ThresholdError) as caught:
        load(tmp_path, text)
    return str(caught.value)


def with_rule(**changes) -> str:
    """The GOOD rule file with some keys changed (None removes the key)."""
    rule = {
        "name": "traffic_drop",
        "metric": "trends.views_vs_rolling_avg_pct",
        "operator": '"<"',
        "value": "50",
        "severity": "warning",
        "description": "Views fell below half of the average",
    }
    rule.update(changes)
    lines = [f"{k}: {v}" for k, v in rule.items() if v is not None]
    return "rules:\n  - " + "\n    ".join(lines) + "\n"


def test_a_good_file_loads_with_defaults(tmp_path):
    assert load(tmp_path, "rules:" + GOOD) == [
        {
            "name": "traffic_drop",
            "metric": "trends.views_vs_rolling_avg_pct",
            "operator": "<",
            "value": 50,
            "severity": "warning",
            "kind": "risk",
            "description": "Views fell below half of the average",
            "recommendation": None,
        }
    ]
    assert load(tmp_path, "") == []
    assert load(tmp_path, "rules: []\n") == []
    assert thresholds.load(str(tmp_path / "absent.yaml")) == []


def test_the_shipped_rules_load():
    rules = thresholds.load(str(REPO / "config" / "thresholds.yaml"))
    by_name = {r["name"]: (r["metric"], r["operator"], r["value"], r["kind"]) for r in rules}
    # The four rules, with the numbers it names.
    assert by_name["traffic_drop"] == ("trends.views_vs_rolling_avg_pct", "<", 50, "risk")
    assert by_name["zero_traffic"] == ("pages.published_without_views", ">", 0, "risk")
    assert by_name["referrer_anomaly"] == ("trends.max_referrer_share_pct", ">", 80, "risk")
    assert by_name["github_stall"] == ("github.total_commits", "<", 5, "risk")
    assert all(r["recommendation"] for r in rules if r["kind"] == "risk")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"metric": "views_delta_pct"},
            "thresholds.yaml: rule 'traffic_drop': unknown metric 'views_delta_pct'; known: "
            + ", ".join(sorted(thresholds.METRICS)),
        ),
        (
            {"operator": '"=>"'},
            "thresholds.yaml: rule 'traffic_drop': unknown operator '=>'; "
            "use one of < <= > >= == !=",
        ),
        (
            {"value": '"50"'},
            "thresholds.yaml: rule 'traffic_drop': value '50' is not a finite number",
        ),
        (
            {"value": "fifty"},
            "thresholds.yaml: rule 'traffic_drop': value 'fifty' is not a finite number",
        ),
        (
            {"value": ".nan"},
            "thresholds.yaml: rule 'traffic_drop': value nan is not a finite number",
        ),
        (
            {"value": ".inf"},
            "thresholds.yaml: rule 'traffic_drop': value inf is not a finite number",
        ),
        (
            {"value": "true"},
            "thresholds.yaml: rule 'traffic_drop': value True is not a finite number",
        ),
        (
            {"severity": "urgent"},
            "thresholds.yaml: rule 'traffic_drop': severity 'urgent' is not one of "
            "info, warning, critical",
        ),
        (
            {"kind": "good"},
            "thresholds.yaml: rule 'traffic_drop': kind 'good' is not one of risk, strength",
        ),
        (
            {"metric": None},
            "thresholds.yaml: rule 'traffic_drop': missing 'metric'",
        ),
        (
            {"description": "[a, b]"},
            "thresholds.yaml: rule 'traffic_drop': description must be text",
        ),
        (
            {"metric": "[trends.views_delta_pct]"},
            "thresholds.yaml: rule 'traffic_drop': metric ['trends.views_delta_pct'] is not "
            "text",
        ),
        (
            {"operator": "[<]"},
            "thresholds.yaml: rule 'traffic_drop': operator ['<'] is not text",
        ),
        (
            {"treshold": "5"},
            "thresholds.yaml: rule 'traffic_drop': unknown key 'treshold'; keys: name, "
            "metric, operator, value, severity, kind, description, recommendation",
        ),
    ],
)
def test_a_bad_rule_names_the_file_the_rule_and_the_reason(tmp_path, changes, message):
    assert rules_error(tmp_path, with_rule(**changes)) == message


def test_a_rule_without_a_name_is_named_by_its_place(tmp_path):
    text = "rules:" + GOOD + "  - metric: site.page_views\n    operator: '<'\n"
    assert rules_error(tmp_path, text) == "thresholds.yaml: rule '#2': missing 'name'"


def test_rules_must_be_a_list_of_mappings(tmp_path):
    expected = "thresholds.yaml: expected a mapping with a 'rules' list"
    assert rules_error(tmp_path, "rules:\n  traffic_drop: {}\n") == expected
    assert rules_error(tmp_path, "- a\n- b\n") == expected
    assert rules_error(tmp_path, "rules: []\nextra: 1\n").startswith(
        "thresholds.yaml: unknown key 'extra'"
    )
    assert rules_error(tmp_path, "rules:\n  - just text\n") == (
        "thresholds.yaml: rule 1 is not a mapping"
    )


def test_the_earlier_format_is_an_error_not_zero_rules(tmp_path):
    # The earlier implementation keyed each rule by its name at the top level. Read as "no
    # 'rules' key", it would silently give no rules and never raise an alert.
    earlier = """
    traffic_drop:
      description: Weekly views dropped by more than 50%
      metric: views_delta_pct
      operator: "<"
      value: -50
      severity: warning
    """
    assert rules_error(tmp_path, earlier) == (
        "thresholds.yaml: expected a mapping with a 'rules' list"
    )


def test_two_rules_of_one_name_are_an_error(tmp_path):
    assert rules_error(tmp_path, "rules:" + GOOD + GOOD) == (
        "thresholds.yaml: rule 'traffic_drop' appears twice; names must differ"
    )


def test_unreadable_yaml_is_an_error(tmp_path):
    assert rules_error(tmp_path, "rules: [\n").startswith("thresholds.yaml: cannot be read: ")


# Evaluating ------------------------------------------------------------------------------


def test_a_rule_on_any_metric_fires_with_its_numbers():
    rules = [
        thresholds._check("t.yaml", 1, {
            "name": "quiet", "metric": "site.page_views", "operator": "<=", "value": 10,
            "severity": "critical", "description": "Almost nobody came",
        }),
        thresholds._check("t.yaml", 2, {
            "name": "stall", "metric": "github.total_commits", "operator": "<", "value": 5,
            "description": "Few commits",
        }),
    ]
    values = dict.fromkeys(thresholds.METRICS)
    values["site.page_views"] = 10
    assert thresholds.evaluate(rules, values) == [
        {
            "rule": "quiet",
            "severity": "critical",
            "metric": "site.page_views",
            "observed": 10,
            "operator": "<=",
            "threshold": 10,
            "message": "Almost nobody came (page views: 10; threshold <= 10)",
        }
    ]
    # Unknown GitHub activity is no stall; zero commits is.
    values["github.total_commits"] = 0
    assert [a["rule"] for a in thresholds.evaluate(rules, values)] == ["quiet", "stall"]


def test_alerts_of_a_real_aggregation(tmp_path, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    rules = """
    rules:
      - name: zero_traffic
        metric: pages.published_without_views
        operator: ">"
        value: 0
        severity: info
        description: Some published pages got no view
      - name: referrer_anomaly
        metric: trends.max_referrer_share_pct
        operator: ">"
        value: 80
        severity: info
        description: One referrer sent most views
      - name: github_stall
        metric: github.total_commits
        operator: "<"
        value: 5
        severity: warning
        description: Few commits
    """
    data = Data(tmp_path, rules=rules)
    site_pages = [
        {"path": "/", "title": "Home"},
        {"path": "/guide", "title": "Guide"},
        {"path": "/faq", "title": "FAQ"},
    ]
    # 10 visitors of "/", 9 of them from one referrer: 90% > 80%. "/guide" and "/faq" were
    # published and not viewed: 2 > 0. GitHub is not configured: no stall, no number.
    result = data.run(week(0), web(week(0), {"/": 10}, visitors={"/": 10},
                                   referrers={"bot.example": 9}),
                      site_pages=site_pages)
    assert [(a["rule"], a["observed"]) for a in result.report["alerts"]] == [
        ("zero_traffic", 2),
        ("referrer_anomaly", 90.0),
    ]
    assert result.report["alerts"][1]["message"] == (
        "One referrer sent most views (largest referrer's share of visitors: 90%; "
        "threshold > 80%)"
    )
    assert result.engagement["unvisited_pages"] == [
        {"path": "/faq", "title": "FAQ"},
        {"path": "/guide", "title": "Guide"},
    ]
    # A week without web data: none of the web rules can fire.
    quiet = data.run(week(1), down(week(1)), site_pages=site_pages)
    assert quiet.report["alerts"] == []
    assert quiet.signals["not_judged"] == [
        "github.total_commits",
        "pages.published_without_views",
        "trends.max_referrer_share_pct",
    ]
