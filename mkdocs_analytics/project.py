"""A project as the stages see it: the plugin's options in ``mkdocs.yml``, made into
:class:`pipeline.Settings`. Shared by the plugin and the command line, so both read the same
files from the same places.
"""

from __future__ import annotations

import datetime as dt
import glob
import logging
import os
import re
from datetime import datetime, timezone
from importlib import resources
from urllib.parse import urlsplit

from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import Abort, ConfigurationError
from mkdocs.structure.files import get_files

from . import pipeline, signals, thresholds
from .site import site_pages
from .sources import log_formats

PLUGIN = "analytics"
DEFAULT_THRESHOLDS = "config/thresholds.yaml"


class ProjectError(Exception):
    """The project cannot be used as configured; the message names the option."""


def settings_for(config: MkDocsConfig, options) -> pipeline.Settings:
    """Settings from a loaded MkDocs config and the plugin's options, checked."""
    config_file = os.path.abspath(config.config_file_path or "mkdocs.yml")
    root = os.path.realpath(os.path.dirname(config_file))
    data_dir = os.path.realpath(os.path.join(root, options.data_dir))
    docs_dir = os.path.realpath(config.docs_dir)
    # Every write stays inside the project, symlinks resolved: a mkdocs.yml from a pull
    # request must not make a build write elsewhere on the machine.
    if not _inside(data_dir, root):
        raise ProjectError(
            f"option 'data_dir' ({options.data_dir}) points outside the project folder "
            f"({root}); use a folder next to mkdocs.yml, such as 'data'"
        )
    log_options = options.access_log
    if log_options.pattern and log_options.format not in ("auto", "pattern"):
        raise ProjectError(
            f"option 'access_log.pattern' is set, but 'access_log.format' is "
            f"{log_options.format!r}, which ignores it; set format: pattern"
        )
    for pattern in options.access_log.paths:
        if not options.access_log.outside_project and not _inside_pattern(root, pattern):
            raise ProjectError(
                f"option 'access_log.paths': {pattern!r} is outside the project folder; "
                "copy the logs into it, or set access_log.outside_project: true "
                "(a log's paths and referrers end up on the published dashboard)"
            )
    for source in ("goatcounter_export", "daily_csv"):
        for pattern in getattr(options, source).paths:
            if not _inside_pattern(root, pattern):
                raise ProjectError(
                    f"option '{source}.paths': {pattern!r} is outside the project folder; "
                    "copy the file into it"
                )
    log_format = options.access_log.format
    if log_format == "pattern" or options.access_log.pattern:
        try:
            log_formats.get(log_format, options.access_log.pattern)
        except log_formats.FormatError as error:
            raise ProjectError(f"option 'access_log.pattern': {error}") from None
    if os.path.commonpath([data_dir, docs_dir]) == docs_dir:
        raise ProjectError(
            f"option 'data_dir' ({options.data_dir}) is inside docs_dir; writing there "
            "would make `mkdocs serve` rebuild forever. Use a folder next to mkdocs.yml, "
            "such as 'data'."
        )

    today = datetime.now(timezone.utc).date()
    if options.period_end is not None and options.period_end > today:
        raise ProjectError(
            f"option 'period_end' ({options.period_end}) is in the future: today is {today} "
            "(UTC); give a day that has come, or leave it unset for the latest period"
        )

    threshold_file = _threshold_file(root, options.thresholds)
    outcome_file = os.path.join(root, options.outcome_kpis)
    try:
        thresholds.load(threshold_file)
        signals.load_outcomes(outcome_file)
    except thresholds.ThresholdError as error:
        raise ProjectError(f"option 'thresholds': {error}") from None
    except signals.OutcomeError as error:
        raise ProjectError(f"option 'outcome_kpis': {error}") from None

    site_url = urlsplit(config.site_url or "")
    site_host = site_url.hostname
    hosts = [_host_name(entry) for entry in options.access_log.hosts]
    return pipeline.Settings(
        root=root,
        data_dir=data_dir,
        period_end=options.period_end,
        period_days=options.period_days,
        thresholds=threshold_file,
        outcome_kpis=outcome_file,
        access_log_paths=list(options.access_log.paths),
        access_log_bots=list(options.access_log.bots),
        access_log_format=log_format,
        access_log_pattern=options.access_log.pattern,
        goatcounter_export_paths=list(options.goatcounter_export.paths),
        daily_csv_paths=list(options.daily_csv.paths),
        own_hosts=[h for h in [site_host, *hosts] if h],
        site_prefix=site_url.path.rstrip("/"),
        goatcounter=_with_token(options.goatcounter, "GOATCOUNTER_TOKEN"),
        github=_with_token(options.github, "GITHUB_TOKEN"),
        cache_ttl=options.cache_ttl,
        offline=options.offline,
    )


def _host_name(entry: str) -> str:
    """An ``access_log.hosts`` entry as the host name requests carry: ``https://WWW.Example.NET:443/docs/``
    and ``WWW.Example.NET:443`` are ``www.example.net`` (lower case, no scheme, port or path)."""
    text = str(entry).strip()
    try:
        host = urlsplit(text if "://" in text else "//" + text).hostname
    except ValueError:
        host = None
    if not host or not host.strip("."):
        raise ProjectError(
            f"option 'access_log.hosts': {entry!r} is not a host name such as 'docs.example.org'"
        )
    return host.rstrip(".")


def _threshold_file(root: str, option: str) -> str:
    """The rules file: the site's own, or the packaged defaults when the default path has
    none. A path the user chose that does not exist is a mistake, not a wish for defaults."""
    path = os.path.join(root, option)
    if os.path.exists(path):
        return path
    if option != DEFAULT_THRESHOLDS:
        raise ProjectError(f"option 'thresholds': no file at {option!r}")
    return packaged_thresholds()


def packaged_thresholds() -> str:
    """The default rules shipped with the package."""
    return str(resources.files("mkdocs_analytics").joinpath("defaults", "thresholds.yaml"))


def _inside(path: str, folder: str) -> bool:
    return os.path.commonpath([path, folder]) == folder


def _inside_pattern(root: str, pattern: str) -> bool:
    """Whether a path or glob, and every file it names now, lies inside ``root``."""
    full = os.path.join(root, pattern)
    fixed = full.split("*", 1)[0].split("?", 1)[0].split("[", 1)[0]
    if not _inside(os.path.realpath(os.path.dirname(fixed) or root), root):
        return False
    return all(_inside(os.path.realpath(match), root) for match in glob.glob(full))


def _with_token(options, variable: str):
    """The source's options, the token taken from ``variable`` when the option is unset."""
    if not options.token:
        options.token = os.environ.get(variable) or None
    return options


class _Warnings(logging.Handler):
    """The warnings MkDocs logs while it loads a configuration."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


_PLUGIN_WARNING = re.compile(
    rf"Plugin '{PLUGIN}(?: #\d+)?'(?: option '([^']+)')?: (?:Sub-option '([^']+)': )?(.*)"
)


def _option_warnings(messages: list[str]) -> list[str]:
    """MkDocs' warnings about the plugin's options, one phrase each: ``unknown option
    'access_log.typo'`` for a name it does not know."""
    found = []
    for message in messages:
        match = _PLUGIN_WARNING.search(message)
        if match:
            name = ".".join(part for part in match.group(1, 2) if part)
            if match[3].startswith("Unrecognised configuration name"):
                found.append(f"unknown option '{name}'")
            else:
                found.append(f"option '{name}': {match[3]}" if name else match[3])
    return found


def load(config_file: str = "mkdocs.yml"):
    """``(mkdocs config, plugin options, settings)`` for the project of ``config_file``.

    An option of the plugin MkDocs only warns about (a name it does not know, such as a typo)
    is refused here: the stages would run without what it was meant to set.
    """
    caught = _Warnings()
    mkdocs_config_log = logging.getLogger("mkdocs.config")
    mkdocs_config_log.addHandler(caught)
    try:
        config = load_config(config_file=config_file)
    except (Abort, ConfigurationError) as error:
        # MkDocs has already logged each wrong option with its name.
        problems = _option_warnings(caught.messages)
        raise ProjectError(_unknown(config_file, problems) if problems else str(error)) from None
    except ValueError as error:
        # PyYAML reads 2026-02-30 as a date and fails on it, before any option is checked.
        raise ProjectError(_unreadable(config_file, error)) from None
    finally:
        mkdocs_config_log.removeHandler(caught)
    problems = _option_warnings(caught.messages)
    if problems:
        raise ProjectError(_unknown(config_file, problems))
    plugin = config.plugins.get(PLUGIN)
    if plugin is None:
        raise ProjectError(f"{config_file} does not enable the '{PLUGIN}' plugin")
    return config, plugin.config, settings_for(config, plugin.config)


# A YAML date, as PyYAML reads one unquoted (YAML 1.1 timestamps start so), not in quotes.
_YAML_DATE = re.compile(r"(?<![\w'\"./-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d'\"/-])")


def _unreadable(config_file: str, error: ValueError) -> str:
    """What to say when MkDocs could not read ``config_file`` (a ValueError from PyYAML):
    the line with an impossible date such as ``period_end: 2026-02-30``, when there is one."""
    try:
        with open(config_file, encoding="utf-8-sig") as file:
            lines = file.read().splitlines()
    except (OSError, ValueError):
        lines = []
    for number, line in enumerate(lines, 1):
        code = line.split(" #", 1)[0]
        if code.lstrip().startswith("#"):
            continue
        for match in _YAML_DATE.finditer(code):
            try:
                dt.date(*map(int, match.groups()))
            except ValueError as wrong:
                return (
                    f"{config_file}, line {number}: {match[0]} is not a day of the calendar "
                    f"({wrong}); write a real day, such as 2026-02-28"
                )
    return f"couldn't read {config_file}: {error}"


def _unknown(config_file: str, problems: list[str]) -> str:
    return (
        f"{config_file}: plugin '{PLUGIN}': {', '.join(problems)}. MkDocs only warns, and "
        "the option is ignored: correct its name (see the options in the documentation) or "
        "remove it"
    )


def pages_of(config: MkDocsConfig, options) -> list[dict]:
    """The site's own pages, as the plugin sees them during a build."""
    return site_pages(get_files(config), config, exclude=options.dashboard_dir)
