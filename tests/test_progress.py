"""Progress bars show on a terminal and stay silent anywhere else (CI, logs, tests)."""

from __future__ import annotations

import io
import sys

from mkdocs_analytics import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_is_drawn_on_a_terminal(monkeypatch):
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    # mininterval=0: draw every step, as tqdm would after its tenth of a second.
    with progress.bar(4, "GitHub acme", unit="repo", mininterval=0) as bar:
        for _ in range(4):
            bar.update()
    assert "analytics: GitHub acme" in screen.getvalue()
    assert "4/4" in screen.getvalue()


def test_nothing_is_written_when_standard_error_is_not_a_terminal(monkeypatch):
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    with progress.bar(4, "GitHub acme", unit="repo") as bar:
        bar.update(4)
    assert pipe.getvalue() == ""
