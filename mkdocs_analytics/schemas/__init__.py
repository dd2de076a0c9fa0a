"""The JSON Schemas of every file the stages exchange, shipped with the package.

Validated with jsonschema-rs: every history snapshot is checked on every build, and the pure
Python validator took about 20 ms a snapshot of 1,000 pages (2 s for two years of weeks).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

import jsonschema_rs

NAMES = (
    "raw-record",
    "engagement-metrics",
    "system-engagement-report",
    "history-snapshot",
    "weekly-signals",
)


@cache
def schema(name: str) -> dict:
    text = resources.files(__name__).joinpath(f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def _validator(name: str):
    return jsonschema_rs.Draft202012Validator(schema(name))


def errors(name: str, data) -> list[str]:
    """Every way ``data`` breaks the schema ``name``, as ``path: message`` lines."""
    validator = _validator(name)
    if validator.is_valid(data):
        return []
    found = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.instance_path)))
    return [f"{'/'.join(map(str, e.instance_path)) or '(root)'}: {e.message}" for e in found]


def validate(name: str, data) -> None:
    """Raise ValueError naming every problem when ``data`` does not fit schema ``name``."""
    problems = errors(name, data)
    if problems:
        raise ValueError(f"{name} does not fit its schema: " + "; ".join(problems[:10]))
