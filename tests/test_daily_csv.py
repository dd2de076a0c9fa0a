"""Daily counts from a warehouse's CSV, with every number worked out by hand."""

from __future__ import annotations

import gzip
import os
from datetime import date

import pytest

from mkdocs_analytics import plugin, schemas
from mkdocs_analytics.period import Period
from mkdocs_analytics.sources.daily_csv import DailyCsvError, scan

TWO_DAYS = Period(date(2024, 3, 10), date(2024, 3, 11))


@pytest.fixture(autouse=True)
def warnings_stay_warnings(monkeypatch):
    """A build with ``log_level: info`` earlier in the process (test_plugin_build) leaves the
    plugin's downgrade of warnings on; these tests read the sources' warnings."""
    monkeypatch.setattr(plugin._DOWNGRADE, "active", False)

WAREHOUSE = """date,path,views,visitors,referrer
2024-03-10,/guide/,10,6,https://www.google.com/search
2024-03-10,/guide/,5,4,
2024-03-10,/,7,5,news.ycombinator.com
2024-03-10,*,22,12,
2024-03-11,/guide/index.html,3,3,docs.example.org
2024-03-11,/about?utm_source=x,2,2,-
2024-03-11,/x,abc,1,
2024-13-01,/,1,1,
"""


def test_rows_become_a_page_views_record(tmp_path):
    # The 10th: /guide by two referrer rows (15 views, 6 + 4 visitors), / (7, 5), and the
    # site's own totals (22 views, 12 visitors: fewer than 6 + 4 + 5, people read both).
    # The 11th: /guide (index.html folded; the site's own host is no referrer) and /about
    # (query dropped); no site row, so the site's visitors are the pages' sum. Rows 7 and 8
    # are bad.
    (tmp_path / "daily.csv").write_text(WAREHOUSE)
    record = scan(["daily.csv"], str(tmp_path), own_hosts=["docs.example.org"]).record(TWO_DAYS)
    assert record["source"] == "daily_csv"
    assert record["measure"] == "page_views"
    assert record["site_daily"] == [
        {"date": "2024-03-10", "views": 22, "visitors": 12},
        {"date": "2024-03-11", "views": 5, "visitors": 5},
    ]
    assert record["daily"] == [
        {"date": "2024-03-10", "path": "/", "views": 7, "visitors": 5},
        {"date": "2024-03-10", "path": "/guide", "views": 15, "visitors": 10},
        {"date": "2024-03-11", "path": "/about", "views": 2, "visitors": 2},
        {"date": "2024-03-11", "path": "/guide", "views": 3, "visitors": 3},
    ]
    # Referrers count people: the visitors of their rows (6 and 5), not the views (10 and 7).
    assert record["referrers"] == [
        {"name": "google.com", "count": 6}, {"name": "news.ycombinator.com", "count": 5},
    ]
    assert record["quality"] == {
        "files": ["daily.csv"],
        "rows": 8,
        "malformed": 2,
        "malformed_samples": [
            {"file": "daily.csv", "line": 8, "reason": "views and visitors must be whole numbers"},
            {"file": "daily.csv", "line": 9, "reason": "unreadable date"},
        ],
        "superseded_rows": 0,
        "future": 0,
        "skipped_files": [],
        "damaged_files": [],
        "site_visitors": "given for some days, the sum of pages for the others",
    }
    assert schemas.errors("raw-record", record) == []


def test_referrer_hosts_that_are_addresses_are_never_named(tmp_path):
    (tmp_path / "d.csv").write_text(
        "date,path,views,visitors,referrer\n"
        "2024-03-10,/,9,4,http://192.168.1.77/admin\n"
        "2024-03-10,/a/,3,2,[2001:db8::99]\n"
        "2024-03-10,/a/,5,3,https://example.com/\n"
    )
    record = scan(["d.csv"], str(tmp_path)).record(TWO_DAYS)
    # 4 + 2 visitors came from hosts written as addresses, 3 from example.com.
    assert record["referrers"] == [
        {"name": "(an IP address)", "count": 6}, {"name": "example.com", "count": 3},
    ]


def test_rows_dated_in_the_future_are_left_out_and_said(tmp_path, caplog):
    # To a clock of 03-10, the 11th is tomorrow (a day of skew: counted), 2031 is the future.
    (tmp_path / "d.csv").write_text(
        "2024-03-10,/,3,2\n2024-03-11,/,4,3\n2031-01-01,/,9,9\n2031-01-02,/a/,1,1\n"
    )
    with caplog.at_level("WARNING"):
        reader = scan(["d.csv"], str(tmp_path), today=date(2024, 3, 10))
    assert reader.latest_day() == "2024-03-11"
    record = reader.record(TWO_DAYS)
    assert [(d["date"], d["views"]) for d in record["site_daily"]] == [
        ("2024-03-10", 3), ("2024-03-11", 4),
    ]
    assert (record["quality"]["rows"], record["quality"]["future"]) == (4, 2)
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        "analytics: daily CSV: 2 rows dated after 2024-03-11 (today, UTC, and a day of clock "
        "skew) left out: is the warehouse's clock right?"
    ]


def warnings_of(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]


def test_files_that_give_nothing_say_so(tmp_path, caplog):
    (tmp_path / "empty.csv").write_text("date,path,views,visitors\n")
    (tmp_path / "bad.csv").write_text("garbage\n2024-03-10,/,many,1\n")
    (tmp_path / "shop.csv").write_text("2024-03-10,/shop/,9,9\n2024-03-11,/shop/a,1,1\n")
    caplog.set_level("INFO")
    assert scan(["empty.csv"], str(tmp_path)).latest_day() is None
    assert scan(["bad.csv"], str(tmp_path)).latest_day() is None
    reader = scan(["shop.csv"], str(tmp_path), prefix="/docs")
    assert reader.record(TWO_DAYS)["excluded"] == {"other_sites": 10}
    assert ("analytics: daily CSV: 2 malformed rows skipped, first: bad.csv:1 (unreadable date), "
            "bad.csv:2 (views and visitors must be whole numbers)") in [
        r.getMessage() for r in caplog.records]
    assert warnings_of(caplog) == [
        "analytics: daily CSV: nothing to count: empty.csv holds no rows",
        "analytics: daily CSV: nothing to count: none of the 2 rows of bad.csv could be read "
        "(first: bad.csv:1 (unreadable date), bad.csv:2 (views and visitors must be whole "
        "numbers))",
        "analytics: daily CSV: no page view in shop.csv: of 2 rows, 2 outside site_url's path; "
        "check site_url, whose path (/docs/) the pages must lie under",
    ]
    caplog.clear()
    reader.record(Period(date(2024, 3, 1), date(2024, 3, 7)))
    assert warnings_of(caplog) == [
        "analytics: daily CSV: no row in 2024-03-01--2024-03-07: the files hold "
        "2024-03-10..2024-03-11"
    ]


def test_no_header_columns_in_any_order_and_gzip(tmp_path):
    (tmp_path / "plain.csv").write_text("2024-03-10,/a/,3,2\n2024-03-11,/b/,1,1\n")
    (tmp_path / "named.csv.gz").write_bytes(gzip.compress(
        b"visitors,views,path,date\n2,3,/a/,2024-03-10\n1,1,/b/,2024-03-11\n"
    ))
    first = scan(["plain.csv"], str(tmp_path)).record(TWO_DAYS)
    second = scan(["named.csv.gz"], str(tmp_path)).record(TWO_DAYS)
    assert first["daily"] == second["daily"] == [
        {"date": "2024-03-10", "path": "/a", "views": 3, "visitors": 2},
        {"date": "2024-03-11", "path": "/b", "views": 1, "visitors": 1},
    ]
    assert first["quality"]["site_visitors"] == "sum of pages"


def test_the_newest_file_gives_a_date(tmp_path):
    # A weekly export of the last days overlaps the one before: the 10th is in both, and the
    # newer file's numbers replace the older ones'.
    (tmp_path / "week1.csv").write_text("2024-03-09,/,4,4\n2024-03-10,/,1,1\n")
    (tmp_path / "week2.csv").write_text("2024-03-10,/,6,5\n2024-03-11,/,2,2\n")
    os.utime(tmp_path / "week1.csv", (1_700_000_000, 1_700_000_000))
    os.utime(tmp_path / "week2.csv", (1_700_100_000, 1_700_100_000))
    reader = scan(["week*.csv"], str(tmp_path))
    assert reader.latest_day() == "2024-03-11"
    record = reader.record(Period(date(2024, 3, 9), date(2024, 3, 11)))
    assert [(d["date"], d["views"]) for d in record["site_daily"]] == [
        ("2024-03-09", 4), ("2024-03-10", 6), ("2024-03-11", 2),
    ]
    assert record["quality"]["superseded_rows"] == 1


def test_a_bad_file_is_named_and_the_others_count(tmp_path, caplog):
    # a.csv is fine; b.csv holds two good rows, then a field over csv's 128 KiB limit (a
    # scanner's path); c.csv.gz breaks off before its first row; d.csv.gz is not gzip at all
    # past its magic bytes.
    (tmp_path / "a.csv").write_text("2024-03-11,/a/,3,2\n")
    (tmp_path / "b.csv").write_text(
        "2024-03-10,/b/,5,4\n2024-03-10,/b2/,1,1\n2024-03-10,/" + "x" * 200_000 + ",1,1\n"
    )
    (tmp_path / "c.csv.gz").write_bytes(gzip.compress(b"2024-03-10,/c/,7,7\n", mtime=0)[:12])
    (tmp_path / "d.csv.gz").write_bytes(b"\x1f\x8b" + b"not gzip")
    for n, name in enumerate(["a.csv", "b.csv", "c.csv.gz", "d.csv.gz"]):
        os.utime(tmp_path / name, (1_700_000_000 + n, 1_700_000_000 + n))
    reader = scan(["*.csv*"], str(tmp_path))
    record = reader.record(TWO_DAYS)
    assert record["daily"] == [
        {"date": "2024-03-10", "path": "/b", "views": 5, "visitors": 4},
        {"date": "2024-03-10", "path": "/b2", "views": 1, "visitors": 1},
        {"date": "2024-03-11", "path": "/a", "views": 3, "visitors": 2},
    ]
    quality = record["quality"]
    assert quality["files"] == ["a.csv", "b.csv"]
    assert quality["damaged_files"] == [
        {"file": "b.csv", "rows": 2,
         "error": "b.csv is not a CSV file: field larger than field limit (131072)"},
    ]
    assert [skipped["file"] for skipped in quality["skipped_files"]] == ["c.csv.gz", "d.csv.gz"]
    assert quality["skipped_files"][0]["reason"] == (
        "couldn't read c.csv.gz: Compressed file ended before the end-of-stream marker was "
        "reached"
    )
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings[0].startswith("analytics: daily CSV: couldn't read c.csv.gz: ")
    assert warnings[0].endswith("; that file is left out, the other files are counted")
    assert warnings[1].startswith("analytics: daily CSV: couldn't read d.csv.gz: ")
    assert warnings[2] == (
        "analytics: daily CSV: b.csv is not a CSV file: field larger than field limit (131072) "
        "after 2 rows; the rows before are counted, the rest of b.csv is lost"
    )
    assert len(warnings) == 3
    # When no file gives a row, the source is left out with every reason.
    with pytest.raises(DailyCsvError, match="^couldn't read c.csv.gz: .*; couldn't read d.csv"):
        scan(["*.gz"], str(tmp_path))


def test_long_paths_and_referrers_are_cut(tmp_path):
    (tmp_path / "d.csv").write_text(
        "date,path,views,visitors,referrer\n"
        f"2024-03-10,/{'p' * 2000},4,3,{'r' * 1500}.example\n"
        f"2024-03-10,/{'p' * 1500}q,1,1,\n"
    )
    record = scan(["d.csv"], str(tmp_path)).record(TWO_DAYS)
    # Both paths share their first 999 characters: one row, cut to 1,000 with its mark.
    assert record["daily"] == [
        {"date": "2024-03-10", "path": "/" + "p" * 998 + "…", "views": 5, "visitors": 4},
    ]
    assert record["referrers"] == [{"name": "r" * 999 + "…", "count": 3}]


def test_paths_outside_the_site_and_missing_files(tmp_path):
    (tmp_path / "d.csv").write_text("2024-03-10,/docs/a/,3,2\n2024-03-10,/shop/,9,9\n")
    record = scan(["d.csv"], str(tmp_path), prefix="/docs").record(TWO_DAYS)
    assert [d["path"] for d in record["daily"]] == ["/a"]  # site_url's path removed
    assert record["excluded"] == {"other_sites": 9}
    with pytest.raises(DailyCsvError, match=r"no file matches 'nothing\*\.csv'"):
        scan(["nothing*.csv"], str(tmp_path))


def test_a_build_adds_warehouse_counts_to_the_logs(site):
    # Both sources count page views, so they are added up: the log's one view of /guide on
    # the 11th and the warehouse's 5 views of /guide and 2 of / on the 10th.
    site.write(
        "mkdocs.yml",
        """
        site_name: Warehouse
        site_url: https://docs.example.org/
        theme: mkdocs
        plugins:
          - analytics:
              min_count: 1
              period_days: 2
              access_log:
                paths: [logs/access.log]
              daily_csv:
                paths: [counts/*.csv]
        """,
    )
    site.write("docs/index.md", "# Home\n")
    site.write("docs/guide.md", "# Guide\n")
    site.write(
        "logs/access.log",
        '192.0.2.1 - - [11/Mar/2024:09:00:00 +0000] "GET /guide/ HTTP/1.1" 200 10 "-" '
        '"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"\n',
    )
    site.write("counts/march.csv", "date,path,views,visitors\n2024-03-10,/guide/,5,3\n"
                                   "2024-03-10,/,2,2\n")
    site.build()
    metrics = site.json("data/engagement-metrics.json")
    assert metrics["period"] == {"start": "2024-03-10", "end": "2024-03-11", "days": 2}
    assert metrics["site_totals"]["page_views"] == 8
    assert [(p["path"], p["views"], p["unique_visitors"]) for p in metrics["pages"]] == [
        ("/guide", 6, 4), ("/", 2, 2),
    ]
    assert site.json("data/raw/daily_csv/2024-03-10--2024-03-11.json")["available"] is True
