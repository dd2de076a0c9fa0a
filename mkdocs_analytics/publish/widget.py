"""What other pages can embed: a self-contained HTML summary and an SVG badge.

Both are complete on their own: inline styles only, no script, no font or image from
anywhere, so they can be pasted into any page or README, or included by a template.
"""

from __future__ import annotations

from .html import number, signed_pct, text
from .parts import unit

BOX = (
    "font:14px/1.4 system-ui,sans-serif;border:1px solid #8a8a8a;border-radius:4px;"
    "padding:8px 12px;max-width:22em;color:inherit;background:transparent"
)


def widget(engagement: dict, top: int = 3) -> str:
    """A summary fragment: the period's views and visitors, their change, the top pages."""
    period = engagement["period"]
    when = f"{period['start']} to {period['end']}"
    if not engagement["available"]:
        body = f"<p style=\"margin:0\">No traffic data for {text(when)}.</p>"
    else:
        totals = engagement["site_totals"]
        trends = engagement["trends"]
        name = unit(engagement)
        value = totals["page_views"] if name == "page views" else totals["unique_visitors"]
        change = text(signed_pct(trends["views_delta_pct"], "no previous period"))
        pages = [p for p in engagement["pages"] if not p.get("folded")][:top]
        items = "".join(
            f"<li><code>{text(p['path'])}</code>: {number(p['views'])}</li>" for p in pages
        )
        body = (
            f'<p style="margin:0"><strong style="font-size:1.6em">{number(value)}</strong> '
            f"{text(name)} ({change})</p>"
            f'<p style="margin:0">{number(totals["unique_visitors"])} visitors, '
            f"{text(when)}</p>"
            + (f'<ol style="margin:4px 0 0 1.2em;padding:0">{items}</ol>' if items else "")
        )
    return (
        f'<div class="mkdocs-analytics-widget" role="group" aria-label="Site analytics '
        f'summary" style="{BOX}">{body}</div>\n'
    )


def badge(engagement: dict) -> str:
    """A shields-style badge: ``views | 1,733 / 7 days``."""
    name = "visitors" if engagement.get("measure") == "visitors" else "views"
    if engagement["available"]:
        totals = engagement["site_totals"]
        value = totals["page_views"] if name == "views" else totals["unique_visitors"]
        right = f"{number(value)} / {engagement['period']['days']} days"
    else:
        right = "no data"
    left_w = 10 + 7 * len(name)
    right_w = 10 + 7 * len(right)
    width = left_w + right_w
    label = f"{name}: {right}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" '
        f'viewBox="0 0 {width} 20" role="img" aria-labelledby="badge-title">'
        f'<title id="badge-title">{text(label)}</title>'
        f'<rect width="{left_w}" height="20" fill="#555"/>'
        f'<rect x="{left_w}" width="{right_w}" height="20" fill="#3f51b5"/>'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" '
        'text-anchor="middle">'
        f'<text x="{left_w / 2}" y="14">{text(name)}</text>'
        f'<text x="{left_w + right_w / 2}" y="14">{text(right)}</text></g></svg>\n'
    )
