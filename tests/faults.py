"""A tiny HTTP server on 127.0.0.1 that breaks its answers on purpose, for the fault tests.

pytest-httpserver (werkzeug) always sends a well-formed answer; the faults here need the raw
socket: a reset part-way through the body, fewer bytes than ``Content-Length``, headers or a
body that drip forever, a body of 50 MB. Everything else (an HTML page, a redirect loop) is left to
pytest-httpserver.

The server takes one connection at a time and answers one request on each, then closes it. It
is bounded: at most ``max_connections`` connections and ``lifetime`` seconds, after which it
stops by itself; leaving its ``with`` block stops it at once. A path in ``good`` gets that JSON
as a proper answer; every other request gets the fault.

Each fault echoes the request's ``Authorization`` header into the body it sends, so that a test
can check the token never travels from an answer into a reason, a log line or a file.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
import zlib
from dataclasses import dataclass

# The declared size of the cut-off bodies, and of the big ones.
DECLARED = 1000
BIG = 50 * 1024 * 1024
BLOCK = 64 * 1024
# How long the reset fault waits after its first bytes: the client has read the headers and is
# waiting for the rest.
RESET_AFTER = 0.2
DRIP_EVERY = 0.1


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def echo(self) -> bytes:
        """The request's Authorization header, as a hostile server would echo it."""
        return self.headers.get("authorization", "").encode()


class FaultServer:
    """Answers ``good`` paths with their JSON and every other request with ``fault``."""

    def __init__(self, fault, good: dict | None = None, *, max_connections: int = 20,
                 lifetime: float = 20.0) -> None:
        self.fault = fault
        self.good = good or {}
        self.max_connections = max_connections
        self.lifetime = lifetime
        self.requests: list[Request] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stop = threading.Event()
        self._end = 0.0
        self._thread = threading.Thread(target=self._serve, name="fault-server", daemon=True)

    def __enter__(self) -> FaultServer:
        self._end = time.monotonic() + self.lifetime
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()
        assert not self._thread.is_alive(), "the fault server did not stop"

    @property
    def stopping(self) -> bool:
        return self._stop.is_set() or time.monotonic() > self._end

    def pause(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def _serve(self) -> None:
        while not self.stopping and len(self.requests) < self.max_connections:
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1.0)
                try:
                    request = _read_request(conn)
                    if request is None:
                        continue
                    self.requests.append(request)
                    if request.path in self.good:
                        send_json(conn, self.good[request.path])
                    else:
                        self.fault(request, conn, self)
                except OSError:
                    pass  # the client gave up and went away: what the faults are for


def _read_request(conn: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk or len(data) > 65536:
            return None
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    method, target, _ = head[0].split(" ", 2)
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Request(method, target, headers)


def head(status: str = "200 OK", length: int | None = None, kind: str = "application/json",
         extra: dict | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Type: {kind}", "Connection: close"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines += [f"{name}: {value}" for name, value in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send_json(conn: socket.socket, body) -> None:
    data = json.dumps(body).encode()
    conn.sendall(head(length=len(data)) + data)


def start_of_body(request: Request) -> bytes:
    """The first bytes of a JSON object that never ends, echoing the token."""
    return b'{"echo": "' + request.echo + b'", "hits": ['


# The faults ----------------------------------------------------------------------------------


def reset_mid_body(request: Request, conn: socket.socket, server: FaultServer) -> None:
    """Headers and a part of the body, then a reset (RST) instead of the rest."""
    conn.sendall(head(length=DECLARED) + start_of_body(request))
    server.pause(RESET_AFTER)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def short_body(request: Request, conn: socket.socket, server: FaultServer) -> None:
    """Fewer bytes than ``Content-Length`` says, then an orderly close."""
    conn.sendall(head(length=DECLARED) + start_of_body(request))
    conn.shutdown(socket.SHUT_WR)


def drip(request: Request, conn: socket.socket, server: FaultServer) -> None:
    """A body of a byte every tenth of a second, for as long as the server lives."""
    conn.sendall(head(length=10 * DECLARED) + start_of_body(request))
    while not server.stopping:
        conn.sendall(b" ")
        server.pause(DRIP_EVERY)


def drip_headers(request: Request, conn: socket.socket, server: FaultServer) -> None:
    """A status line, then one header a byte every tenth of a second, for as long as the
    server lives: the answer never gets to its body."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Echo: " + request.echo)
    while not server.stopping:
        conn.sendall(b"-")
        server.pause(DRIP_EVERY)


def big(request: Request, conn: socket.socket, server: FaultServer) -> None:
    """50 MB of JSON, announced in ``Content-Length``."""
    _send_big(conn, server, head(length=BIG), request)


def big_unannounced(request: Request, conn: socket.socket, server: FaultServer) -> None:
    """50 MB of JSON without ``Content-Length``: the body ends when the connection does."""
    _send_big(conn, server, head(), request)


def _send_big(conn, server, header: bytes, request: Request) -> None:
    first = start_of_body(request)
    conn.sendall(header + first)
    block = b" " * BLOCK
    sent = len(first)
    while sent < BIG and not server.stopping:
        part = block[: BIG - sent]
        conn.sendall(part)
        sent += len(part)


def gzip_bomb() -> bytes:
    """50 MB of JSON whitespace compressed with gzip (about 50 KB); made once, before a test
    measures memory."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * BLOCK
    parts = [packer.compress(b'{"hits": [')]
    parts += [packer.compress(block) for _ in range(BIG // BLOCK)]
    parts.append(packer.flush())
    return b"".join(parts)


def compressed(bomb: bytes):
    """A fault that sends ``bomb`` as a gzip-encoded body of its own (small) length."""

    def answer(request: Request, conn: socket.socket, server: FaultServer) -> None:
        conn.sendall(head(length=len(bomb), extra={"Content-Encoding": "gzip"}) + bomb)

    return answer
