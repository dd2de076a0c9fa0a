"""Placeholder until the live client lands: reports the source as unavailable."""

from __future__ import annotations

from ..period import Period
from ..records import unavailable


def collect(options, period: Period, settings) -> dict:
    return unavailable("github", period, "client not available in this version")
