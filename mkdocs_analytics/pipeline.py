"""The stages, each runnable alone from its input files: collect, then aggregate.

``collect`` asks every configured source for the period and writes one raw record per source
under ``data/raw/<source>/<period>.json``. ``aggregate`` reads those records and the history and
writes the artifacts and a history snapshot. The plugin and the command line both call these;
only their log lines go through MkDocs' plugin logger.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from mkdocs.plugins import get_plugin_logger

from . import aggregate as agg
from . import history, signals, thresholds
from .period import Period, isoformat_z, last_complete_day
from .records import unavailable
from .sources import access_log, daily_csv, goatcounter_export

log = get_plugin_logger("analytics")

ENGAGEMENT = "engagement-metrics.json"
REPORT = "system-engagement-report.json"
SIGNALS = "weekly-signals.json"
SIGNALS_MD = "weekly-signals.md"
ARTIFACTS = (ENGAGEMENT, REPORT, SIGNALS)
ALL_SOURCES = ("access_log", "goatcounter_export", "daily_csv", "goatcounter", "github")
# Sources read from files in the project; their readers give the latest day they hold, then
# the record of a period. Label, and the reason when the files hold nothing.
FILE_SOURCES = {
    "access_log": ("access logs", "no requests in the logs"),
    "goatcounter_export": ("GoatCounter export", "no rows in the export"),
    "daily_csv": ("daily CSV", "no rows in the CSV files"),
}
FILE_ERRORS = (access_log.LogError, goatcounter_export.ExportError, daily_csv.DailyCsvError)
# How many periods the dashboard's history page shows.
SERIES = 12


@dataclass
class Settings:
    """Everything the stages need, with paths already made absolute."""

    root: str
    data_dir: str
    period_end: date | None = None
    period_days: int = 7
    thresholds: str = ""
    outcome_kpis: str = ""
    access_log_paths: list[str] = field(default_factory=list)
    access_log_bots: list[str] = field(default_factory=list)
    access_log_format: str = "auto"
    access_log_pattern: str | None = None
    goatcounter_export_paths: list[str] = field(default_factory=list)
    daily_csv_paths: list[str] = field(default_factory=list)
    own_hosts: list[str] = field(default_factory=list)
    # The path of site_url (``/docs`` for https://example.org/docs/): file sources leave out
    # requests outside it.
    site_prefix: str = ""
    # The sources' own option groups (config.GoatCounterConfig, config.GitHubConfig) with the
    # token already taken from the environment when the option was unset.
    goatcounter: Any = None
    github: Any = None
    cache_ttl: int = 3600
    offline: bool = False
    # Live collections that failed, kept by the plugin across `mkdocs serve` rebuilds (None:
    # remember nothing, as in a one-off build or the command line). See _live.
    failures: dict | None = None

    @property
    def raw_dir(self) -> str:
        return os.path.join(self.data_dir, "raw")

    @property
    def history_dir(self) -> str:
        return os.path.join(self.data_dir, "history")

    def raw_path(self, source: str, period: Period) -> str:
        return os.path.join(self.raw_dir, source, f"{period.name}.json")


@dataclass
class Collection:
    period: Period
    records: dict[str, dict]


@dataclass
class Result:
    period: Period
    engagement: dict
    report: dict
    signals: dict
    written: list[str]
    # History snapshots for the dashboard: the last periods (oldest first, this one last)
    # and the one just before this period, if any.
    series: list[dict] = field(default_factory=list)
    previous: dict | None = None
    # The rules and outcome KPIs used, so publication can judge the folded numbers again.
    rules: list[dict] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)


# Collect ---------------------------------------------------------------------------------


def collect(settings: Settings) -> Collection:
    """Ask every source for the period; write the records of those that answered."""
    records: dict[str, dict] = {}
    period = None
    if settings.period_end is not None:
        period = Period.ending(settings.period_end, settings.period_days)
    elif _configured(settings.goatcounter, "site") or _configured(settings.github, "units"):
        period = Period.ending(last_complete_day(), settings.period_days)

    # File sources first: without a configured end and without live sources, the period
    # ends with the latest day the files hold.
    readers = {}
    for source, (label, _) in FILE_SOURCES.items():
        reason = unconfigured(settings, source)
        if reason:
            records[source] = {"available": False, "reason": reason}
            continue
        try:
            readers[source] = _scan(source, settings, period)
        except FILE_ERRORS as error:
            log.warning("Couldn't read %s: %s; the source is left out", label, error)
            records[source] = {"available": False, "reason": str(error)}
    if period is None:
        latest = max(filter(None, (reader.latest_day() for reader in readers.values())),
                     default=None)
        end = date.fromisoformat(latest) if latest else last_complete_day()
        period = Period.ending(end, settings.period_days)
    for source, reader in readers.items():
        if reader.latest_day() is None:
            records[source] = {"available": False, "reason": FILE_SOURCES[source][1]}
        else:
            records[source] = reader.record(period)
    if records["access_log"].get("available"):
        _report_log_quality(records["access_log"])

    records["goatcounter"] = _live("goatcounter", settings, period)
    records["github"] = _live("github", settings, period)

    records = {source: records[source] for source in ALL_SOURCES}
    for source, record in records.items():
        if "schema_version" not in record:
            records[source] = unavailable(source, period, record["reason"])
        path = settings.raw_path(source, period)
        kept = (_read_raw(path, records[source].get(FINGERPRINT))
                if records[source].get("partial") else None)
        if kept is not None:
            # A collection that stopped part-way never replaces a complete one.
            log.info("%s stopped early; using the complete data collected before for %s",
                     source, period.name)
            records[source] = kept
        elif records[source]["available"]:
            history.write_atomic(path, history.dumps(records[source]))
    return Collection(period, records)


def _scan(source: str, settings: Settings, period: Period | None):
    """A file source's reader, its files read (for ``period`` when it is known)."""
    if source == "access_log":
        return access_log.scan(
            settings.access_log_paths,
            settings.root,
            period=period,
            period_days=settings.period_days,
            own_hosts=settings.own_hosts,
            bots=settings.access_log_bots,
            fmt=settings.access_log_format,
            pattern=settings.access_log_pattern,
            prefix=settings.site_prefix,
            cache_dir=os.path.join(settings.raw_dir, ".cache", "access_log"),
        )
    module = goatcounter_export if source == "goatcounter_export" else daily_csv
    return module.scan(
        getattr(settings, f"{source}_paths"),
        settings.root,
        own_hosts=settings.own_hosts,
        prefix=settings.site_prefix,
    )


def _configured(options, key: str) -> bool:
    return options is not None and bool(options[key])


def unconfigured(settings: Settings, source: str) -> str | None:
    """Why ``source`` is not set up (``"not configured (no site)"``), or None when it is."""
    if source in FILE_SOURCES:
        return None if getattr(settings, f"{source}_paths") else "not configured (no paths)"
    _, key, missing = LIVE[source]
    return None if _configured(getattr(settings, source), key) else f"not configured ({missing})"


def _report_log_quality(record: dict) -> None:
    quality = record["quality"]
    views = sum(row["views"] for row in record["daily"])
    log.info(
        "access log: %d lines, %d page views in %s; left out: %s",
        quality["lines_read"],
        views,
        record["period"]["start"] + ".." + record["period"]["end"],
        ", ".join(f"{n} {k}" for k, n in record["excluded"].items()) or "nothing",
    )
    if quality["malformed"]:
        where = ", ".join(f"{s['file']}:{s['line']} ({s['reason']})"
                          for s in quality["malformed_samples"])
        lines = "line" if quality["malformed"] == 1 else "lines"
        log.info("access log: %d malformed %s skipped, first: %s", quality["malformed"], lines,
                 where)


LIVE = {
    "goatcounter": ("GoatCounter", "site", "no site"),
    "github": ("GitHub", "units", "no units"),
}
# The options a live source's numbers depend on (never its token). A raw record keeps their
# fingerprint, and is reused only by a build with the same values: a unit fixed or added, or
# another site, must show at the next build, not an hour later.
FINGERPRINTED = {"goatcounter": ("site", "top_pages"), "github": ("units", "mode", "api_url")}
FINGERPRINT = "options_fingerprint"
# What was already said once in this process.
_SAID: set[str] = set()
# How long (at most; never longer than cache_ttl) a failed live collection is remembered
# within one process, so that `mkdocs serve` does not wait for it again on every rebuild.
FAILURE_MEMORY = 300


def fingerprint(source: str, settings: Settings) -> str:
    """``sha256:<16 hex>`` of the options ``source``'s record depends on: a hash, since an
    ``api_url`` may hold a user name."""
    options = getattr(settings, source)
    values = [[key, getattr(options, key, None)] for key in FINGERPRINTED[source]]
    if source == "goatcounter":
        # The site's own hosts are left out of its referrers.
        values.append(["own_hosts", sorted(settings.own_hosts)])
    text = json.dumps(values, default=str, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _live(source: str, settings: Settings, period: Period) -> dict:
    """A live source's record: fresh from its API, or reused from ``data/raw``.

    Reused when ``offline`` is on, or when the raw record of this period is younger than
    ``cache_ttl`` seconds and was collected with the same options (:func:`fingerprint`).
    Without configuration the source is skipped, said once at INFO. With ``settings.failures``
    (the plugin's, kept across `mkdocs serve` rebuilds), a collection that failed (unavailable
    or partial) is not asked again with the same options for ``min(cache_ttl, 300)`` seconds:
    its record is reused, said at INFO, instead of waiting for the same failure again.
    """
    label = LIVE[source][0]
    options = getattr(settings, source)
    reason = unconfigured(settings, source)
    if reason:
        log.info("%s %s; skipping", label, reason)
        return {"available": False, "reason": reason}

    path = settings.raw_path(source, period)
    wanted = fingerprint(source, settings)
    cached = _read_raw(path)
    if settings.offline:
        if cached:
            log.info("%s: offline; using the data collected earlier for %s", label, period.name)
            if cached.get(FINGERPRINT, wanted) != wanted:
                where = os.path.relpath(path, settings.root)
                _say_once(
                    f"{label}: the data of {period.name} in {where} was collected with other "
                    f"options ({', '.join(FINGERPRINTED[source])}) than mkdocs.yml has now; "
                    "it is used as it is while offline"
                )
            return cached
        log.info("%s: offline and nothing collected for %s yet; skipping", label, period.name)
        return {"available": False, "reason": "offline, and no data collected for this period"}
    if cached and cached.get(FINGERPRINT) != wanted:
        log.info("%s: the data of %s was collected with other options (%s); asking again",
                 label, period.name, ", ".join(FINGERPRINTED[source]))
    elif cached and time.time() - os.path.getmtime(path) < settings.cache_ttl:
        log.info("%s: using data collected less than %ds ago", label, settings.cache_ttl)
        return cached

    memory = settings.failures
    key = (source, period.name, settings.data_dir, _asked_with(source, settings))
    hold = min(settings.cache_ttl, FAILURE_MEMORY)
    if memory is not None and key in memory:
        when, record = memory[key]
        ago = time.monotonic() - when
        if ago < hold:
            log.info("%s: not asked again: it failed %.0f s ago (%s); asked again %d s after "
                     "that, or when its options change", label, ago, record["reason"], hold)
            return dict(record)

    module = importlib.import_module(f".sources.{source}", __package__)
    record = module.collect(options, period, settings)
    if record.get("available"):
        record[FINGERPRINT] = wanted
    if memory is not None:
        if record.get("available") and not record.get("partial"):
            memory.pop(key, None)
        else:
            memory[key] = (time.monotonic(), record)
    return record


def _asked_with(source: str, settings: Settings) -> str:
    """A hash of every option the source was asked with, the token and timeouts included (a
    failure may be theirs): a failed collection is remembered only for the same ones."""
    options = getattr(settings, source)
    values = dict(options) if hasattr(options, "keys") else vars(options)
    text = json.dumps([fingerprint(source, settings), sorted(values.items(), key=lambda kv: kv[0])],
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _say_once(message: str) -> None:
    if message not in _SAID:
        _SAID.add(message)
        log.warning(message)


def _read_raw(path: str, fingerprint: str | None = None) -> dict | None:
    """The usable raw record at ``path``; with ``fingerprint``, not one collected with other
    options (one from before fingerprints, which has none, is taken)."""
    try:
        with open(path, encoding="utf-8") as file:
            record = json.load(file)
    except (OSError, ValueError):
        return None
    # A partial record (a quota ran out part-way) is not reused: the next build tries again.
    usable = isinstance(record, dict) and record.get("available") and not record.get("partial")
    if usable and fingerprint is not None and record.get(FINGERPRINT, fingerprint) != fingerprint:
        return None
    return record if usable else None


# Aggregate -------------------------------------------------------------------------------


def _measure_of(record: dict) -> str:
    return "visitors" if record.get("measure") == "visitors" else "page views"


def load_records(settings: Settings, period: Period) -> dict[str, dict]:
    """The raw records of ``period`` on disk; a missing or broken one is unavailable."""
    records = {}
    for source in ALL_SOURCES:
        path = settings.raw_path(source, period)
        try:
            with open(path, encoding="utf-8") as file:
                records[source] = json.load(file)
        except FileNotFoundError:
            reason = unconfigured(settings, source) or "no record collected for this period"
            records[source] = unavailable(source, period, reason)
        except (OSError, ValueError) as error:
            log.warning("Couldn't read %s: %s; treating %s as unavailable", path, error, source)
            records[source] = unavailable(source, period, f"raw record unreadable: {error}")
    return records


def generated_at(period: Period) -> str:
    """The artifacts' time stamp: ``SOURCE_DATE_EPOCH`` when set, else the end of the period.

    Not the clock: a re-run of the same period must give the same bytes.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return isoformat_z(datetime.fromtimestamp(int(epoch), tz=timezone.utc))
    return isoformat_z(period.end_instant())


BLOCK_NAMES = {"web": "web", "github": "GitHub"}


def _of_period(source: str, record: dict, period: Period) -> dict:
    """``record``, or an unavailable one when it counts another period than ``period``.

    A stale record must never pass for this period's numbers (the earlier implementation
    reprocessed an old week as the current one).
    """
    covered = record.get("period") or {}
    if not record.get("available") or covered == period.as_dict():
        return record
    other = f"{covered.get('start')}--{covered.get('end')}"
    log.warning("The %s record covers %s, not %s; left out", source, other, period.name)
    return unavailable(source, period, f"the record covers {other}, not {period.name}")


def aggregate(
    settings: Settings,
    period: Period,
    records: dict[str, dict] | None = None,
    site_pages: list[dict] | None = None,
) -> Result:
    """Artifacts and a history snapshot from the records of ``period``.

    Under the history's lock, from reading the history to writing the snapshot: two builds
    at once run one after the other, so the artifacts in ``data/`` are always one build's
    set, never one build's metrics beside another's report.
    """
    with history.lock(settings.history_dir):
        # A build killed between writing a temporary file and renaming it leaves the
        # temporary behind; no other build can be writing now, so it is safe to remove.
        for folder in (settings.data_dir, settings.history_dir):
            history.sweep(folder)
        return _aggregate(settings, period, records, site_pages)


def _aggregate(
    settings: Settings,
    period: Period,
    records: dict[str, dict] | None,
    site_pages: list[dict] | None,
) -> Result:
    if records is None:
        records = load_records(settings, period)
    records = {name: _of_period(name, record, period) for name, record in records.items()}
    rules = thresholds.load(settings.thresholds) if settings.thresholds else []
    past = history.load(settings.history_dir)
    for problem in past.problems:
        log.warning("Couldn't read history snapshot %s; skipped", problem)

    web = [records[s] for s in agg.WEB_SOURCES if s in records]
    engagement = agg.engagement_metrics(period, web, past, generated_at(period), site_pages)
    counted = engagement.get("counted_from") or []
    left_out = [r["source"] for r in web if r.get("available") and r["source"] not in counted]
    for source in left_out:
        log.info(
            "%s left out of the web numbers: it counts %s, unlike %s; one site, one measure",
            source, _measure_of(records[source]), ", ".join(engagement["counted_from"]),
        )
    github = agg.github_activity(records.get("github"), past, period)
    sources = {name: agg.availability(record) for name, record in records.items()}
    report = agg.system_report(engagement, github, [], sources)
    report["alerts"] = thresholds.evaluate(rules, thresholds.metrics(engagement, report))

    outcomes = signals.load_outcomes(settings.outcome_kpis) if settings.outcome_kpis else []
    weekly = signals.build(engagement, report, rules, outcomes)

    written = []
    outputs = {
        ENGAGEMENT: history.dumps(engagement),
        REPORT: history.dumps(report),
        SIGNALS: history.dumps(weekly),
        SIGNALS_MD: signals.markdown(weekly),
    }
    for name, text in outputs.items():
        if history.write_atomic(os.path.join(settings.data_dir, name), text):
            written.append(name)
    current = agg.snapshot(engagement, report)
    # A rerun that could not reach a source must not hide what an earlier run counted (the
    # newest revision is the one read): the block it lacks is carried over from the snapshot
    # before, and when that is all that would change, nothing is written.
    kept = past.get(period) or {}
    lacking = [
        block
        for block in ("web", "github")
        if (kept.get(block) or {}).get("available") and not current[block]["available"]
    ]
    news = [
        block
        for block in ("web", "github")
        if current[block]["available"] and current[block] != kept.get(block)
    ]
    added = None
    if lacking and not news:
        log.warning(
            "Kept history snapshot %s: this run has no %s data for the period",
            period.name,
            " or ".join(BLOCK_NAMES[block] for block in lacking),
        )
    else:
        current = {**current, **{block: kept[block] for block in lacking}}
        added = history.append(settings.history_dir, period, current)
    if added:
        written.append(os.path.join("history", added))
    series = [s for _, s in past.series(period.previous(), SERIES - 1)] + [current]
    return Result(
        period, engagement, report, weekly, written, series, past.get(period.previous()),
        rules, outcomes,
    )
