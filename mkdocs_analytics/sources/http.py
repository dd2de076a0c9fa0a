"""Limits on what one answer of a live API may cost: time, size and redirects.

Both API clients (GoatCounter, GitHub) make their sessions with :func:`session`. Every answer
they get, redirects included, is read whole before ``requests`` hands it on:

- within the request's (read) timeout in total, from the request sent to the body's last byte.
  ``requests``' timeout bounds each socket read alone, so a server sending a byte every tenth of
  a second, in its headers or its body, would never trip it. Here each read may only wait for
  what is left of the answer's time (:class:`TimedResponse`);
- in at most :data:`MAX_BODY` bytes (decompressed): an answer that says it is larger is refused
  before its body is read, one that turns out larger is dropped at the cap;
- after at most :data:`MAX_REDIRECTS` redirects (``requests`` follows them, not urllib3's
  ``Retry``, whose ``redirect`` count ``requests`` turns off).

An answer that runs out of time before its headers is a ``ReadTimeoutError`` to urllib3, which
retries it as any read timeout. A body not read whole (cut off by a reset or before its
``Content-Length``, too slow, too large) is an :class:`AnswerError`, a
``requests.RequestException``, which the clients catch with the network errors: it is not
retried. Its message says what happened to the answer, never what the answer or the request
held, so it cannot carry a token.
"""

from __future__ import annotations

import http.client
import io
import time

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

# The most read of one answer. The largest real answers are GitHub's pages of 100 pull
# requests, each with its head and base repositories: a few MB.
MAX_BODY = 8 * 1024 * 1024
_MOST = "the most the plugin reads of one answer"
# Redirects followed for one request: a renamed GitHub repository needs one.
MAX_REDIRECTS = 5
# The most asked of the connection at once.
CHUNK = 64 * 1024


class AnswerError(requests.RequestException):
    """A body not read whole within the limits. ``kind`` is ``"size"``, ``"time"`` or ``"cut"``
    (the connection broke, or the body is broken); the message reads on from "the answer to
    <endpoint> ..."."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


def session(retry) -> requests.Session:
    """A session for one API: ``retry`` (urllib3's ``Retry``) and the limits above."""
    limited = requests.Session()
    limited.max_redirects = MAX_REDIRECTS
    adapter = LimitedAdapter(max_retries=retry)
    limited.mount("https://", adapter)
    limited.mount("http://", adapter)
    return limited


# The deadline of an answer -------------------------------------------------------------------


class _Deadline(io.RawIOBase):
    """A socket's reader whose reads wait no longer than what is left until ``deadline``."""

    def __init__(self, raw: io.RawIOBase, sock, total: float) -> None:
        super().__init__()
        self.raw = raw
        self.sock = sock
        self.total = total
        self.deadline = time.monotonic() + total

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int | None:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no whole answer within {self.total:g} s")
        self.sock.settimeout(min(left, self.total))
        return self.raw.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self.raw.close()
        super().close()


class TimedResponse(http.client.HTTPResponse):
    """http.client's answer, read from the socket within its timeout in total: status line,
    headers and body together (``requests`` gives the socket the request's read timeout just
    before the answer is read)."""

    def __init__(self, sock, *args, **kwargs) -> None:
        super().__init__(sock, *args, **kwargs)
        total = sock.gettimeout()
        if total and isinstance(self.fp, io.BufferedReader):
            # detach: the buffer made by http.client gives up its socket reader without
            # closing it, since nothing has been read yet.
            self.fp = io.BufferedReader(_Deadline(self.fp.detach(), sock, total))


class TimedHTTPConnection(HTTPConnection):
    response_class = TimedResponse


class TimedHTTPSConnection(HTTPSConnection):
    response_class = TimedResponse


class TimedHTTPPool(HTTPConnectionPool):
    ConnectionCls = TimedHTTPConnection


class TimedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = TimedHTTPSConnection


POOLS = {"http": TimedHTTPPool, "https": TimedHTTPSPool}


class LimitedAdapter(HTTPAdapter):
    """requests' adapter with answers read in time (:class:`TimedResponse`) and their bodies
    read at once, within :data:`MAX_BODY` bytes."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS has connections of its own
            manager.pool_classes_by_scheme = POOLS
        return manager

    def send(self, request, stream=False, timeout=None, **kwargs) -> requests.Response:
        response = super().send(request, stream=stream, timeout=timeout, **kwargs)
        read_body(response, timeout[1] if isinstance(timeout, tuple) else timeout)
        return response


# The body ------------------------------------------------------------------------------------


def read_body(response: requests.Response, timeout=None, cap: int = MAX_BODY) -> bytes:
    """The whole body of ``response`` (not read yet) in at most ``cap`` bytes; it becomes
    ``response.content``. ``timeout`` (seconds) is for the message when time runs out.

    :class:`AnswerError` otherwise, the connection closed.
    """
    try:
        body = _read(response, cap, timeout)
    except BaseException:
        response.close()
        raise
    # What .content, .text and .json() give from now on, as after requests' own reading.
    response._content = body
    response._content_consumed = True
    return body


def _read(response: requests.Response, cap: int, timeout) -> bytes:
    announced = _length(response)
    if announced is not None and announced > cap:
        raise AnswerError(f"is {announced:,} bytes, over {_size(cap)}, {_MOST}", "size")
    body = bytearray()
    chunks = response.iter_content(CHUNK)  # never an empty one
    while True:
        try:
            chunk = next(chunks, b"")
        except requests.RequestException as error:
            raise _broken(error, response.raw.tell(), announced, timeout) from None
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > cap:
            raise AnswerError(f"is over {_size(cap)}, {_MOST}", "size")


def os_reason(error: BaseException) -> str:
    """The operating system's words for a network error (``Connection refused``), found in
    the chain of errors urllib3 and requests wrap around it, else the error's type."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror
        seen = seen.__cause__ or seen.__context__
    return type(error).__name__


def _size(cap: int) -> str:
    return f"{cap / 2**20:g} MB" if cap >= 2**20 else f"{cap:,} bytes"


def _length(response: requests.Response) -> int | None:
    value = (response.headers.get("Content-Length") or "").strip()
    return int(value) if value.isdigit() else None


def _broken(error: requests.RequestException, wire: int, announced: int | None,
            timeout) -> AnswerError:
    """What went wrong reading a body, in words that hold nothing of the answer.

    requests wraps urllib3's error (``ChunkedEncodingError(ProtocolError(...))``), which wraps
    the socket's or http.client's.
    """
    inner = error.args[0] if error.args and isinstance(error.args[0], Exception) else error
    if isinstance(inner, ReadTimeoutError):
        within = f"within {timeout:g} s" if isinstance(timeout, (int, float)) else "in time"
        return AnswerError(f"did not come whole {within} ({wire:,} bytes came)", "time")
    if isinstance(inner, DecodeError):
        return AnswerError("could not be decompressed", "cut")
    cause = inner.args[1] if isinstance(inner, ProtocolError) and len(inner.args) > 1 else inner
    if isinstance(cause, http.client.IncompleteRead) and announced is not None:
        return AnswerError(f"was cut off after {wire:,} of {announced:,} bytes", "cut")
    said = cause.strerror if isinstance(cause, OSError) and cause.strerror else None
    return AnswerError(f"was cut off after {wire:,} bytes ({said or type(cause).__name__})", "cut")
