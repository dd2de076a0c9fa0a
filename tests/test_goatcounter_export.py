"""GoatCounter CSV exports as a file source, with every number counted by hand."""

from __future__ import annotations

import gzip
import shutil
from datetime import date
from pathlib import Path

import pytest

from mkdocs_analytics import plugin, schemas
from mkdocs_analytics.period import Period
from mkdocs_analytics.sources.goatcounter_export import (
    ExportError,
    scan,
    size_group,
    without_version,
)

FIXTURES = Path(__file__).parent / "fixtures" / "goatcounter-export"
DECEMBER = Period(date(2020, 12, 1), date(2020, 12, 27))


@pytest.fixture(autouse=True)
def warnings_stay_warnings(monkeypatch):
    """A build with ``log_level: info`` earlier in the process (test_plugin_build) leaves the
    plugin's downgrade of warnings on; these tests read the sources' warnings."""
    monkeypatch.setattr(plugin._DOWNGRADE, "active", False)

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def test_the_sample_export_counts_as_goatcounter_does():
    # Row 1: the event click-cv-html (a first visit). Row 2: /stupid-light.html on 12-01, a
    # first visit, no referrer, Chrome 86 on Windows 7, 1280 wide, from AR. Row 3:
    # /static-go.html on 12-27, a first visit from www.reddit.com, Safari 14.0 on
    # macOS 10.15, 1680 wide, from RO.
    record = scan(["export.csv"], str(FIXTURES)).record(DECEMBER)
    assert record["source"] == "goatcounter_export"
    assert record["measure"] == "visitors"
    assert record["daily"] == [
        {"date": "2020-12-01", "path": "/stupid-light.html", "views": None, "visitors": 1},
        {"date": "2020-12-27", "path": "/static-go.html", "views": None, "visitors": 1},
    ]
    days = [row for row in record["site_daily"] if row["visitors"]]
    assert days == [
        {"date": "2020-12-01", "views": None, "visitors": 1},
        {"date": "2020-12-27", "views": None, "visitors": 1},
    ]
    assert all(row["views"] is None for row in record["site_daily"])
    assert record["titles"] == {
        "/static-go.html": "Statically compiling Go programs",
        "/stupid-light.html": "Stupid light software",
    }
    assert record["events"] == [{"name": "click-cv-html", "count": 1}]
    assert record["excluded"] == {"events": 1}
    assert record["referrers"] == [{"name": "reddit.com", "count": 1}]
    assert record["browsers"] == [{"name": "Chrome", "count": 1}, {"name": "Safari", "count": 1}]
    assert record["systems"] == [{"name": "Windows", "count": 1}, {"name": "macOS", "count": 1}]
    # 1280 is a tablet and 1680 a desktop in GoatCounter's groups.
    assert record["screen_sizes"] == [
        {"name": "desktop", "count": 1}, {"name": "tablet", "count": 1},
    ]
    assert record["countries"] == [{"name": "AR", "count": 1}, {"name": "RO", "count": 1}]
    assert record["campaigns"] == []
    assert record["quality"] == {
        "files": ["export.csv"],
        "format_versions": [2],
        "rows": 3,
        "malformed": 0,
        "malformed_samples": [],
        "duplicate_files": [],
        "skipped_files": [],
        "damaged_files": [],
        "bots": 0,
        "events": 1,
        "other_sites": 0,
        "pageviews": 2,
        "visitors": 2,
        "direct_visits": 1,
        "future": 0,
        "note": None,
    }
    assert schemas.errors("raw-record", record) == []
    # Nothing of the rows but counts: no user agent, no session.
    text = str(record)
    assert "Mozilla" not in text and "287fb97cbed4e4f" not in text


def test_gzip_gives_the_same_record(tmp_path):
    (tmp_path / "export.csv.gz").write_bytes(gzip.compress((FIXTURES / "export.csv").read_bytes()))
    plain = scan(["export.csv"], str(FIXTURES)).record(DECEMBER)
    packed = scan(["export.csv.gz"], str(tmp_path)).record(DECEMBER)
    assert packed["quality"]["files"] == ["export.csv.gz"]
    packed["quality"]["files"] = plain["quality"]["files"]
    assert packed == plain


HEADER_1 = (
    "1Path,Title,Event,Bot,Session,FirstVisit,Referrer,Referrer scheme,Browser,Screen size,"
    "Location,Date"
)
VERSION_1 = HEADER_1 + f"""
/docs/,Docs,false,0,1,true,news.ycombinator.com,h,"{FIREFOX}","1920,1080,1",NL,2019-05-01T10:00:00Z
/docs/,Docs,false,0,1,false,,,"{FIREFOX}","1920,1080,1",NL,2019-05-01T10:05:00Z
/about,About us,false,0,2,true,Google,g,"{CHROME}","390,844,3",US-CA,2019-05-01T23:59:59Z
signup,,true,0,2,true,,,"{CHROME}","390,844,3",US-CA,2019-05-02T00:00:01Z
/docs/,Docs,false,1,3,true,,,"{GOOGLEBOT}",,,2019-05-02T08:00:00Z
/docs/index.html,Docs,false,0,4,true,newsletter,c,"{FIREFOX}","0,0,1",,2019-05-02T09:00:00Z
/docs/,Docs,false,0,5,true,,,"{FIREFOX}","0,0,1",,not a date
"""
MAY = Period(date(2019, 5, 1), date(2019, 5, 2))


def test_a_version_1_export(tmp_path):
    # Row 2 is a second view in the same session: no visitor. Row 4 is an event, row 5 a bot,
    # row 6 folds into /docs and came from a campaign source, row 7 has no readable date.
    (tmp_path / "old.csv").write_text(VERSION_1)
    reader = scan(["old.csv"], str(tmp_path), own_hosts=["docs.example.org"])
    record = reader.record(MAY)
    assert [(d["date"], d["path"], d["visitors"]) for d in record["daily"]] == [
        ("2019-05-01", "/about", 1), ("2019-05-01", "/docs", 1), ("2019-05-02", "/docs", 1),
    ]
    assert [d["visitors"] for d in record["site_daily"]] == [2, 1]
    # Browsers and systems from the user agents of the first visits (rows 1, 3, 6).
    assert record["browsers"] == [{"name": "Firefox", "count": 2}, {"name": "Chrome", "count": 1}]
    assert record["systems"] == [{"name": "Linux", "count": 2}, {"name": "Windows", "count": 1}]
    assert record["screen_sizes"] == [
        {"name": "desktop", "count": 1}, {"name": "largephone", "count": 1},
        {"name": "unknown", "count": 1},
    ]
    assert record["countries"] == [
        {"name": "NL", "count": 1}, {"name": "US", "count": 1}, {"name": "Unknown", "count": 1},
    ]
    assert record["referrers"] == [
        {"name": "Google", "count": 1}, {"name": "news.ycombinator.com", "count": 1},
        {"name": "newsletter", "count": 1},
    ]
    assert record["campaigns"] == [{"name": "newsletter", "count": 1}]
    assert record["events"] == [{"name": "signup", "count": 1}]
    assert record["excluded"] == {"bots": 1, "events": 1}
    assert record["titles"] == {"/about": "About us", "/docs": "Docs"}
    quality = record["quality"]
    assert quality["format_versions"] == [1]
    assert (quality["rows"], quality["pageviews"], quality["visitors"]) == (7, 4, 3)
    assert (quality["bots"], quality["events"], quality["malformed"]) == (1, 1, 1)
    assert quality["malformed_samples"] == [
        {"file": "old.csv", "line": 8, "reason": "unreadable date"}
    ]


def test_referrer_hosts_that_are_addresses_are_never_named(tmp_path):
    # Three first visits from hosts written as addresses (two IPv4, one IPv6), one from
    # example.com; the second view of session 1 is no visitor.
    rows = [
        ("1", "true", "192.168.1.77/admin", "2019-05-01T10:00:00Z"),
        ("1", "false", "192.168.1.77/admin", "2019-05-01T10:01:00Z"),
        ("2", "true", "10.0.0.5:8080/x", "2019-05-01T11:00:00Z"),
        ("3", "true", "[2001:db8::99]/", "2019-05-01T12:00:00Z"),
        ("4", "true", "example.com/post", "2019-05-01T13:00:00Z"),
    ]
    (tmp_path / "ips.csv").write_text(HEADER_1 + "\n" + "".join(
        f'/docs/,Docs,false,0,{session},{first},{referrer},h,"{FIREFOX}","1920,1080,1",NL,{when}\n'
        for session, first, referrer, when in rows
    ))
    record = scan(["ips.csv"], str(tmp_path)).record(MAY)
    assert record["referrers"] == [
        {"name": "(an IP address)", "count": 3}, {"name": "example.com", "count": 1},
    ]
    assert "192.168" not in str(record) and "2001:db8" not in str(record)


def test_a_version_1_row_of_a_spider_is_a_bot(tmp_path):
    # Two first visits with GoatCounter's bot flag off: a reader, and an agent ua-parser calls
    # a "Spider" device, which is left out as a bot.
    spider = ("Mozilla/5.0 (X11; U; Linux x86_64; rv:1.9.2.13) Gecko/20101203 Firefox/6.0 "
              "Google favicon")
    (tmp_path / "spider.csv").write_text(
        HEADER_1 + "\n"
        + f'/docs/,Docs,false,0,1,true,,,"{FIREFOX}","1920,1080,1",NL,2019-05-01T10:00:00Z\n'
        + f'/docs/,Docs,false,0,2,true,,,"{spider}","1920,1080,1",NL,2019-05-01T10:05:00Z\n'
    )
    record = scan(["spider.csv"], str(tmp_path)).record(MAY)
    # 05-02 is after the export's last row: unknown, not zero.
    assert [d["visitors"] for d in record["site_daily"]] == [1, None]
    assert record["excluded"] == {"bots": 1}
    assert record["browsers"] == [{"name": "Firefox", "count": 1}]
    assert record["quality"]["bots"] == 1


def test_rows_dated_in_the_future_are_left_out_and_said(tmp_path, caplog):
    # To a clock of 2019-05-01, the 2nd is tomorrow (counted); a row of 2031 is not.
    (tmp_path / "future.csv").write_text(
        HEADER_1 + "\n"
        + f'/docs/,Docs,false,0,1,true,,,"{FIREFOX}","1920,1080,1",NL,2019-05-01T10:00:00Z\n'
        + f'/docs/,Docs,false,0,2,true,,,"{FIREFOX}","1920,1080,1",NL,2019-05-02T10:00:00Z\n'
        + f'/docs/,Docs,false,0,3,true,,,"{FIREFOX}","1920,1080,1",NL,2031-01-01T10:00:00Z\n'
    )
    with caplog.at_level("WARNING"):
        reader = scan(["future.csv"], str(tmp_path), today=date(2019, 5, 1))
    assert reader.latest_day() == "2019-05-02"
    record = reader.record(MAY)
    assert [d["visitors"] for d in record["site_daily"]] == [1, 1]
    assert (record["quality"]["rows"], record["quality"]["future"]) == (3, 1)
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"] == [
        "analytics: GoatCounter export: 1 rows dated after 2019-05-02 (today, UTC, and a day of "
        "clock skew) left out: is the clock of the GoatCounter server right?"
    ]


def warnings_of(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]


def test_an_export_without_rows_says_why(tmp_path, caplog):
    (tmp_path / "empty.csv").write_text(
        (FIXTURES / "export.csv").read_text().splitlines()[0] + "\n"
    )
    reader = scan(["empty.csv"], str(tmp_path))
    assert reader.latest_day() is None
    assert "individual pageviews" in reader.quality()["note"]
    # It gives nothing, so it says so at WARNING (log_level: info makes that INFO).
    assert warnings_of(caplog) == [
        "analytics: GoatCounter export: nothing to count in empty.csv: the export has no rows: "
        "GoatCounter keeps them only with 'individual pageviews' on (Settings), off by default "
        "since version 2.6"
    ]


def test_an_export_without_a_page_visit_says_why(tmp_path, caplog):
    # Rows 1 and 2: pages outside site_url's path /docs; row 3 a bot; row 4 unreadable.
    (tmp_path / "x.csv").write_text(HEADER_1 + "\n" + "".join(
        f'{path},T,false,{bot},1,true,,,"{FIREFOX}","1920,1080,1",NL,{when}\n'
        for path, bot, when in [
            ("/shop/", 0, "2019-05-01T10:00:00Z"), ("/blog/", 0, "2019-05-01T10:01:00Z"),
            ("/docs/", 1, "2019-05-01T10:02:00Z"), ("/docs/", 0, "yesterday"),
        ]
    ))
    caplog.set_level("INFO")
    reader = scan(["x.csv"], str(tmp_path), prefix="/docs")
    messages = [r.getMessage() for r in caplog.records]
    assert ("analytics: GoatCounter export: 1 malformed rows skipped, first: x.csv:5 "
            "(unreadable date)") in messages
    assert warnings_of(caplog) == [
        "analytics: GoatCounter export: no first visit of a page in x.csv: of 4 rows, "
        "1 malformed, 1 bots, 2 other_sites; every page is outside site_url's path (/docs/): "
        "check site_url"
    ]
    # A period without a row of the export is said too.
    caplog.clear()
    reader.record(Period(date(2020, 1, 1), date(2020, 1, 7)))
    assert warnings_of(caplog) == [
        "analytics: GoatCounter export: no row in 2020-01-01--2020-01-07: the export holds "
        "2019-05-01..2019-05-01"
    ]


def test_not_an_export(tmp_path):
    (tmp_path / "other.csv").write_text("date,path,views\n2024-01-01,/,1\n")
    with pytest.raises(ExportError, match="not a GoatCounter CSV export"):
        scan(["other.csv"], str(tmp_path))
    with pytest.raises(ExportError, match="no file at 'missing.csv'"):
        scan(["missing.csv"], str(tmp_path))


def test_a_stray_file_in_a_glob_is_left_out_and_the_others_count(tmp_path, caplog):
    # stats/* holds the sample export, a file of garbage, a CSV of something else, and a
    # compressed version 1 export whose second gzip member (its third row) breaks off.
    stats = tmp_path / "stats"
    stats.mkdir()
    shutil.copy(FIXTURES / "export.csv", stats / "export.csv")
    (stats / "zz-bad.csv").write_text("garbage\n")
    (stats / "notes.csv").write_text("date,path,views\n2024-01-01,/,1\n")
    rows = [
        f'/v1/,V1,false,0,{n},true,,,"{FIREFOX}","1920,1080,1",NL,2020-12-0{n}T10:00:00Z\n'
        for n in (2, 3, 4)
    ]
    whole = gzip.compress((HEADER_1 + "\n" + rows[0] + rows[1]).encode(), mtime=0)
    (stats / "cut.csv.gz").write_bytes(whole + gzip.compress(rows[2].encode(), mtime=0)[:12])

    reader = scan(["stats/*"], str(tmp_path))
    record = reader.record(DECEMBER)
    quality = record["quality"]
    assert quality["skipped_files"] == [
        {"file": "notes.csv", "reason": "notes.csv is not a GoatCounter CSV export (its header "
                                        "starts with 'date', not '1Path' or '2Path')"},
        {"file": "zz-bad.csv", "reason": "zz-bad.csv is not a GoatCounter CSV export (its "
                                         "header starts with 'garbage', not '1Path' or '2Path')"},
    ]
    assert quality["damaged_files"] == [
        {"file": "cut.csv.gz", "rows": 2, "error": "file damaged: Compressed file ended before "
                                                    "the end-of-stream marker was reached"},
    ]
    # export.csv counts whole (/stupid-light.html on 12-01, /static-go.html on 12-27), and so
    # do the two rows cut.csv.gz gave before it broke off (12-02 and 12-03).
    assert quality["files"] == ["export.csv", "cut.csv.gz"]
    assert [(d["date"], d["path"], d["visitors"]) for d in record["daily"]] == [
        ("2020-12-01", "/stupid-light.html", 1), ("2020-12-02", "/v1", 1),
        ("2020-12-03", "/v1", 1), ("2020-12-27", "/static-go.html", 1),
    ]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings[:2] == [
        "analytics: GoatCounter export: notes.csv is not a GoatCounter CSV export (its header "
        "starts with 'date', not '1Path' or '2Path'); that file is left out, the other files "
        "are counted",
        "analytics: GoatCounter export: zz-bad.csv is not a GoatCounter CSV export (its header "
        "starts with 'garbage', not '1Path' or '2Path'); that file is left out, the other files "
        "are counted",
    ]
    assert warnings[2] == (
        "analytics: GoatCounter export: cut.csv.gz broke off after 2 rows: file damaged: "
        "Compressed file ended before the end-of-stream marker was reached; the rows before it "
        "are counted, the rest of the file is lost"
    )
    assert len(warnings) == 3


def test_when_no_file_is_an_export_the_source_is_left_out_with_every_reason(tmp_path):
    (tmp_path / "a.csv").write_text("garbage\n")
    (tmp_path / "b.csv").write_text("date,path\n")
    with pytest.raises(ExportError, match=(
        "^a.csv is not a GoatCounter CSV export .*; b.csv is not a GoatCounter CSV export"
    )):
        scan(["*.csv"], str(tmp_path))


def test_long_paths_titles_and_campaigns_are_cut(tmp_path):
    (tmp_path / "long.csv").write_text(
        HEADER_1 + "\n"
        + f'/{"p" * 3000},{"T" * 2000},false,0,1,true,{"n" * 1200},c,"{FIREFOX}","1920,1080,1",'
        + "NL,2019-05-01T10:00:00Z\n"
    )
    record = scan(["long.csv"], str(tmp_path)).record(MAY)
    path = "/" + "p" * 998 + "…"
    assert [(d["path"], d["visitors"]) for d in record["daily"]] == [(path, 1)]
    assert record["titles"] == {path: "T" * 999 + "…"}
    assert record["referrers"] == record["campaigns"] == [{"name": "n" * 999 + "…", "count": 1}]


def test_the_same_export_twice_counts_once(tmp_path):
    shutil.copy(FIXTURES / "export.csv", tmp_path / "a.csv")
    shutil.copy(FIXTURES / "export.csv", tmp_path / "b.csv")
    record = scan(["*.csv"], str(tmp_path)).record(DECEMBER)
    assert record["quality"]["files"] == ["a.csv"]
    assert record["quality"]["duplicate_files"] == ["b.csv"]
    assert sum(d["visitors"] for d in record["daily"]) == 2


@pytest.mark.parametrize(
    ("size", "group"),
    [("", "unknown"), ("0,0,1", "unknown"), ("384,0,1", "phone"), ("385,800,2", "largephone"),
     ("1024,768,1", "largephone"), ("1440,900,1", "tablet"), ("1920,1080,1", "desktop"),
     ("2560,1440,1", "desktophd")],
)
def test_screen_size_groups(size, group):
    assert size_group(size) == group


def test_names_without_versions():
    assert without_version("Chrome 86") == "Chrome"
    assert without_version("macOS 10.15") == "macOS"
    assert without_version("Windows 7") == "Windows"
    assert without_version("Edge") == "Edge"
    assert without_version("") == "Unknown"


def test_a_build_publishes_an_export(site):
    site.write(
        "mkdocs.yml",
        """
        site_name: Export
        site_url: https://arp242.net/
        theme: mkdocs
        plugins:
          - analytics:
              min_count: 1
              goatcounter_export:
                paths: [stats/export.csv]
        """,
    )
    site.write("docs/index.md", "# Home\n")
    (site.root / "stats").mkdir()
    shutil.copy(FIXTURES / "export.csv", site.root / "stats" / "export.csv")
    site.build()
    metrics = site.json("data/engagement-metrics.json")
    # Without an end and without live sources the period ends with the export's last day.
    assert metrics["period"] == {"start": "2020-12-21", "end": "2020-12-27", "days": 7}
    assert metrics["measure"] == "visitors"
    assert metrics["site_totals"]["unique_visitors"] == 1
    assert [p["path"] for p in metrics["pages"]] == ["/static-go.html"]
    assert site.json("data/raw/goatcounter_export/2020-12-21--2020-12-27.json")["available"]
    report = site.json("data/system-engagement-report.json")
    assert report["sources"]["goatcounter_export"]["available"] is True
    assert report["sources"]["access_log"]["reason"] == "not configured (no paths)"
