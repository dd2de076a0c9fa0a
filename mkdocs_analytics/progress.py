"""Progress bars for long work (large logs, many repositories), from tqdm.

Shown only when standard error is a terminal: a build in CI, a log file or a test sees
nothing, so the output of `mkdocs build` stays as it is.
"""

from __future__ import annotations

import sys

from tqdm import tqdm


def bar(total: int | None, description: str, unit: str = "it", **options) -> tqdm:
    """A bar on standard error, or a silent stand-in when that is not a terminal."""
    return tqdm(
        total=total,
        desc=f"analytics: {description}",
        unit=unit,
        disable=not _terminal(),
        leave=False,
        dynamic_ncols=True,
        **options,
    )


def _terminal() -> bool:
    stream = sys.stderr
    return bool(getattr(stream, "isatty", None)) and stream.isatty()
