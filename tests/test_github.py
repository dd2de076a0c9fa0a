"""Tests for the GitHub source against a local server that answers like GitHub.

Two kinds of answers, both in ``fixtures/github`` (see its README):

- recorded ones (github3.py's and PyGithub's recordings, trimmed): an organisation's
  repositories, commits paged with old cursor links, pull requests, releases paged out of
  order, a 301 to a renamed repository, rate-limit refusals, 502s;
- ``acme.json``, three invented organisations, counted by hand below for the period
  2024-03-10..2024-03-16 (UTC, both days included).

acme-docs (repositories in two pages):

  handbook   12 stars, pushed 03-15
             commits: 2 on page 1 + 1 on page 2 (Link)                              -> 3
             pulls, newest update first:
               #9 opened 03-14, merged 03-15, updated 03-20       -> opened, merged
               #8 opened 03-16 23:30, open                          -> opened
               #7 opened 03-01, merged 03-11                        -> merged
               #6 opened 03-09 23:59:59, closed unmerged            -> nothing
               #5 updated 03-09: before the period, the walk stops (page 2 never asked)
                                                                      -> opened 2, merged 2
             releases: draft (no published_at), v2.0 03-12, v1.9 03-09            -> 1
  engine     40 stars, pushed 03-16
             commits 4; pulls: #3 opened 03-10 00:00:00 merged 03-16 23:59:59, #2 older
             -> opened 1, merged 1; releases: v0.3 03-17 (after), v0.2 03-16, v0.1 -> 1
  old-site    5 stars, pushed 2023-11: no commits asked; no pulls; v1.0 2023    -> 0
  legacy      7 stars, archived: no request, counts null
  upstream-fork: a fork, left out
  unit Zeta = acme-docs: commits 7, opened 3, merged 3, releases 2, stars 64

acme-labs:  empty (0 stars): commits 409 -> 0, nothing else
            tools (9 stars): commits 2, #1 opened 03-13 -> opened 1, no releases
acme-ops/site-old: 301 to acme-ops/site (21 stars): commits 1, #4 opened 02-01 and merged
            03-12 -> merged 1 (opened before the period), v3 03-15 -> 1 release
  unit Alpha = acme-labs + acme-ops/site-old: commits 3, opened 1, merged 1, releases 1,
            stars 30

Requests, REST: acme-docs 2 lists + handbook 4 + engine 3 + old-site 2 = 11; acme-labs 1 + 3 +
3 = 7; acme-ops 301 + 200 + 3 = 5; in all 23. Search: acme-docs 2 + 3 searches + 3 release
lists = 8, acme-labs 1 + 3 + 2 = 6, acme-ops 2 + 3 + 1 = 6; in all 20. GraphQL: one query per
entry (3) + handbook's pull requests by REST (GraphQL gave only the first two, with more) = 4.
"""

from __future__ import annotations

import copy
import json
import logging
import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from werkzeug import Request, Response

from mkdocs_analytics import aggregate, schemas
from mkdocs_analytics.config import GitHubConfig
from mkdocs_analytics.history import History
from mkdocs_analytics.period import Period
from mkdocs_analytics.sources import github

FIXTURES = Path(__file__).parent / "fixtures" / "github"
PERIOD = Period(date(2024, 3, 10), date(2024, 3, 16))
UNITS = {"Zeta": ["acme-docs"], "Alpha": ["acme-labs", "acme-ops/site-old"]}
NOW = 1710600000.0  # 2024-03-16 14:40 UTC: the fake clock
TOKEN = "test-github-token-0123456789-SECRET"


def row(name, commits, opened, merged, releases, stars, archived=False):
    return {"name": name, "commits": commits, "prs_opened": opened, "prs_merged": merged,
            "releases": releases, "stars": stars, "archived": archived}


ZETA_ROWS = [
    row("acme-docs/engine", 4, 1, 1, 1, 40),
    row("acme-docs/handbook", 3, 2, 2, 1, 12),
    row("acme-docs/legacy", None, None, None, None, 7, archived=True),
    row("acme-docs/old-site", 0, 0, 0, 0, 5),
]
ALPHA_ROWS = [
    row("acme-labs/empty", 0, 0, 0, 0, 0),
    row("acme-labs/tools", 2, 1, 0, 0, 9),
    row("acme-ops/site", 1, 0, 1, 1, 21),
]
TOTALS = {
    "Zeta": {"commits": 7, "prs_opened": 3, "prs_merged": 3, "releases": 2, "stars": 64},
    "Alpha": {"commits": 3, "prs_opened": 1, "prs_merged": 1, "releases": 1, "stars": 30},
}
RELEASES = [
    {"repository": "acme-docs/handbook", "tag": "v2.0", "published_at": "2024-03-12T10:00:00Z"},
    {"repository": "acme-ops/site", "tag": "v3", "published_at": "2024-03-15T10:00:00Z"},
    {"repository": "acme-docs/engine", "tag": "v0.2", "published_at": "2024-03-16T12:00:00Z"},
]
EXPECTED_UNITS = {
    "Zeta": {"organisations": ["acme-docs"], "complete": True, **TOTALS["Zeta"],
             "repositories": ZETA_ROWS},
    "Alpha": {"organisations": ["acme-labs", "acme-ops/site-old"], "complete": True,
              **TOTALS["Alpha"], "repositories": ALPHA_ROWS},
}


# A server that answers like GitHub -------------------------------------------------------


class FakeGitHub:
    """Answers from route tables, recording every request; unknown requests get a 404."""

    def __init__(self, httpserver) -> None:
        self.base = httpserver.url_for("/").rstrip("/")
        self.routes: list[dict] = []
        self.graphql: list[dict] = []
        self.seen: list[SimpleNamespace] = []
        httpserver.expect_request(re.compile(".*")).respond_with_handler(self.answer)

    def fixture(self, name: str) -> dict:
        text = (FIXTURES / name).read_text(encoding="utf-8")
        return json.loads(text.replace("https://api.github.com", self.base))

    def load(self, name: str, *sections: str) -> None:
        data = self.fixture(name)
        for section in sections or ("routes",):
            if section == "graphql":
                self.graphql.extend(data["graphql"])
            else:
                self.routes.extend(data[section])

    def add(self, path, status=200, body=None, query=None, headers=None, once=False,
            method="GET"):
        """A route; ``once`` answers come first and are used up by one request each."""
        route = {"method": method, "path": path, "query": query, "status": status,
                 "headers": headers or {}, "json": body, "once": once}
        self.routes.insert(0, route) if once else self.routes.append(route)

    def answer(self, request: Request) -> Response:
        query = request.args.to_dict()
        self.seen.append(SimpleNamespace(method=request.method, path=request.path, query=query,
                                         headers=dict(request.headers)))
        if request.path == "/graphql":
            return self._graphql(request)
        route = self._route(request.method, request.path, query)
        if route is None:
            return _response(404, {"message": "Not Found"}, {})
        if route.get("once"):
            self.routes.remove(route)
        etag = {k.lower(): v for k, v in route["headers"].items()}.get("etag")
        if etag and request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers=route["headers"])
        return _response(route["status"], route["json"], route["headers"])

    def _route(self, method: str, path: str, query: dict) -> dict | None:
        matching = [r for r in self.routes if r["method"] == method and r["path"] == path]
        for route in matching:
            if route["query"] == query or (route.get("once") and route["query"] is None):
                return route
        return next((r for r in matching if r["query"] is None), None)

    def _graphql(self, request: Request) -> Response:
        variables = request.get_json()["variables"]
        for answer in self.graphql:
            if answer["variables"].items() <= variables.items():
                return _response(200, answer["json"], answer["headers"])
        return _response(200, {"errors": [{"type": "NOT_FOUND", "message": "no answer"}]}, {})

    def requests_to(self, path: str) -> list[SimpleNamespace]:
        return [seen for seen in self.seen if seen.path == path]


def _response(status: int, body, headers: dict) -> Response:
    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
    return Response(json.dumps(body), status=status, headers=headers,
                    content_type="application/json; charset=utf-8")


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """Each test starts as a new process would: no kept ETags, nothing said yet."""
    monkeypatch.setattr(github, "ETAGS", {})
    monkeypatch.setattr(github, "_SAID", set())


@pytest.fixture
def fake(httpserver) -> FakeGitHub:
    return FakeGitHub(httpserver)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def run(fake, sleeps, tmp_path):
    """Collect with the fake server, a fake clock and a sleep that only records."""

    def run(units=None, period=PERIOD, mode="rest", token=None, max_requests=1000):
        options = GitHubConfig()
        options.load_dict({"units": units or UNITS, "mode": mode, "api_url": fake.base,
                           "max_requests": max_requests})
        assert options.validate() == ([], [])
        options.token = token
        settings = SimpleNamespace(data_dir=str(tmp_path / "data"))
        return github.collect(options, period, settings, sleep=sleeps.append,
                              clock=lambda: NOW)

    return run


def searched(rows, entries_searched=True):
    """Rows as search mode gives them: searched counts unknown per repository."""
    out = copy.deepcopy(rows)
    for one in out:
        if entries_searched and not one["archived"]:
            one.update(commits=None, prs_opened=None, prs_merged=None)
    return out


# The hand-counted organisations, in each mode ---------------------------------------------


def test_rest_counts_each_unit_as_worked_out_by_hand(fake, run, sleeps):
    fake.load("acme.json")
    record = run()

    assert list(record["units"]) == ["Zeta", "Alpha"]  # as written, not alphabetical
    assert record["units"] == EXPECTED_UNITS
    assert record["releases"] == RELEASES
    assert record["available"] is True and record["partial"] is False
    assert record["reason"] is None and record["problems"] == []
    assert record["mode"] == "rest"
    assert record["period"] == PERIOD.as_dict()
    assert record["requests"] == 23 == len(fake.seen)
    assert record["rate_limit_remaining"] == 4990
    assert sleeps == []
    # Not asked: the fork, the archived repository, old-site's commits, handbook's page 2 of
    # pull requests (the walk stopped at #5).
    paths = {seen.path for seen in fake.seen}
    assert not [p for p in paths if "upstream-fork" in p or "legacy" in p]
    assert "/repos/acme-docs/old-site/commits" not in paths
    assert "/repositories/2001/pulls" not in paths
    assert all(seen.method == "GET" for seen in fake.seen)


def test_rest_asks_repository_lists_with_their_etags_again(fake, run, tmp_path):
    fake.load("acme.json")
    first = run()
    second = run()

    assert second["units"] == first["units"] == EXPECTED_UNITS
    assert second["requests"] == 23 and second["not_modified"] == 4
    asked = fake.requests_to("/orgs/acme-docs/repos")
    assert "If-None-Match" not in asked[0].headers
    assert asked[1].headers["If-None-Match"] == 'W/"acme-docs-1"'

    # A new process finds the lists the last build kept in the data folder.
    github.ETAGS.clear()
    third = run()
    assert third["units"] == EXPECTED_UNITS and third["not_modified"] == 4
    kept = json.loads((tmp_path / "data" / "cache" / "github-etags.json").read_text())
    assert kept[f"{fake.base}/orgs/acme-labs/repos?type=public&per_page=100"]["etag"] == (
        'W/"acme-labs-1"'
    )


def test_search_mode_asks_once_per_organisation_and_metric(fake, run, sleeps):
    fake.load("acme.json", "routes", "search")
    record = run(mode="search")

    assert record["mode"] == "search"
    assert record["releases"] == RELEASES
    assert record["requests"] == 20 == len(fake.seen)
    for name, unit in record["units"].items():
        assert {key: unit[key] for key in TOTALS[name]} == TOTALS[name]
    assert record["units"]["Zeta"]["repositories"] == searched(ZETA_ROWS)
    # acme-labs was searched as an organisation; acme-ops/site as itself.
    assert record["units"]["Alpha"]["repositories"] == searched(ALPHA_ROWS[:2]) + ALPHA_ROWS[2:]
    queries = [seen.query["q"] for seen in fake.seen if seen.path.startswith("/search/")]
    assert queries[0] == (
        "org:acme-docs is:public committer-date:"
        "2024-03-10T00:00:00+00:00..2024-03-16T23:59:59+00:00"
    )
    assert [q.split()[0] for q in queries] == (
        ["org:acme-docs"] * 3 + ["org:acme-labs"] * 3 + ["repo:acme-ops/site"] * 3
    )
    assert sleeps == []


def test_search_that_says_incomplete_is_replaced_by_the_rest_walk(fake, run):
    fake.load("acme.json", "routes", "search")
    incomplete = {"total_count": 1, "incomplete_results": True, "items": []}
    query = next(r["query"] for r in fake.routes if r["path"] == "/search/commits"
                 and r["query"]["q"].startswith("org:acme-labs"))
    fake.add("/search/commits", body=incomplete, query=query, once=True)
    record = run(mode="search")

    # acme-labs: its list, one search, then its two repositories walked (3 requests each).
    assert record["requests"] == 8 + (1 + 1 + 6) + 6
    assert record["units"]["Alpha"]["repositories"] == ALPHA_ROWS
    assert {k: record["units"]["Alpha"][k] for k in TOTALS["Alpha"]} == TOTALS["Alpha"]


def test_graphql_mode_asks_once_per_entry_and_rest_for_what_did_not_fit(fake, run):
    fake.load("acme.json", "routes", "graphql")
    record = run(mode="graphql", token=TOKEN)

    assert record["mode"] == "graphql"
    assert record["units"] == EXPECTED_UNITS
    assert record["releases"] == RELEASES
    assert record["requests"] == 4 == len(fake.seen)
    assert [seen.method for seen in fake.seen].count("POST") == 3
    assert [seen.path for seen in fake.seen if seen.method == "GET"] == [
        "/repos/acme-docs/handbook/pulls"
    ]
    assert all(seen.headers["Authorization"] == f"Bearer {TOKEN}" for seen in fake.seen)


def test_graphql_errors_are_counted_with_rest(fake, run):
    fake.load("acme.json", "routes", "graphql")
    fake.graphql = [a for a in fake.graphql if a["variables"].get("login") != "acme-labs"]
    record = run(mode="graphql", token=TOKEN)

    assert record["units"] == EXPECTED_UNITS
    assert record["requests"] == 2 + (1 + 7) + 1


def test_graphql_without_a_token_counts_with_rest_and_says_so_once(fake, run, caplog):
    caplog.set_level(logging.INFO)
    fake.load("acme.json")
    first = run(mode="graphql")
    second = run(mode="graphql")

    assert first["mode"] == second["mode"] == "rest"
    assert first["units"] == EXPECTED_UNITS
    assert all("Authorization" not in seen.headers for seen in fake.seen)
    said = [r.getMessage() for r in caplog.records]
    assert sum("no token" in m for m in said) == 1
    assert sum("needs a token" in m for m in said) == 1
    assert sum("GitHub (rest mode): 23 requests" in m for m in said) == 2


# Recorded answers -------------------------------------------------------------------------


def empty_lists(fake, *repos):
    """Pull requests, releases and commits not recorded for these repositories: none."""
    for name in repos:
        for kind in ("pulls", "releases", "commits"):
            fake.add(f"/repos/{name}/{kind}", body=[])


def test_recorded_organisation_repositories(fake, run):
    fake.load("github3py-org.json")
    kept = ("github3py/fork_this", "github3py/test_rename1", "github3py/delete_contents")
    empty_lists(fake, *kept)
    record = run({"G": ["github3py"]}, Period(date(2017, 12, 23), date(2017, 12, 29)))

    unit = record["units"]["G"]
    # Five forks left out; only delete_contents was pushed in the period.
    assert [r["name"] for r in unit["repositories"]] == sorted(kept, key=str.lower)
    assert unit["stars"] == 0
    assert record["requests"] == 1 + 1 + 3 + 3
    assert [s.path for s in fake.seen if s.path.endswith("/commits")] == [
        "/repos/github3py/delete_contents/commits"
    ]


def test_a_missing_star_count_is_unknown_not_zero(fake, run):
    fake.load("github3py-org.json")
    del fake.routes[0]["json"][1]["stargazers_count"]  # fork_this, as 2013 answers are
    empty_lists(fake, "github3py/fork_this", "github3py/test_rename1",
                "github3py/delete_contents")
    record = run({"G": ["github3py"]}, Period(date(2017, 12, 23), date(2017, 12, 29)))

    unit = record["units"]["G"]
    assert [r["stars"] for r in unit["repositories"]] == [0, None, 0]
    assert unit["stars"] is None


def test_recorded_commits_follow_cursor_links_and_releases_pages(fake, run):
    fake.load("pygithub-repo.json")
    fake.add("/repos/PyGithub/PyGithub/pulls", body=[])  # not recorded
    record = run({"P": ["PyGithub/PyGithub"]}, Period(date(2013, 3, 1), date(2013, 3, 30)))

    unit = record["units"]["P"]
    assert unit["repositories"] == [row("PyGithub/PyGithub", 30 + 17, 0, 0, 0, 7122)]
    # The repository, two pages of commits, the pull requests, three pages of releases.
    assert record["requests"] == 7
    assert [s.query.get("last_sha") for s in fake.requests_to("/repositories/3544490/commits")
            ] == ["ee29deddd27480401db484733ecde9e7b1df5eda"]


@pytest.mark.parametrize(
    ("period", "releases", "requests"),
    [
        # v1.41 and v1.42, listed out of order on the third page.
        (Period(date(2018, 8, 13), date(2018, 8, 19)), 2, 1 + 1 + 1 + 3),
        # v1.54.1 on the first page; the second is all older, so the third is not asked.
        (Period(date(2020, 12, 20), date(2020, 12, 26)), 1, 1 + 1 + 1 + 2),
    ],
)
def test_recorded_releases_stop_after_a_page_older_than_the_period(
    fake, run, period, releases, requests
):
    fake.load("pygithub-repo.json")
    empty_lists(fake, "PyGithub/PyGithub")
    record = run({"P": ["PyGithub/PyGithub"]}, period)

    assert record["units"]["P"]["releases"] == releases
    assert record["requests"] == requests


def test_recorded_pull_requests(fake, run):
    fake.load("github3py-repo.json")
    fake.add("/repos/sigmavirus24/github3.py/commits", body=[])
    record = run({"G": ["sigmavirus24/github3.py"]}, Period(date(2018, 10, 15), date(2018, 10, 21)))

    # #897 and #896, opened on 2018-10-16 and still open; both releases are from 2013-14.
    assert record["units"]["G"]["repositories"] == [
        row("sigmavirus24/github3.py", 0, 2, 0, 0, 1064)
    ]
    assert record["requests"] == 4


def test_recorded_redirect_of_a_renamed_repository(fake, run):
    fake.load("betamax-redirect.json")
    empty_lists(fake, "betamaxpy/betamax")
    record = run({"B": ["sigmavirus24/betamax"]}, Period(date(2017, 12, 16), date(2017, 12, 22)))

    # Pushed last on 2017-10-31: no commits asked for.
    assert record["units"]["B"]["repositories"] == [row("betamaxpy/betamax", 0, 0, 0, 0, 298)]
    assert record["units"]["B"]["organisations"] == ["sigmavirus24/betamax"]
    assert record["requests"] == 2 + 2


# Limits -----------------------------------------------------------------------------------


def limit(name: str) -> dict:
    return json.loads((FIXTURES / "limits.json").read_text(encoding="utf-8"))["answers"][name]


def test_quota_running_out_stops_early_and_keeps_what_was_counted(fake, run, sleeps):
    fake.load("acme.json")
    refused = limit("primary_403")
    fake.add("/repos/acme-labs/tools/commits", refused["status"], refused["json"],
             headers=refused["headers"], once=True)
    record = run()

    assert record["available"] is True and record["partial"] is True
    assert "quota is used up after 16 requests" in record["reason"]
    assert record["requests"] == 11 + 1 + 3 + 1
    assert sleeps == []  # no reset time given: waiting would be a guess
    assert record["units"]["Zeta"] == EXPECTED_UNITS["Zeta"]
    alpha = record["units"]["Alpha"]
    assert alpha["complete"] is False
    assert alpha["repositories"] == ALPHA_ROWS[:1]  # tools is left out whole, not half counted

    report = aggregate.github_activity(record, History(""), PERIOD)
    assert report["available"] is True and report["partial"] is True
    assert report["total_commits"] == 7 and report["organ_breakdown"]["Alpha"]["commits"] == 0
    assert report["organ_breakdown"]["Alpha"]["complete"] is False


def test_a_quota_at_zero_is_not_asked_again(fake, run, sleeps):
    fake.load("acme.json")
    listing = next(r for r in fake.routes if r["path"] == "/orgs/acme-labs/repos")
    listing["headers"] = limit("primary_last_ok")["headers"]  # 0 left, no reset time
    record = run()

    assert record["partial"] is True and record["requests"] == 12 == len(fake.seen)
    assert record["rate_limit_remaining"] == 0
    assert record["units"]["Alpha"]["repositories"] == []
    assert sleeps == []


def test_a_quota_that_resets_soon_is_waited_for(fake, run, sleeps):
    fake.load("acme.json")
    fake.add("/repos/acme-labs/tools/commits", 403, {"message": "API rate limit exceeded"},
             headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 30)},
             once=True)
    record = run()

    assert sleeps == [30]
    assert record["units"] == EXPECTED_UNITS and record["requests"] == 24


def test_a_quota_that_resets_later_stops_the_collection(fake, run, sleeps):
    fake.load("acme.json")
    fake.add("/repos/acme-labs/tools/commits", 403, {"message": "API rate limit exceeded"},
             headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 3600)},
             once=True)
    record = run()

    assert sleeps == []
    assert record["reason"] == (
        "stopped early: GitHub's core quota is used up after 16 requests; "
        "it resets at 2024-03-16 15:40 UTC"
    )
    assert record["partial"] is True and record["units"]["Zeta"] == EXPECTED_UNITS["Zeta"]


def test_secondary_limit_with_retry_after_waits_that_long(fake, run, sleeps):
    fake.load("acme.json")
    refused = limit("secondary_403")
    fake.add("/repos/acme-docs/handbook/commits", refused["status"], refused["json"],
             headers=refused["headers"], once=True)
    record = run()

    assert sleeps == [60]
    assert record["units"] == EXPECTED_UNITS
    assert record["requests"] == 24 and record["partial"] is False


def test_secondary_limit_without_headers_waits_a_minute(fake, run, sleeps):
    fake.load("acme.json")
    message = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes"}
    fake.add("/repos/acme-docs/engine/pulls", 403, message, once=True)
    fake.add("/repos/acme-docs/engine/pulls", 403, message, once=True)
    record = run()

    assert sleeps == [60, 60]
    assert record["units"] == EXPECTED_UNITS and record["requests"] == 25


def test_a_refusal_that_is_not_a_limit_leaves_the_repository_out(fake, run, sleeps):
    fake.load("acme.json")
    fake.add("/repos/acme-labs/tools/releases", 403,
             {"message": "Resource not accessible by integration"}, once=True)
    record = run()

    assert sleeps == []
    assert record["partial"] is False
    assert record["problems"] == [
        "acme-labs/tools: HTTP 403 Resource not accessible by integration"
    ]
    assert [r["name"] for r in record["units"]["Alpha"]["repositories"]] == [
        "acme-labs/empty", "acme-ops/site"
    ]
    # A unit missing a repository is not complete; the other unit is.
    assert record["units"]["Alpha"]["complete"] is False
    assert record["units"]["Alpha"]["unread"] == record["problems"]
    assert record["units"]["Zeta"] == EXPECTED_UNITS["Zeta"]


def test_a_mistyped_organisation_makes_its_unit_incomplete_and_the_report_partial(
    fake, run, caplog
):
    """{I: [acme-labs, acme-labz]}: the second answers 404. It is said once, and unit I is
    not complete, nor the report; the counts of acme-labs are kept."""
    fake.load("acme.json")
    caplog.set_level(logging.INFO)
    record = run(units={"I": ["acme-labs", "acme-labz"], "II": ["acme-docs"]})

    assert record["available"] is True and record["partial"] is False
    assert record["problems"] == ["acme-labz: HTTP 404 Not Found"]
    unit = record["units"]["I"]
    assert unit["complete"] is False and unit["unread"] == ["acme-labz: HTTP 404 Not Found"]
    assert (unit["commits"], unit["prs_opened"], unit["stars"]) == (2, 1, 9)
    assert record["units"]["II"]["complete"] is True and "unread" not in record["units"]["II"]
    assert schemas.errors("raw-record", record) == []
    said = [r.getMessage() for r in caplog.records if r.name.endswith(".analytics")]
    assert [line for line in said if "acme-labz" in line] == [
        "analytics: GitHub: acme-labz: HTTP 404 Not Found; left out"
    ]

    report = aggregate.github_activity(record, History(""), PERIOD)
    assert report["partial"] is True
    assert report["reason"] == "unit I incomplete: couldn't read acme-labz: HTTP 404 Not Found"
    assert report["organ_breakdown"]["I"]["complete"] is False
    assert report["organ_breakdown"]["II"]["complete"] is True
    assert (report["total_commits"], report["total_prs"], report["total_stars"]) == (9, 4, 73)


def test_every_entry_read_leaves_the_report_whole(fake, run):
    fake.load("acme.json")
    report = aggregate.github_activity(run(), History(""), PERIOD)
    assert report["partial"] is False and report["reason"] is None


def test_max_requests_stops_early(fake, run):
    fake.load("acme.json")
    record = run(max_requests=5)

    # The two lists and three of handbook's four requests: no repository counted whole, and
    # nothing counted at all means no numbers.
    assert record["available"] is False
    assert record["reason"] == "stopped early: max_requests (5) reached; raise the option"
    assert record["requests"] == 5 == len(fake.seen)


def test_max_requests_keeps_the_repositories_counted_before(fake, run):
    fake.load("acme.json")
    record = run(max_requests=8)

    assert record["partial"] is True and record["requests"] == 8
    assert record["units"]["Zeta"]["repositories"] == [ZETA_ROWS[1]]  # handbook only
    assert record["units"]["Zeta"]["complete"] is False
    assert record["units"]["Alpha"] == {
        "organisations": UNITS["Alpha"], "complete": False, "commits": 0, "prs_opened": 0,
        "prs_merged": 0, "releases": 0, "stars": 0, "repositories": [],
    }


def test_recorded_server_errors_are_retried_with_backoff(fake, run, sleeps):
    fake.load("pygithub-repo.json")
    empty_lists(fake, "PyGithub/PyGithub")
    failed, answered = limit("server_502"), limit("repo_after_retries")
    fake.add("/repos/PyGithub/PyGithub", answered["status"], answered["json"],
             headers=answered["headers"], once=True)
    for _ in range(3):
        fake.add("/repos/PyGithub/PyGithub", failed["status"], failed["json"],
                 headers=failed["headers"], once=True)
    record = run({"P": ["PyGithub/PyGithub"]}, Period(date(2018, 12, 9), date(2018, 12, 15)))

    assert sleeps == [1, 2, 4]
    assert record["units"]["P"]["repositories"] == [row("PyGithub/PyGithub", 0, 0, 0, 0, 2256)]
    # Four tries of the repository; commits, pulls; releases until a page older than 12-09.
    assert record["requests"] == 4 + 1 + 1 + 3 == len(fake.seen)


def test_recorded_server_errors_that_last_make_the_source_unavailable(fake, run, sleeps):
    failed = limit("server_502")
    fake.add("/repos/PyGithub/PyGithub", failed["status"], failed["json"],
             headers=failed["headers"])
    record = run({"P": ["PyGithub/PyGithub"]})

    assert record["available"] is False
    assert record["reason"] == "stopped early: GitHub answered 502 BAD GATEWAY 4 times"
    assert sleeps == [1, 2, 4] and record["requests"] == 4 == len(fake.seen)


def test_server_errors_with_a_small_cap_are_reported_as_server_errors(fake, run, sleeps):
    """The cap stops the retries, not the report: what failed is said, not the cap."""
    failed = limit("server_502")
    fake.add("/repos/PyGithub/PyGithub", failed["status"], failed["json"],
             headers=failed["headers"])
    record = run({"P": ["PyGithub/PyGithub"]}, max_requests=2)

    assert record["reason"] == "stopped early: GitHub answered 502 BAD GATEWAY 2 times"
    assert sleeps == [1] and record["requests"] == 2 == len(fake.seen)


@pytest.mark.parametrize("cap", [2, 1000])
def test_a_refused_connection_is_reported_whatever_the_cap(sleeps, tmp_path, cap):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = GitHubConfig()
    options.load_dict({"units": {"I": ["real-org"]}, "api_url": f"http://127.0.0.1:{port}",
                       "max_requests": cap})
    assert options.validate() == ([], [])
    record = github.collect(options, PERIOD, SimpleNamespace(data_dir=str(tmp_path)),
                            sleep=sleeps.append, clock=lambda: NOW)

    assert record["available"] is False
    assert record["reason"] == (
        f"stopped early: couldn't connect to 127.0.0.1:{port} (Connection refused): check "
        "'api_url' and the network"
    )
    # Within the cap: two attempts with a cap of 2, else the first and three retries.
    assert record["requests"] == min(cap, 4) and sleeps == [1, 2, 4][: min(cap, 4) - 1]


def test_an_answer_of_unexpected_shape_stops_without_breaking_the_build(fake, run):
    fake.load("acme.json")
    listing = next(r for r in fake.routes if r["path"] == "/orgs/acme-labs/repos")
    del listing["json"][0]["full_name"]
    record = run()

    assert record["partial"] is True
    assert record["reason"] == (
        "stopped early: an answer had an unexpected shape (KeyError: 'full_name')"
    )
    assert record["units"]["Zeta"] == EXPECTED_UNITS["Zeta"]


# The token --------------------------------------------------------------------------------


def test_the_token_is_never_logged_nor_stored(fake, run, caplog):
    caplog.set_level(logging.DEBUG)
    fake.load("acme.json")
    # A server that echoes the header back in its messages.
    fake.add("/repos/acme-labs/tools/pulls", 404, {"message": f"no access for Bearer {TOKEN}"},
             once=True)
    fake.add("/orgs/acme-docs/repos", 401, {"message": f"Bad credentials: {TOKEN}"},
             query={"type": "public", "per_page": "100"}, once=True)
    refused = run(token=TOKEN)
    record = run(token=TOKEN)

    assert refused["available"] is False and "refused the token" in refused["reason"]
    assert record["problems"] == ["acme-labs/tools: HTTP 404 no access for Bearer [token]"]
    assert fake.seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    for text in (json.dumps(refused), json.dumps(record), caplog.text):
        assert TOKEN not in text
    assert "no token" not in caplog.text


# Options ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "problem"),
    [
        ({"I": "org-one"}, None),
        ({"I": ["org-one", "someone/tool.py"], "META": ["org-meta"]}, None),
        ({"I": []}, "expected a list of organisations or owner/repo names"),
        ({"I": ["org one"]}, "expected a list of organisations or owner/repo names"),
        ({"I": ["org-one", "Org-One/docs"]}, "Org-One/docs is listed twice, or with its org"),
        ({"I": ["org-one", "ORG-ONE"]}, "is listed twice"),
        # In two units, an entry would be counted in both and twice in the totals.
        ({"I": ["real-org"], "II": ["real-org"]},
         "real-org is in unit 'I' and in unit 'II': it would be counted twice"),
        ({"I": ["org-one/tool"], "II": ["Org-One/Tool"]},
         "Org-One/Tool is in unit 'I' and in unit 'II'"),
        ({"I": ["real-org"], "II": ["other", "real-org/docs"]},
         "real-org/docs (unit 'II') is a repository of real-org, which is in unit 'I'"),
        ({"I": ["Real-Org/docs"], "II": ["real-org"]},
         "Real-Org/docs (unit 'I') is a repository of real-org, which is in unit 'II'"),
        ({"I": ["real-org/docs"], "II": ["real-org/site"], "III": ["other-org"]}, None),
    ],
)
def test_units_are_checked_when_the_configuration_loads(units, problem):
    options = GitHubConfig()
    options.load_dict({"units": units})
    failed, _ = options.validate()
    if problem is None:
        assert failed == [] and list(options.units) == list(units)
        assert all(isinstance(entries, list) for entries in options.units.values())
    else:
        assert [name for name, _ in failed] == ["units"] and problem in str(failed[0][1])


def test_an_organisation_in_two_units_stops_the_build_with_the_option_name(site, caplog):
    from mkdocs.exceptions import Abort

    site.write("docs/index.md", "# Home\n")
    site.write(
        "mkdocs.yml",
        """
        site_name: Units
        theme: mkdocs
        plugins:
          - analytics:
              github:
                units: {I: [real-org], II: [real-org]}
        """,
    )
    with pytest.raises(Abort):
        site.build()
    assert ("Plugin 'analytics' option 'github': Sub-option 'units': real-org is in unit 'I' "
            "and in unit 'II'") in caplog.text
    assert not (site.root / "data").exists()


# A real site ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["rest", "search", "graphql"])
def test_site_report_has_the_hand_counted_units(fake, site, mode, monkeypatch):
    fake.load("acme.json", "routes", "search", "graphql")
    if mode == "graphql":
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    else:
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    site.write("docs/index.md", "# Home\n")
    site.write(
        "mkdocs.yml",
        f"""
        site_name: Units
        theme: mkdocs
        plugins:
          - analytics:
              period_end: 2024-03-16
              period_days: 7
              data_dir: data
              github:
                mode: {mode}
                api_url: {fake.base}
                units:
                  Zeta: [acme-docs]
                  Alpha: [acme-labs, acme-ops/site-old]
        """,
    )
    site.build()

    published = site.json("site/analytics/system-engagement-report.json")
    assert schemas.errors("system-engagement-report", published) == []
    report = published["github_activity"]
    assert report["available"] is True and report["partial"] is False
    assert report["releases"] == RELEASES
    assert list(report["organ_breakdown"]) == ["Zeta", "Alpha"]
    for name, totals in TOTALS.items():
        unit = report["organ_breakdown"][name]
        assert (unit["commits"], unit["prs"], unit["prs_merged"], unit["releases"],
                unit["stars"]) == (totals["commits"], totals["prs_opened"],
                                   totals["prs_merged"], totals["releases"], totals["stars"])
    assert (report["total_commits"], report["total_prs"], report["total_prs_merged"],
            report["total_releases"], report["total_stars"]) == (10, 4, 4, 3, 94)
    raw = site.json("data/raw/github/2024-03-10--2024-03-16.json")
    assert schemas.errors("raw-record", raw) == []
    assert raw["requests"] == {"rest": 23, "search": 20, "graphql": 4}[mode]

