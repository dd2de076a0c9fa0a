"""The command line runs single stages and reproduces what a build writes, byte for byte."""

from __future__ import annotations

import os
import shutil

import pytest
from test_plugin_build import HAND_LOG

from mkdocs_analytics.cli import main

ARTIFACTS = ("engagement-metrics.json", "system-engagement-report.json",
             "weekly-signals.json", "weekly-signals.md")


@pytest.fixture
def project(site, monkeypatch):
    site.write(
        "mkdocs.yml",
        """
        site_name: CLI test
        site_url: https://docs.example.org/
        theme: mkdocs
        plugins:
          - analytics:
              access_log:
                paths: [logs/access.log]
        """,
    )
    site.write("docs/index.md", "# Home\n")
    site.write("docs/guide.md", "# The guide\n")
    site.write("logs/access.log", HAND_LOG)
    monkeypatch.chdir(site.root)
    return site


def test_collect_then_aggregate_writes_what_a_build_writes(project, capsys):
    project.build()
    built = {name: (project.root / "data" / name).read_bytes() for name in ARTIFACTS}
    for name in ARTIFACTS:
        os.remove(project.root / "data" / name)
    shutil.rmtree(project.root / "data" / "raw")

    assert main(["collect"]) == 0
    out = capsys.readouterr().out
    assert "access_log: collected" in out
    assert "period: 2024-03-05--2024-03-11" in out
    assert main(["aggregate"]) == 0
    out = capsys.readouterr().out
    assert "wrote data/engagement-metrics.json" in out

    for name in ARTIFACTS:
        assert (project.root / "data" / name).read_bytes() == built[name], name
    # The history snapshot was already there with the same bytes: nothing new.
    snapshots = sorted(p.name for p in (project.root / "data" / "history").glob("*.json"))
    assert snapshots == ["2024-03-05--2024-03-11.json"]


def test_aggregate_alone_runs_from_the_raw_files_without_the_logs(project, capsys):
    assert main(["collect"]) == 0
    os.remove(project.root / "logs" / "access.log")
    assert main(["aggregate", "--period", "2024-03-05--2024-03-11"]) == 0
    assert (project.root / "data" / "engagement-metrics.json").exists()


def test_report_prints_the_weekly_signals(project, capsys):
    assert main(["report"]) == 1
    assert "no weekly-signals.md yet" in capsys.readouterr().err
    project.build()
    assert main(["report"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Weekly signals\n")
    assert "- Page views: 6 views (no previous week)" in out


def test_check_reports_plain_lines_and_exit_zero(project, capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "note: no config/thresholds.yaml: the 8 default rules apply" in out
    assert "note: goatcounter: not configured (no site)" in out
    assert "ok: access_log: logs/access.log (1 file)" in out


def test_a_bad_option_exits_2_with_the_option_name(project, capsys):
    project.write(
        "mkdocs.yml",
        """
        site_name: CLI test
        plugins:
          - analytics:
              period_days: 0
        """,
    )
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert "Plugin 'analytics' option 'period_days': expected a whole number of at least 1" in err


@pytest.mark.parametrize("command", ["check", "collect", "aggregate", "report"])
def test_an_unknown_option_exits_2_with_its_name(project, capsys, command):
    """MkDocs only warns about an option name it does not know; the stages would run without
    what it was meant to set, so the command line refuses it."""
    project.write(
        "mkdocs.yml",
        """
        site_name: CLI test
        plugins:
          - analytics:
              typo_top: 1
              access_log:
                paths: [logs/access.log]
                typo_option: 1
        """,
    )
    assert main([command]) == 2
    captured = capsys.readouterr()
    assert "ok:" not in captured.out
    assert captured.err.splitlines()[-1] == (
        "error: mkdocs.yml: plugin 'analytics': unknown option 'access_log.typo_option', "
        "unknown option 'typo_top'. MkDocs only warns, and the option is ignored: correct its "
        "name (see the options in the documentation) or remove it"
    )
    assert not (project.root / "data").exists()


def test_an_unknown_option_in_strict_mode_is_named_too(project, capsys):
    project.write(
        "mkdocs.yml",
        """
        site_name: CLI test
        strict: true
        plugins:
          - analytics:
              acess_log: {paths: [logs/access.log]}
        """,
    )
    assert main(["check"]) == 2
    assert "plugin 'analytics': unknown option 'acess_log'." in capsys.readouterr().err


def test_warnings_about_other_plugins_are_theirs(project, capsys):
    project.write(
        "mkdocs.yml",
        """
        site_name: CLI test
        plugins:
          - search:
              typo: 1
          - analytics:
              access_log:
                paths: [logs/access.log]
        """,
    )
    assert main(["check"]) == 0


@pytest.mark.parametrize(("value", "code"), [("-5", 2), ("0", 0), ("true", 2)])
def test_cache_ttl_is_a_whole_number_of_seconds(project, capsys, value, code):
    project.write(
        "mkdocs.yml",
        f"""
        site_name: CLI test
        plugins:
          - analytics:
              cache_ttl: {value}
        """,
    )
    assert main(["check"]) == code
    if code:
        said = "Plugin 'analytics' option 'cache_ttl': expected a whole number of at least 0"
        assert said in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "wrong"),
    [
        ("2026-02-30", "day is out of range for month"),
        ("2026-13-01", "month must be in 1..12"),
        ("2026-02-30T08:00:00Z", "day is out of range for month"),
    ],
)
@pytest.mark.parametrize("command", ["check", "collect"])
def test_an_impossible_date_exits_2_with_the_line(project, capsys, value, wrong, command):
    """PyYAML reads an unquoted date itself, and fails on a day that does not exist, before
    MkDocs or the plugin see the value: no traceback, the file, line and value instead."""
    project.write(
        "mkdocs.yml",
        f"""
        site_name: CLI test
        # period_end: 2026-02-31 was tried before
        plugins:
          - analytics:
              period_end: {value}  # the last day
        """,
    )
    assert main([command]) == 2
    assert capsys.readouterr().err == (
        f"error: mkdocs.yml, line 5: {value[:10]} is not a day of the calendar ({wrong}); "
        "write a real day, such as 2026-02-28\n"
    )


def test_an_impossible_date_in_quotes_is_the_options_error(project, capsys):
    """Quoted, the value reaches the plugin, which names the option; so does `mkdocs build`
    (see test_hostile_config), which cannot read the unquoted one at all."""
    project.write(
        "mkdocs.yml",
        """
        site_name: CLI test
        plugins:
          - analytics:
              period_end: '2026-02-30'
        """,
    )
    assert main(["check"]) == 2
    assert ("Plugin 'analytics' option 'period_end': expected a date such as 2026-02-16, got "
            "'2026-02-30'") in capsys.readouterr().err


def test_a_failing_source_exits_1_and_keeps_data(project, capsys):
    project.write(
        "mkdocs.yml",
        """
        site_name: CLI test
        plugins:
          - analytics:
              access_log:
                paths: [logs/missing.log]
        """,
    )
    assert main(["collect"]) == 1
    assert "access_log: not available: no file at 'logs/missing.log'" in (
        capsys.readouterr().out
    )


def test_check_says_when_no_log_matches(project, capsys):
    project.write(
        "mkdocs.yml",
        """
        site_name: CLI test
        plugins:
          - analytics:
              access_log:
                paths: [logs/*.gz]
        """,
    )
    assert main(["check"]) == 1
    assert "error: access_log: no file matches 'logs/*.gz'" in capsys.readouterr().out


def test_check_online_reaches_each_source_and_reports_the_token(project, capsys, httpserver):
    httpserver.expect_request("/api/v0/me").respond_with_json(
        {"user": {"settings": {"timezone": "NL.Europe/Amsterdam"}}, "token": {"permissions": 72}}
    )
    httpserver.expect_request("/rate_limit").respond_with_json(
        {"resources": {"core": {"limit": 5000, "remaining": 4990, "reset": 0, "used": 10}}},
        headers={"X-OAuth-Scopes": "public_repo"},
    )
    url = httpserver.url_for("/").rstrip("/")
    project.write(
        "mkdocs.yml",
        f"""
        site_name: CLI test
        plugins:
          - analytics:
              goatcounter: {{site: "{url}", token: gc-secret-1}}
              github: {{units: {{I: [org-one]}}, api_url: "{url}", token: gh-secret-2}}
        """,
    )
    assert main(["check", "--online"]) == 0
    out = capsys.readouterr().out
    assert (f"ok: goatcounter: {url} answers; the token may read statistics "
            "(timezone Europe/Amsterdam)") in out
    assert (f"ok: github: {url} answers with the token: 4990 of 5000 requests left this "
            "hour; token scopes: public_repo") in out
    assert "gc-secret-1" not in out and "gh-secret-2" not in out


def test_check_online_reports_a_token_without_the_stats_permission(project, capsys, httpserver):
    httpserver.expect_request("/api/v0/me").respond_with_json(
        {"user": {"settings": {"timezone": ".UTC"}}, "token": {"permissions": 8}}
    )
    url = httpserver.url_for("/").rstrip("/")
    project.write(
        "mkdocs.yml",
        f"""
        site_name: CLI test
        plugins:
          - analytics:
              goatcounter: {{site: "{url}", token: gc-secret-1}}
        """,
    )
    assert main(["check", "--online"]) == 1
    out = capsys.readouterr().out
    assert "error: goatcounter: the token lacks the 'stats' permission" in out
