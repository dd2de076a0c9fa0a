"""The weekly signals as a page: key numbers, strengths, risks, advice and outcome KPIs."""

from __future__ import annotations

from .. import signals as signal_text
from .html import number, table, text
from .parts import empty, header


def render(engagement: dict, signals: dict) -> str:
    weekly = signals["period"]["days"] == 7
    title = "Weekly signals" if weekly else "Signals"
    numbers = "".join(
        f"<li>{text(k['label'])}: {text(signal_text.format_kpi(k, weekly))}</li>"
        for k in signals["kpis"]
    )
    parts = [
        header(title, "signals.md", engagement),
        "## Key numbers",
        f"<ul>{numbers}</ul>",
        "## Strengths",
        _items(signals["strengths"], "No rule marked a strength this period."),
        "## Risks",
        _items(signals["risks"], "No risk rule fired this period."),
        "## Recommendations",
        _items(
            signals["recommendations"],
            "The rules give no advice for the risks above."
            if signals["risks"] else "Nothing to change: keep going.",
        ),
    ]
    if signals["outcomes"]:
        rows = [
            [text(o["description"] or o["name"]), number(o["current"]), number(o["target"]),
             number(o["progress_pct"], "%")]
            for o in signals["outcomes"]
        ]
        parts += [
            "## Outcome KPIs",
            table("Manual outcome KPIs against their targets",
                  ["KPI", "Current", "Target", "Progress"], rows, numeric={1, 2, 3}),
        ]
    return "\n\n".join(parts) + "\n"


def _items(items: list[str], message: str) -> str:
    if not items:
        return empty(message)
    return "<ul>" + "".join(f"<li>{text(item)}</li>" for item in items) + "</ul>"
