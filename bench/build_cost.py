"""What the plugin adds to `mkdocs build`, as a ratio against the same build without it.

Two sites, each built with the plugin and with `enabled: false`, several times in one run:

- a generated site of 1,000 pages, 104 periods of history and 1,000 tracked paths, on
  cached data (a GoatCounter record already in data/raw, `offline: true`);
- the repository's own demo site.

Targets (issue 9): at most 1.5 times for the generated site, 1.3 times for the demo. The
plugin's own time by stage comes from its `-v` log line.

    .venv/bin/python bench/build_cost.py [--runs 5] [--pages 1000] [--periods 104]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PERIOD_END = date(2026, 11, 29)
DAYS = 7


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--periods", type=int, default=104)
    parser.add_argument("--paths", type=int, default=1000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        generated = Path(scratch) / "generated"
        make_generated_site(generated, args.pages, args.periods, args.paths)
        demo = Path(scratch) / "demo"
        copy_demo(demo)
        rows = [
            measure("generated (1,000 pages, 104 periods)", generated, args.runs, 1.5),
            measure("demo site", demo, args.runs, 1.3),
        ]
    print()
    print("| site | without plugin (s) | with plugin (s) | ratio | target | plugin stages |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| {site} | {base:.2f} | {with_:.2f} | {ratio:.2f} | ≤ {target} | {stages} |"
              .format(**row))
    return 0 if all(row["ratio"] <= row["target"] for row in rows) else 1


def measure(name: str, root: Path, runs: int, target: float) -> dict:
    """Median wall time of `mkdocs build` with and without the plugin, alternating."""
    config = (root / "mkdocs.yml").read_text(encoding="utf-8")
    (root / "without.yml").write_text(
        config.replace("  - analytics:\n", "  - analytics:\n      enabled: false\n"),
        encoding="utf-8",
    )
    build(root, "mkdocs.yml")  # warm up: first collection, history, caches
    build(root, "without.yml")
    with_times, base_times, stages = [], [], ""
    for _ in range(runs):
        seconds, output = build(root, "mkdocs.yml")
        with_times.append(seconds)
        stages = re.search(r"time by stage: (.*)", output)
        stages = stages.group(1).strip() if stages else "n/a"
        base_times.append(build(root, "without.yml")[0])
    base, with_ = statistics.median(base_times), statistics.median(with_times)
    print(f"{name}: without {base:.2f} s, with {with_:.2f} s, ratio {with_ / base:.2f}")
    return {"site": name, "base": base, "with_": with_, "ratio": with_ / base,
            "target": target, "stages": stages}


def build(root: Path, config: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-v", "-f", config, "-d", "site"],
        cwd=root, capture_output=True, text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"build failed in {root}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds, done.stdout + done.stderr


# Sites -----------------------------------------------------------------------------------


def copy_demo(root: Path) -> None:
    for name in ("docs", "config", "data/demo"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")


def make_generated_site(root: Path, pages: int, periods: int, paths: int) -> None:
    docs = root / "docs"
    for i in range(pages):
        folder = docs / f"section-{i // 50:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"page-{i:04d}.md").write_text(
            f"# Page {i}\n\n" + "Some text about the topic of this page. " * 40 + "\n\n"
            "## Details\n\n" + "\n".join(f"- item {j}" for j in range(20)) + "\n",
            encoding="utf-8",
        )
    (docs / "index.md").write_text("# Generated\n", encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        "site_name: Generated\ntheme:\n  name: material\nplugins:\n  - search\n"
        "  - analytics:\n"
        f"      period_end: {PERIOD_END.isoformat()}\n"
        "      offline: true\n"
        "      goatcounter:\n        site: http://127.0.0.1:9\n        token: unused\n",
        encoding="utf-8",
    )
    tracked = [f"/section-{i // 50:02d}/page-{i:04d}" for i in range(paths)]
    write_raw_record(root / "data", tracked)
    write_history(root / "data" / "history", tracked, periods)


def period_of(end: date) -> tuple[str, str]:
    return (end - timedelta(days=DAYS - 1)).isoformat(), end.isoformat()


def write_raw_record(data: Path, tracked: list[str]) -> None:
    start, end = period_of(PERIOD_END)
    days = [(PERIOD_END - timedelta(days=DAYS - 1 - d)).isoformat() for d in range(DAYS)]
    daily = [
        {"date": day, "path": path, "views": None, "visitors": 1 + (i * 7 + d) % 23}
        for d, day in enumerate(days)
        for i, path in enumerate(tracked)
    ]
    site_daily = [
        {"date": day, "views": None,
         "visitors": sum(r["visitors"] for r in daily if r["date"] == day)}
        for day in days
    ]
    rows = [{"name": f"ref{i}.example", "count": 100 - i} for i in range(50)]
    record = {
        "schema_version": 1, "source": "goatcounter", "available": True, "reason": None,
        "measure": "visitors", "period": {"start": start, "end": end, "days": DAYS},
        "site_daily": site_daily, "daily": daily, "titles": {},
        "referrers": rows, "browsers": rows[:10], "systems": rows[:10], "countries": [],
        "screen_sizes": [], "campaigns": [], "not_found": [], "excluded": {}, "quality": {},
    }
    folder = data / "raw" / "goatcounter"
    folder.mkdir(parents=True)
    (folder / f"{start}--{end}.json").write_text(json.dumps(record), encoding="utf-8")


def write_history(folder: Path, tracked: list[str], periods: int) -> None:
    folder.mkdir(parents=True)
    for back in range(1, periods + 1):
        end = PERIOD_END - timedelta(days=DAYS * back)
        start, end_text = period_of(end)
        pages = {path: [10 + (i + back) % 40] * 2 for i, path in enumerate(tracked)}
        views = sum(v[0] for v in pages.values())
        snapshot = {
            "schema_version": 1,
            "period": {"start": start, "end": end_text, "days": DAYS},
            "web": {"available": True, "measure": "visitors", "views": views,
                    "visitors": views, "pages": pages, "referrers": []},
            "github": {"available": False},
            "alerts": [],
        }
        (folder / f"{start}--{end_text}.json").write_text(
            json.dumps(snapshot), encoding="utf-8"
        )


if __name__ == "__main__":
    sys.exit(main())
