"""What pipeline.collect keeps in data/raw when a live source fails or stops part-way.

The sources' own behaviour is tested against local servers elsewhere; here the record a
source returns is given, to test only the keeping rule."""

from __future__ import annotations

import json
import logging
from types import SimpleNamespace

from mkdocs_analytics import pipeline
from mkdocs_analytics.period import Period


def test_a_partial_collection_never_replaces_a_complete_one(tmp_path, caplog, monkeypatch):
    """pipeline.collect keeps the complete raw record of a period when a later collection of
    the same period stops part-way, and uses it."""
    period = Period.parse("2024-03-05--2024-03-11")
    settings = pipeline.Settings(root=str(tmp_path), data_dir=str(tmp_path / "data"),
                                 period_end=period.end, cache_ttl=0,
                                 github=SimpleNamespace(units={"I": ["org-one"]}, token=None))
    complete = {"schema_version": 1, "source": "github", "available": True, "reason": None,
                "period": period.as_dict(), "units": {}, "partial": False}
    path = tmp_path / "data/raw/github/2024-03-05--2024-03-11.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(complete))
    before = path.read_bytes()

    partial = {**complete, "partial": True, "reason": "stopped early: quota"}
    original = pipeline._live
    monkeypatch.setattr(pipeline, "_live", lambda source, s, p: (
        partial if source == "github" else original(source, s, p)))
    caplog.set_level(logging.INFO)
    collection = pipeline.collect(settings)
    assert path.read_bytes() == before
    assert collection.records["github"] == complete
    assert "github stopped early; using the complete data collected before" in caplog.text
