"""Weekly signals: the period's story in a few lines, for people and for other systems.

``weekly-signals.json`` holds KPIs (each with its unit and a signed change), strengths, risks,
recommendations and the progress of manual outcome KPIs; ``weekly-signals.md`` says the same
as a short note. Strengths, risks and recommendations come from the threshold rules alone
(``kind: strength`` and ``kind: risk`` rules, and each rule's ``recommendation``), so no number
lives here that could drift from ``config/thresholds.yaml``.
"""

from __future__ import annotations

import math
import os

from . import thresholds, yamlfile
from .records import SCHEMA_VERSION


class OutcomeError(ValueError):
    """The outcome KPI file cannot be used; the message names the file and the KPI."""


# Outcome KPIs ----------------------------------------------------------------------------


def load_outcomes(path: str) -> list[dict]:
    """Read manual outcome KPIs: each needs a positive target; ``current`` may be missing."""
    data = yamlfile.read(path, OutcomeError)
    if data is None:
        return []
    name = os.path.basename(path)
    kpis = data.get("kpis") if isinstance(data, dict) else None
    if not isinstance(kpis, dict):
        raise OutcomeError(f"{name}: expected a mapping with a 'kpis' mapping")
    return [_outcome(name, key, entry) for key, entry in kpis.items()]


def _outcome(name: str, key, entry) -> dict:
    where = f"{name}: KPI {key!r}"
    if not isinstance(entry, dict):
        raise OutcomeError(f"{where}: expected a mapping with 'target' and 'current'")
    if "target" not in entry:
        raise OutcomeError(f"{where}: missing 'target'")
    target = entry["target"]
    if not _is_number(target) or target <= 0:
        raise OutcomeError(f"{where}: target {target!r} is not a number above zero")
    current = entry.get("current")
    if current is not None and not _is_number(current):
        raise OutcomeError(f"{where}: current {current!r} is not a number")
    description = entry.get("description")
    return {
        "name": str(key),
        "description": str(description) if description is not None else None,
        "target": target,
        "current": current,
        # Progress may pass 100%: beating a target is worth seeing.
        "progress_pct": round(current / target * 100, 1) if current is not None else None,
    }


def _is_number(value) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


# Signals ---------------------------------------------------------------------------------


def build(engagement: dict, report: dict, rules: list[dict], outcomes: list[dict]) -> dict:
    """``weekly-signals.json`` from the artifacts, the rules and the outcome KPIs."""
    values = thresholds.metrics(engagement, report)
    fired = thresholds.fired(rules, values)
    strengths = [thresholds.sentence(r, v) for r, v in fired if r["kind"] == "strength"]
    risks = [thresholds.sentence(r, v) for r, v in fired if r["kind"] == "risk"]
    recommendations = [
        r["recommendation"] for r, _ in fired if r["kind"] == "risk" and r["recommendation"]
    ]
    unknown = sorted({r["metric"] for r in rules if values.get(r["metric"]) is None})
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": engagement["generated_at"],
        "period": engagement["period"],
        "kpis": kpis(engagement, report),
        "strengths": strengths,
        "risks": risks,
        "recommendations": list(dict.fromkeys(recommendations)),
        "not_judged": unknown,
        "outcomes": outcomes,
    }


def kpis(engagement: dict, report: dict) -> list[dict]:
    """The headline numbers, each with its unit and its change against the previous period."""
    site = engagement["site_totals"]
    trends = engagement["trends"]
    github = report["github_activity"]
    web = engagement["available"]
    rows = []
    if engagement["measure"] != "visitors":
        rows.append(_kpi("page_views", "Page views", site["page_views"], "views",
                         trends["views_delta_pct"], web))
    rows += [
        _kpi("unique_visitors", "Visitors", site["unique_visitors"], "visitors",
             trends["visitors_delta_pct"], web),
        _kpi("pages_viewed", "Pages viewed", site["pages"], "pages", None, web),
        _kpi("max_referrer_share_pct", "Largest referrer's share",
             trends["max_referrer_share_pct"], "%", None, web),
        _kpi("commits", "Commits", github["total_commits"], "commits",
             github["commits_delta_pct"], github["available"]),
        _kpi("pull_requests", "Pull requests opened", github["total_prs"], "pull requests",
             None, github["available"]),
        _kpi("releases", "Releases", github["total_releases"], "releases", None,
             github["available"]),
        _kpi("alerts", "Alerts", len(report["alerts"]), "alerts", None, True),
    ]
    return rows


def _kpi(key: str, label: str, value, unit: str, change, available: bool) -> dict:
    return {
        "name": key,
        "label": label,
        "value": value if available else None,
        "unit": unit,
        "delta_pct": change if available else None,
        "available": available,
    }


# Markdown --------------------------------------------------------------------------------


def markdown(signals: dict) -> str:
    """The signals as a short note: headings, one bullet per line, nothing left blank."""
    period = signals["period"]
    weekly = period["days"] == 7
    lines = [
        "# Weekly signals" if weekly else "# Signals",
        "",
        f"Period: {period['start']} to {period['end']} "
        f"({period['days']} day{'' if period['days'] == 1 else 's'}, UTC).",
        "",
        "## Key numbers",
        "",
    ]
    for kpi in signals["kpis"]:
        lines.append(f"- {kpi['label']}: {format_kpi(kpi, weekly)}")
    lines += _section("Strengths", signals["strengths"], "No rule marked a strength this period.")
    lines += _section("Risks", signals["risks"], "No risk rule fired this period.")
    # "Keep going" only when nothing is at risk: under a risk that has no advice it would
    # contradict the section above.
    lines += _section(
        "Recommendations",
        signals["recommendations"],
        "The rules give no advice for the risks above."
        if signals["risks"]
        else "Nothing to change: keep going.",
    )
    if signals["outcomes"]:
        lines += ["", "## Outcome KPIs", ""]
        for outcome in signals["outcomes"]:
            lines.append(f"- {format_outcome(outcome)}")
    if signals["not_judged"]:
        labels = [thresholds.METRICS[name][0] for name in signals["not_judged"]]
        lines += ["", "Not judged this period, for want of data: " + ", ".join(labels) + "."]
    return "\n".join(lines) + "\n"


def _section(title: str, items: list[str], empty: str) -> list[str]:
    body = [f"- {item}" for item in items] if items else [empty]
    return ["", f"## {title}", "", *body]


def format_kpi(kpi: dict, weekly: bool = True) -> str:
    """``1,234 views (+12.3% on the previous week)``, or why the number is missing."""
    if not kpi["available"] or kpi["value"] is None:
        return "not available"
    value = kpi["value"]
    if kpi["unit"] == "%":
        shown = f"{value:,.1f}%"
    else:
        unit = kpi["unit"][:-1] if value == 1 else kpi["unit"]
        shown = f"{value:,} {unit}"
    if kpi["name"] not in ("page_views", "unique_visitors", "commits"):
        return shown
    return f"{shown} ({signed_change(kpi['delta_pct'], weekly)})"


def signed_change(value, weekly: bool = True) -> str:
    span = "week" if weekly else "period"
    if value is None:
        return f"no previous {span}"
    if value == 0:
        return f"unchanged on the previous {span}"
    return f"{value:+.1f}% on the previous {span}"


def format_outcome(outcome: dict) -> str:
    label = outcome["description"] or outcome["name"]
    target = thresholds.number(outcome["target"])
    if outcome["current"] is None:
        return f"{label}: not entered yet (target {target})"
    current = thresholds.number(outcome["current"])
    return f"{label}: {current} of {target} ({outcome['progress_pct']:.1f}%)"
