"""GitHub activity of named units of organisations and repositories.

For each unit (``{"I": ["org-one"], "META": ["org-meta", "someone/tool"]}``), in the order the
user wrote them, and each public repository of its organisations: commits on the default branch,
pull requests opened and merged, and releases published in the period, and the current number
of stars. The option ``mode`` says how to ask:

- ``rest`` walks every repository and is exact: commits with ``since``/``until``, pull requests
  and releases page by page until they are older than the period;
- ``search`` asks ``/search/commits`` and ``/search/issues`` once per organisation and metric
  for the unit's totals (``total_count`` is exact for the query, but the index can lag by
  minutes and it counts archived repositories too). Releases have no search: they are still
  read per repository. Per-repository rows carry ``null`` for the searched counts;
- ``graphql`` (needs a token) reads 50 repositories with their counts per query.

Whatever a cheap mode cannot answer exactly (an incomplete search, a GraphQL error, more than
100 pull requests or releases to look at in one repository) is counted by the REST walk.

What is counted, and what is left out:

- Pull requests are read newest *update* first, not newest creation first: merging updates a
  pull request, so one merged in the period was updated then or later even when it was opened
  long before, and one opened in the period too. One walk, until ``updated_at`` falls before the
  period, finds both; a walk by creation would miss the pull requests opened before the period
  and merged in it, which search mode counts.
- Releases come roughly newest first (GitHub's order is not strictly by creation: the recorded
  PyGithub list has v1.41 before v1.42), so paging stops only after a whole page older than the
  period. A draft has no ``published_at`` and is not counted.
- Forks are left out (their commits are mostly their upstream's; search leaves them out too),
  except a fork named as ``owner/repo``. Private repositories are never read.
- An archived repository costs no request: its row has its stars and ``null`` counts. One not
  pushed since the period began has no commits in it, so its commits are not asked for.
- A missing field (``stargazers_count`` in old answers) is unknown: ``null``, and a unit's stars
  are ``null`` as soon as one of its repositories' are.
- An empty repository (409) counts nothing; a renamed one (301) is followed and counted under
  its new name. A repository or organisation the API does not show (404, 403, 451) is left out
  and named in ``problems``, and in its unit's ``unread``: the unit is not ``complete``.

Limits: one request at a time. urllib3's ``Retry`` retries 5xx and connection errors three
times after 1, 2 and 4 s, within ``max_requests``: when the cap leaves no room for a retry, the
failure itself is the reason (``couldn't connect to ... (Connection refused)``), not the cap.
Every answer is read within the limits of ``http.py``: whole within ``timeout`` seconds (a
server that drips never holds a build), at most 8 MB, after at most 5 redirects; a body cut
off, too slow or too large stops the collection, without a retry. A rate limit (403 or 429)
waits ``Retry-After``, else until ``x-ratelimit-reset`` when ``x-ratelimit-remaining`` is 0,
else (a secondary limit that says neither) 60 s. A quota known to be used up is not asked
again. When the wait would be longer than two minutes, or
``max_requests`` is reached, or GitHub keeps failing, the collection stops: the record keeps
every repository counted so far (never half a repository), says ``"partial": true`` and why in
``reason``, and marks the units it did not finish ``"complete": false``.

Repository lists are asked with the ETag of the last answer (``If-None-Match``); a 304 reuses
the list kept in memory for the process and in ``<data_dir>/cache/github-etags.json``.

The record (``schemas/raw-record.schema.json`` leaves its fields to the source): ``mode``,
``requests`` made (retries and redirects included) and ``not_modified`` among them,
``rate_limit_remaining`` (the core quota's last count), ``partial``, ``problems``, ``units``
(each with ``organisations`` as written, ``complete`` (finished, and every entry read),
``unread`` when something of it could not be read, the four counts, ``stars`` and its
``repositories`` rows by name) and ``releases`` (repository, tag, ``published_at``, oldest
first). A stop before any repository was counted gives an unavailable record instead.

The token goes only into the ``Authorization`` header of requests to ``api_url``: never into a
log line, a reason or the record, which are scrubbed of it in case a server echoes it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from urllib.parse import urlsplit

import requests
from mkdocs.plugins import get_plugin_logger
from urllib3.exceptions import MaxRetryError, ReadTimeoutError
from urllib3.util.retry import Retry

from .. import history, progress
from ..period import Period, isoformat_z
from ..records import SCHEMA_VERSION, unavailable
from . import http

log = get_plugin_logger("analytics")

SOURCE = "github"
METRICS = ("commits", "prs_opened", "prs_merged", "releases")

PER_PAGE = 100
HEADERS = {
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
    "User-Agent": "mkdocs-analytics",
}

# Retries of a 5xx or a connection error (after 1, 2, 4 s), and of a rate-limited request.
SERVER_RETRIES = 3
LIMIT_RETRIES = 3
SHORTEST_WAIT = 1.0
# A secondary limit that says neither Retry-After nor a reset: GitHub asks for at least 60 s.
SECONDARY_WAIT = 60.0
# A longer wait stops the collection instead of stalling a build.
LONGEST_WAIT = 120.0

# What to do about an answer not read whole (sources/http.py), by what went wrong.
ANSWER_ADVICE = {
    "time": "try again later, or raise the option 'timeout'",
    "size": "is 'api_url' the address of the GitHub API?",
    "cut": "try again later",
}

# Repository lists by URL: {"etag", "next", "repos"}, for the whole process (``mkdocs serve``).
ETAGS: dict[str, dict] = {}
CACHE_FILE = os.path.join("cache", "github-etags.json")
# What was already said once in this process.
_SAID: set[str] = set()


class Stop(Exception):
    """The collection cannot go on; what was counted so far stays."""


class Missing(Exception):
    """An organisation or repository the API does not show; it is left out and named."""


# Entry point -----------------------------------------------------------------------------


def collect(
    options, period: Period, settings, *, sleep=time.sleep, clock=time.time
) -> dict:
    """The GitHub record of ``period``: counts per unit, possibly partial, or unavailable.

    ``sleep`` and ``clock`` are there for tests, which must never wait for real.
    """
    mode = _mode(options)
    client = Client(options, sleep, clock)
    cache = _cache_path(settings)
    _load_etags(cache)

    collector = Collector(client, period, mode)
    reason = None
    try:
        collector.run(options.units)
    except (Stop, KeyError, TypeError, AttributeError) as error:
        reason = client.scrub(f"stopped early: {_why(error)}")
        log.warning("GitHub: %s; keeping what was counted before", reason)
    finally:
        client.session.close()
    _save_etags(cache)
    log.info("GitHub (%s mode): %s", mode, client.usage())

    if not collector.counted_anything() and (reason or collector.problems):
        reason = reason or "; ".join(collector.problems)
        return unavailable(SOURCE, period, reason, requests=client.requests)
    return collector.record(reason)


def check(options, *, sleep=time.sleep, clock=time.time) -> tuple[bool, str]:
    """Reach the API once (``/rate_limit``, which costs no quota) and say what it allows."""
    client = Client(options, sleep, clock)
    try:
        response = client.get("/rate_limit")
        _check(response, "the rate limit")
        core = (_json(response, "the rate limit").get("resources") or {}).get("core") or {}
    except (Stop, Missing, KeyError, TypeError, AttributeError) as error:
        reason = str(error) if isinstance(error, (Stop, Missing)) else _why(error)
        return False, client.scrub(reason)
    finally:
        client.session.close()
    who = "with the token" if options.token else "without a token (public data only)"
    scopes = response.headers.get("X-OAuth-Scopes")
    granted = f"; token scopes: {scopes or 'none listed'}" if options.token else ""
    return True, (
        f"{client.api} answers {who}: {core.get('remaining', '?')} of {core.get('limit', '?')} "
        f"requests left this hour{granted}"
    )


def _why(error: Exception) -> str:
    """A stop's reason; any other error here comes from an answer of a shape GitHub does not
    document, which must not break the build."""
    if isinstance(error, Stop):
        return str(error)
    return f"an answer had an unexpected shape ({type(error).__name__}: {error})"


def _mode(options) -> str:
    """The mode to use: ``graphql`` needs a token and falls back to ``rest`` without one."""
    if not options.token:
        _say_once(
            "GitHub: no token (set GITHUB_TOKEN); reading public data at the unauthenticated "
            "limit of 60 requests an hour"
        )
        if options.mode == "graphql":
            _say_once("GitHub: mode 'graphql' needs a token; counting with the REST API instead")
            return "rest"
    return options.mode


def _say_once(message: str) -> None:
    if message not in _SAID:
        _SAID.add(message)
        log.info(message)


# Period ----------------------------------------------------------------------------------


def _instant(text: str | None) -> datetime | None:
    """A GitHub time stamp (``2024-03-10T09:00:00Z``) as an aware datetime, or None."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _in(text: str | None, period: Period) -> bool:
    moment = _instant(text)
    return moment is not None and period.start_instant() <= moment < period.end_instant()


def _before(text: str | None, period: Period) -> bool:
    """True when ``text`` is known and earlier than the period; unknown is not before."""
    moment = _instant(text)
    return moment is not None and moment < period.start_instant()


def _window(period: Period) -> tuple[str, str]:
    """The period as the first and last second, both included, as the API's filters take."""
    return isoformat_z(period.start_instant()), isoformat_z(
        period.end_instant() - timedelta(seconds=1)
    )


# Requests --------------------------------------------------------------------------------


class CountedRetry(Retry):
    """urllib3's retry of 5xx and connection errors, sleeping through the injected ``sleep``
    (tests never wait) and counting every retry as a request made."""

    def __init__(self, *args, client: Client | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.client = client

    def new(self, **kwargs) -> CountedRetry:
        return super().new(client=self.client, **kwargs)

    def is_exhausted(self) -> bool:
        """Out of retries, or of requests (``max_requests``): the failure that would have been
        retried is then reported as it is, not hidden behind the cap."""
        return super().is_exhausted() or self.client.requests >= self.client.max_requests

    def sleep(self, response=None) -> None:
        self.client.sleep(max(self.get_backoff_time(), SHORTEST_WAIT))
        self.client.requests += 1


class Client:
    """Requests to one GitHub API, one at a time, within its rate limits."""

    def __init__(self, options, sleep: Callable[[float], None], clock: Callable[[], float]):
        self.api = options.api_url.rstrip("/")
        self.origin = _origin(self.api)
        self.token = options.token
        self.timeout = options.timeout
        self.max_requests = options.max_requests
        self.sleep = sleep
        self.clock = clock
        self.requests = 0
        self.not_modified = 0
        # Per resource (core, search, graphql): the last remaining, limit and reset seen.
        self.limits: dict[str, dict] = {}

        retry = CountedRetry(
            total=SERVER_RETRIES,
            connect=SERVER_RETRIES,
            read=SERVER_RETRIES,
            status=SERVER_RETRIES,
            other=0,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=frozenset({"GET", "POST"}),
            backoff_factor=1,
            raise_on_status=False,
            respect_retry_after_header=False,
            client=self,
        )
        self.session = http.session(retry)
        self.session.headers.update(HEADERS)

    def scrub(self, text: str) -> str:
        return text.replace(self.token, "[token]") if self.token else text

    def url(self, path: str) -> str:
        return path if "://" in path else self.api + path

    def get(self, path: str, params: dict | None = None, etag: str | None = None):
        headers = {"If-None-Match": etag} if etag else {}
        return self.request("GET", self.url(path), params=params, headers=headers)

    def graphql(self, query: str, variables: dict) -> dict:
        """The ``data`` of a GraphQL query; :class:`Missing` when GitHub reports errors."""
        response = self.request(
            "POST", _graphql_url(self.api), json={"query": query, "variables": variables}
        )
        if response.status_code == 401:
            raise Stop(_refused(response))
        if response.status_code != 200:
            raise Missing(f"GraphQL: {_message(response)}")
        body = _json(response, "GraphQL")
        errors = (body.get("errors") if isinstance(body, dict) else None) or []
        if any(error.get("type") == "RATE_LIMITED" for error in errors):
            raise Stop(f"GitHub's graphql quota is used up after {self.requests} requests")
        if errors or not body.get("data"):
            raise Missing(f"GraphQL: {(errors or [{}])[0].get('message') or 'no data'}")
        return body["data"]

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        """One answer that is not a rate limit; waits for limits, stops when it cannot."""
        waits = 0
        while True:
            self._wait_for_quota(url)
            response = self._send(method, url, **kwargs)
            if response.status_code >= 500:
                retried = getattr(getattr(response.raw, "retries", None), "history", ())
                raise Stop(
                    f"GitHub answered {response.status_code} {response.reason} "
                    f"{len(retried) + 1} times"
                )
            wait = self._limit_wait(response)
            if wait is None:
                return response
            if waits == LIMIT_RETRIES:
                raise Stop(f"GitHub still rate-limited after {waits} waits")
            waits += 1
            log.info("GitHub: rate-limited (HTTP %d); waiting %.0f s", response.status_code, wait)
            self.sleep(wait)
            self.limits.pop(_resource(url), None)  # waited for: not a reason to wait again

    def _send(
        self, method: str, url: str, headers: dict | None = None, **kwargs
    ) -> requests.Response:
        if self.requests >= self.max_requests:
            raise Stop(f"max_requests ({self.max_requests}) reached; raise the option")
        if self.token and _origin(url) == self.origin:
            headers = {**(headers or {}), "Authorization": f"Bearer {self.token}"}
        self.requests += 1
        try:
            response = self.session.request(
                method, url, headers=headers, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as error:
            raise Stop(self._network_problem(error, url)) from None
        self.requests += len(response.history)
        if response.status_code == 304:
            self.not_modified += 1
        self._note_limits(response)
        return response

    def _network_problem(self, error: requests.RequestException, url: str) -> str:
        """One line on a request that got no usable answer; never the URL's query."""
        path = urlsplit(url).path
        if isinstance(error, http.AnswerError):
            return f"the answer to {path} {error}: {ANSWER_ADVICE[error.kind]}"
        if isinstance(error, requests.TooManyRedirects):
            self.requests += len(error.response.history) if error.response is not None else 0
            return f"{path} redirected more than {http.MAX_REDIRECTS} times: check 'api_url'"
        reason = error.args[0] if error.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        if isinstance(error, requests.Timeout) or isinstance(reason, ReadTimeoutError):
            return (
                f"no answer from {self.origin} within {self.timeout} s ({path}): try again "
                "later, or raise the option 'timeout'"
            )
        if isinstance(error, requests.ConnectionError):
            host = urlsplit(url).netloc.rpartition("@")[2]
            return (
                f"couldn't connect to {host} ({http.os_reason(reason or error)}): check "
                "'api_url' and the network"
            )
        return f"no answer from {self.origin} ({type(error).__name__})"

    def _note_limits(self, response: requests.Response) -> None:
        remaining = _int(response.headers.get("x-ratelimit-remaining"))
        if remaining is not None:
            self.limits[_resource(response.url)] = {
                "remaining": remaining,
                "limit": _int(response.headers.get("x-ratelimit-limit")),
                "reset": _int(response.headers.get("x-ratelimit-reset")),
            }

    def _wait_for_quota(self, url: str) -> None:
        """Before asking: when the last answer said the quota is used up, wait for its reset if
        that is soon, else stop rather than spend a request on a sure refusal."""
        resource = _resource(url)
        known = self.limits.get(resource)
        if not known or known["remaining"] > 0:
            return
        reset = known["reset"]
        self.sleep(self._bounded(self._until(reset), self._quota_message(resource, reset)))
        del self.limits[resource]

    def _limit_wait(self, response: requests.Response) -> float | None:
        """Seconds to wait before asking again when ``response`` is a rate limit, else None:
        ``Retry-After``, else the quota's reset when none is left, else a secondary limit's
        minute."""
        status = response.status_code
        if status not in (403, 429):
            return None
        after = _int(response.headers.get("retry-after"))
        if after is not None:
            return self._bounded(after, f"GitHub asks to wait {after} s (HTTP {status})")
        if response.headers.get("x-ratelimit-remaining") == "0":
            reset = _int(response.headers.get("x-ratelimit-reset"))
            message = self._quota_message(_resource(response.url), reset)
            return self._bounded(self._until(reset), message)
        if status == 429 or _says_rate_limit(response):
            return SECONDARY_WAIT
        return None

    @staticmethod
    def _bounded(wait: float | None, message: str) -> float:
        """``wait``, at least a second; :class:`Stop` with ``message`` when it is unknown or
        too long for a build to sit through."""
        if wait is None or wait > LONGEST_WAIT:
            raise Stop(message)
        return max(float(wait), SHORTEST_WAIT)

    def _until(self, reset: int | None) -> float | None:
        return None if reset is None else reset - self.clock()

    def _quota_message(self, resource: str, reset: int | None) -> str:
        when = (
            f"it resets at {_clock_time(reset)} UTC" if reset is not None else "it resets hourly"
        )
        return f"GitHub's {resource} quota is used up after {self.requests} requests; {when}"

    def usage(self) -> str:
        """How many requests this collection made and how much quota is left, for the log."""
        parts = [f"{self.requests} requests ({self.not_modified} answered 'not modified')"]
        for resource, known in sorted(self.limits.items()):
            limit = f" of {known['limit']}" if known["limit"] is not None else ""
            reset = f", resets at {_clock_time(known['reset'])} UTC" if known["reset"] else ""
            parts.append(f"{known['remaining']}{limit} {resource} requests left{reset}")
        return "; ".join(parts)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _graphql_url(api: str) -> str:
    """``https://api.github.com/graphql``; on GitHub Enterprise ``/api/v3`` becomes
    ``/api/graphql``."""
    return api[: -len("/v3")] + "/graphql" if api.endswith("/v3") else api + "/graphql"


def _resource(url: str) -> str:
    path = urlsplit(url).path
    if "/search/" in path:
        return "search"
    return "graphql" if path.endswith("/graphql") else "core"


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _clock_time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


def _says_rate_limit(response: requests.Response) -> bool:
    """A 403 whose message is about a (secondary) rate limit, rather than a refusal."""
    text = response.text.lower()
    return "rate limit" in text or "abuse" in text


def _json(response: requests.Response, what: str):
    status = response.status_code
    kind = response.headers.get("Content-Type", "").lower()
    if "html" in kind or response.content.lstrip()[:1] == b"<":
        raise Stop(
            f"the answer about {what} is not JSON but an HTML page (HTTP {status}): is "
            "'api_url' the address of the GitHub API?"
        )
    try:
        return response.json()
    except ValueError:
        raise Stop(f"the answer about {what} is not JSON (HTTP {status})") from None


def _message(response: requests.Response) -> str:
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        message = None
    return f"HTTP {response.status_code}" + (f" {message}" if message else "")


def _refused(response: requests.Response) -> str:
    return f"GitHub refused the token ({_message(response)}): check GITHUB_TOKEN"


def _check(response: requests.Response, what: str) -> None:
    """Nothing for a 200; :class:`Stop` for a refused token; :class:`Missing` otherwise."""
    if response.status_code == 200:
        return
    if response.status_code == 401:
        raise Stop(_refused(response))
    raise Missing(f"{what}: {_message(response)}")


def _pages(client: Client, path: str, params: dict, what: str) -> Iterator[list]:
    """The pages of a list, following ``Link: rel="next"`` exactly as given.

    An empty repository answers 409 to a list of commits: no pages, not an error.
    """
    url: str | None = path
    while url:
        response = client.get(url, params)
        if response.status_code == 409:
            return
        _check(response, what)
        yield _json(response, what)
        url, params = response.links.get("next", {}).get("url"), None


# Repositories ----------------------------------------------------------------------------


def _repo(item: dict) -> dict:
    """What counting needs of a REST repository object; a missing field stays unknown."""
    stars = item.get("stargazers_count")
    return {
        "name": item["full_name"],
        "stars": stars if isinstance(stars, int) else None,
        "archived": bool(item.get("archived")),
        "fork": bool(item.get("fork")),
        "private": bool(item.get("private")),
        "pushed_at": item.get("pushed_at"),
    }


def _repo_page(client: Client, url: str, what: str) -> tuple[list[dict], str | None]:
    """One page of repositories, asked with the ETag of the last answer for the same URL."""
    key = client.url(url)
    cached = ETAGS.get(key)
    response = client.get(key, etag=cached["etag"] if cached else None)
    if response.status_code == 304 and cached:
        return cached["repos"], cached["next"]
    _check(response, what)
    body = _json(response, what)
    repos = [_repo(item) for item in (body if isinstance(body, list) else [body])]
    following = response.links.get("next", {}).get("url")
    if response.headers.get("ETag"):
        ETAGS[key] = {"etag": response.headers["ETag"], "next": following, "repos": repos}
    return repos, following


def list_repositories(client: Client, entry: str) -> list[dict]:
    """The public repositories an entry names: an organisation's, without forks, or one."""
    if "/" in entry:
        (repo,), _ = _repo_page(client, f"/repos/{entry}", entry)
        if repo["name"].lower() != entry.lower():
            log.info("GitHub: %s is now %s; counted under the new name", entry, repo["name"])
        if repo["private"]:
            raise Missing(f"{entry}: private; only public repositories are read")
        return [repo]
    repos: list[dict] = []
    url: str | None = f"/orgs/{entry}/repos?type=public&per_page={PER_PAGE}"
    while url:
        page, url = _repo_page(client, url, entry)
        repos.extend(page)
    return [repo for repo in repos if not repo["fork"] and not repo["private"]]


# Counting with REST ----------------------------------------------------------------------


def count_commits(client: Client, repo: dict, period: Period) -> int:
    """Commits on the default branch with a committer date in the period."""
    if _before(repo["pushed_at"], period):
        return 0
    since, until = _window(period)
    params = {"since": since, "until": until, "per_page": PER_PAGE}
    pages = _pages(client, f"/repos/{repo['name']}/commits", params, repo["name"])
    return sum(len(page) for page in pages)


def tally_pulls(pulls: list[dict], period: Period) -> tuple[int, int, bool]:
    """Opened and merged in the period among ``pulls`` (newest update first), and whether the
    next ones may still count: False once one was last updated before the period."""
    opened = merged = 0
    for pull in pulls:
        if _before(pull.get("updated_at"), period):
            return opened, merged, False
        opened += _in(pull.get("created_at"), period)
        merged += _in(pull.get("merged_at"), period)
    return opened, merged, True


def count_pulls(client: Client, repo: dict, period: Period) -> dict:
    params = {"state": "all", "sort": "updated", "direction": "desc", "per_page": PER_PAGE}
    opened = merged = 0
    for page in _pages(client, f"/repos/{repo['name']}/pulls", params, repo["name"]):
        new_opened, new_merged, more = tally_pulls(page, period)
        opened += new_opened
        merged += new_merged
        if not more:
            break
    return {"prs_opened": opened, "prs_merged": merged}


def tally_releases(releases: list[dict], period: Period) -> tuple[list[dict], bool]:
    """Releases published in the period, and whether the next page may hold more: False when
    every release here was published (a draft: created) before the period."""
    published = [release for release in releases if _in(release.get("published_at"), period)]
    older = all(
        _before(release.get("published_at") or release.get("created_at"), period)
        for release in releases
    )
    return published, not older


def count_releases(client: Client, repo: dict, period: Period) -> list[dict]:
    """The releases published in the period (their tag and time are listed in the record)."""
    params = {"per_page": PER_PAGE}
    found: list[dict] = []
    for page in _pages(client, f"/repos/{repo['name']}/releases", params, repo["name"]):
        published, more = tally_releases(page, period)
        found.extend(published)
        if not more:
            break
    return found


def rest_counts(client: Client, repo: dict, period: Period) -> dict:
    return {
        "commits": count_commits(client, repo, period),
        **count_pulls(client, repo, period),
        "releases": count_releases(client, repo, period),
    }


# Counting with search --------------------------------------------------------------------


def search_counts(client: Client, qualifier: str, period: Period) -> dict | None:
    """Commits and pull requests opened and merged, by three searches on ``org:`` or
    ``repo:``; None when GitHub says a search's answer is incomplete."""
    since, until = (moment.replace("Z", "+00:00") for moment in _window(period))
    span = f"{since}..{until}"
    queries = {
        "commits": ("/search/commits", f"{qualifier} is:public committer-date:{span}"),
        "prs_opened": ("/search/issues", f"{qualifier} is:public is:pr created:{span}"),
        "prs_merged": ("/search/issues", f"{qualifier} is:public is:pr merged:{span}"),
    }
    counts = {}
    for metric, (path, query) in queries.items():
        response = client.get(path, {"q": query, "per_page": 1})
        _check(response, f"search {qualifier}")
        body = _json(response, f"search {qualifier}")
        if body.get("incomplete_results") or not isinstance(body.get("total_count"), int):
            return None
        counts[metric] = body["total_count"]
    return counts


# Counting with GraphQL -------------------------------------------------------------------

_FIELDS = """
fragment counts on Repository {
  nameWithOwner isArchived isFork isPrivate pushedAt stargazerCount
  defaultBranchRef { target { ... on Commit {
    history(since: $since, until: $until) { totalCount } } } }
  pullRequests(first: 100, orderBy: {field: UPDATED_AT, direction: DESC}) {
    pageInfo { hasNextPage } nodes { createdAt updatedAt mergedAt } }
  releases(first: 100, orderBy: {field: CREATED_AT, direction: DESC}) {
    pageInfo { hasNextPage } nodes { tagName createdAt publishedAt isDraft } }
}
"""

# 50 repositories a query, each with up to 100 pull requests and 100 releases: far below
# GitHub's limit of 500,000 nodes a query.
ORGANISATION_QUERY = (
    """
query($login: String!, $after: String, $since: GitTimestamp!, $until: GitTimestamp!) {
  organization(login: $login) {
    repositories(first: 50, after: $after, privacy: PUBLIC, isFork: false,
                 orderBy: {field: NAME, direction: ASC}) {
      pageInfo { hasNextPage endCursor }
      nodes { ...counts }
    }
  }
}
"""
    + _FIELDS
)

REPOSITORY_QUERY = (
    """
query($owner: String!, $name: String!, $since: GitTimestamp!, $until: GitTimestamp!) {
  repository(owner: $owner, name: $name) { ...counts }
}
"""
    + _FIELDS
)


def graphql_nodes(client: Client, entry: str, period: Period) -> Iterator[dict]:
    """The repositories an entry names, with their counts, one query per 50 repositories."""
    since, until = _window(period)
    if "/" in entry:
        owner, name = entry.split("/", 1)
        variables = {"owner": owner, "name": name, "since": since, "until": until}
        node = client.graphql(REPOSITORY_QUERY, variables).get("repository")
        if not node:
            raise Missing(f"{entry}: GraphQL found no such repository")
        yield node
        return
    variables = {"login": entry, "after": None, "since": since, "until": until}
    while True:
        data = client.graphql(ORGANISATION_QUERY, variables).get("organization")
        if not data:
            raise Missing(f"{entry}: GraphQL found no such organisation")
        yield from data["repositories"]["nodes"]
        page = data["repositories"]["pageInfo"]
        if not page["hasNextPage"]:
            return
        variables = {**variables, "after": page["endCursor"]}


def _node_repo(node: dict) -> dict:
    return {
        "name": node["nameWithOwner"],
        "stars": node.get("stargazerCount"),
        "archived": bool(node.get("isArchived")),
        "fork": bool(node.get("isFork")),
        "private": bool(node.get("isPrivate")),
        "pushed_at": node.get("pushedAt"),
    }


def _snake(node: dict) -> dict:
    """A GraphQL pull request or release in the REST names the tallies read."""
    return {
        "tag_name": node.get("tagName"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "merged_at": node.get("mergedAt"),
        "published_at": None if node.get("isDraft") else node.get("publishedAt"),
    }


def graphql_counts(client: Client, node: dict, repo: dict, period: Period) -> dict:
    """A repository's counts from its GraphQL node; pull requests or releases that did not
    fit in the first 100 are counted with REST."""
    target = (node.get("defaultBranchRef") or {}).get("target") or {}
    commits = (target.get("history") or {}).get("totalCount", 0)
    counts = {"commits": 0 if _before(repo["pushed_at"], period) else commits}

    pulls = node["pullRequests"]
    opened, merged, more = tally_pulls([_snake(n) for n in pulls["nodes"]], period)
    if more and pulls["pageInfo"]["hasNextPage"]:
        counts.update(count_pulls(client, repo, period))
    else:
        counts.update(prs_opened=opened, prs_merged=merged)

    releases = node["releases"]
    published, more = tally_releases([_snake(n) for n in releases["nodes"]], period)
    if more and releases["pageInfo"]["hasNextPage"]:
        published = count_releases(client, repo, period)
    counts["releases"] = published
    return counts


# Collecting ------------------------------------------------------------------------------


@dataclass
class Entry:
    """What one organisation or ``owner/repo`` of a unit counted so far."""

    rows: list[dict] = field(default_factory=list)
    # The releases published in the period: repository, tag and time.
    releases: list[dict] = field(default_factory=list)
    # Totals that search counted for the whole organisation, when it did.
    searched: dict = field(default_factory=dict)
    # What of it could not be read (the organisation, or one of its repositories): a unit
    # holding such an entry is not complete.
    unread: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.rows.clear()
        self.releases.clear()
        self.searched.clear()
        self.unread.clear()


class Collector:
    """Counts every unit's entries in order, keeping what is done when it has to stop."""

    def __init__(self, client: Client, period: Period, mode: str) -> None:
        self.client = client
        self.period = period
        self.mode = mode
        self.units: dict[str, dict] = {}
        self.entries: dict[str, Entry] = {}
        self.problems: list[str] = []

    def run(self, units: dict) -> None:
        for name, entries in units.items():
            self.units[name] = {"organisations": list(entries), "entries": [], "complete": False}
        for unit in self.units.values():
            for name in unit["organisations"]:
                self._count(unit, name)
            unit["complete"] = True

    def _count(self, unit: dict, name: str) -> None:
        """Count an entry into ``unit``; one in two units is counted once. The entry joins
        the unit before counting, so that a stop half-way keeps its finished repositories."""
        key = name.lower()
        known = key in self.entries
        entry = self.entries.setdefault(key, Entry())
        unit["entries"].append(entry)
        if known:
            return
        try:
            getattr(self, f"_{self.mode}")(entry, name)
        except Missing as missing:
            self._problem(str(missing), entry)

    def _rest(self, entry: Entry, name: str, repos: list[dict] | None = None) -> None:
        if repos is None:
            repos = list_repositories(self.client, name)
        # The repository walk is the long part of a collection: a bar on a terminal.
        with progress.bar(len(repos), f"GitHub {name}", unit="repo") as bar:
            for repo in repos:
                self._row(entry, repo, partial(rest_counts, self.client, repo, self.period))
                bar.update()

    def _search(self, entry: Entry, name: str) -> None:
        repos = list_repositories(self.client, name)
        if all(repo["archived"] for repo in repos):
            return self._rest(entry, name, repos)  # nothing to search; costs no request
        qualifier = f"repo:{repos[0]['name']}" if "/" in name else f"org:{name}"
        try:
            totals = search_counts(self.client, qualifier, self.period)
        except Missing as missing:
            log.info("GitHub: %s", self.client.scrub(str(missing)))
            totals = None
        if totals is None:
            log.info("GitHub: search for %s incomplete; walking its repositories", name)
            return self._rest(entry, name, repos)
        if "/" not in name:
            entry.searched = totals
        for repo in repos:
            self._row(entry, repo, partial(self._searched_row, repo, name, totals))

    def _searched_row(self, repo: dict, name: str, totals: dict) -> dict:
        """A row in search mode: the searched counts are the repository's own only when the
        entry is that one repository."""
        known = totals if "/" in name else dict.fromkeys(totals)
        return {**known, "releases": count_releases(self.client, repo, self.period)}

    def _graphql(self, entry: Entry, name: str) -> None:
        try:
            for node in graphql_nodes(self.client, name, self.period):
                repo = _node_repo(node)
                if repo["private"] or (repo["fork"] and "/" not in name):
                    continue
                count = partial(graphql_counts, self.client, node, repo, self.period)
                self._row(entry, repo, count)
        except Missing as missing:
            log.info("GitHub: %s; counting %s with REST", self.client.scrub(str(missing)), name)
            entry.clear()
            self._rest(entry, name)

    def _row(self, entry: Entry, repo: dict, count: Callable[[], dict]) -> None:
        """Count one repository, whole or not at all; an archived one costs no request."""
        if repo["archived"]:
            counts = dict.fromkeys(METRICS)
        else:
            try:
                counts = count()
            except Missing as missing:
                self._problem(str(missing), entry)
                return
        published = counts["releases"] or []
        counts["releases"] = None if repo["archived"] else len(published)
        entry.rows.append({"name": repo["name"], **counts, "stars": repo["stars"],
                           "archived": repo["archived"]})
        entry.releases.extend(
            {"repository": repo["name"], "tag": release.get("tag_name"),
             "published_at": release["published_at"]}
            for release in published
        )

    def _problem(self, text: str, entry: Entry) -> None:
        text = self.client.scrub(text)
        log.warning("GitHub: %s; left out", text)
        self.problems.append(text)
        entry.unread.append(text)

    def counted_anything(self) -> bool:
        return any(entry.rows or entry.searched for entry in self.entries.values())

    def record(self, reason: str | None) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "source": SOURCE,
            "available": True,
            "reason": reason,
            "partial": reason is not None,
            "period": self.period.as_dict(),
            "mode": self.mode,
            "requests": self.client.requests,
            "not_modified": self.client.not_modified,
            "rate_limit_remaining": self.client.limits.get("core", {}).get("remaining"),
            "problems": list(self.problems),
            "units": {name: _unit(unit) for name, unit in self.units.items()},
            "releases": sorted(
                (release for entry in self.entries.values() for release in entry.releases),
                key=lambda release: (release["published_at"], release["repository"]),
            ),
        }


def _unit(unit: dict) -> dict:
    """A unit's totals and its repositories by name; an entry's searched totals stand for
    its repositories' counts. A unit is complete when it was finished and every organisation
    and repository in it was read; what could not be read is named in ``unread``."""
    rows = sorted(
        (row for entry in unit["entries"] for row in entry.rows),
        key=lambda row: row["name"].lower(),
    )
    totals = dict.fromkeys(METRICS, 0)
    for entry in unit["entries"]:
        for metric in METRICS:
            if metric in entry.searched:
                totals[metric] += entry.searched[metric]
            else:
                totals[metric] += sum(row[metric] or 0 for row in entry.rows)
    stars = [row["stars"] for row in rows]
    unread = [text for entry in unit["entries"] for text in entry.unread]
    return {
        "organisations": unit["organisations"],
        "complete": unit["complete"] and not unread,
        **({"unread": unread} if unread else {}),
        **totals,
        "stars": None if None in stars else sum(stars),
        "repositories": rows,
    }


# ETag cache on disk ----------------------------------------------------------------------


def _cache_path(settings) -> str | None:
    data_dir = getattr(settings, "data_dir", None)
    return os.path.join(data_dir, CACHE_FILE) if data_dir else None


def _load_etags(path: str | None) -> None:
    """Repository lists kept by earlier builds; the ones in memory are at least as new."""
    if not path:
        return
    try:
        with open(path, encoding="utf-8") as file:
            kept = json.load(file)
    except (OSError, ValueError):
        return
    if isinstance(kept, dict):
        for url, entry in kept.items():
            if isinstance(entry, dict) and {"etag", "next", "repos"} <= entry.keys():
                ETAGS.setdefault(url, entry)


def _save_etags(path: str | None) -> None:
    if not path or not ETAGS:
        return
    try:
        history.write_atomic(path, history.dumps(dict(sorted(ETAGS.items()))))
    except OSError as error:
        log.info("GitHub: couldn't keep the repository lists in %s: %s", path, error)
