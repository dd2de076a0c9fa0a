"""Reading the project's own YAML files (rules, outcome KPIs): safe loading only."""

from __future__ import annotations

import os

import yaml


def read(path: str, error: type[Exception]):
    """The YAML in ``path``, or None when there is no file or it is empty.

    Safe loading only: a custom tag (``!!python/object``) is refused, not run. A file that
    cannot be read or parsed raises ``error`` naming the file.
    """
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as file:
            return yaml.safe_load(file)
    except (OSError, yaml.YAMLError) as problem:
        raise error(f"{os.path.basename(path)}: cannot be read: {problem}") from None
