"""Threshold rules (``config/thresholds.yaml``) and the alerts they raise.

A rule names a metric, an operator, a value, a severity and a description::

    rules:
      - name: traffic_drop
        metric: trends.views_vs_rolling_avg_pct
        operator: "<"
        value: 50
        severity: warning
        description: Page views fell below half of the four-period average.

``kind: strength`` marks a rule whose firing is good news (a strength in the weekly signals,
never an alert); ``recommendation`` is the advice the signals give when a risk rule fires.

Metrics are the numbers :func:`metrics` exposes, by dotted name. A metric that is unknown for
this period (no previous period, source unavailable) raises no alert: a missing number is never
read as zero. Rules are checked at load time: an unknown metric, operator or a non-numeric
value is an error naming the file and the rule.
"""

from __future__ import annotations

import math
import operator as op
import os

from . import yamlfile

OPERATORS = {
    "<": op.lt,
    "<=": op.le,
    ">": op.gt,
    ">=": op.ge,
    "==": op.eq,
    "!=": op.ne,
}
SEVERITIES = ("info", "warning", "critical")
# A risk rule that fires is an alert (and a risk in the weekly signals); a strength rule that
# fires is a strength. Both live in one file so the signals never keep numbers of their own.
KINDS = ("risk", "strength")

# Every metric a rule may name: what it is called in a sentence, and its unit.
METRICS = {
    "site.page_views": ("page views", ""),
    "site.unique_visitors": ("visitors", ""),
    "site.pages": ("pages viewed", ""),
    "trends.views_delta_pct": ("change in views", "%"),
    "trends.visitors_delta_pct": ("change in visitors", "%"),
    "trends.views_vs_rolling_avg_pct": ("views against the four-period average", "%"),
    "trends.max_referrer_share_pct": ("largest referrer's share of visitors", "%"),
    "pages.published_without_views": ("published pages without a view", ""),
    "github.total_commits": ("commits", ""),
    "github.total_prs": ("pull requests opened", ""),
    "github.total_prs_merged": ("pull requests merged", ""),
    "github.total_releases": ("releases", ""),
    "github.commits_delta_pct": ("change in commits", "%"),
}


def _range(metric: str) -> tuple[float, float]:
    """The values a metric can take: a rule outside them could never, or always, fire."""
    if metric.endswith("_delta_pct"):
        return -100, 1_000_000  # a count can fall by 100% at most
    if metric.endswith("share_pct"):
        return 0, 100
    if metric.endswith("_pct"):
        return 0, 1_000_000
    return 0, 1_000_000_000  # counts


RULE_KEYS = (
    "name", "metric", "operator", "value", "severity", "kind", "description", "recommendation",
)


class ThresholdError(ValueError):
    """The thresholds file cannot be used; the message names the file and the rule."""


def load(path: str) -> list[dict]:
    """Read and check the rules; a missing file means no rules."""
    data = yamlfile.read(path, ThresholdError)
    if data is None:
        return []
    name = os.path.basename(path)
    # A file without a 'rules' key is no empty rule set: the earlier implementation's format
    # (each rule keyed by its name at the top level) would otherwise load as no rules at all
    # and never raise an alert.
    if not isinstance(data, dict) or "rules" not in data or not isinstance(
        data["rules"] if data["rules"] is not None else [], list
    ):
        raise ThresholdError(f"{name}: expected a mapping with a 'rules' list")
    extra = sorted(str(key) for key in data if key != "rules")
    if extra:
        raise ThresholdError(f"{name}: unknown key {extra[0]!r}; the file holds 'rules' only")
    rules = [_check(name, index, rule) for index, rule in enumerate(data.get("rules") or [], 1)]
    # Alerts and snapshots name the rule: two of one name could not be told apart.
    seen = set()
    for rule in rules:
        if rule["name"] in seen:
            raise ThresholdError(f"{name}: rule {rule['name']!r} appears twice; names must differ")
        seen.add(rule["name"])
    return rules


def _check(name: str, index: int, rule) -> dict:
    if not isinstance(rule, dict):
        raise ThresholdError(f"{name}: rule {index} is not a mapping")
    label = rule.get("name") or f"#{index}"
    where = f"{name}: rule {label!r}"
    # A misspelt key ("severty") would otherwise be ignored and its default used unseen.
    unknown = [str(key) for key in rule if key not in RULE_KEYS]
    if unknown:
        raise ThresholdError(f"{where}: unknown key {unknown[0]!r}; keys: {', '.join(RULE_KEYS)}")
    for key in ("name", "metric", "operator", "value", "description"):
        if key not in rule:
            raise ThresholdError(f"{where}: missing {key!r}")
    for key in ("metric", "operator"):
        if not isinstance(rule[key], str):
            raise ThresholdError(f"{where}: {key} {rule[key]!r} is not text")
    if rule["metric"] not in METRICS:
        raise ThresholdError(
            f"{where}: unknown metric {rule['metric']!r}; known: {', '.join(sorted(METRICS))}"
        )
    if rule["operator"] not in OPERATORS:
        raise ThresholdError(
            f"{where}: unknown operator {rule['operator']!r}; use one of {' '.join(OPERATORS)}"
        )
    value = rule["value"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ThresholdError(f"{where}: value {value!r} is not a finite number")
    low, high = _range(rule["metric"])
    if not low <= value <= high:
        raise ThresholdError(
            f"{where}: value {value!r} is outside what {rule['metric']} can be "
            f"({number(low)} to {number(high)})"
        )
    severity = rule.get("severity", "warning")
    if severity not in SEVERITIES:
        raise ThresholdError(
            f"{where}: severity {severity!r} is not one of {', '.join(SEVERITIES)}"
        )
    kind = rule.get("kind", "risk")
    if kind not in KINDS:
        raise ThresholdError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    for key in ("description", "recommendation"):
        if key in rule and not isinstance(rule[key], str):
            raise ThresholdError(f"{where}: {key} must be text")
    return {
        "name": str(rule["name"]),
        "metric": rule["metric"],
        "operator": rule["operator"],
        "value": value,
        "severity": severity,
        "kind": kind,
        "description": rule["description"],
        "recommendation": rule.get("recommendation"),
    }


def metrics(engagement: dict, report: dict) -> dict:
    """The flat ``{dotted name: number or None}`` view of the artifacts that rules read."""
    site = engagement.get("site_totals") or {}
    trends = engagement.get("trends") or {}
    github = report.get("github_activity") or {}
    web_ok = engagement.get("available", False)
    gh_ok = github.get("available", False)
    return {
        "site.page_views": site.get("page_views") if web_ok else None,
        "site.unique_visitors": site.get("unique_visitors") if web_ok else None,
        "site.pages": site.get("pages") if web_ok else None,
        "trends.views_delta_pct": trends.get("views_delta_pct"),
        "trends.visitors_delta_pct": trends.get("visitors_delta_pct"),
        "trends.views_vs_rolling_avg_pct": trends.get("views_vs_rolling_avg_pct"),
        "trends.max_referrer_share_pct": trends.get("max_referrer_share_pct"),
        "pages.published_without_views": (
            len(engagement["unvisited_pages"])
            if web_ok and engagement.get("unvisited_pages") is not None
            else None
        ),
        "github.total_commits": github.get("total_commits") if gh_ok else None,
        "github.total_prs": github.get("total_prs") if gh_ok else None,
        "github.total_prs_merged": github.get("total_prs_merged") if gh_ok else None,
        "github.total_releases": github.get("total_releases") if gh_ok else None,
        "github.commits_delta_pct": github.get("commits_delta_pct") if gh_ok else None,
    }


def fired(rules: list[dict], values: dict) -> list[tuple[dict, float]]:
    """The rules whose condition holds on ``values``, with the observed value, in rule order."""
    found = []
    for rule in rules:
        observed = values.get(rule["metric"])
        if observed is not None and OPERATORS[rule["operator"]](observed, rule["value"]):
            found.append((rule, observed))
    return found


def evaluate(rules: list[dict], values: dict) -> list[dict]:
    """The alerts raised by the risk ``rules`` on ``values``, in rule order."""
    return [
        {
            "rule": rule["name"],
            "severity": rule["severity"],
            "metric": rule["metric"],
            "observed": observed,
            "operator": rule["operator"],
            "threshold": rule["value"],
            "message": sentence(rule, observed),
        }
        for rule, observed in fired(rules, values)
        if rule["kind"] == "risk"
    ]


def sentence(rule: dict, observed) -> str:
    """The rule's description with the numbers that made it fire, for people."""
    label, unit = METRICS[rule["metric"]]
    return (
        f"{rule['description']} ({label}: {number(observed)}{unit}; "
        f"threshold {rule['operator']} {number(rule['value'])}{unit})"
    )


def number(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
