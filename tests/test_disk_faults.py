"""A full disk, a crash between a temporary file and its rename, a build killed at any point:
the next build finds the history complete and consistent, and writes what an uninterrupted
build writes."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mkdocs.exceptions import Abort
from test_plugin_build import HAND_LOG

from mkdocs_analytics import history

FILES = (
    "data/engagement-metrics.json",
    "data/system-engagement-report.json",
    "data/weekly-signals.json",
    "data/weekly-signals.md",
    "data/history/2024-03-05--2024-03-11.json",
    "site/analytics/engagement-metrics.json",
    "site/analytics/system-engagement-report.json",
)


def make(site):
    site.write(
        "mkdocs.yml",
        """
        site_name: Faults
        theme: mkdocs
        plugins:
          - analytics:
              access_log:
                paths: [logs/access.log]
        """,
    )
    site.write("docs/index.md", "# Home\n")
    site.write("logs/access.log", HAND_LOG)
    return site


def contents(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in FILES}


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob(".tmp-*"))


@pytest.fixture
def reference(tmp_path_factory):
    """What one uninterrupted build writes."""
    from conftest import Site

    site = make(Site(tmp_path_factory.mktemp("reference")))
    site.build()
    return contents(site.root)


def test_a_full_disk_during_the_snapshot_write_loses_nothing(site, reference, monkeypatch,
                                                             caplog):
    make(site)
    history_dir = str(site.root / "data" / "history")
    real_fsync = os.fsync

    def full_disk(fd):
        if os.readlink(f"/proc/self/fd/{fd}").startswith(history_dir):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(Abort):
        site.build()
    assert "couldn't write" in caplog.text and "No space left on device" in caplog.text
    assert "the history on disk is unchanged" in caplog.text
    assert os.listdir(history_dir) in ([], [".lock"])  # nothing half-written
    assert leftovers(site.root) == []

    monkeypatch.setattr(os, "fsync", real_fsync)
    site.build()
    assert contents(site.root) == reference


def test_a_crash_between_temporary_file_and_rename_is_swept_up(site, reference):
    make(site)
    site.build()
    # What a build killed just before its rename leaves: temporaries beside the real files.
    for folder in ("data", "data/history"):
        (site.root / folder / ".tmp-0123456789abcdef.json").write_text('{"half": ')
    site.build()
    assert leftovers(site.root) == []
    assert contents(site.root) == reference
    assert history.load(str(site.root / "data" / "history")).problems == []


@pytest.mark.parametrize("after", [0.2, 0.5, 0.8, 1.2])
def test_a_build_killed_at_any_point_then_rerun_writes_what_one_build_writes(site, reference,
                                                                             after):
    make(site)
    command = [sys.executable, "-m", "mkdocs", "build", "-q"]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    process = subprocess.Popen(command, cwd=site.root, env=env, stderr=subprocess.DEVNULL)
    time.sleep(after)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)

    done = subprocess.run(command, cwd=site.root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert contents(site.root) == reference
    assert leftovers(site.root) == []
    assert sorted(p.name for p in (site.root / "data/history").glob("*.json")) == [
        "2024-03-05--2024-03-11.json"
    ]
