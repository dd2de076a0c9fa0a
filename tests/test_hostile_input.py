"""Paths, referrers, campaigns and user agents that carry markup, template syntax,
`javascript:` URLs, bidi and zero-width characters or 100 KB of text: inert text on every
surface (pages, charts, widget, macros, Markdown signals, JSON)."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest

AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "{{ 7*7 }}",
    "{% include 'x' %}",
    "javascript:alert(1)",
    "\u202egnp.exe",  # right-to-left override
    "zero\u200bwidth",
    "x" * 100_000,
]


def line(client: str, path: str, referrer: str = "-", agent: str = AGENT) -> str:
    return (f'{client} - - [10/Mar/2024:09:00:00 +0000] "GET {path} HTTP/1.1" 200 5 '
            f'"{referrer}" "{agent}"\n')


@pytest.fixture
def hostile_site(site):
    lines = []
    for i, text in enumerate(HOSTILE):
        encoded = quote(text, safe="")
        client = f"192.0.2.{i + 1}"
        lines.append(line(client, f"/{encoded}/"))
        lines.append(line(client, f"/?utm_campaign={encoded}"))
        lines.append(line(client, "/", referrer=f"http://{text[:60]}/x"))
        lines.append(line(client, "/", agent=text.replace('"', "'")))
    site.write(
        "mkdocs.yml",
        """
        site_name: Hostile
        theme: mkdocs
        plugins:
          - macros
          - analytics:
              min_count: 1
              top: 50
              access_log:
                paths: [logs/access.log]
        """,
    )
    site.write("docs/index.md", "# Home\n\n{{ analytics_top_pages(20) }}\n\n"
               "{{ analytics.campaigns.0.name }} {{ analytics.referrers.0.name }}\n")
    site.write("logs/access.log", "".join(lines))
    pytest.importorskip("mkdocs_macros", reason="mkdocs-macros-plugin is a test extra")
    site.build()
    return site


def published(site) -> list:
    files = [p for p in (site.site_dir / "analytics").rglob("*") if p.is_file()]
    files.append(site.site_dir / "index.html")
    files += list((site.root / "data").glob("weekly-signals.*"))
    return files


def test_hostile_strings_are_inert_on_every_surface(hostile_site):
    for path in published(hostile_site):
        body = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            json.loads(body)  # still valid JSON: the strings are data, quoted
            continue
        assert "<script>alert" not in body, path
        assert "<img src=x" not in body, path
        # As text a `javascript:` URL is harmless; it must never reach a link or a source.
        assert not re.search(r"(?:href|src)\s*=\s*[\"']?\s*javascript:", body, re.I), path
        assert "\u202e" not in body and "\u200b" not in body, path
        assert not re.search(r">\s*49\s*<", body), path  # {{ 7*7 }} never evaluated
        assert "x" * 400 not in body, path  # 100 KB strings are shortened for display


def test_hostile_strings_are_kept_exactly_in_the_data(hostile_site):
    metrics = json.loads((hostile_site.root / "data/engagement-metrics.json").read_text())
    paths = {page["path"] for page in metrics["pages"]}
    assert "/<script>alert(1)</script>" in paths
    # The 100 KB path is kept as its first 999 characters and the mark of a cut: data/ and
    # the history never store a scanner's megabytes.
    assert "/" + "x" * 998 + "…" in paths
    campaigns = {row["name"] for row in metrics["campaigns"]}
    assert "{{ 7*7 }}" in campaigns and "\u202egnp.exe" in campaigns
    assert "x" * 999 + "…" in campaigns


def test_the_macros_page_shows_them_as_text(hostile_site):
    body = (hostile_site.site_dir / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&#123;&#123; 7*7 &#125;&#125;" in body or "&#123;&#123;" in body
    assert "[U+202E]gnp.exe" in body
