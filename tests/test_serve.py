"""`mkdocs serve`: one edit, one rebuild (the plugin writes nothing that serve watches), and
rebuilds make no new request to a live source inside the cache time."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

TOKEN = "serve-test-token-0000"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(site):
    """`mkdocs serve` of ``site`` on a free local port, its output in ``site.log``."""
    env = {**os.environ, "GOATCOUNTER_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1"}
    site.log = site.root / "serve.log"
    with open(site.log, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{free_port()}"],
            cwd=site.root, stdout=log, stderr=subprocess.STDOUT, env=env,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(predicate, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def goatcounter(httpserver) -> None:
    """A GoatCounter that answers every stats request with one page and one visitor a day."""
    days = [{"day": f"2024-03-{d:02d}", "hourly": [0] * 24, "daily": 1} for d in range(5, 12)]
    httpserver.expect_request("/api/v0/me").respond_with_json(
        {"user": {"settings": {"timezone": ".UTC"}}, "token": {"permissions": 64}}
    )
    httpserver.expect_request("/api/v0/stats/total").respond_with_json(
        {"total": 7, "total_events": 0, "total_utc": 7, "stats": days}
    )
    httpserver.expect_request("/api/v0/stats/hits").respond_with_json(
        {"hits": [{"path_id": 1, "path": "/", "title": "Home", "event": False, "count": 7,
                   "max": 1, "stats": days}], "total": 7, "more": False}
    )
    httpserver.expect_request(re.compile(r"/api/v0/stats/hits/\d+")).respond_with_json(
        {"refs": [], "more": False}
    )
    httpserver.expect_request(re.compile(r"/api/v0/stats/\w+")).respond_with_json(
        {"stats": [], "more": False}
    )


@pytest.fixture
def served(site, httpserver):
    goatcounter(httpserver)
    site.write(
        "mkdocs.yml",
        f"""
        site_name: Serve
        theme: mkdocs
        plugins:
          - analytics:
              period_end: 2024-03-11
              goatcounter:
                site: {httpserver.url_for("/").rstrip("/")}
        """,
    )
    site.write("docs/index.md", "# Home\n")
    with serving(site):
        yield site


def builds(log: Path) -> int:
    return log.read_text(encoding="utf-8").count("Documentation built in")


def test_one_edit_one_rebuild_and_no_new_request(served, httpserver):
    assert wait_for(lambda: builds(served.log) == 1, timeout=90), served.log.read_text()
    first_requests = len(httpserver.log)
    assert first_requests > 0
    metrics = json.loads((served.root / "data/engagement-metrics.json").read_text())
    assert metrics["site_totals"]["unique_visitors"] == 7

    # Let the watcher settle, then edit one page once.
    time.sleep(1.5)
    served.write("docs/index.md", "# Home, edited\n")
    assert wait_for(lambda: builds(served.log) == 2, timeout=90), served.log.read_text()

    # Nothing the rebuild wrote may start another one.
    time.sleep(4)
    assert builds(served.log) == 2, served.log.read_text()
    # The rebuild reused the data collected a moment ago.
    assert len(httpserver.log) == first_requests
    text = served.log.read_text(encoding="utf-8")
    assert "GoatCounter: using data collected less than 3600s ago" in text
    assert TOKEN not in text


@pytest.fixture
def unreachable(site):
    """`mkdocs serve` of a site whose GoatCounter cannot be reached (a closed local port)."""
    site.write(
        "mkdocs.yml",
        f"""
        site_name: Serve
        theme: mkdocs
        plugins:
          - analytics:
              period_end: 2024-03-11
              goatcounter:
                site: http://127.0.0.1:{free_port()}
        """,
    )
    site.write("docs/index.md", "# Home\n")
    with serving(site):
        yield site


def build_times(log: Path) -> list[float]:
    text = log.read_text(encoding="utf-8")
    return [float(s) for s in re.findall(r"Documentation built in ([\d.]+) seconds", text)]


def test_an_unreachable_source_is_not_waited_for_on_every_rebuild(unreachable):
    """The first build tries (and retries, about 7 s); a rebuild reuses the failure, with one
    INFO line and no new warning."""
    assert wait_for(lambda: builds(unreachable.log) == 1, timeout=90), unreachable.log.read_text()
    time.sleep(1.5)
    unreachable.write("docs/index.md", "# Home, edited\n")
    assert wait_for(lambda: builds(unreachable.log) == 2, timeout=90), unreachable.log.read_text()

    text = unreachable.log.read_text(encoding="utf-8")
    first, second = build_times(unreachable.log)
    assert first > 6 and second < 3, text  # retries after 1, 2 and 4 s, then none
    assert text.count("GoatCounter unavailable for 2024-03-05--2024-03-11") == 1, text
    assert text.count("GoatCounter: no connection; retrying") == 3, text
    assert text.count("GoatCounter: not asked again: it failed ") == 1, text
    assert "(couldn't connect to 127.0.0.1:" in text
    assert TOKEN not in text
