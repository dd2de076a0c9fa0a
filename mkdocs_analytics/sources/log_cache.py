"""Counts of log files already read, so that an unchanged rotated file is not read again.

One JSON file per log file under ``<data_dir>/raw/.cache/access_log/``, named by the log's
size, modification time and the hash of its first 64 KiB: a file renamed by logrotate
(``access.log.1`` → ``access.log.2``) keeps its entry, a changed one gets a new entry. An entry
holds what reading the file counted per UTC day: views and visitors per page, the site's
visitors, referrers, browsers, systems, countries, campaigns, 404s, requests left out by rule,
and the file's quality counts. Never an address, a user agent or a visitor key.

The trade-off: visitors are counted per file. A day that only one file holds is exact from its
entry. A day that several files hold (a log rotated at 06:25 splits every day in two) cannot be
added up from counts without counting a visitor seen in both files twice, so the reader reads
again just the part of each file that holds that day (the entry keeps where it is) and counts
it with visitor keys in memory. Results are always exact; the cache saves the reading of the
days and files outside the period, and of the days that one file holds alone.

Entries also depend on the options that change counts (format, pattern, the site's hosts and
path, the bot list) and on the versions of this module and of the crawler and user-agent
lists; any change makes them stale. Entries not used by a run are deleted at its end.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import metadata

# 2: referrers and campaigns count visitors, not page views. 3: ua-parser's spiders are bots.
# 4: requests dated in the future are left out, and counted in the quality's "future".
# 5: where a compressed file broke off ("damaged"). 6: names over 1,000 characters are cut.
# 7: missing pages count visitors, not requests.
VERSION = 7
HEAD = 64 * 1024


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass
class Entry:
    """A file's counts as an earlier run found them."""

    path: str
    name: str
    format: str
    first: int | None
    last: int | None
    # The content's hash, when it was needed (another file started in the same minute).
    digest: str | None
    quality: dict
    days: dict = field(default_factory=dict)


class Cache:
    def __init__(self, folder: str, options: dict) -> None:
        self.folder = folder
        self.fingerprint = json.dumps(
            {
                **options,
                "version": VERSION,
                "crawler-user-agents": _version("crawler-user-agents"),
                "ua-parser": _version("ua-parser"),
            },
            sort_keys=True,
        )
        self.used: set[str] = set()

    def _key(self, path: str) -> str | None:
        try:
            info = os.stat(path)
            with open(path, "rb") as file:
                head = file.read(HEAD)
        except OSError:
            return None
        digest = hashlib.blake2b(head, digest_size=16)
        digest.update(f"{info.st_size}:{info.st_mtime_ns}".encode())
        return digest.hexdigest()

    def _file(self, key: str) -> str:
        return os.path.join(self.folder, key + ".json")

    def get(self, path: str) -> Entry | None:
        """The entry of an unchanged file, or None."""
        key = self._key(path)
        if key is None:
            return None
        try:
            with open(self._file(key), encoding="utf-8") as file:
                data = json.load(file)
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("fingerprint") != self.fingerprint:
            return None
        try:
            entry = Entry(
                path=path,
                name=os.path.basename(path),
                format=data["format"],
                first=data["first"],
                last=data["last"],
                digest=data["digest"],
                # The file may have been renamed since (logrotate): its examples and damage
                # are named by its name now.
                quality={**data["quality"], **{
                    key: [{**sample, "file": os.path.basename(path)}
                          for sample in data["quality"][key]]
                    for key in ("malformed_samples", "damaged")
                }},
                days=data["days"],
            )
        except (KeyError, TypeError):
            return None
        self.used.add(key)
        return entry

    def put(self, path: str, read, quality: dict, days: dict) -> None:
        """Keep the counts of a file just read (``days``: plain counts by day)."""
        key = self._key(path)
        if key is None:
            return
        data = {
            "fingerprint": self.fingerprint,
            "format": read.format,
            "first": read.first,
            "last": read.last,
            "digest": read.digest.hexdigest() if read.digest is not None else None,
            "quality": quality,
            "days": days,
        }
        try:
            os.makedirs(self.folder, exist_ok=True)
            temporary = self._file(key) + ".tmp"
            with open(temporary, "w", encoding="utf-8") as file:
                json.dump(data, file, separators=(",", ":"), ensure_ascii=False)
            os.replace(temporary, self._file(key))
        except OSError:
            return
        self.used.add(key)

    def finish(self) -> None:
        """Delete the entries of files this run did not see."""
        try:
            names = os.listdir(self.folder)
        except OSError:
            return
        for name in names:
            if name.endswith(".json") and name[:-5] not in self.used:
                try:
                    os.remove(os.path.join(self.folder, name))
                except OSError:
                    pass
