"""The raw record of a live source is reused (within ``cache_ttl``, or offline) only when it was
collected with the same options: a unit fixed or added, another site or ``top_pages``, another
GitHub mode or API address asks again at the next build. The token is not such an option.

Real builds against local servers answering like GitHub and GoatCounter.
"""

from __future__ import annotations

import json
import logging
import re
from types import SimpleNamespace

import pytest
from test_serve import goatcounter

from mkdocs_analytics import pipeline
from mkdocs_analytics.period import Period
from mkdocs_analytics.sources import github

RAW_GITHUB = "data/raw/github/2024-03-10--2024-03-16.json"
REUSED = "analytics: GitHub: using data collected less than 3600s ago"


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """Each test starts as a new process would: nothing kept, nothing said yet."""
    monkeypatch.setattr(github, "ETAGS", {})
    monkeypatch.setattr(github, "_SAID", set())
    monkeypatch.setattr(pipeline, "_SAID", set())
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GOATCOUNTER_TOKEN", raising=False)


def fake_github(httpserver) -> str:
    """Two organisations of one repository each: real-org with 2 commits in the period,
    other-org with 3. Any other name answers 404."""
    for org, commits in (("real-org", 2), ("other-org", 3)):
        httpserver.expect_request(f"/orgs/{org}/repos").respond_with_json([{
            "full_name": f"{org}/app", "stargazers_count": 1, "archived": False,
            "fork": False, "private": False, "pushed_at": "2024-03-15T00:00:00Z",
        }])
        httpserver.expect_request(f"/repos/{org}/app/commits").respond_with_json(
            [{"sha": str(n)} for n in range(commits)]
        )
        for listing in ("pulls", "releases"):
            httpserver.expect_request(f"/repos/{org}/app/{listing}").respond_with_json([])
    # Search mode: real-org's 2 commits, no pull requests.
    for path, total in (("/search/commits", 2), ("/search/issues", 0)):
        httpserver.expect_request(path).respond_with_json(
            {"total_count": total, "incomplete_results": False, "items": []}
        )
    httpserver.expect_request(re.compile(".*")).respond_with_json(
        {"message": "Not Found"}, status=404
    )
    return httpserver.url_for("/").rstrip("/")


def other_host(url: str) -> str:
    """The same local server under another name."""
    if "localhost" in url:
        return url.replace("localhost", "127.0.0.1")
    return url.replace("127.0.0.1", "localhost")


def configure(site, options: str) -> None:
    site.write("docs/index.md", "# Home\n")
    site.write(
        "mkdocs.yml",
        "site_name: Cache\ntheme: mkdocs\nplugins:\n  - analytics:\n"
        "      period_end: 2024-03-16\n"
        + "".join(f"      {line}\n" for line in options.strip().splitlines()),
    )


def github_options(api: str, units: str, extra: str = "") -> str:
    return f"github:\n  api_url: {api}\n  units: {units}\n" + (f"  {extra}\n" if extra else "")


def commits(site) -> tuple[int, list[str]]:
    report = site.json("data/system-engagement-report.json")["github_activity"]
    return report["total_commits"], list(report["organ_breakdown"])


def test_a_changed_unit_is_collected_again_within_the_cache_time(
    site, httpserver, analytics_log
):
    api = fake_github(httpserver)
    configure(site, github_options(api, "{I: [real-org]}"))
    site.build()
    assert commits(site) == (2, ["I"])
    asked = len(httpserver.log)

    # The same options: reused, nothing asked.
    site.build()
    assert len(httpserver.log) == asked and REUSED in analytics_log()

    # A unit added: asked again at once, and the report shows it.
    configure(site, github_options(api, "{I: [real-org], II: [other-org]}"))
    site.build()
    assert len(httpserver.log) > asked
    assert commits(site) == (5, ["I", "II"])
    assert ("analytics: GitHub: the data of 2024-03-10--2024-03-16 was collected with other "
            "options (units, mode, api_url); asking again") in analytics_log()

    # A unit's organisation changed (a typo fixed): the old numbers are not shown.
    configure(site, github_options(api, "{I: [other-org]}"))
    site.build()
    assert commits(site) == (3, ["I"])
    assert site.json(RAW_GITHUB)["units"]["I"]["organisations"] == ["other-org"]


@pytest.mark.parametrize("change", ["mode: search", "timeout: 30"])
def test_the_mode_asks_again_but_a_timeout_does_not(site, httpserver, change):
    api = fake_github(httpserver)
    configure(site, github_options(api, "{I: [real-org]}"))
    site.build()
    asked = len(httpserver.log)
    configure(site, github_options(api, "{I: [real-org]}", change))
    site.build()
    assert (len(httpserver.log) > asked) is (change == "mode: search")
    assert commits(site) == (2, ["I"])


def test_another_api_url_asks_again(site, httpserver):
    api = fake_github(httpserver)
    configure(site, github_options(api, "{I: [real-org]}"))
    site.build()
    asked = len(httpserver.log)
    configure(site, github_options(other_host(api), "{I: [real-org]}"))
    site.build()
    assert len(httpserver.log) > asked


def test_goatcounter_site_and_top_pages_ask_again_and_the_token_does_not(
    site, httpserver, monkeypatch
):
    goatcounter(httpserver)
    url = httpserver.url_for("/").rstrip("/")
    options = "goatcounter:\n  site: {site}\n  top_pages: {top}\n"
    monkeypatch.setenv("GOATCOUNTER_TOKEN", "token-one")
    configure(site, options.format(site=url, top=10))
    site.build()
    asked = len(httpserver.log)
    assert asked > 0

    # Another token, the same options: reused.
    monkeypatch.setenv("GOATCOUNTER_TOKEN", "token-two")
    site.build()
    assert len(httpserver.log) == asked

    configure(site, options.format(site=url, top=2))
    site.build()
    assert len(httpserver.log) > asked
    asked = len(httpserver.log)

    configure(site, options.format(site=other_host(url), top=2))
    site.build()
    assert len(httpserver.log) > asked


def test_offline_uses_data_of_other_options_and_says_so_once(site, httpserver, caplog):
    api = fake_github(httpserver)
    configure(site, github_options(api, "{I: [real-org]}"))
    site.build()
    asked = len(httpserver.log)

    configure(site, "offline: true\n" + github_options(api, "{I: [real-org], II: [other-org]}"))
    caplog.set_level(logging.INFO)
    site.build()
    site.build()
    assert len(httpserver.log) == asked
    assert commits(site) == (2, ["I"])
    said = [r for r in caplog.records if "collected with other options" in r.getMessage()]
    assert [(r.levelname, r.getMessage()) for r in said] == [(
        "WARNING",
        "analytics: GitHub: the data of 2024-03-10--2024-03-16 in "
        "data/raw/github/2024-03-10--2024-03-16.json was collected with other options "
        "(units, mode, api_url) than mkdocs.yml has now; it is used as it is while offline",
    )]


def test_offline_with_the_same_options_says_nothing_more(site, httpserver, analytics_log):
    api = fake_github(httpserver)
    configure(site, github_options(api, "{I: [real-org]}"))
    site.build()
    configure(site, "offline: true\n" + github_options(api, "{I: [real-org]}"))
    site.build()
    assert not [line for line in analytics_log() if "other options" in line]
    assert commits(site) == (2, ["I"])


def test_a_partial_collection_keeps_only_a_complete_record_of_the_same_options(
    tmp_path, monkeypatch
):
    """The complete record kept when a collection stops part-way must be one of the same
    options too: after a unit is added, the old units' record is not passed off as the new."""
    period = Period.parse("2024-03-10--2024-03-16")
    settings = pipeline.Settings(
        root=str(tmp_path), data_dir=str(tmp_path / "data"), period_end=period.end,
        cache_ttl=0,
        github=SimpleNamespace(units={"I": ["real-org"], "II": ["other-org"]}, token=None,
                               mode="rest", api_url="http://127.0.0.1:9"),
    )
    old = {"schema_version": 1, "source": "github", "available": True, "reason": None,
           "period": period.as_dict(), "units": {"I": {}}, "partial": False,
           pipeline.FINGERPRINT: "sha256:0000000000000000"}
    path = tmp_path / "data/raw/github/2024-03-10--2024-03-16.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(old))
    stopped = {**old, "partial": True, "reason": "stopped early: quota",
               pipeline.FINGERPRINT: pipeline.fingerprint("github", settings)}
    monkeypatch.setattr(pipeline, "_live", lambda source, s, p: (
        stopped if source == "github" else {"available": False, "reason": "off"}))
    collection = pipeline.collect(settings)
    assert collection.records["github"] == stopped


# A failed collection within one process (`mkdocs serve`) ----------------------------------


def refusing_goatcounter(httpserver) -> None:
    """A GoatCounter that refuses every token at once (no retry)."""
    httpserver.expect_request("/api/v0/me").respond_with_json(
        {"error": "unknown token"}, status=401
    )


def live_settings(tmp_path, httpserver, failures, token="token-one", cache_ttl=3600):
    from mkdocs_analytics.config import GoatCounterConfig

    options = GoatCounterConfig()
    options.load_dict({"site": httpserver.url_for("/").rstrip("/"), "token": token})
    assert options.validate() == ([], [])
    return pipeline.Settings(root=str(tmp_path), data_dir=str(tmp_path / "data"),
                             period_end=Period.parse("2024-03-05--2024-03-11").end,
                             goatcounter=options, cache_ttl=cache_ttl, failures=failures)


def test_a_failed_collection_is_not_asked_again_in_the_same_process(
    tmp_path, httpserver, caplog
):
    refusing_goatcounter(httpserver)
    caplog.set_level(logging.INFO)
    failures: dict = {}

    first = pipeline.collect(live_settings(tmp_path, httpserver, failures))
    assert first.records["goatcounter"]["available"] is False
    assert len(httpserver.log) == 1
    warned = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warned) == 1

    # The next rebuild: no request, no new warning, one INFO line.
    caplog.clear()
    again = pipeline.collect(live_settings(tmp_path, httpserver, failures))
    assert len(httpserver.log) == 1
    assert again.records["goatcounter"]["reason"] == first.records["goatcounter"]["reason"]
    said = [r for r in caplog.records
            if r.name.endswith(".analytics") and "GoatCounter" in r.getMessage()]
    assert [r.levelname for r in said] == ["INFO"]
    assert said[0].getMessage().startswith(
        "analytics: GoatCounter: not asked again: it failed 0 s ago (the token was refused "
    )
    assert said[0].getMessage().endswith(
        "asked again 300 s after that, or when its options change"
    )

    # Another token (the fix the user may be trying) is asked at once.
    pipeline.collect(live_settings(tmp_path, httpserver, failures, token="token-two"))
    assert len(httpserver.log) == 2


def test_without_memory_every_collection_asks(tmp_path, httpserver):
    """A one-off build and the command line (a new process each) always ask."""
    refusing_goatcounter(httpserver)
    pipeline.collect(live_settings(tmp_path, httpserver, None))
    pipeline.collect(live_settings(tmp_path, httpserver, None))
    assert len(httpserver.log) == 2


def test_a_failure_is_remembered_no_longer_than_cache_ttl(tmp_path, httpserver):
    import time

    refusing_goatcounter(httpserver)
    failures: dict = {}
    pipeline.collect(live_settings(tmp_path, httpserver, failures, cache_ttl=1))
    pipeline.collect(live_settings(tmp_path, httpserver, failures, cache_ttl=1))
    assert len(httpserver.log) == 1
    time.sleep(1.1)
    pipeline.collect(live_settings(tmp_path, httpserver, failures, cache_ttl=1))
    assert len(httpserver.log) == 2
    # cache_ttl: 0 remembers nothing.
    pipeline.collect(live_settings(tmp_path, httpserver, failures, cache_ttl=0))
    pipeline.collect(live_settings(tmp_path, httpserver, failures, cache_ttl=0))
    assert len(httpserver.log) == 4


def test_a_success_forgets_the_failure(tmp_path, httpserver):
    failures: dict = {}
    httpserver.expect_oneshot_request("/api/v0/me").respond_with_json(
        {"error": "unknown token"}, status=401
    )
    goatcounter(httpserver)
    pipeline.collect(live_settings(tmp_path, httpserver, failures, cache_ttl=0))
    assert failures
    failures.clear()  # as after the memory's time
    record = pipeline.collect(live_settings(tmp_path, httpserver, failures, cache_ttl=0))
    assert record.records["goatcounter"]["available"] is True and failures == {}


def test_builds_that_are_not_served_always_ask(site, httpserver, monkeypatch):
    """MkDocs keeps the plugin's instance for the whole process (it defines on_startup), so a
    script or a test building twice gets the same instance back: only `mkdocs serve` may
    reuse a failure, never two plain builds."""
    refusing_goatcounter(httpserver)
    monkeypatch.setenv("GOATCOUNTER_TOKEN", "token-one")
    configure(site, f"goatcounter:\n  site: {httpserver.url_for('/').rstrip('/')}\n")
    site.build()
    site.build()
    assert len(httpserver.log) == 2
