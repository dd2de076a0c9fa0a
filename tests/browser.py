"""Helpers for the browser checks: Debian's Chromium through Playwright, a local server, axe-core.

Nothing here downloads a browser or a script: Chromium is the system's (``apt-get install
chromium``, done by ``.ci/run``), Playwright only drives it, and axe-core is the ``axe.min.js``
that the ``axe-playwright-python`` wheel ships. Under ``CI=true`` a missing piece fails the
tests; elsewhere it skips them with the reason.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Flags for a quiet, hermetic headless run: no GPU, no QUIC, and none of the browser's own
# traffic (component updates, sync, first-run pages) that would leave the machine.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Schemes a page can be asked for (Playwright's ``color_scheme``).
SCHEMES = ("light", "dark")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(reason: str):
    """Fail under CI, where the browser checks must run; skip on a developer's machine."""
    if in_ci():
        pytest.fail(f"{reason}; CI must run the browser checks (.ci/run installs it)",
                    pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str:
    """The system Chromium: ``$ANALYTICS_CHROMIUM``, else ``chromium`` on PATH."""
    path = os.environ.get("ANALYTICS_CHROMIUM") or shutil.which("chromium")
    if not path or not os.access(path, os.X_OK):
        unavailable("no Chromium found (apt-get install chromium, or set ANALYTICS_CHROMIUM)")
    return path


def axe_source() -> str:
    """axe-core's ``axe.min.js`` from the ``axe-playwright-python`` wheel (or ``$AXE_CORE_JS``)."""
    path = os.environ.get("AXE_CORE_JS")
    if path:
        return Path(path).read_text(encoding="utf-8")
    try:
        return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        unavailable("axe-core not found (pip install -e '.[test]' brings axe-playwright-python)")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 at a free port; yield the base URL (ending in ``/``)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Guard:
    """Routes every request of a browser context: the local server's go through, any other
    host is recorded and aborted, so no test ever reaches the network."""

    LOCAL_SCHEMES = {"data", "blob", "about"}

    def __init__(self, context, base_url: str) -> None:
        self.host = urlsplit(base_url).netloc
        self.left: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route) -> None:
        url = urlsplit(route.request.url)
        if url.scheme in self.LOCAL_SCHEMES or (
            url.scheme == "http" and url.netloc == self.host
        ):
            route.continue_()
        else:
            self.left.append(route.request.url)
            route.abort()

    def check_hints(self, page) -> None:
        """Record connection hints to other hosts too: preconnect and dns-prefetch open a
        connection without a request that a route would see."""
        hrefs = page.eval_on_selector_all(
            'link[rel~="preconnect"], link[rel~="dns-prefetch"]',
            "links => links.map(link => link.href)",
        )
        self.left += [href for href in hrefs if urlsplit(href).netloc != self.host]
