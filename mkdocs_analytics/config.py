"""The plugin's options, as users write them under ``plugins: - analytics:``.

Paths are relative to the folder of ``mkdocs.yml``. A wrong value stops the build at load time
with the option's name, before anything is collected.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from urllib.parse import urlsplit

from mkdocs.config import base
from mkdocs.config import config_options as c


class IsoDate(c.BaseConfigOption):
    """A calendar day, written ``2026-02-16`` (YAML may already have made it a date)."""

    def run_validation(self, value):
        # An empty value (an unset workflow input through !ENV) means "no date".
        if value is None or value == "":
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            message = f"expected a date such as 2026-02-16, got {value!r}"
            raise base.ValidationError(message) from None


class PositiveInt(c.Type):
    minimum = 1

    def __init__(self, default: int, maximum: int | None = None) -> None:
        super().__init__(int, default=default)
        self.maximum = maximum

    def run_validation(self, value):
        value = super().run_validation(value)
        if isinstance(value, bool) or value < self.minimum:
            raise base.ValidationError(
                f"expected a whole number of at least {self.minimum}, got {value!r}"
            )
        if self.maximum is not None and value > self.maximum:
            raise base.ValidationError(f"expected at most {self.maximum}, got {value!r}")
        return value


class NonNegativeInt(PositiveInt):
    """A whole number of at least 0 (``cache_ttl: 0`` always asks)."""

    minimum = 0


class SiteFolder(c.Type):
    """A folder of the built site such as ``analytics/``, kept inside the site."""

    def __init__(self, default: str) -> None:
        super().__init__(str, default=default)

    def run_validation(self, value):
        value = super().run_validation(value).strip().strip("/")
        parts = value.split("/")
        if not value or value.startswith(".") or ".." in parts or "\\" in value:
            raise base.ValidationError(
                f"expected a relative folder such as 'analytics/', got {value!r}"
            )
        return posixpath.normpath(value) + "/"


class AccessLogConfig(base.Config):
    # Log files or globs (``logs/access.log*``); plain or gzip-compressed.
    paths = c.ListOfItems(c.Type(str), default=[])
    # Line format; ``auto`` detects it, per file, from the first lines (and says so in the
    # log and in the record's quality block). ``pattern`` reads lines with the option below.
    format = c.Choice(
        ("auto", "combined", "common", "combined-vhost", "common-vhost", "nginx", "caddy",
         "bunny", "bunny-extended", "pattern"),
        default="auto",
    )
    # A line pattern in Apache LogFormat style (``%h %l %u %t "%r" %>s %b``) or with nginx
    # variables (``$remote_addr - [$time_local] "$request" $status``), read with format
    # ``pattern``, or ``auto`` (a pattern given is then used as is).
    pattern = c.Optional(c.Type(str))
    # Other names of this site (besides site_url's host): referrers from them are internal.
    hosts = c.ListOfItems(c.Type(str), default=[])
    # Logs are read only from inside the project folder unless this is true: their paths and
    # referrers are published, so a changed mkdocs.yml must not expose other files.
    outside_project = c.Type(bool, default=False)
    # User agents to drop besides the maintained crawler list (substrings, case-insensitive).
    bots = c.ListOfItems(c.Type(str), default=[])


class GoatCounterExportConfig(base.Config):
    # GoatCounter CSV exports (format 1 or 2, plain or .gz), files or globs.
    paths = c.ListOfItems(c.Type(str), default=[])


class DailyCsvConfig(base.Config):
    # Daily counts from a warehouse: ``date,path,views,visitors[,referrer]`` files or globs.
    paths = c.ListOfItems(c.Type(str), default=[])


class GoatCounterSite(c.Type):
    """A site code (``mysite``) or the address of a self-hosted GoatCounter."""

    def __init__(self) -> None:
        super().__init__(str)

    def run_validation(self, value):
        # The same rule as sources.goatcounter.api_url: a lower-case code, a host name with a
        # dot, or an http(s) address.
        value = super().run_validation(value).strip().rstrip("/")
        if re.fullmatch(r"[a-z0-9][a-z0-9-]*", value) and value != "localhost":
            return value
        if "://" not in value and "." in value and " " not in value:
            address = "https://" + value
        else:
            address = value
        parts = urlsplit(address)
        if parts.scheme in ("http", "https") and parts.hostname and not parts.query:
            return value
        raise base.ValidationError(
            f"expected a site code such as 'mysite' or an address such as "
            f"'https://stats.example.com', got {value!r}"
        )


class GoatCounterConfig(base.Config):
    # Site code (``mysite`` for mysite.goatcounter.com) or the full URL of a self-hosted site.
    site = c.Optional(GoatCounterSite())
    # API token with the "stats" permission; GOATCOUNTER_TOKEN is read when this is unset.
    token = c.Optional(c.Type(str))
    # Referrers are fetched per page for this many of the most visited pages.
    top_pages = PositiveInt(default=10, maximum=100)
    # Seconds to wait for one answer, and the most requests one collection may make.
    timeout = PositiveInt(default=10, maximum=300)
    max_requests = PositiveInt(default=100, maximum=1000)


class GitHubUnits(c.Type):
    """``{unit: [organisation or owner/repo, ...]}``, kept in the order written.

    A single name stands for a list of one. A repository whose organisation is in the same unit
    would be counted twice, so it is refused, as is a name listed twice, and a name (or a
    repository of an organisation) in two units, which the totals would count twice.
    """

    NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9._-]+)?")

    def __init__(self) -> None:
        super().__init__(dict, default={})

    def run_validation(self, value):
        units = {}
        for unit, entries in super().run_validation(value).items():
            entries = [entries] if isinstance(entries, str) else entries
            if not isinstance(entries, list) or not entries or not all(
                isinstance(entry, str) and self.NAME.fullmatch(entry) for entry in entries
            ):
                raise base.ValidationError(
                    f"unit {unit!r}: expected a list of organisations or owner/repo names, "
                    f"got {entries!r}"
                )
            self._no_doubles(unit, entries)
            units[str(unit)] = list(entries)
        self._in_one_unit(units)
        return units

    @staticmethod
    def _no_doubles(unit, entries: list[str]) -> None:
        names = [entry.lower() for entry in entries]
        organisations = {name for name in names if "/" not in name}
        for entry in entries:
            name = entry.lower()
            if names.count(name) > 1 or name.split("/")[0] in organisations - {name}:
                raise base.ValidationError(
                    f"unit {unit!r}: {entry} is listed twice, or with its organisation"
                )

    @staticmethod
    def _in_one_unit(units: dict[str, list[str]]) -> None:
        """An organisation or repository in two units would be counted in both, and twice in
        the totals; so would a repository in one unit whose organisation is in another."""
        owner: dict[str, tuple[str, str]] = {}  # lower-case name: (unit, name as written)
        for unit, entries in units.items():
            for entry in entries:
                owner.setdefault(entry.lower(), (unit, entry))
        for unit, entries in units.items():
            for entry in entries:
                name = entry.lower()
                for other in (name, name.split("/")[0]):
                    first, written = owner.get(other, (unit, entry))
                    if first == unit:
                        continue
                    where = (
                        f"{entry} is in unit {first!r} and in unit {unit!r}"
                        if other == name
                        else f"{entry} (unit {unit!r}) is a repository of {written}, which is "
                        f"in unit {first!r}"
                    )
                    raise base.ValidationError(
                        f"{where}: it would be counted twice in the totals; list it in one unit"
                    )


class GitHubConfig(base.Config):
    # Named units of organisations or owner/repo names, e.g. ``{I: [org-one], META: [org-meta]}``.
    units = GitHubUnits()
    # Token; GITHUB_TOKEN is read when this is unset. Public data works without one.
    token = c.Optional(c.Type(str))
    # ``rest`` walks every repository (exact); ``search`` and ``graphql`` need one request
    # per organisation and metric.
    mode = c.Choice(("rest", "search", "graphql"), default="rest")
    # The API's address (GitHub Enterprise, or a local server in tests).
    api_url = c.Type(str, default="https://api.github.com")
    timeout = PositiveInt(default=10, maximum=300)
    max_requests = PositiveInt(default=1000, maximum=100000)


class AnalyticsConfig(base.Config):
    # Where raw records, history and artifacts live, next to mkdocs.yml (never in docs_dir).
    data_dir = c.Type(str, default="data")
    # Folder of the dashboard and the JSON artifacts in the built site.
    dashboard_dir = SiteFolder(default="analytics/")

    # The period: ``period_days`` whole UTC days ending with ``period_end``. Without an end:
    # the last complete UTC day, or, when only file sources are on, their latest record.
    period_end = IsoDate()
    period_days = PositiveInt(default=7, maximum=366)

    # Alert rules and manual outcome KPIs.
    thresholds = c.Type(str, default="config/thresholds.yaml")
    outcome_kpis = c.Type(str, default="config/outcome-kpis.yaml")

    # Rows of the dashboard's charts: how many pages, referrers, browsers... they show.
    top = PositiveInt(default=10, maximum=1000)
    # Privacy on public pages: rows with a count below this are folded into "(other)" in
    # everything the built site publishes (1 turns folding off; data/ keeps exact numbers).
    min_count = PositiveInt(default=5, maximum=1000)

    # Live sources: reuse data collected less than ``cache_ttl`` seconds ago; ``offline``
    # builds from what is already in ``data_dir`` and makes no request at all.
    cache_ttl = NonNegativeInt(default=3600)
    offline = c.Type(bool, default=False)
    # How a source that could not be read is logged: "warn" (which `mkdocs build --strict`
    # counts) or "info" (the build goes on, and --strict with it). Configuration errors
    # always stop the build.
    log_level = c.Choice(("warn", "info"), default="warn")

    # Sources.
    access_log = c.SubConfig(AccessLogConfig)
    goatcounter_export = c.SubConfig(GoatCounterExportConfig)
    daily_csv = c.SubConfig(DailyCsvConfig)
    goatcounter = c.SubConfig(GoatCounterConfig)
    github = c.SubConfig(GitHubConfig)
