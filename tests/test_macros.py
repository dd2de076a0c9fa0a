"""Metrics in ordinary pages, on their own and through mkdocs-macros-plugin, kept inert."""

from __future__ import annotations

import pytest

from mkdocs_analytics.publish.macros import Metrics, substitute

AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"


def line(client, path, referrer="-", minute=0):
    stamp = f"10/Mar/2024:09:{minute:02d}:00 +0000"
    return f'{client} - - [{stamp}] "GET {path} HTTP/1.1" 200 512 "{referrer}" "{AGENT}"\n'


# /guide: 4 views (clients 1, 2, 3, 8); /: 3 views (clients 1, 4, and 7 with a campaign);
# one view each of a path that is template syntax and of a path that is markup: 9 in all.
LOG = (
    line("192.0.2.1", "/guide/")
    + line("192.0.2.2", "/guide/")
    + line("192.0.2.3", "/guide/", minute=1)
    + line("192.0.2.8", "/guide/", minute=7)
    + line("192.0.2.1", "/", minute=2)
    + line("192.0.2.4", "/", minute=3)
    + line("192.0.2.5", "/%7B%7B7*7%7D%7D", minute=4)
    + line("192.0.2.6", "/%3Cimg%20src=x%20onerror=alert(1)%3E", minute=5)
    + line("192.0.2.7", "/?utm_campaign=%3Cscript%3Ealert(1)%3C/script%3E", minute=6)
)

PAGE = """\
# Readers

Views this period: {{ analytics.site_totals.page_views }}.
The guide: {{ analytics_page_views("/guide/") }}.
First page: {{ analytics.pages.0.path }}.

{{ analytics_top_pages(2) }}

Written as code, the syntax stays: `{{ analytics.site_totals.page_views }}`

```
{{ analytics_top_pages(2) }}
```
"""


def make_site(site, plugins: list[str]):
    entries = "\n".join(f"  - {entry}" for entry in plugins)
    (site.root / "mkdocs.yml").write_text(
        f"site_name: Macros\ntheme: mkdocs\nplugins:\n{entries}\n", encoding="utf-8"
    )
    site.write("docs/index.md", "# Home\n")
    site.write("docs/guide.md", "# Guide\n")
    site.write("docs/readers.md", PAGE)
    site.write("logs/access.log", LOG)
    return site


ANALYTICS = "analytics: {min_count: 1, access_log: {paths: [logs/access.log]}}"


@pytest.fixture(autouse=True)
def clean_macros_class_state():
    """mkdocs-macros keeps registrations made before its on_config in class attributes,
    which would leak from one in-process build into the next."""
    try:
        from mkdocs_macros.plugin import MacrosPlugin
    except ImportError:
        yield
        return
    for name in ("_add_variables", "_add_macros", "_add_filters"):
        getattr(MacrosPlugin, name).clear()
    yield
    for name in ("_add_variables", "_add_macros", "_add_filters"):
        getattr(MacrosPlugin, name).clear()


def check_page(html: str) -> None:
    assert "Views this period: 9." in html
    assert "The guide: 4." in html
    assert "First page: /guide." in html
    assert "<li><code>/guide</code>: 4 page views</li>" in html
    assert "<li><code>/</code>: 3 page views</li>" in html
    assert "<li><code>/{{7*7}}</code>" not in html  # only two rows asked for
    # Code keeps the syntax as written.
    assert "<code>{{ analytics.site_totals.page_views }}</code>" in html
    assert "{{ analytics_top_pages(2) }}" in html


@pytest.mark.parametrize(
    "plugins",
    [
        pytest.param([ANALYTICS], id="own"),
        pytest.param(["macros", ANALYTICS], id="macros-first"),
        pytest.param([ANALYTICS, "macros"], id="macros-last"),
    ],
)
def test_metrics_render_in_a_page(site, plugins):
    if "macros" in plugins:
        pytest.importorskip("mkdocs_macros", reason="mkdocs-macros-plugin is a test extra")
    make_site(site, plugins).build()
    html = site.html("site/readers/index.html")
    if "macros" in plugins:
        # mkdocs-macros renders code too (its documented behaviour); only the prose is ours.
        assert "Views this period: 9." in html and "The guide: 4." in html
        assert "<li><code>/guide</code>: 4 page views</li>" in html
    else:
        check_page(html)


@pytest.mark.parametrize("plugins", [[ANALYTICS], ["macros", ANALYTICS]], ids=["own", "macros"])
def test_hostile_paths_and_campaigns_stay_inert_text(site, plugins):
    if "macros" in plugins:
        pytest.importorskip("mkdocs_macros", reason="mkdocs-macros-plugin is a test extra")
    make_site(site, plugins)
    site.write("docs/readers.md", "{{ analytics_top_pages(10) }}\n\n"
               "{{ analytics.campaigns.0.name }}\n")
    site.build()
    for name in ("site/readers/index.html", "site/analytics/pages/index.html",
                 "site/analytics/sources/index.html"):
        html = site.html(name)
        assert "<img src=x" not in html and "<script>alert" not in html, name
        assert ">49<" not in html and "/49" not in html, name
    readers = site.html("site/readers/index.html")
    assert "&lt;img src=x onerror=alert(1)&gt;" in readers
    assert "/&#123;&#123;7*7&#125;&#125;" in readers
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in readers


def test_substitute_leaves_other_templates_and_unknown_names_alone():
    metrics = Metrics()
    metrics.update(
        {
            "site_totals": {"page_views": 1234},
            "pages": [{"path": "/a", "views": 7}],
            "measure": "page_views",
        }
    )
    text = "{{ config.site_name }} {{ analytics.site_totals.page_views }} {{ analytics.nope }}"
    assert substitute(text, metrics) == "{{ config.site_name }} 1,234 n/a"
    assert substitute('{{ analytics_page_views("/missing") }}', metrics) == "n/a"
    assert substitute("{{ analytics_page_views('/a/') }}", metrics) == "7"
