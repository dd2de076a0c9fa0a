"""``mkdocs-analytics``: run one stage from ``mkdocs.yml`` without building the site.

    mkdocs-analytics collect     ask every configured source, write data/raw/
    mkdocs-analytics aggregate   artifacts and history from data/raw/ (no network)
    mkdocs-analytics report      print the weekly signals of the last aggregation
    mkdocs-analytics check       check the configuration, rule files and history

Exit codes: 0 all went well; 1 a source failed (what was collected is kept); 2 the
configuration is wrong. Artifacts written here are the bytes a build would write.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys

from . import __version__, history, pipeline, project, schemas, signals, thresholds
from .period import Period
from .sources import access_log

OK, SOURCE_FAILED, BAD_CONFIG = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _logging(args.verbose)
    try:
        config, options, settings = project.load(args.config_file)
    except project.ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        return BAD_CONFIG
    if getattr(args, "period", None):
        try:
            period = Period.parse(args.period)
        except ValueError:
            print(f"error: --period {args.period!r} is not START--END", file=sys.stderr)
            return BAD_CONFIG
        settings.period_end, settings.period_days = period.end, period.days
    return args.run(args, config, options, settings)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mkdocs-analytics",
        description="Run one stage of mkdocs-analytics from mkdocs.yml.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-f", "--config-file", default="mkdocs.yml", help="default: mkdocs.yml")
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug lines")
    commands = parser.add_subparsers(required=True, metavar="command")

    collect = commands.add_parser("collect", help="ask every configured source, write data/raw")
    collect.add_argument("--period", help="START--END, e.g. 2026-02-09--2026-02-15")
    collect.add_argument("--offline", action="store_true", help="make no network request")
    collect.set_defaults(run=run_collect)

    aggregate = commands.add_parser("aggregate", help="artifacts and history from data/raw")
    aggregate.add_argument("--period", help="START--END; default: the newest in data/raw")
    aggregate.set_defaults(run=run_aggregate)

    report = commands.add_parser("report", help="print the last weekly signals")
    report.add_argument("--json", action="store_true", help="print weekly-signals.json")
    report.set_defaults(run=run_report)

    check = commands.add_parser("check", help="check configuration, rules and history")
    check.add_argument("--online", action="store_true",
                       help="also reach each live source and check its token")
    check.set_defaults(run=run_check)
    return parser


class _Stderr(logging.StreamHandler):
    """Log lines to whatever ``sys.stderr`` is now (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _logging(verbose: bool) -> None:
    logger = logging.getLogger("mkdocs")
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    if not any(isinstance(h, _Stderr) for h in logger.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)


# Stages ----------------------------------------------------------------------------------


def run_collect(args, config, options, settings) -> int:
    if args.offline:
        settings.offline = True
    collection = pipeline.collect(settings)
    failed = _failed(settings, collection.records)
    for source, record in collection.records.items():
        state = "collected" if record["available"] else f"not available: {record['reason']}"
        print(f"{source}: {state}")
    print(f"period: {collection.period.name}")
    return SOURCE_FAILED if failed else OK


def run_aggregate(args, config, options, settings) -> int:
    period = _period(args, settings)
    if period is None:
        print("error: no raw record in data/raw; run `mkdocs-analytics collect` first",
              file=sys.stderr)
        return SOURCE_FAILED
    result = pipeline.aggregate(
        settings, period, site_pages=project.pages_of(config, options)
    )
    for name in result.written:
        print(f"wrote data/{name}")
    if not result.written:
        print(f"unchanged: the artifacts of {period.name} were already written")
    for alert in result.report["alerts"]:
        print(f"alert ({alert['severity']}): {alert['message']}")
    return OK


def _period(args, settings) -> Period | None:
    """The period asked for (``--period`` or ``period_end``), else the newest one with a raw
    record on disk."""
    if args.period or settings.period_end:
        return Period.ending(settings.period_end, settings.period_days)
    names = set()
    for source in pipeline.ALL_SOURCES:
        folder = os.path.join(settings.raw_dir, source)
        if os.path.isdir(folder):
            names.update(n[:-5] for n in os.listdir(folder) if history.SNAPSHOT.fullmatch(n))
    periods = []
    for name in names:
        try:
            periods.append(Period.parse(name))
        except ValueError:
            continue
    return max(periods, key=lambda p: (p.end, p.days)) if periods else None


def run_report(args, config, options, settings) -> int:
    name = pipeline.SIGNALS if args.json else pipeline.SIGNALS_MD
    path = os.path.join(settings.data_dir, name)
    try:
        with open(path, encoding="utf-8") as file:
            sys.stdout.write(file.read())
    except FileNotFoundError:
        print(f"error: no {name} yet; run `mkdocs-analytics aggregate` or `mkdocs build`",
              file=sys.stderr)
        return SOURCE_FAILED
    return OK


def run_check(args, config, options, settings) -> int:
    """Print what was found, one plain line each; the exit code says the worst of it."""
    worst = OK
    print(f"ok: {_rel(config.config_file_path)}: plugin 'analytics' options are valid")
    rules = thresholds.load(settings.thresholds)
    if os.path.samefile(settings.thresholds, project.packaged_thresholds()):
        print(f"note: no {project.DEFAULT_THRESHOLDS}: the {len(rules)} default rules apply")
    else:
        print(f"ok: {_rel(settings.thresholds)}: {len(rules)} rules")
    if os.path.exists(settings.outcome_kpis):
        outcomes = signals.load_outcomes(settings.outcome_kpis)
        print(f"ok: {_rel(settings.outcome_kpis)}: {len(outcomes)} outcome KPIs")
    else:
        print(f"note: {_rel(settings.outcome_kpis)}: not found, so no outcome KPIs")

    past = history.load(settings.history_dir)
    for problem in past.problems:
        print(f"warning: history: {problem}; it is skipped")
    print(f"ok: {_rel(settings.history_dir)}: {len(past.snapshots)} periods")
    for name, schema in (
        (pipeline.ENGAGEMENT, "engagement-metrics"),
        (pipeline.REPORT, "system-engagement-report"),
        (pipeline.SIGNALS, "weekly-signals"),
    ):
        worst = max(worst, _check_artifact(settings, name, schema))

    for line in _source_lines(settings):
        print(line)
        if line.startswith("error:"):
            worst = max(worst, SOURCE_FAILED)
    if args.online:
        worst = max(worst, _check_online(settings))
    return worst


def _check_artifact(settings, name: str, schema: str) -> int:
    path = os.path.join(settings.data_dir, name)
    if not os.path.exists(path):
        print(f"note: {_rel(path)}: not written yet")
        return OK
    try:
        with open(path, encoding="utf-8") as file:
            problems = schemas.errors(schema, json.load(file))
    except ValueError as error:
        problems = [str(error)]
    if problems:
        print(f"error: {_rel(path)}: does not fit its schema: {problems[0]}")
        return SOURCE_FAILED
    print(f"ok: {_rel(path)}: fits its schema")
    return OK


def _source_lines(settings) -> list[str]:
    lines = []
    for source in pipeline.FILE_SOURCES:
        patterns = getattr(settings, f"{source}_paths")
        if not patterns:
            lines.append(f"note: {source}: not configured (no paths)")
            continue
        try:
            found = access_log.find_files(patterns, settings.root)
        except access_log.LogError as error:
            lines.append(f"error: {source}: {error}")
        else:
            files = "1 file" if len(found) == 1 else f"{len(found)} files"
            lines.append(f"ok: {source}: {', '.join(patterns)} ({files})")
    gc = settings.goatcounter
    if gc is not None and gc.site:
        token = "token set" if gc.token else "no token (set GOATCOUNTER_TOKEN)"
        lines.append(f"ok: goatcounter: site {gc.site}, {token}")
    else:
        lines.append("note: goatcounter: not configured (no site)")
    gh = settings.github
    if gh is not None and gh.units:
        token = "token set" if gh.token else "no token: public data at the unauthenticated limit"
        units = "1 unit" if len(gh.units) == 1 else f"{len(gh.units)} units"
        lines.append(f"ok: github: {units}, {token}")
    else:
        lines.append("note: github: not configured (no units)")
    return lines


def _check_online(settings) -> int:
    """Reach each configured live source once and say what its token allows."""
    worst = OK
    for source in ("goatcounter", "github"):
        options = getattr(settings, source)
        key = "site" if source == "goatcounter" else "units"
        if options is None or not options[key]:
            continue
        module = importlib.import_module(f".sources.{source}", __package__)
        ok, message = module.check(options)
        print(f"{'ok' if ok else 'error'}: {source}: {message}")
        if not ok:
            worst = SOURCE_FAILED
    return worst


def _failed(settings, records: dict) -> bool:
    """Whether a configured source did not deliver."""
    return any(
        not pipeline.unconfigured(settings, source) and not records[source]["available"]
        for source in pipeline.ALL_SOURCES
    )


def _rel(path: str) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return path




if __name__ == "__main__":
    sys.exit(main())
