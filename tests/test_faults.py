"""Network faults against both live sources, each from a real server on 127.0.0.1.

The faults: a connection reset part-way through the body, a body shorter than its
``Content-Length``, 200 with an HTML page, a redirect loop, a body (or headers) that drip a byte
every tenth of a second forever, and a 50 MB body (announced, unannounced, and gzip-compressed
to 50 KB). The socket-level ones come from ``faults.FaultServer``; the HTML page and the redirect
loop from pytest-httpserver.

Each must end within the timeout of each try (0.5 s here, real: these are socket reads; only
an answer out of time before its headers is tried again) with the source unavailable, or for
GitHub part-way partial, one warning saying why, memory bounded, the last good raw record on
disk untouched, the period's numbers null rather than zero, and the token in no file, log line
or exception.

The clients' retry waits go through a fake ``sleep``: nothing here waits on purpose.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import time
import tracemalloc
from contextlib import contextmanager
from datetime import date, timedelta
from functools import cache, partial
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import faults
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from mkdocs_analytics import pipeline, schemas
from mkdocs_analytics.config import GitHubConfig, GoatCounterConfig
from mkdocs_analytics.period import Period
from mkdocs_analytics.pipeline import Settings
from mkdocs_analytics.records import BREAKDOWNS
from mkdocs_analytics.sources import github, goatcounter, http

GC_TOKEN = "gc-FAULTS-9a8b7c6d5e4f3a2b1c0d"
GH_TOKEN = "test-github-token-FAULTS-0123456789-SECRET"
TOKENS = (GC_TOKEN, GH_TOKEN)
PERIOD = Period(date(2024, 3, 10), date(2024, 3, 16))
TIMEOUT = 0.5
# A fault must end within the timeout; the rest is for a loaded machine.
SLACK = 1.5
UNITS = {"Docs": ["acme"]}

WEB_FAULTS = ("html", "redirect_loop")
SOCKET_FAULTS = ("reset", "short", "drip", "drip_headers", "big", "big_unannounced", "big_gzip")
FAULTS = WEB_FAULTS + SOCKET_FAULTS
BIG_FAULTS = ("big", "big_unannounced", "big_gzip")


# Servers -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web():
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


def html_page(request):
    """A sign-in page, as a proxy or a wrong address gives, echoing the token."""
    echo = request.headers.get("Authorization", "")
    return Response(f"<!DOCTYPE html>\n<html><body><h1>Sign in</h1><p>{echo}</p></body></html>",
                    status=200, content_type="text/html")


def redirect_loop(request):
    """Always elsewhere on the same host, with the token in the address."""
    echo = quote(request.headers.get("Authorization", ""))
    return Response("", status=302, headers={"Location": f"/loop?echo={echo}"})


@cache
def bomb() -> bytes:
    return faults.gzip_bomb()


def socket_fault(fault: str):
    if fault == "big_gzip":
        return faults.compressed(bomb())
    return {
        "reset": faults.reset_mid_body,
        "short": faults.short_body,
        "drip": faults.drip,
        "drip_headers": faults.drip_headers,
        "big": faults.big,
        "big_unannounced": faults.big_unannounced,
    }[fault]


@contextmanager
def serving(fault: str, web: HTTPServer, good: dict | None = None):
    """The address of a server answering ``good`` paths with their JSON and every other
    request with ``fault``; and a function giving the number of requests it had."""
    if fault in WEB_FAULTS:
        for path, body in (good or {}).items():
            web.expect_request(path).respond_with_json(body)
        handler = html_page if fault == "html" else redirect_loop
        web.expect_request(re.compile(".*")).respond_with_handler(handler)
        try:
            yield web.url_for("/").rstrip("/"), lambda: len(web.log)
        finally:
            web.clear()
    else:
        with faults.FaultServer(socket_fault(fault), good) as server:
            yield server.url, lambda: len(server.requests)


# What each fault must say --------------------------------------------------------------------


def first_bytes(token: str) -> int:
    """How many bytes of the body the cut-off faults send before they stop."""
    echo = faults.Request("GET", "/", {"authorization": f"Bearer {token}"})
    return len(faults.start_of_body(echo))


def detail(fault: str, token: str) -> tuple[str, str]:
    """What happened to the answer (a pattern), and its kind."""
    too_big = "8 MB, the most the plugin reads of one answer"
    return {
        "reset": (r"was cut off after \d+ bytes \(Connection reset by peer\)", "cut"),
        "short": (f"was cut off after {first_bytes(token)} of 1,000 bytes", "cut"),
        "drip": (r"did not come whole within 0\.5 s \(\d+ bytes came\)", "time"),
        "big": (f"is 52,428,800 bytes, over {too_big}", "size"),
        "big_unannounced": (f"is over {too_big}", "size"),
        "big_gzip": (f"is over {too_big}", "size"),
    }[fault]


GC_ADVICE = {
    "cut": "try again later",
    "time": "try again later, or raise the option 'timeout'",
    "size": "is 'site' the address of a GoatCounter site?",
}
GH_ADVICE = {
    "cut": "try again later",
    "time": "try again later, or raise the option 'timeout'",
    "size": "is 'api_url' the address of the GitHub API?",
}


def goatcounter_reason(fault: str) -> str:
    """The reason (a pattern) when the first request, /api/v0/me, meets ``fault``."""
    if fault == "html":
        return re.escape("/api/v0/me answered an HTML page, not JSON: is 'site' the address of "
                         "a GoatCounter site?")
    if fault == "redirect_loop":
        return re.escape("/api/v0/me redirected more than 5 times: check the option 'site'")
    if fault == "drip_headers":
        return (r"no answer from 127\.0\.0\.1:\d+ within 0\.5 s \(/api/v0/me\): "
                + re.escape(GC_ADVICE["time"]))
    said, kind = detail(fault, GC_TOKEN)
    return f"the answer to /api/v0/me {said}: {re.escape(GC_ADVICE[kind])}"


def github_reason(fault: str, path: str, what: str) -> str:
    """The reason (a pattern) when the request of ``path`` (about ``what``) meets ``fault``."""
    if fault == "html":
        said = (f"the answer about {what} is not JSON but an HTML page (HTTP 200): is "
                "'api_url' the address of the GitHub API?")
        return "stopped early: " + re.escape(said)
    if fault == "redirect_loop":
        return "stopped early: " + re.escape(
            f"{path} redirected more than 5 times: check 'api_url'"
        )
    if fault == "drip_headers":
        return (r"stopped early: no answer from http://127\.0\.0\.1:\d+ within 0\.5 s "
                + re.escape(f"({path}): {GH_ADVICE['time']}"))
    said, kind = detail(fault, GH_TOKEN)
    return f"stopped early: the answer to {path} {said}: {re.escape(GH_ADVICE[kind])}"


# An answer out of time before its headers is retried as a read timeout: once by GoatCounter,
# three times by GitHub, after these (fake) waits.
RETRY_WAITS = {"goatcounter": [1.0], "github": [1.0, 2.0, 4.0]}


def requests_made(fault: str, source: str) -> int:
    """Requests one failed answer costs: a body is not retried, redirects are followed."""
    if fault == "redirect_loop":
        return 1 + http.MAX_REDIRECTS
    return 1 + len(RETRY_WAITS[source]) if fault == "drip_headers" else 1


def retry_waits(fault: str, source: str) -> list[float]:
    return RETRY_WAITS[source] if fault == "drip_headers" else []


def time_limit(fault: str, source: str) -> float:
    """The timeout for each try that runs out of time, and some slack."""
    return requests_made(fault, source) * TIMEOUT + SLACK if "drip" in fault else TIMEOUT + SLACK


# The clients ---------------------------------------------------------------------------------


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """No ETags kept and nothing said yet, as in a new process."""
    monkeypatch.setattr(github, "ETAGS", {})
    monkeypatch.setattr(github, "_SAID", set())


@pytest.fixture
def warnings(caplog):
    caplog.set_level(logging.INFO)
    return lambda: [r.getMessage() for r in caplog.records
                    if r.name.endswith(".analytics") and r.levelno >= logging.WARNING]


def goatcounter_options(url: str) -> SimpleNamespace:
    return SimpleNamespace(site=url, token=GC_TOKEN, top_pages=2, timeout=TIMEOUT,
                           max_requests=100)


def github_options(url: str) -> GitHubConfig:
    options = GitHubConfig()
    options.load_dict({"units": UNITS, "api_url": url})
    assert options.validate() == ([], [])
    options.token, options.timeout = GH_TOKEN, TIMEOUT
    return options


def collect_goatcounter(url: str, tmp_path: Path, fake: FakeTime) -> dict:
    settings = SimpleNamespace(data_dir=str(tmp_path / "data"), own_hosts=[])
    return goatcounter.collect(goatcounter_options(url), PERIOD, settings, sleep=fake.sleep,
                               clock=fake.clock)


def collect_github(url: str, tmp_path: Path, fake: FakeTime) -> dict:
    settings = SimpleNamespace(data_dir=str(tmp_path / "data"))
    return github.collect(github_options(url), PERIOD, settings, sleep=fake.sleep,
                          clock=time.time)


@contextmanager
def timed(limit: float):
    started = time.monotonic()
    yield
    elapsed = time.monotonic() - started
    assert elapsed < limit, f"took {elapsed:.2f} s, more than {limit} s"


@pytest.mark.parametrize("fault", FAULTS)
def test_goatcounter_is_unavailable_with_one_line_on_the_fault(fault, web, tmp_path, warnings):
    fake = FakeTime()
    with serving(fault, web) as (url, served), timed(time_limit(fault, "goatcounter")):
        record = collect_goatcounter(url, tmp_path, fake)
        assert served() == requests_made(fault, "goatcounter")

    assert record["available"] is False
    assert re.fullmatch(goatcounter_reason(fault), record["reason"]), record["reason"]
    assert warnings() == [f"analytics: GoatCounter unavailable for {PERIOD.name}: "
                          f"{record['reason']}"]
    assert fake.sleeps == retry_waits(fault, "goatcounter")


@pytest.mark.parametrize("fault", FAULTS)
def test_github_is_unavailable_when_the_first_answer_fails(fault, web, tmp_path, warnings):
    fake = FakeTime()
    with serving(fault, web) as (url, served), timed(time_limit(fault, "github")):
        record = collect_github(url, tmp_path, fake)
        assert served() == requests_made(fault, "github")

    assert record["available"] is False
    assert record["requests"] == requests_made(fault, "github")
    pattern = github_reason(fault, "/orgs/acme/repos", "acme")
    assert re.fullmatch(pattern, record["reason"]), record["reason"]
    assert warnings() == [f"analytics: GitHub: {record['reason']}; keeping what was counted "
                          "before"]
    assert fake.sleeps == retry_waits(fault, "github")


def repository(name: str) -> dict:
    return {"full_name": name, "stargazers_count": 3, "archived": False, "fork": False,
            "private": False, "pushed_at": "2024-03-15T10:00:00Z"}


# acme has two repositories; the first answers well, the second's commits meet the fault.
PART_WAY = {
    "/orgs/acme/repos": [repository("acme/one"), repository("acme/two")],
    "/repos/acme/one/commits": [{"sha": "1"}, {"sha": "2"}],
    "/repos/acme/one/pulls": [],
    "/repos/acme/one/releases": [],
}


@pytest.mark.parametrize("fault", FAULTS)
def test_github_part_way_keeps_the_repositories_counted(fault, web, tmp_path, warnings):
    fake = FakeTime()
    with serving(fault, web, PART_WAY) as (url, served), timed(time_limit(fault, "github")):
        record = collect_github(url, tmp_path, fake)
        assert served() == 4 + requests_made(fault, "github")

    assert record["available"] is True and record["partial"] is True
    pattern = github_reason(fault, "/repos/acme/two/commits", "acme/two")
    assert re.fullmatch(pattern, record["reason"]), record["reason"]
    unit = record["units"]["Docs"]
    assert unit["complete"] is False
    assert [row["name"] for row in unit["repositories"]] == ["acme/one"]
    assert unit["commits"] == 2 and unit["stars"] == 3
    assert len(warnings()) == 1
    assert fake.sleeps == retry_waits(fault, "github")


# Memory --------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["goatcounter", "github"])
@pytest.mark.parametrize("fault", BIG_FAULTS)
def test_a_50_mb_body_is_never_held_in_memory(fault, source, web, tmp_path):
    bomb()  # made before measuring: it is the server's, not the client's
    collect = collect_goatcounter if source == "goatcounter" else collect_github
    with serving(fault, web) as (url, _), timed(TIMEOUT + SLACK):
        tracemalloc.start()
        try:
            record = collect(url, tmp_path, FakeTime())
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert record["available"] is False and "8 MB" in record["reason"]
    # The body read up to the cap (9 MB measured, with the buffer's slack): never the 50 MB.
    assert peak < 1.5 * http.MAX_BODY, f"peak {peak / 2**20:.1f} MB"
    if fault == "big":
        assert peak < 2**20  # refused from its Content-Length, before reading


# Through the pipeline: the last good data stays ----------------------------------------------


def good_goatcounter_record() -> dict:
    pages = goatcounter.PageCounts()
    pages.daily[PERIOD.end.isoformat(), "/guide"] = 7
    pages.ids["/guide"].append(1)
    record = goatcounter.build_record(
        PERIOD, "UTC", timedelta(0), None, pages, dict.fromkeys(BREAKDOWNS, []), {},
        goatcounter.Referrers([]),
    )
    assert schemas.errors("raw-record", record) == []
    return record


def good_github_record() -> dict:
    record = {
        "schema_version": 1, "source": "github", "available": True, "reason": None,
        "partial": False, "period": PERIOD.as_dict(), "mode": "rest", "requests": 5,
        "not_modified": 0, "rate_limit_remaining": 4995, "problems": [],
        "units": {"Docs": {"organisations": ["acme"], "complete": True, "commits": 4,
                           "prs_opened": 1, "prs_merged": 1, "releases": 0, "stars": 3,
                           "repositories": []}},
        "releases": [],
    }
    assert schemas.errors("raw-record", record) == []
    return record


def keep_good_raw(data_dir: Path, ttl: int) -> dict[str, Path]:
    """Good raw records of the period, older than ``ttl``: collected again, not reused."""
    paths = {}
    for source, record in (("goatcounter", good_goatcounter_record()),
                           ("github", good_github_record())):
        path = data_dir / "raw" / source / f"{PERIOD.name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=2), encoding="utf-8")
        old = time.time() - 2 * ttl
        os.utime(path, (old, old))
        paths[source] = path
    return paths


@pytest.fixture
def fake_sources(monkeypatch):
    """The sources as the pipeline calls them, with the test's timeout and a fake sleep."""
    fake = FakeTime()

    def with_timeout(collect, options, period, settings, **kwargs):
        options.timeout = TIMEOUT
        return collect(options, period, settings, sleep=fake.sleep, clock=fake.clock)

    for module in (goatcounter, github):
        monkeypatch.setattr(module, "collect", partial(with_timeout, module.collect))
    return fake


def settings(tmp_path: Path, url: str) -> Settings:
    config = Settings(root=str(tmp_path), data_dir=str(tmp_path / "data"),
                      period_end=PERIOD.end, period_days=PERIOD.days, cache_ttl=3600)
    config.goatcounter = GoatCounterConfig()
    config.goatcounter.load_dict({"site": url, "token": GC_TOKEN})
    config.github = GitHubConfig()
    config.github.load_dict({"units": UNITS, "api_url": url, "token": GH_TOKEN})
    assert config.goatcounter.validate() == ([], []) and config.github.validate() == ([], [])
    return config


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_keeps_the_last_good_raw_records(fault, web, tmp_path, fake_sources, warnings):
    with serving(fault, web) as (url, _):
        config = settings(tmp_path, url)
        raw = keep_good_raw(Path(config.data_dir), config.cache_ttl)
        before = {source: path.read_bytes() for source, path in raw.items()}
        with timed(time_limit(fault, "goatcounter") + time_limit(fault, "github")):
            collection = pipeline.collect(config)

    for source, path in raw.items():
        assert collection.records[source]["available"] is False
        assert path.read_bytes() == before[source], f"{source}'s good raw record was replaced"
    said = warnings()
    assert len(said) == 2
    assert said[0].startswith(f"analytics: GoatCounter unavailable for {PERIOD.name}: ")
    assert said[1].startswith("analytics: GitHub: stopped early: ")

    # The period's numbers are unknown, not zero.
    result = pipeline.aggregate(config, collection.period, collection.records)
    assert result.engagement["available"] is False
    assert result.engagement["site_totals"]["unique_visitors"] is None
    activity = result.report["github_activity"]
    assert activity["available"] is False
    assert activity["total_commits"] is None and activity["total_stars"] is None
    assert fake_sources.sleeps == retry_waits(fault, "goatcounter") + retry_waits(fault, "github")


# The token -----------------------------------------------------------------------------------


def chain(error: BaseException):
    """``error`` and every exception behind it, shown or suppressed."""
    seen = []
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or error.__context__
    return seen


def shown(record: logging.LogRecord) -> bool:
    """A line ``mkdocs`` or ``mkdocs-analytics`` can print: theirs (``mkdocs.*``) at any level,
    any other logger's from WARNING up (Python's last-resort handler). Not the test servers'
    request lines, nor urllib3's DEBUG lines, which print every address asked for, even one a
    hostile redirect made of the token, but which neither tool ever shows."""
    return record.name.split(".")[0] == "mkdocs" or record.levelno >= logging.WARNING


def log_texts(records) -> list[str]:
    """Everything a log line shown can say: its message, its arguments' repr, and any
    exception's repr and traceback."""
    texts = []
    for record in filter(shown, records):
        texts += [record.getMessage(), repr(record.args), record.exc_text or ""]
        errors = [arg for arg in (record.args or ()) if isinstance(arg, BaseException)]
        if record.exc_info and record.exc_info[1] is not None:
            errors.append(record.exc_info[1])
        texts += [repr(seen) for error in errors for seen in chain(error)]
    return texts


def written(root: Path) -> dict[Path, bytes]:
    """Every file under ``root``, a ``.gz`` one uncompressed (the sitemap)."""
    files = {}
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            files[path] = gzip.decompress(data) if path.suffix == ".gz" else data
    return files


@pytest.mark.parametrize("fault", FAULTS)
def test_no_token_in_any_file_log_line_or_exception(fault, web, site, caplog, monkeypatch,
                                                    fake_sources):
    """A site built through the plugin, GoatCounter meeting the fault at once and GitHub
    part-way, both tokens echoed by the server."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("GOATCOUNTER_TOKEN", GC_TOKEN)
    monkeypatch.setenv("GITHUB_TOKEN", GH_TOKEN)
    problems = []
    for module in (goatcounter, github):
        seen = module.Client._network_problem

        def spy(self, error, *args, _seen=seen):
            problems.append(error)
            return _seen(self, error, *args)

        monkeypatch.setattr(module.Client, "_network_problem", spy)

    with serving(fault, web, PART_WAY) as (url, served):
        site.write("docs/index.md", "# Home\n")
        site.write(
            "mkdocs.yml",
            f"""
            site_name: Faults
            site_url: https://docs.example.org/
            theme: mkdocs
            plugins:
              - analytics:
                  period_end: {PERIOD.end}
                  period_days: {PERIOD.days}
                  data_dir: data
                  goatcounter:
                    site: {url}
                  github:
                    api_url: {url}
                    units:
                      Docs: [acme]
            """,
        )
        keep_good_raw(site.root / "data", 3600)
        with timed(time_limit(fault, "goatcounter") + time_limit(fault, "github") + 5):
            site.build()
        assert served() > 1  # the faulty server did see the tokens

    report = site.json("site/analytics/system-engagement-report.json")
    # GitHub stopped part-way; the complete record collected before for the same period
    # is kept and used rather than the partial one (pipeline.collect).
    assert report["github_activity"]["partial"] is False
    assert report["github_activity"]["total_commits"] == 4
    metrics = site.json("site/analytics/engagement-metrics.json")
    assert metrics["site_totals"]["unique_visitors"] is None

    files = written(site.root)
    assert any(path.suffix == ".gz" for path in files)
    assert any("data" in path.parts and "raw" in path.parts for path in files)
    texts = log_texts(caplog.records)
    if fault not in ("html",):
        assert problems, "no network error reached the clients"
    texts += [repr(seen) for error in problems for seen in chain(error)]
    texts += [str(seen) for error in problems for seen in chain(error)]
    for token in TOKENS:
        leaks = [str(path) for path, data in files.items() if token.encode() in data]
        assert leaks == [], f"token in {leaks}"
        assert [text for text in texts if token in text] == []
