"""A hostile or careless mkdocs.yml gets a clear error naming the option, never a crash and
never a read or write outside the project."""

from __future__ import annotations

import os

import pytest
from mkdocs.exceptions import Abort

from mkdocs_analytics import thresholds

LOG_LINE = (
    '192.0.2.1 - - [10/Mar/2024:09:00:00 +0000] "GET / HTTP/1.1" 200 512 "-" '
    '"Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"\n'
)


@pytest.fixture
def project(tmp_path, site):
    """A site in tmp_path/project, with a folder beside it that must stay untouched."""
    from conftest import Site

    root = tmp_path / "project"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.log").write_text(LOG_LINE)
    project = Site(root)
    project.write("docs/index.md", "# Home\n")
    project.write("logs/access.log", LOG_LINE)
    project.outside = outside
    return project


def configure(project, options: str) -> None:
    project.write(
        "mkdocs.yml",
        "site_name: Hostile\ntheme: mkdocs\nplugins:\n  - analytics:\n"
        + "".join(f"      {line}\n" for line in options.strip().splitlines()),
    )


def fails_with(project, caplog, message: str) -> None:
    with pytest.raises(Abort):
        project.build()
    assert message in caplog.text


def test_data_dir_outside_the_project_is_refused(project, caplog):
    configure(project, "data_dir: ../outside/data")
    fails_with(project, caplog, "option 'data_dir' (../outside/data) points outside the project")
    assert sorted(os.listdir(project.outside)) == ["secret.log"]


def test_data_dir_through_a_symlink_to_outside_is_refused(project, caplog):
    os.symlink(project.outside, project.root / "data")
    configure(project, "data_dir: data")
    fails_with(project, caplog, "option 'data_dir' (data) points outside the project")
    assert sorted(os.listdir(project.outside)) == ["secret.log"]


@pytest.mark.parametrize("pattern", ["../outside/secret.log", "../outside/*.log", "ABSOLUTE"])
def test_logs_outside_the_project_are_refused(project, caplog, pattern):
    pattern = str(project.outside / "secret.log") if pattern == "ABSOLUTE" else pattern
    configure(project, f"access_log:\n  paths: [{pattern!r}]")
    fails_with(project, caplog, f"option 'access_log.paths': {pattern!r} is outside the project")


def test_a_symlinked_log_leading_outside_is_refused(project, caplog):
    os.symlink(project.outside / "secret.log", project.root / "logs" / "linked.log")
    configure(project, "access_log:\n  paths: ['logs/*.log']")
    fails_with(project, caplog, "option 'access_log.paths': 'logs/*.log' is outside the project")


def test_logs_outside_can_be_allowed_on_purpose(project):
    configure(
        project,
        f"min_count: 1\naccess_log:\n  outside_project: true\n"
        f"  paths: [{str(project.outside / 'secret.log')!r}]",
    )
    project.build()
    assert project.json("data/engagement-metrics.json")["site_totals"]["page_views"] == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("!!python/object/apply:os.system ['touch /tmp/owned']",
         "thresholds.yaml: cannot be read: could not determine a constructor"),
        ("rules:\n  - {name: r, metric: trends.max_referrer_share_pct, operator: '>', "
         "value: 150, description: d}",
         "rule 'r': value 150 is outside what trends.max_referrer_share_pct can be (0 to 100)"),
        ("rules:\n  - {name: r, metric: trends.views_delta_pct, operator: '<', "
         "value: -500, description: d}",
         "rule 'r': value -500 is outside what trends.views_delta_pct can be"),
        ("rules:\n  - {name: r, metric: site.page_views, operator: '<', value: 1.0e+400, "
         "description: d}",
         "rule 'r': value inf is not a finite number"),
        ("rules:\n  - {name: r, metric: site.page_views, operator: '<', value: .nan, "
         "description: d}",
         "rule 'r': value nan is not a finite number"),
    ],
)
def test_hostile_threshold_files_are_refused_by_name(tmp_path, body, message):
    path = tmp_path / "thresholds.yaml"
    path.write_text(body)
    with pytest.raises(thresholds.ThresholdError) as error:
        thresholds.load(str(path))
    assert message in str(error.value)
    assert not os.path.exists("/tmp/owned")


def test_a_custom_tag_in_the_outcome_kpis_is_refused(project, caplog):
    configure(project, "min_count: 1")
    project.write("config/outcome-kpis.yaml", "kpis: !!python/object/new:os.system [true]\n")
    fails_with(project, caplog, "option 'outcome_kpis': outcome-kpis.yaml: cannot be read")


def test_a_pattern_with_a_format_that_ignores_it_is_refused(project, caplog):
    configure(project, "access_log:\n  format: combined\n  pattern: '%h %t \"%r\" %>s'\n"
              "  paths: [logs/access.log]")
    fails_with(project, caplog, "option 'access_log.pattern' is set, but 'access_log.format' "
               "is 'combined', which ignores it; set format: pattern")


def test_an_impossible_date_stops_mkdocs_build_before_the_plugin(project, caplog):
    """A known limitation: PyYAML reads an unquoted 2026-02-30 as a date and raises while
    MkDocs loads mkdocs.yml, before any plugin is loaded, so `mkdocs build` ends with its
    traceback (`mkdocs-analytics check` names the line, see test_cli). Quoted, the value
    reaches the plugin, which names the option."""
    configure(project, "period_end: 2026-02-30")
    with pytest.raises(ValueError, match="day is out of range for month"):
        project.build()
    configure(project, "period_end: '2026-02-30'")
    fails_with(project, caplog,
               "option 'period_end': expected a date such as 2026-02-16, got '2026-02-30'")
