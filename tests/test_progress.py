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


def test_reading_a_log_on_a_terminal_shows_the_bytes_read(monkeypatch, tmp_path):
    from mkdocs_analytics.sources import access_log

    line = ('192.0.2.1 - - [10/Mar/2024:09:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" '
            '"Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"\n')
    (tmp_path / "access.log").write_text(line * 2000)
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    record, _ = access_log.collect(["access.log"], str(tmp_path))
    assert record["site_daily"][-1]["views"] == 2000
    assert "analytics: reading logs" in screen.getvalue()
