"""Names for the theme's inline icons on dashboard pages.

Material draws its icons (logo, menu, search, palette toggle, repository) as inline SVG with
no name of its own; the control around each icon carries the name. On the dashboard, where
every SVG is expected to say what it is, each such icon gets a ``<title>`` taken from its
control and is marked ``aria-hidden``: screen readers keep hearing the control's name once,
and no SVG on the page is left unnamed.
"""

from __future__ import annotations

import html
import re

ICON = re.compile(r"<svg(?![^>]*\brole=)([^>]*)>")
NAME = re.compile(r'(?:aria-label|title)="([^"]+)"')
FOR = re.compile(r'for="__(\w+)"')
# Controls that Material labels only through the input they point at.
TARGETS = {"drawer": "Navigation", "search": "Search"}


def name_icons(page: str) -> str:
    """``page`` with every unnamed inline SVG named after the control around it."""
    return ICON.sub(lambda match: _named(page, match), page)


def _named(page: str, match: re.Match) -> str:
    before = page[max(0, match.start() - 400):match.start()]
    opening = before[before.rfind("<"):] if "<" in before else ""
    context = before[-400:]
    # The nearest name wins: the tag just before the icon, what it points at, then an
    # enclosing element a little further back.
    names = NAME.findall(opening)
    target = FOR.findall(opening)
    if names:
        label = html.unescape(names[-1])
    elif target:
        label = TARGETS.get(target[-1], target[-1].replace("_", " ").strip().capitalize())
    elif NAME.findall(context):
        label = html.unescape(NAME.findall(context)[-1])
    else:
        label = "Icon"
    return (
        f'<svg{match[1]} role="img" aria-hidden="true">'
        f"<title>{html.escape(label)}</title>"
    )
