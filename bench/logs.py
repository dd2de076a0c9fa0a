"""Access-log benchmark: our collection against GoAccess, and peak memory.

    .venv/bin/python bench/logs.py                  # 500,000 lines for speed, 5,000,000 for memory
    .venv/bin/python bench/logs.py --lines 1000000 --memory-lines 0

What it does, in a temporary folder (deleted at the end):

1. writes a log of at least ``--lines`` lines by repeating ``data/demo/apache-combined-10k.log.gz``
   (10,000 real combined lines, 4 days, 1,753 clients, bots, assets, one broken line);
2. runs GoAccess on it (``goaccess FILE --log-format=COMBINED -o report.json``) and our access-log
   collection (``access_log.collect``: reading, classifying, counting and the record), one after
   the other, each in its own process on one core, and reports lines per CPU second of both and
   the ratio (the target: ours at least 3 times GoAccess's). Wall-clock times are shown too;
3. runs our collection on ``--lines`` and ``--memory-lines`` lines and reports the peak resident
   memory (target: 150 MB, and no growth with the number of lines); then again with every
   repetition of the demo log by other clients, which shows what distinct visitors cost, and
   with every repetition a month later, which shows what days outside the period cost.

GoAccess is Debian's ``goaccess`` package: ``apt-get install -y goaccess`` (or ``brew install
goaccess``). Without it, the GoAccess part is skipped and said so.

Not a test: timings depend on the machine. The results of a run are in ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "data" / "demo" / "apache-combined-10k.log.gz"

# Runs in a fresh process so that its peak memory is its own.
CHILD = r"""
import json, resource, sys, time
start = time.process_time()
from mkdocs_analytics.sources import access_log
imported = time.process_time()
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
wall = time.perf_counter()
record, reader = access_log.collect([sys.argv[1]], "/", period_days=7,
                                    own_hosts=["semicomplete.com"])
wall = time.perf_counter() - wall
cpu = time.process_time() - imported
quality = record["quality"]
print(json.dumps({
    "cpu": cpu, "wall": wall, "import_cpu": imported - start,
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "rss_after_import_mb": baseline / 1024,
    "lines": quality["lines_read"], "kept": quality["kept"],
    "visitors": sum(day["visitors"] for day in record["site_daily"]),
}))
"""


MONTHS = (b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct",
          b"Nov", b"Dec")
VARIANTS = {
    "same": "the demo log repeated",
    "clients": "other clients every 10,000 lines",
    "months": "a month later every 10,000 lines",
}


def write_log(path: Path, lines: int, variant: str = "same") -> int:
    """Repeat the demo log to at least ``lines`` lines; return how many were written.

    ``clients``: every repetition by other clients (a host name stands for an address), so
    visitors grow with the lines; ``months``: every repetition a month later than the one
    before (17-20 May 2015, 17-20 June 2015, ...), so days grow with the lines.
    """
    demo = gzip.decompress(DEMO.read_bytes())
    written = 0
    with open(path, "wb") as out:
        repetition = 0
        while written < lines:
            if variant == "clients":
                prefix = b"r%d." % repetition
                out.write(b"".join(prefix + line for line in demo.splitlines(keepends=True)))
            elif variant == "months":
                month = 4 + repetition
                stamp = b"/%s/%d:" % (MONTHS[month % 12], 2015 + month // 12)
                out.write(demo.replace(b"/May/2015:", stamp))
            else:
                out.write(demo)
            written += demo.count(b"\n")
            repetition += 1
    return written


def run_ours(path: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True, text=True,
        cwd=REPO,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def run_goaccess(path: Path, folder: Path) -> dict | None:
    binary = shutil.which("goaccess")
    if binary is None:
        return None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    subprocess.run(
        [binary, str(path), "--log-format=COMBINED", "--no-global-config",
         "-o", str(folder / "report.json")],
        check=True, capture_output=True,
    )
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    return {
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "wall": wall,
        "rss_mb": after.ru_maxrss / 1024,
        "version": version.splitlines()[0] if version else "?",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=500_000)
    parser.add_argument("--memory-lines", type=int, default=5_000_000)
    parser.add_argument("--runs", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="analytics-bench-") as temporary:
        folder = Path(temporary)
        log = folder / "access.log"
        lines = write_log(log, args.lines)
        size = log.stat().st_size / 1e6
        print(f"\nspeed: {lines:,} lines, {size:.0f} MB (the demo log repeated)")
        goaccess_runs = [run_goaccess(log, folder) for _ in range(args.runs)]
        ours_runs = [run_ours(log) for _ in range(args.runs)]
        ours = min(ours_runs, key=lambda run: run["cpu"])
        print(f"  ours:     {lines / ours['cpu']:>10,.0f} lines per CPU second "
              f"({ours['cpu']:.2f} s CPU, {ours['wall']:.2f} s wall; imports "
              f"{ours['import_cpu']:.2f} s more), peak {ours['rss_mb']:.0f} MB")
        if goaccess_runs[0] is None:
            print("  GoAccess: not installed; install it with `apt-get install -y goaccess`")
        else:
            goaccess = min(goaccess_runs, key=lambda run: run["cpu"])
            print(f"  GoAccess: {lines / goaccess['cpu']:>10,.0f} lines per CPU second "
                  f"({goaccess['cpu']:.2f} s CPU, {goaccess['wall']:.2f} s wall), "
                  f"{goaccess['version']}")
            ratio = goaccess["cpu"] / ours["cpu"]
            print(f"  ratio:    {ratio:.2f} times GoAccess's lines per CPU second "
                  f"({goaccess['wall'] / ours['wall']:.2f} by wall clock); target 3")
        log.unlink()

        if args.memory_lines:
            print("\nmemory (peak resident set of the whole process):")
            for count in sorted({min(args.lines, args.memory_lines), args.memory_lines}):
                for variant, what in VARIANTS.items():
                    written = write_log(log, count, variant)
                    run = run_ours(log)
                    log.unlink()
                    print(f"  {written:>9,} lines, {what}: peak {run['rss_mb']:.0f} MB "
                          f"(after imports {run['rss_after_import_mb']:.0f} MB), "
                          f"{run['visitors']:,} visitor-days, "
                          f"{written / run['cpu']:,.0f} lines per CPU second")
    return 0


if __name__ == "__main__":
    sys.exit(main())
