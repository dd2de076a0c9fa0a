"""The append-only history: one snapshot per period in ``data/history/``.

A snapshot is named by its period (``2015-05-14--2015-05-20.json``), never by the date of the
run. The pipeline never edits or deletes one: writing a period whose snapshot exists with the
same bytes does nothing; different bytes (late data) become a new revision beside it
(``...--2015-05-20.r2.json``) and the newest revision is the one read. Writes go to a temporary
file that is renamed into place, under a lock, so two builds at once cannot corrupt the folder.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from filelock import FileLock

from . import schemas
from .period import Period

TEMPORARY = re.compile(r"\.tmp-[0-9a-f]{16}\.json")
SNAPSHOT = re.compile(r"(\d{4}-\d{2}-\d{2}--\d{4}-\d{2}-\d{2})(?:\.r(\d+))?\.json")
# The earlier standalone implementation's copies, named by the date of the run.
LEGACY = re.compile(r"(engagement-metrics|system-engagement-report)-(\d{4}-\d{2}-\d{2})\.json")
LOCK_NAME = ".lock"
# Seconds a build waits for another one writing the same history before giving up.
LOCK_TIMEOUT = 120


@dataclass
class History:
    """The snapshots found in a folder, newest revision of each period, and what was skipped."""

    folder: str
    snapshots: dict[Period, dict] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def get(self, period: Period) -> dict | None:
        return self.snapshots.get(period)

    def series(self, period: Period, count: int) -> list[tuple[Period, dict]]:
        """Up to ``count`` snapshots of ``period`` and the periods before it, oldest first.

        The periods are ``period``, ``period.previous()``, and so on: one period apart, so
        a weekly period built every day (seven overlapping weeks a week) is not drawn as
        seven consecutive weeks. A period without a snapshot is left out.
        """
        earliest = min((p.start for p in self.snapshots), default=None)
        found = []
        current = period
        while count > len(found) and earliest is not None and current.end >= earliest:
            if current in self.snapshots:
                found.append((current, self.snapshots[current]))
            current = current.previous()
        return found[::-1]


def load(folder: str) -> History:
    """Read every snapshot in ``folder``; a corrupt one is reported by name and skipped.

    Corrupt means unreadable, not JSON, or not a snapshot of the period its name says (checked
    against the schema, so a damaged file never reaches the arithmetic). When the newest
    revision of a period is corrupt, the one before it is read.
    """
    history = History(folder)
    if not os.path.isdir(folder):
        return history
    revisions: dict[Period, list[tuple[int, str]]] = {}
    for name in sorted(os.listdir(folder)):
        match = SNAPSHOT.fullmatch(name)
        if match is None:
            continue
        try:
            period = Period.parse(match[1])
        except ValueError:
            history.problems.append(f"{name}: not a valid period name")
            continue
        revisions.setdefault(period, []).append((int(match[2] or 1), name))
    _load_legacy(history, folder)
    for period, names in sorted(revisions.items()):
        for _, name in sorted(names, reverse=True):
            snapshot = _read(folder, name, period, history.problems)
            if snapshot is not None:
                history.snapshots[period] = snapshot
                break
    return history


def _read(folder: str, name: str, period: Period, problems: list[str]) -> dict | None:
    """The snapshot in ``name``, or None with the reason added to ``problems``."""
    try:
        with open(os.path.join(folder, name), encoding="utf-8") as file:
            snapshot = json.load(file)
    except (OSError, ValueError) as error:
        problems.append(f"{name}: {error}")
        return None
    if not isinstance(snapshot, dict):
        problems.append(f"{name}: not a JSON object")
        return None
    found = schemas.errors("history-snapshot", snapshot)
    if found:
        problems.append(f"{name}: not a history snapshot ({found[0]})")
        return None
    if snapshot["period"] != period.as_dict():
        held = f"{snapshot['period']['start']}--{snapshot['period']['end']}"
        problems.append(f"{name}: holds the period {held}")
        return None
    return snapshot


def _load_legacy(history: History, folder: str) -> None:
    """Read the earlier implementation's snapshots as periods of this history.

    Those files are named by the date of the run, which reruns overwrote, so the period is
    taken from inside the file. Its ``end`` was the run date, sent to GoatCounter as a bare
    date (midnight UTC), so the days counted were ``start`` to ``end - 1``: that is the
    period used here. Counts were GoatCounter visitors, whatever the field names said. A
    snapshot written by this plugin for the same period wins; the files are never changed.
    """
    pairs: dict[str, dict[str, dict]] = {}
    for name in sorted(os.listdir(folder)):
        match = LEGACY.fullmatch(name)
        if match is None:
            continue
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as file:
                data = json.load(file)
            start = date.fromisoformat(data["period"]["start"][:10])
            end = date.fromisoformat(data["period"]["end"][:10]) - timedelta(days=1)
            period = Period(start, end)
        except (OSError, ValueError, KeyError, TypeError) as error:
            history.problems.append(f"{name}: {error}")
            continue
        pairs.setdefault(period.name, {})[match[1]] = {**data, "_file": name}
    for key, files in pairs.items():
        try:
            snapshot = _from_legacy(Period.parse(key), files)
        except (KeyError, TypeError, ValueError) as error:
            names = ", ".join(f["_file"] for f in files.values())
            history.problems.append(f"{names}: not in the earlier format ({error})")
            continue
        history.snapshots[Period.parse(key)] = snapshot


def _from_legacy(period: Period, files: dict[str, dict]) -> dict:
    engagement = files.get("engagement-metrics")
    report = files.get("system-engagement-report") or {}
    web = {"available": False, "measure": None}
    if engagement:
        visits = int(engagement["site_totals"]["page_views"])
        pages = {p["path"]: [int(p["views"]), int(p["views"])] for p in engagement["pages"]}
        web = {
            "available": True,
            "measure": "visitors",
            "views": visits,
            "visitors": visits,
            "pages": pages,
            "referrers": [
                {"name": r["name"], "count": int(r["count"])}
                for r in engagement.get("referrers", [])
            ],
        }
    github = {"available": False}
    activity = report.get("github_activity")
    if activity:
        github = {
            "available": True,
            "total_commits": activity.get("total_commits"),
            "total_prs": activity.get("total_prs"),
            "total_prs_merged": None,
            "total_releases": activity.get("total_releases"),
            "total_stars": None,
            "organ_breakdown": activity.get("organ_breakdown") or {},
        }
    return {
        "schema_version": 1,
        "period": period.as_dict(),
        "web": web,
        "github": github,
        "alerts": [a.get("rule", "") for a in report.get("alerts", [])],
        "imported_from": sorted(f["_file"] for f in files.values()),
    }


def dumps(data: dict) -> str:
    """The one JSON form the project writes: sorted keys would reorder the contract, so keys
    keep their insertion order; indent 2, UTF-8, trailing newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_atomic(path: str, text: str) -> bool:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    Returns False and leaves the file alone when it already holds exactly ``text``, so that
    re-running a period touches nothing.
    """
    data = text.encode("utf-8")
    try:
        with open(path, "rb") as current:
            if current.read() == data:
                return False
    except FileNotFoundError:
        pass
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    # Not tempfile.mkstemp: its files are 0600, and the rename would keep that, so the
    # artifacts and snapshots could not be read by anyone else (a web server, a CI step).
    temporary = os.path.join(folder, f".tmp-{secrets.token_hex(8)}.json")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        if os.path.exists(temporary):
            os.unlink(temporary)
        if isinstance(error, OSError) and not error.filename:
            # fsync and write errors name no file: name the one being written.
            raise OSError(error.errno, error.strerror or str(error), path) from error
        raise
    return True


def sweep(folder: str) -> list[str]:
    """Remove temporary files a killed write left in ``folder``; return their names.

    Call it only under :func:`lock`, when no write can be under way.
    """
    if not os.path.isdir(folder):
        return []
    left = [name for name in os.listdir(folder) if TEMPORARY.fullmatch(name)]
    for name in left:
        os.unlink(os.path.join(folder, name))
    return left


def lock(folder: str) -> FileLock:
    """The lock of the history in ``folder``: one build at a time reads and writes it.

    A build holds it from reading the history to writing its snapshot, so two builds at once
    run one after the other. One lock object per folder and process (``is_singleton``), so a
    holder can take it again, as :func:`append` does under ``pipeline.aggregate``.
    """
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(os.path.abspath(folder), LOCK_NAME)
    return FileLock(path, timeout=LOCK_TIMEOUT, is_singleton=True)


def append(folder: str, period: Period, snapshot: dict) -> str | None:
    """Add ``snapshot`` for ``period``; return the file name written, or None if unchanged."""
    os.makedirs(folder, exist_ok=True)
    text = dumps(snapshot)
    with lock(folder):
        names = [
            (int(match[2] or 1), name)
            for name in os.listdir(folder)
            if (match := SNAPSHOT.fullmatch(name)) and match[1] == period.name
        ]
        if names:
            revision, newest = max(names)
            with open(os.path.join(folder, newest), encoding="utf-8", errors="replace") as file:
                if file.read() == text:
                    return None
            name = f"{period.name}.r{revision + 1}.json"
        else:
            name = f"{period.name}.json"
        # Never replace an existing file: a revision name is always new.
        target = os.path.join(folder, name)
        if os.path.exists(target):
            raise FileExistsError(f"history file {name} already exists")
        write_atomic(target, text)
        return name
