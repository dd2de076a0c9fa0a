"""Charts are plain, deterministic, labelled SVG that stays readable for long periods."""

from __future__ import annotations

import re

from mkdocs_analytics.publish import charts


def test_a_chart_is_static_labelled_and_the_same_bytes_every_time():
    first = charts.line("daily", "Daily views", "Views per day.", ["a", "b"], [("v", [1, 2])])
    again = charts.line("daily", "Daily views", "Views per day.", ["a", "b"], [("v", [1, 2])])
    assert first == again
    assert "<script" not in first and "<!--" not in first
    assert 'role="img"' in first
    assert '<title id="chart-daily-title">Daily views</title>' in first
    assert '<desc id="chart-daily-desc">Views per day.</desc>' in first


def test_a_year_of_days_gets_about_twelve_date_labels_and_separated_thousands():
    labels = [f"day {i}" for i in range(366)]
    svg = charts.line("year", "A year", "d", labels, [("v", [i * 1000 for i in range(366)])])
    assert len(re.findall(r">day \d+<", svg)) == 12  # every 31st of 366 days
    assert ">300,000<" in svg and ">300000<" not in svg


def test_bars_name_each_row_and_cut_long_labels():
    svg = charts.bars("refs", "Referrers", "d", [("x" * 500, 3), ("short", 1)])
    assert ">short<" in svg
    assert "x" * 60 not in svg and "x" * 59 + "…" in svg
