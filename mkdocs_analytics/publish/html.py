"""Small HTML builders for the generated pages. Every outside string goes through :func:`text`.

Titles, paths, referrers and campaign names come from the outside world. They are escaped for
HTML, and their braces too, so that a template engine running over the page afterwards (such
as mkdocs-macros) sees text, never ``{{ ... }}`` to evaluate. Bidirectional and zero-width
controls are shown as their code point, so they cannot reorder or hide the text around them.
"""

from __future__ import annotations

import html
import re

INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})


# Longer outside strings (a 100 KB path from a scanner) are cut for display; data/ keeps them.
LIMIT = 300


def shorten(value: str, limit: int = LIMIT) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def text(value, limit: int = LIMIT) -> str:
    """Any value as inert HTML text, at most ``limit`` characters of it."""
    if value is None:
        return ""
    value = INVISIBLE.sub(lambda m: f"[U+{ord(m[0]):04X}]", shorten(str(value), limit))
    return html.escape(value, quote=True).translate(_BRACES)


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 day``, ``7 days``: a count with its noun, thousands separated."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


def number(value, unit: str = "") -> str:
    """A count with thousands separators, ``n/a`` when unknown."""
    if value is None:
        return "n/a"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}{unit}"
    return f"{int(value):,}{unit}"


def signed_pct(value, missing: str = "no previous period") -> str:
    """A change such as ``+12.3%`` or ``−4.0%``; the reason when it is unknown."""
    if value is None:
        return missing
    if value == 0:
        return "±0.0%"
    sign = "+" if value > 0 else "−"
    return f"{sign}{abs(value):,.1f}%"


def change_words(value, reason: str | None = None) -> str:
    """A change spelled out for people who cannot see a colour or an arrow."""
    if value is None:
        return text(reason or "no previous period")
    if value > 0:
        return f"up {abs(value):,.1f}% on the previous period"
    if value < 0:
        return f"down {abs(value):,.1f}% on the previous period"
    return "unchanged on the previous period"


def table(caption: str, headers: list[str], rows: list[list[str]],
          numeric: set[int] = frozenset()) -> str:
    """A table whose cells are already HTML; numeric columns are right-aligned.

    The table carries no class: Material styles only ``table:not([class])``.
    """
    head = "".join(
        f'<th scope="col"{_align(i, numeric)}>{text(h)}</th>' for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>" + "".join(f"<td{_align(i, numeric)}>{cell}</td>" for i, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return (
        f"<table><caption>{text(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _align(index: int, numeric) -> str:
    return ' class="analytics-num"' if index in numeric else ""
