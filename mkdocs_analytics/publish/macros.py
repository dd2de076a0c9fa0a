"""Metrics inside any page: ``{{ analytics.site_totals.page_views }}`` and two macros.

- ``{{ analytics.<path> }}``: any value of the published engagement metrics, such as
  ``analytics.site_totals.page_views`` or ``analytics.period.start``;
- ``{{ analytics_page_views("/guide") }}``: the views (or visitors) of one page;
- ``{{ analytics_top_pages(5) }}``: a list of the most viewed pages.

With mkdocs-macros-plugin installed these are registered with it; without it, the plugin
replaces exactly these forms itself, outside code blocks. Either way the values come from the
public (folded) artifacts, and every string in them is HTML-escaped, braces included, so a
page title or referrer such as ``{{ 7*7 }}`` or ``<img onerror=...>`` shows as text and is
never evaluated.
"""

from __future__ import annotations

import re

from .html import number, text

PAGE_VIEWS = re.compile(r"""\{\{\s*analytics_page_views\(\s*(["'])(.*?)\1\s*\)\s*\}\}""")
TOP_PAGES = re.compile(r"\{\{\s*analytics_top_pages\(\s*(\d*)\s*\)\s*\}\}")
VARIABLE = re.compile(r"\{\{\s*analytics((?:\.\w+)+)\s*\}\}")
# Fenced blocks and inline code are shown as written, as in any documentation of the syntax.
CODE = re.compile(r"(^(?P<fence>```|~~~).*?^(?P=fence)[^\n]*$|`[^`\n]+`)", re.M | re.S)


class Metrics:
    """The values pages may show, filled in once the period is aggregated."""

    def __init__(self) -> None:
        self.variables: dict = {}
        self.pages: list[dict] = []
        self.measure = "page views"

    def update(self, engagement: dict) -> None:
        # Mutated in place: mkdocs-macros keeps a reference to the registered dict.
        self.variables.clear()
        self.variables.update(escaped(engagement))
        self.pages = [p for p in engagement.get("pages", []) if not p.get("folded")]
        self.measure = "visitors" if engagement.get("measure") == "visitors" else "page views"

    def page_views(self, path: str) -> str:
        wanted = "/" + str(path).strip("/") if str(path).strip("/") else "/"
        for page in self.pages:
            if page["path"] == wanted:
                return number(page["views"])
        return "n/a"

    def top_pages(self, count: int = 5) -> str:
        rows = self.pages[: max(int(count or 5), 1)]
        if not rows:
            return "<p>No page views to show yet.</p>"
        items = "".join(
            f"<li><code>{text(p['path'])}</code>: {number(p['views'])} "
            f"{self._unit(p['views'])}</li>"
            for p in rows
        )
        return f'<ol class="analytics-top-pages">{items}</ol>'

    def _unit(self, count) -> str:
        """``page views`` or ``visitors``, singular for one."""
        return self.measure[:-1] if count == 1 else self.measure

    def lookup(self, dotted: str) -> str:
        value = self.variables
        for key in dotted.strip(".").split("."):
            if isinstance(value, dict) and key in value:
                value = value[key]
            elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
                value = value[int(key)]
            else:
                return "n/a"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return number(value)
        return "n/a" if value is None or isinstance(value, (dict, list)) else str(value)


def escaped(value):
    """A copy of ``value`` whose strings are HTML-escaped (braces too)."""
    if isinstance(value, dict):
        return {key: escaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [escaped(item) for item in value]
    if isinstance(value, str):
        return text(value)
    return value


def substitute(markdown: str, metrics: Metrics) -> str:
    """Replace the three forms in ``markdown``, leaving code blocks and inline code alone."""
    out = []
    index = 0
    for match in CODE.finditer(markdown):
        out.append(_replace(markdown[index:match.start()], metrics))
        out.append(match.group(0))
        index = match.end()
    out.append(_replace(markdown[index:], metrics))
    return "".join(out)


def _replace(chunk: str, metrics: Metrics) -> str:
    chunk = PAGE_VIEWS.sub(lambda m: metrics.page_views(m[2]), chunk)
    chunk = TOP_PAGES.sub(lambda m: metrics.top_pages(int(m[1] or 5)), chunk)
    return VARIABLE.sub(lambda m: metrics.lookup(m[1]), chunk)


def register(plugins, metrics: Metrics) -> bool:
    """Register with mkdocs-macros-plugin when it is loaded; True when it was.

    Found by its registration API rather than by name or import, so the plugin needs no
    dependency on it.
    """
    macros = next(
        (p for p in plugins.values() if hasattr(p, "register_variables")), None
    )
    if macros is None:
        return False
    macros.register_variables({"analytics": metrics.variables})
    macros.register_macros(
        {"analytics_page_views": metrics.page_views, "analytics_top_pages": metrics.top_pages}
    )
    return True
