"""The wheel carries everything the plugin needs, and builds sites in a clean environment,
under MkDocs and under ProperDocs."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run(*command, cwd=None) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{command}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", out, REPO)
    (found,) = out.glob("mkdocs_analytics-*.whl")
    return found


@pytest.fixture(scope="module")
def clean_env(tmp_path_factory, wheel) -> Path:
    """A new virtual environment, without this one's packages, with the wheel installed."""
    home = tmp_path_factory.mktemp("venv") / "env"
    venv.create(home, with_pip=True, system_site_packages=False)
    run(home / "bin" / "python", "-m", "pip", "install", "--quiet", wheel, "properdocs")
    return home


def test_the_wheel_carries_schemas_assets_and_the_entry_points(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(
            archive.read(n).decode() for n in names if n.endswith("entry_points.txt")
        )
    for schema in ("raw-record", "engagement-metrics", "system-engagement-report",
                   "history-snapshot"):
        assert f"mkdocs_analytics/schemas/{schema}.schema.json" in names
    assert "mkdocs_analytics/assets/analytics.css" in names
    assert "analytics = mkdocs_analytics.plugin:AnalyticsPlugin" in entry_points
    assert "mkdocs-analytics = mkdocs_analytics.cli:main" in entry_points
    assert not any(name.startswith(("tests/", "data/", "docs/")) for name in names)


def test_the_installed_wheel_builds_a_site(clean_env, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "access.log").write_text(
        '192.0.2.1 - - [10/Mar/2024:09:00:00 +0000] "GET / HTTP/1.1" 200 512 "-" '
        '"Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"\n'
    )
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: Wheel\ntheme: mkdocs\nplugins:\n"
        "  - analytics:\n      min_count: 1\n      access_log:\n        paths: [logs/access.log]\n"
    )
    run(clean_env / "bin" / "mkdocs", "build", "--strict", cwd=tmp_path)
    metrics = json.loads((tmp_path / "site/analytics/engagement-metrics.json").read_text())
    assert metrics["site_totals"]["page_views"] == 1
    assert (tmp_path / "site/analytics/analytics.css").stat().st_size > 0
    # The command line came with it.
    out = run(clean_env / "bin" / "mkdocs-analytics", "check", cwd=tmp_path).stdout
    assert "plugin 'analytics' options are valid" in out


def test_the_demo_builds_under_properdocs(clean_env, tmp_path):
    for name in ("docs", "config", "data/demo"):
        shutil.copytree(REPO / name, tmp_path / name)
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    run(clean_env / "bin" / "properdocs", "build", "-f", "mkdocs.yml", cwd=tmp_path)
    metrics = json.loads((tmp_path / "site/analytics/engagement-metrics.json").read_text())
    assert metrics["site_totals"]["page_views"] > 0
    assert "<svg" in (tmp_path / "site/analytics/index.html").read_text()
