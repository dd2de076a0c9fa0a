"""Shared helpers: build a real MkDocs site in a temporary folder and read what came out."""

from __future__ import annotations

import json
import logging
import shutil
import textwrap
from pathlib import Path

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config

REPO = Path(__file__).resolve().parent.parent


class Site:
    """A small MkDocs project in ``root``: write files, build it, read the results."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.site_dir = root / "site"

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def build(self, **overrides) -> None:
        config = load_config(
            config_file=str(self.root / "mkdocs.yml"), site_dir=str(self.site_dir), **overrides
        )
        build(config)

    def json(self, name: str) -> dict:
        return json.loads((self.root / name).read_text(encoding="utf-8"))

    def html(self, name: str = "site/analytics/index.html") -> str:
        return (self.root / name).read_text(encoding="utf-8")


@pytest.fixture
def site(tmp_path) -> Site:
    return Site(tmp_path)


def copy_demo(root: Path) -> Site:
    """A copy of the repository's own demo site in ``root``: mkdocs.yml, docs, config, demo data."""
    for name in ("docs", "config", "data/demo"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    return Site(root)


@pytest.fixture
def demo(tmp_path) -> Site:
    """A copy of the repository's own demo site: mkdocs.yml, docs, config and demo data."""
    return copy_demo(tmp_path)


@pytest.fixture
def analytics_log(caplog):
    """Log records of the plugin only, at INFO and above."""
    caplog.set_level(logging.INFO)
    return lambda: [r.getMessage() for r in caplog.records if r.name.endswith(".analytics")]
