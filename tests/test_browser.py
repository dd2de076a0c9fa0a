"""The built demo dashboard in a real browser: headless Chromium (Debian's) through Playwright.

Every dashboard page is loaded with JavaScript off, in the light and the dark scheme: it must be
complete (heading, period, KPI cards, tables, every chart drawn) and ask no other host for
anything. Screenshots go to a folder under the test's temporary directory, and also to
``$ANALYTICS_SCREENSHOTS`` when that is set. Then axe-core, injected only for the audit in a
context with JavaScript on, must find no serious or critical violation in either scheme.

Two things this project cannot do under Material are kept as strict expected failures, so
they are seen in every run and turn red the day they start to work (see their reasons):
the dark scheme without JavaScript, and no request to another host with JavaScript on.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from browser import CHROMIUM_ARGS, SCHEMES, Guard, axe_source, chromium_path, serve, unavailable
from conftest import copy_demo

from mkdocs_analytics.publish.parts import PAGES

DASHBOARD = "analytics/"
# (test id, path under the site) of every dashboard page, in the order of its navigation.
DASHBOARD_PAGES = [
    (name.removesuffix(".md"), DASHBOARD + ("" if name == "index.md" else name[:-3] + "/"))
    for name, _ in PAGES
]
# The embeddable pieces, checked as files of their own and inside a page that embeds them.
EMBEDS = ["widget.html", "badge.svg"]
WIDGET_HOST = "widget-host.html"

# Serious violations in Material's own markup, which this project does not generate. Each is
# allowed for that rule on that exact element only; any other element or rule still fails.
THEME_VIOLATIONS = {
    # The search box is a role="dialog" with no name (Material's partials/search.html). It is
    # hidden, so not audited, without JavaScript.
    ("aria-dialog-name", ".md-search"),
    # "Made with Material for MkDocs" in the footer: #7f7f7f on #171717, 4.47:1 against the
    # 4.5:1 asked for small text, in the light scheme.
    ("color-contrast", ".md-copyright"),
}

# What a page shows, measured in the page itself. Evaluated through the DevTools protocol, so
# it works with the page's own scripts disabled.
MEASURE = """() => {
  const shown = el => {
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden";
  };
  const folded = el => el.closest("details:not([open])") !== null;
  const article = document.querySelector("article") || document.body;
  const heading = article.querySelector("h1");
  const period = article.querySelector(".analytics-period");
  const charts = [...article.querySelectorAll('svg[role="img"]:not([aria-hidden="true"])')];
  return {
    scheme: document.body.dataset.mdColorScheme || null,
    heading: heading && shown(heading) ? heading.textContent.replace("¶", "").trim() : null,
    period: period !== null && shown(period),
    cards: [...article.querySelectorAll(".analytics-card")].filter(shown).length,
    empty: [...article.querySelectorAll(".analytics-empty")].filter(shown).length,
    tables: [...article.querySelectorAll("table")].filter(t => !folded(t)).map(t => ({
      name: (t.caption && t.caption.textContent) || t.rows[0].textContent, shown: shown(t),
    })),
    charts: charts.filter(svg => !folded(svg)).map(svg => ({
      name: (svg.querySelector("title") || {}).textContent || svg.outerHTML.slice(0, 80),
      shown: shown(svg),
    })),
    figures: [...article.querySelectorAll("figure.analytics-chart")].map(
      figure => figure.querySelectorAll('svg[role="img"]').length),
    folded: article.querySelectorAll("details:not([open])").length,
  };
}"""

# The colour of every text in a chart and of what lies behind it. axe leaves SVG text as
# "incomplete" (it cannot tell the background of a shape), so the charts are measured here.
CHART_TEXT = """() => {
  const behind = el => {
    for (; el; el = el.parentElement) {
      const colour = getComputedStyle(el).backgroundColor;
      if (colour !== "rgba(0, 0, 0, 0)" && colour !== "transparent") return colour;
    }
    return "rgb(255, 255, 255)";
  };
  const texts = document.querySelectorAll('svg[role="img"]:not([aria-hidden="true"]) text');
  return [...texts].filter(text => text.textContent.trim()).map(text => {
    let opacity = parseFloat(getComputedStyle(text).fillOpacity);
    for (let el = text; el && el.tagName !== "svg"; el = el.parentElement) {
      opacity *= parseFloat(getComputedStyle(el).opacity);
    }
    return {text: text.textContent.trim().slice(0, 40), fill: getComputedStyle(text).fill,
            opacity, background: behind(text)};
  });
}"""

# True once Material's palette script has chosen the scheme of the matching media query.
SCHEME_APPLIED = """() => {
  const option = [...document.querySelectorAll("input.md-option[data-md-color-media]")]
    .find(input => matchMedia(input.dataset.mdColorMedia).matches);
  return !option || document.body.dataset.mdColorScheme === option.dataset.mdColorScheme;
}"""


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The demo site, built once for this module, with a page that embeds the widget."""
    demo = copy_demo(tmp_path_factory.mktemp("demo"))
    demo.build()
    widget = (demo.site_dir / DASHBOARD / "widget.html").read_text(encoding="utf-8")
    (demo.site_dir / WIDGET_HOST).write_text(
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="color-scheme" content="light dark"><title>Embedded analytics</title>'
        "</head><body><main><h1>Embedded analytics</h1>\n"
        f"{widget}"
        f'<p><img src="{DASHBOARD}badge.svg" alt="Views badge"></p></main></body></html>\n',
        encoding="utf-8",
    )
    return demo.site_dir


@pytest.fixture(scope="module")
def base_url(site):
    with serve(site) as url:
        yield url


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Save a screenshot under the temporary directory and, if set, $ANALYTICS_SCREENSHOTS."""
    folder = tmp_path_factory.mktemp("screenshots")
    extra = os.environ.get("ANALYTICS_SCREENSHOTS")

    def save(name: str, png: bytes) -> Path:
        path = folder / f"{name}.png"
        path.write_bytes(png)
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(extra) / path.name)
        return path

    return save


def open_page(browser, base_url: str, path: str, scheme: str, *, javascript: bool):
    """A fresh context and page at ``path``, every request guarded; returns (page, guard)."""
    context = browser.new_context(
        java_script_enabled=javascript, color_scheme=scheme,
        viewport={"width": 1280, "height": 900},
    )
    guard = Guard(context, base_url)
    page = context.new_page()
    response = page.goto(base_url + path, wait_until="load")
    assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
    if javascript:
        page.wait_for_function(SCHEME_APPLIED)
    guard.check_hints(page)
    return page, guard


def test_every_dashboard_page_is_checked(site):
    built = sorted(
        p.relative_to(site).as_posix() for p in (site / DASHBOARD).rglob("*")
        if p.suffix in {".html", ".svg"}
    )
    checked = sorted([path + "index.html" for _, path in DASHBOARD_PAGES]
                     + [DASHBOARD + name for name in EMBEDS])
    assert built == checked


@pytest.mark.parametrize(("name", "path"), DASHBOARD_PAGES, ids=[n for n, _ in DASHBOARD_PAGES])
def test_page_is_complete_without_javascript(browser, base_url, shots, name, path):
    for scheme in SCHEMES:
        page, guard = open_page(browser, base_url, path, scheme, javascript=False)
        try:
            shots(f"{name}-{scheme}-no-js", page.screenshot(full_page=True))
            seen = page.evaluate(MEASURE)
            where = f"{path} ({scheme}, no JavaScript)"

            assert guard.left == [], f"{where}: requests to other hosts: {guard.left}"
            assert seen["heading"], f"{where}: no visible heading"
            assert seen["period"], f"{where}: no visible period line"
            assert seen["cards"] or seen["tables"] or seen["charts"] or seen["empty"], (
                f"{where}: no KPI card, table, chart or empty-state message: {seen}"
            )
            if name == "index":
                assert seen["cards"] >= 2, f"{where}: KPI cards missing: {seen}"
            hidden = [t["name"] for t in seen["tables"] + seen["charts"] if not t["shown"]]
            assert hidden == [], f"{where}: tables or charts not drawn: {hidden}"
            assert all(n == 1 for n in seen["figures"]), (
                f"{where}: a chart figure without its one SVG (svg counts: {seen['figures']})"
            )

            # A collapsed data table opens without scripts: <details> is plain HTML.
            for summary in page.locator("article details > summary").all():
                if not summary.evaluate("summary => summary.parentElement.open"):
                    summary.click()
            unfolded = page.evaluate(MEASURE)
            assert unfolded["folded"] == 0, f"{where}: a data table did not open"
            hidden = [t["name"] for t in unfolded["tables"] if not t["shown"]]
            assert hidden == [], f"{where}: opened data tables not drawn: {hidden}"
        finally:
            page.context.close()


@pytest.mark.parametrize("name", EMBEDS + [WIDGET_HOST])
def test_embeddable_pieces_load_nothing_from_another_host(browser, base_url, shots, name):
    path = name if name == WIDGET_HOST else DASHBOARD + name
    pictures = {}
    for scheme in SCHEMES:
        page, guard = open_page(browser, base_url, path, scheme, javascript=False)
        try:
            assert guard.left == [], f"{path} ({scheme}): requests to other hosts: {guard.left}"
            if name == WIDGET_HOST:
                assert page.locator(".mkdocs-analytics-widget").is_visible()
                badge = page.locator("img")
                assert badge.evaluate("img => img.complete && img.naturalWidth > 0"), (
                    "the badge did not load as an image"
                )
            # A full-page shot needs an HTML document to measure; the badge is an SVG one.
            pictures[scheme] = page.screenshot(full_page=name != "badge.svg")
            shots(f"{name.rsplit('.', 1)[0]}-{scheme}-no-js", pictures[scheme])
        finally:
            page.context.close()
    if name == WIDGET_HOST:
        # The widget takes the colours of the page around it, which here follows the scheme.
        assert pictures["light"] != pictures["dark"], "the widget looks the same in both schemes"


# Material picks its palette in JavaScript; the plugin's no-js-dark.css gives readers
# without scripts the slate colours when the site's palette has a slate scheme.
def test_dark_scheme_applies_without_javascript(browser, base_url):
    pictures, schemes = {}, {}
    for scheme in SCHEMES:
        page, _ = open_page(browser, base_url, DASHBOARD, scheme, javascript=False)
        try:
            pictures[scheme] = page.screenshot(full_page=True)
            schemes[scheme] = page.evaluate(MEASURE)["scheme"]
        finally:
            page.context.close()
    assert pictures["light"] != pictures["dark"], f"same rendering; Material schemes: {schemes}"


def test_dark_scheme_applies_with_javascript_and_charts_follow_it(browser, base_url, shots):
    pictures, schemes, ink = {}, {}, {}
    for scheme in SCHEMES:
        page, _ = open_page(browser, base_url, DASHBOARD, scheme, javascript=True)
        try:
            pictures[scheme] = page.screenshot(full_page=True)
            shots(f"index-{scheme}-js", pictures[scheme])
            schemes[scheme] = page.evaluate(MEASURE)["scheme"]
            ink[scheme] = page.locator("figure.analytics-chart svg text").first.evaluate(
                "text => getComputedStyle(text).fill"
            )
        finally:
            page.context.close()
    assert schemes == {"light": "default", "dark": "slate"}
    assert pictures["light"] != pictures["dark"]
    assert ink["light"] != ink["dark"], f"chart labels keep one colour in both schemes: {ink}"


# The demo sets no repo_url: with one, Material's script would ask api.github.com for the
# repository's stars from every reader's browser.
def test_no_request_leaves_with_javascript(browser, base_url):
    page, guard = open_page(browser, base_url, DASHBOARD, "light", javascript=True)
    page.wait_for_load_state("networkidle")
    page.context.close()
    assert guard.left == [], f"requests to other hosts: {sorted(set(guard.left))}"


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize(
    ("name", "path"), DASHBOARD_PAGES + [("widget-host", WIDGET_HOST)],
    ids=[n for n, _ in DASHBOARD_PAGES] + ["widget-host"],
)
def test_page_has_no_serious_accessibility_violation(browser, base_url, axe, name, path, scheme):
    page, _ = open_page(browser, base_url, path, scheme, javascript=True)
    try:
        # Audit the data tables too: axe skips what a closed <details> hides.
        page.evaluate("() => document.querySelectorAll('details').forEach(d => d.open = true)")
        page.add_script_tag(content=axe)
        results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        chart_text = page.evaluate(CHART_TEXT)
    finally:
        page.context.close()
    found = []
    for violation in results["violations"]:
        if violation["impact"] not in {"serious", "critical"}:
            continue
        nodes = [
            node for node in violation["nodes"]
            if (violation["id"], " ".join(map(str, node["target"]))) not in THEME_VIOLATIONS
        ]
        found += [
            f"{violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"  at {node['target']}: {_squeeze(node['html'])[:200]}\n"
            f"  {_squeeze(node['failureSummary'])}"
            for node in nodes
        ]
    for label in chart_text:
        ratio = _contrast(label["fill"], label["opacity"], label["background"])
        if ratio < 4.5:
            found.append(f"chart text {label['text']!r}: contrast {ratio:.2f}:1, below 4.5:1 "
                         f"({label['fill']} at opacity {label['opacity']} on "
                         f"{label['background']})")
    engine = f"axe-core {results['testEngine']['version']}"
    assert not found, f"{path} ({scheme}), {engine}:\n" + "\n".join(found)


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _rgba(colour: str) -> tuple[float, float, float, float]:
    numbers = [float(n) for n in re.findall(r"[\d.]+", colour)]
    assert colour.startswith("rgb") and len(numbers) in (3, 4), f"unexpected colour {colour!r}"
    return (*numbers[:3], numbers[3] if len(numbers) == 4 else 1.0)


def _contrast(fill: str, opacity: float, background: str) -> float:
    """WCAG contrast of ``fill`` (with ``opacity``) painted over an opaque ``background``."""
    *ink, alpha = _rgba(fill)
    *paper, _ = _rgba(background)
    alpha *= opacity
    seen = [alpha * i + (1 - alpha) * p for i, p in zip(ink, paper, strict=True)]

    def luminance(rgb) -> float:
        channels = [c / 255 for c in rgb]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(seen), luminance(paper)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
