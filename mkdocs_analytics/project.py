"""A project as the stages see it: the plugin's options in ``mkdocs.yml``, made into
:class:`pipeline.Settings`. Shared by the plugin and the command line, so both read the same
files from the same places.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, ConfigurationError
from mkdocs.structure.files import get_files

from . import pipeline, signals, thresholds
from .site import site_pages

PLUGIN = "analytics"


class ProjectError(Exception):
    """The project cannot be used as configured; the message names the option."""


def settings_for(config: MkDocsConfig, options) -> pipeline.Settings:
    """Settings from a loaded MkDocs config and the plugin's options, checked."""
    root = os.path.dirname(os.path.abspath(config.config_file_path or "mkdocs.yml"))
    data_dir = os.path.abspath(os.path.join(root, options.data_dir))
    docs_dir = os.path.abspath(config.docs_dir)
    if os.path.commonpath([data_dir, docs_dir]) == docs_dir:
        raise ProjectError(
            f"option 'data_dir' ({options.data_dir}) is inside docs_dir; writing there "
            "would make `mkdocs serve` rebuild forever. Use a folder next to mkdocs.yml, "
            "such as 'data'."
        )

    threshold_file = os.path.join(root, options.thresholds)
    outcome_file = os.path.join(root, options.outcome_kpis)
    try:
        thresholds.load(threshold_file)
        signals.load_outcomes(outcome_file)
    except thresholds.ThresholdError as error:
        raise ProjectError(f"option 'thresholds': {error}") from None
    except signals.OutcomeError as error:
        raise ProjectError(f"option 'outcome_kpis': {error}") from None

    site_host = urlsplit(config.site_url or "").hostname
    return pipeline.Settings(
        root=root,
        data_dir=data_dir,
        period_end=options.period_end,
        period_days=options.period_days,
        thresholds=threshold_file,
        outcome_kpis=outcome_file,
        access_log_paths=list(options.access_log.paths),
        access_log_bots=list(options.access_log.bots),
        own_hosts=[h for h in [site_host, *options.access_log.hosts] if h],
        goatcounter=_with_token(options.goatcounter, "GOATCOUNTER_TOKEN"),
        github=_with_token(options.github, "GITHUB_TOKEN"),
        cache_ttl=options.cache_ttl,
        offline=options.offline,
    )


def _with_token(options, variable: str):
    """The source's options, the token taken from ``variable`` when the option is unset."""
    if not options.token:
        options.token = os.environ.get(variable) or None
    return options


def load(config_file: str = "mkdocs.yml"):
    """``(mkdocs config, plugin options, settings)`` for the project of ``config_file``."""
    try:
        config = load_config(config_file=config_file)
    except (Abort, ConfigurationError) as error:
        # MkDocs has already logged each wrong option with its name.
        raise ProjectError(str(error)) from None
    plugin = config.plugins.get(PLUGIN)
    if plugin is None:
        raise ProjectError(f"{config_file} does not enable the '{PLUGIN}' plugin")
    return config, plugin.config, settings_for(config, plugin.config)


def pages_of(config: MkDocsConfig, options) -> list[dict]:
    """The site's own pages, as the plugin sees them during a build."""
    return site_pages(get_files(config), config, exclude=options.dashboard_dir)
