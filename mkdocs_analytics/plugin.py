"""The MkDocs plugin: wires MkDocs events to the stages, and nothing more.

- ``on_config``: check the options, resolve paths, load the threshold rules (a bad file stops
  the build here, with its name and the rule).
- ``on_pre_build``: collect every source into ``data/raw/``.
- ``on_files``: aggregate (the site's own pages are known now, for "published but unvisited"),
  write the artifacts and history, and add the dashboard pages and JSON files to the site as
  generated files. Nothing is ever written into ``docs_dir``.
- ``on_post_page``: put the charts into the dashboard pages, after the search index was fed.
"""

from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager
from importlib import resources

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from . import pipeline, project
from .config import AnalyticsConfig
from .publish import dashboard, icons, macros
from .site import site_pages

log = get_plugin_logger("analytics")

CSS_NAME = "analytics.css"
DARK_CSS_NAME = "no-js-dark.css"
CHART = re.compile(re.escape(dashboard.CHART_MARK).replace(r"\{\}", "([\\w-]+)"))


class _Downgrade(logging.Filter):
    """With ``log_level: info``, the plugin's warnings (a source that could not be read)
    are logged at INFO, so that ``--strict`` does not count them."""

    active = False

    def filter(self, record: logging.LogRecord) -> bool:
        if self.active and record.levelno == logging.WARNING:
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


_DOWNGRADE = _Downgrade()
logging.getLogger(log.logger.name).addFilter(_DOWNGRADE)


class AnalyticsPlugin(BasePlugin[AnalyticsConfig]):
    def __init__(self) -> None:
        self.settings: pipeline.Settings | None = None
        self.collection: pipeline.Collection | None = None
        self.charts: dict[str, str] = {}
        self.metrics = macros.Metrics()
        self.with_macros = False
        self.serving = False
        self.timings: dict[str, float] = {}
        self.dark_fallback = False
        # Failed live collections, remembered across `mkdocs serve` rebuilds (pipeline._live).
        self.failures: dict = {}

    # Defining on_startup keeps this instance alive across `mkdocs serve` rebuilds.
    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.serving = command == "serve"
        self.failures = {}

    # Late, so that mkdocs-macros (if listed, in either order) has set itself up and takes
    # our registration directly rather than in class-level storage that outlives the build.
    @event_priority(-50)
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        options = self.config
        _DOWNGRADE.active = options.log_level == "info"
        try:
            self.settings = project.settings_for(config, options)
        except project.ProjectError as error:
            raise PluginError(f"analytics: {error}") from None
        # Only `mkdocs serve` remembers failures across its rebuilds. MkDocs keeps this instance
        # for the whole process (any later load_config of a site gets it back), so a build
        # that is not served, from a script or a test, must not reuse another's failures.
        self.settings.failures = self.failures if self.serving else None
        config.extra_css.append(options.dashboard_dir + CSS_NAME)
        self.dark_fallback = _has_dark_palette(config)
        if self.dark_fallback:
            config.extra_css.append(options.dashboard_dir + DARK_CSS_NAME)
        self.with_macros = macros.register(config.plugins, self.metrics)
        return config

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        self.timings = {}
        with self._timed("collect"):
            self.collection = pipeline.collect(self.settings)

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        folder = self.config.dashboard_dir
        with self._timed("aggregate"):
            pages = site_pages(files, config, exclude=folder)
            try:
                result = pipeline.aggregate(
                    self.settings, self.collection.period, self.collection.records, pages
                )
            except OSError as error:
                # A full disk or a read-only folder: say where, keep what is on disk.
                where = error.filename or self.config.data_dir
                raise PluginError(
                    f"analytics: couldn't write {where}: {error.strerror or error}; "
                    "the history on disk is unchanged"
                ) from None
        for name in result.written:
            log.info("wrote data/%s", name)
        for alert in result.report["alerts"]:
            log.info("alert (%s): %s", alert["severity"], alert["message"])

        with self._timed("publish"):
            board = dashboard.build(
                result.engagement,
                result.report,
                folder,
                rules=result.rules,
                outcomes=result.outcomes,
                series=result.series,
                previous=result.previous,
                top=self.config.top,
                min_count=self.config.min_count,
            )
        assets = resources.files("mkdocs_analytics").joinpath("assets")
        board.files[folder + CSS_NAME] = assets.joinpath(CSS_NAME).read_text("utf-8")
        if self.dark_fallback:
            dark = assets.joinpath(DARK_CSS_NAME).read_text("utf-8")
            board.files[folder + DARK_CSS_NAME] = dark
        for src_uri, content in {**board.pages, **board.files}.items():
            existing = files.get_file_from_path(src_uri)
            if existing is not None:
                log.warning("docs/%s is replaced by the generated dashboard file", src_uri)
                files.remove(existing)
            files.append(File.generated(config, src_uri, content=content))
        self.charts = board.charts
        self.metrics.update(board.public)
        return files

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files):
        # mkdocs-macros renders the same forms itself when it is there.
        if self.with_macros or page.file.src_uri.startswith(self.config.dashboard_dir):
            return markdown
        return macros.substitute(markdown, self.metrics)

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        # The implicit nav sorts a folder's pages by file name; the dashboard reads best in
        # its own order (overview, pages, sources, activity, history, signals).
        folder = self.config.dashboard_dir
        order = {folder + name: i for i, (name, _) in enumerate(dashboard.PAGES)}
        for section in _sections(nav.items):
            uris = [getattr(getattr(item, "file", None), "src_uri", None) for item in section]
            if any(uri in order for uri in uris):
                section.sort(key=lambda item: order.get(
                    getattr(getattr(item, "file", None), "src_uri", None), len(order)))
        # Previous and next links follow the new order too.
        nav.pages = [page for page in _walk(nav.items) if isinstance(page, Page)]
        for before, after in zip(nav.pages, nav.pages[1:], strict=False):
            before.next_page, after.previous_page = after, before
        return nav

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        mine = page.file.generated_by and page.file.src_uri.startswith(self.config.dashboard_dir)
        if not mine:
            return output
        with self._timed("charts"):
            output = icons.name_icons(output)
            # One pass over the page, whatever the number of charts (a sparkline per row).
            output = CHART.sub(lambda m: self.charts.get(m[1], m[0]), output)
        return output

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        # The plugin's own cost by stage, for `mkdocs build -v` and bench/build_cost.py.
        spent = ", ".join(f"{stage} {seconds:.3f} s" for stage, seconds in self.timings.items())
        log.debug("time by stage: %s", spent)

    @contextmanager
    def _timed(self, stage: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


def _sections(items: list):
    """Every list of nav items, the top level and each section's children."""
    yield items
    for item in items:
        if getattr(item, "children", None):
            yield from _sections(item.children)


def _walk(items: list):
    for item in items:
        yield item
        if getattr(item, "children", None):
            yield from _walk(item.children)


def _has_dark_palette(config: MkDocsConfig) -> bool:
    """Whether the theme is Material with a slate (dark) scheme in its palette."""
    if config.theme.name != "material":
        return False
    palette = config.theme.get("palette") or []
    entries = palette if isinstance(palette, list) else [palette]
    return any(isinstance(e, dict) and e.get("scheme") == "slate" for e in entries)
