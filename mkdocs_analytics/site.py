"""The site's own pages, as paths the sources report, with their titles.

Knowing which pages the site publishes lets the dashboard list those that got no view (a
source only reports what was visited) and put a title beside a path from a log.
"""

from __future__ import annotations

import posixpath
import re

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.utils.meta import get_data

from .sources.access_log import normalize_path

HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def site_pages(files: Files, config: MkDocsConfig, exclude: str = "") -> list[dict]:
    """``[{"path", "title"}]`` for every Markdown page, except those under ``exclude``."""
    pages = []
    for file in files.documentation_pages():
        if exclude and file.src_uri.startswith(exclude):
            continue
        # Paths within the site, without site_url's own path, as the sources name pages.
        # MkDocs gives the home page the URL "./"; normpath folds it to the root.
        path = normalize_path(posixpath.normpath(posixpath.join("/", file.url)))
        pages.append({"path": path, "title": _title(file)})
    return sorted(pages, key=lambda page: page["path"])


def _title(file) -> str:
    """The page's title as MkDocs would find it: front matter, first heading, file name."""
    try:
        body, meta = get_data(file.content_string)
    except (OSError, UnicodeDecodeError, ValueError):
        body, meta = "", {}
    if isinstance(meta.get("title"), str):
        return meta["title"]
    heading = HEADING.search(body)
    if heading:
        return heading.group(1)
    name = posixpath.splitext(posixpath.basename(file.src_uri))[0]
    if name in ("index", "README"):
        name = posixpath.basename(posixpath.dirname(file.src_uri)) or "Home"
    return name.replace("-", " ").replace("_", " ").capitalize()
