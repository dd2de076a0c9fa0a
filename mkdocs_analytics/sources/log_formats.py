"""Access-log line formats: how a line becomes the fields of one request.

Every format turns a chunk of whole lines (bytes) into *requests*: tuples of bytes in one
order, :data:`FIELDS`, whatever the server wrote. The reader in ``access_log.py`` only ever sees
those tuples, so counting is the same code for every format.

Formats (names as in the ``format`` option):

- ``combined`` and ``common``: Apache's and nginx's predefined formats; ``combined-vhost`` and
  ``common-vhost`` add the virtual host in front (Apache's ``vhost_combined`` writes it as
  ``host:port``). A line of a sibling shape (a common line in a combined log, a line with the
  virtual host) is read too: the format says what to expect, not what to refuse.
- ``nginx``: the ``main`` format of nginx's packaged configuration: combined, then the
  ``X-Forwarded-For`` header in quotes.
- ``caddy``: Caddy's JSON access log, one object a line (pretty-printed objects are read too).
- ``bunny`` and ``bunny-extended``: Bunny CDN's pipe-separated logs.
- ``pattern``: a pattern given by the user in Apache ``LogFormat`` style (``%h %l %u %t "%r"
  %>s %b``) or with nginx ``log_format`` variables (``$remote_addr [$time_local] ...``).

The fast path of the Apache family is one regular expression run over a whole chunk
(``findall``): when it reads as many requests as the chunk has lines, every line was a plain
one. Otherwise the chunk is read line by line, first with that same expression and then, for
the lines it refused, with a tolerant parser that knows escapes (``\\"``, nginx's ``\\x22``),
quoted user names, forwarded-for lists and the like, and says why a line is bad. Both paths
agree on every line the fast one accepts, because the slow one tries it first.

Times travel as three fields: the hour (``b"10/Oct/2000:13"``), the minute (``b"55"``) and the
zone (``b"-0700"``), which lets the reader cache days by the hour. Formats that log instants
(Unix time, ISO 8601) give the UTC hour as ``b"2000-10-10T20"`` with the zone ``b"Z"``.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from urllib.parse import urlsplit

# The fields of a request, in tuple order. ``forwarded`` is a forwarded-for list logged in
# front of the client (``203.0.113.9, 10.0.0.2 - - [...]``), ``forwarded_header`` the same
# header logged elsewhere (nginx ``main``, Caddy); either may be empty.
FIELDS = (
    "host", "forwarded", "client", "hour", "minute", "zone", "method", "target", "status",
    "referrer", "agent", "forwarded_header", "country",
)

NAMES = (
    "combined", "common", "combined-vhost", "common-vhost", "nginx", "caddy", "bunny",
    "bunny-extended", "pattern",
)

# How many non-empty lines detection looks at, at most.
DETECT_LINES = 50

# When a chunk holds a line the fast expression refuses, it is read again in pieces of about
# this many bytes, and only the piece holding that line line by line.
PIECE = 32 * 1024

MONTHS = {
    name: number
    for number, name in enumerate(
        (b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
         b"Dec"),
        1,
    )
}


class FormatError(Exception):
    """A format that cannot be used as configured (an unknown name, a bad pattern)."""


# Times ------------------------------------------------------------------------------------


def moment(hour: bytes, minute: bytes, zone: bytes) -> tuple[str, int] | None:
    """The UTC day and the minute since the epoch of a request's time fields, or None."""
    try:
        if zone == b"Z":
            when = datetime(
                int(hour[0:4]), int(hour[5:7]), int(hour[8:10]), int(hour[11:13]), int(minute),
                tzinfo=timezone.utc,
            )
        else:
            sign = -1 if zone[:1] == b"-" else 1
            if len(zone) != 5 or zone[:1] not in b"+-" or not zone[1:].isdigit():
                return None
            offset = sign * (int(zone[1:3]) * 60 + int(zone[3:5]))
            when = datetime(
                int(hour[7:11]), MONTHS[hour[3:6]], int(hour[0:2]), int(hour[12:14]),
                int(minute), tzinfo=timezone.utc,
            )
            if len(hour) != 14 or hour[2:3] != b"/" or hour[6:7] != b"/" or hour[11:12] != b":":
                return None
            when = when.fromtimestamp(when.timestamp() - offset * 60, timezone.utc)
    except (KeyError, ValueError, OverflowError, OSError):
        return None
    return when.date().isoformat(), int(when.timestamp()) // 60


def utc_fields(when: datetime) -> tuple[bytes, bytes, bytes]:
    """The time fields of an aware instant: UTC hour, minute, ``b"Z"``."""
    when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H").encode(), b"%02d" % when.minute, b"Z"


def epoch_fields(seconds: float) -> tuple[bytes, bytes, bytes]:
    return utc_fields(datetime.fromtimestamp(seconds, timezone.utc))


# Escapes ---------------------------------------------------------------------------------

_ESCAPE = re.compile(rb"\\(x[0-9A-Fa-f]{2}|.)", re.DOTALL)
_ESCAPED = {b'"': b'"', b"\\": b"\\", b"n": b"\n", b"t": b"\t", b"r": b"\r", b"v": b"\v",
            b"b": b"\b"}


def unescape(text: bytes) -> bytes:
    """A quoted field as the server saw it: Apache's ``\\"`` and ``\\xhh``, nginx's ``\\x22``."""
    if b"\\" not in text:
        return text

    def one(match: re.Match) -> bytes:
        code = match[1]
        if code[:1] == b"x" and len(code) == 3:
            return bytes((int(code[1:], 16),))
        return _ESCAPED.get(code, b"\\" + code)

    return _ESCAPE.sub(one, text)


# The Apache family -----------------------------------------------------------------------

# The client, and a forwarded-for list before it (``list, client``) in logs that have one.
_CLIENT = rb"()(\S+)"
_CLIENT_LIST = rb"((?:[^\s,\"]+, ?)*)([^\s,\"]+)"
# The time as hour, minute and zone; ``moment`` checks them (and says when they are wrong).
_TIME = rb"\[([^:\]]+:\d\d):(\d\d):\d\d ([^\]]*)\]"
_REQUEST = rb"\"([^\s\"\\]+) ([^\s\"\\]+)(?: [^\"\\\n]*)?\""
_QUOTED = rb"\"([^\"\\\n]*)\""
_SIZE = rb"(?:\d+|-)"
# Anything after the last expected field: another field, a duration, a cookie...
_TRAILING = rb"(?:[ \t][^\r\n]*)?"


def _fast(host: bool, agent: bool, forwarded_header: bool, lists: bool) -> re.Pattern:
    head = rb"^([^\s,\"]+) " if host else rb"^()"
    tail = rb" " + _QUOTED + rb" " + _QUOTED if agent else rb"()()"
    if forwarded_header:
        tail += rb" \"(?:-|([^\"\\\n]*))\"()"
    else:
        tail += rb"()()"
    trailing = _TRAILING if agent else rb""
    return re.compile(
        head + (_CLIENT_LIST if lists else _CLIENT) + rb" \S+ \S+ " + _TIME + rb" "
        + _REQUEST + rb" (\d{3}) " + _SIZE + tail + trailing + rb"\r?$",
        re.MULTILINE,
    )


# The tolerant parser: optional virtual host, a quoted user name, escapes in quoted fields,
# a missing status, and whatever follows.
_Q = rb"\"((?:[^\"\\]|\\.)*)\""
TOLERANT = re.compile(
    rb"(?:(?P<host>[^\s,\"]+) )??(?P<forwarded>(?:[^\s,\"]+, ?)*)(?P<client>[^\s,\"]+) \S+ "
    rb"(?:\S+|\"[^\"]*\") \[(?P<time>[^\]]*)\] "
    + _Q.replace(b"(", b"(?P<request>", 1)
    + rb" (?P<status>\d{3}|-) (?P<size>\S+)"
    + rb"(?: " + _Q.replace(b"(", b"(?P<referrer>", 1)
    + rb" " + _Q.replace(b"(", b"(?P<agent>", 1)
    + rb")?(?P<rest>.*)",
    re.DOTALL,
)
_TIME_TEXT = re.compile(rb"(\d\d/[A-Za-z]{3}/\d{4}:\d\d):(\d\d):\d\d ([+-]\d{4})")
_FORWARDED_FIELD = re.compile(rb" " + _Q)


class ApacheFamily:
    """combined, common, their vhost variants and nginx's main: one parser, several shapes."""

    def __init__(self, name: str, lists: bool = False) -> None:
        self.name = name
        self.has_agent = name in ("combined", "combined-vhost", "nginx")
        self.forwarded_header = name == "nginx"
        # Whether lines start with a forwarded-for list: the fast expression then reads it
        # (other logs do without that cost; a line with a list still reads, slowly).
        self.lists = lists
        self.fast = _fast(name.endswith("-vhost"), self.has_agent, self.forwarded_header, lists)

    def batch(self, chunk: bytes, first: int):
        """``(requests, line numbers or None, bad lines, lines)`` of a chunk of whole lines,
        the first of them numbered ``first``.

        The chunk is read in pieces of about ``PIECE`` bytes: a piece where the fast
        expression finds as many requests as lines is done; the others are read line by
        line. Line numbers are None when every line was a request.
        """
        findall = self.fast.findall
        requests: list = []
        numbers: list | None = None
        bad: list = []
        start, number, size = 0, first, len(chunk)
        while start < size:
            cut = chunk.find(b"\n", start + PIECE)
            end = size if cut < 0 else cut + 1
            lines = chunk.count(b"\n", start, end) + (chunk[end - 1] != 10)
            found = findall(chunk, start, end)
            if len(found) == lines:
                requests += found
                if numbers is not None:
                    numbers += range(number, number + lines)
            else:
                if numbers is None:
                    numbers = list(range(first, number))
                more, more_numbers, more_bad, _ = _by_line(self, chunk[start:end], number)
                requests += more
                numbers += more_numbers
                bad += more_bad
            start, number = end, number + lines
        return requests, numbers, bad, number - first

    def line(self, raw: bytes):
        """One line as a request tuple, or the reason it is bad (a string)."""
        match = self.fast.match(raw)
        if match:
            return match.groups()
        return self.tolerant(raw)

    def tolerant(self, raw: bytes):
        if not raw.strip():
            return "empty line"
        match = TOLERANT.match(raw)
        if match is None:
            return "not in combined or common log format"
        rest = match["rest"]
        forwarded_header = b""
        if match["agent"] is None:
            agent = None
            referrer = b""
            if b'"' in rest:
                return "unterminated quote"
        else:
            agent = unescape(match["agent"]) or b"-"
            referrer = unescape(match["referrer"])
            if self.forwarded_header:
                extra = _FORWARDED_FIELD.match(rest)
                if extra and extra[1] != b"-":
                    forwarded_header = unescape(extra[1])
        stamp = _TIME_TEXT.fullmatch(match["time"])
        if stamp is None:
            return "unreadable time"
        if match["status"] == b"-":
            return "no status"
        method, target = _request(unescape(match["request"]))
        return (
            match["host"] or b"", match["forwarded"], match["client"], stamp[1], stamp[2],
            stamp[3], method, target, match["status"], referrer, agent, forwarded_header, b"",
        )

    def shape(self, raw: bytes) -> str | None:
        """Which of the family's formats a line looks like, for detection."""
        if not raw.strip() or raw.lstrip()[:1] == b"{":
            return None
        match = TOLERANT.match(raw)
        if match is None or not _TIME_TEXT.fullmatch(match["time"]):
            return None
        if match["agent"] is None:
            if b'"' in match["rest"]:
                return None
            name = "common"
        elif _FORWARDED_FIELD.fullmatch(match["rest"].rstrip(b"\r\n")):
            name = "nginx"
        else:
            name = "combined"
        if match["host"] and name != "nginx":
            name += "-vhost"
        return name


def _request(request: bytes) -> tuple[bytes, bytes]:
    """Method and target of a request line; empty for ``""``, ``"-"`` and binary probes."""
    parts = request.split(b" ")
    if len(parts) < 2 or not parts[0] or not parts[1] or not parts[0].isalpha():
        return b"", b""
    return parts[0], parts[1]


def _by_line(fmt, chunk: bytes, first: int):
    requests, numbers, bad = [], [], []
    lines = chunk.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, raw in enumerate(lines, first):
        parsed = fmt.line(raw)
        if isinstance(parsed, str):
            bad.append((number, parsed))
        else:
            requests.append(parsed)
            numbers.append(number)
    return requests, numbers, bad, len(lines)


# Caddy -----------------------------------------------------------------------------------


class Caddy:
    """Caddy's JSON access log (``"logger": "http.log.access..."``)."""

    name = "caddy"
    has_agent = True

    def __init__(self) -> None:
        self._pending: list[tuple[int, bytes]] = []

    def batch(self, chunk: bytes, first: int):
        requests, numbers, bad = [], [], []
        lines = chunk.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        for number, raw in enumerate(lines, first):
            for at, parsed in self._feed(number, raw):
                if isinstance(parsed, str):
                    bad.append((at, parsed))
                else:
                    requests.append(parsed)
                    numbers.append(at)
        return requests, numbers, bad, len(lines)

    def finish(self):
        """Bad lines left at the end of the input (an object that never closed)."""
        pending, self._pending = self._pending, []
        return [(number, "unterminated JSON object") for number, _ in pending]

    def _feed(self, number: int, raw: bytes):
        """Requests and bad lines that ``raw`` completes, with their first line numbers."""
        if self._pending:
            self._pending.append((number, raw))
            text = b"\n".join(line for _, line in self._pending)
            value, error = _json(text)
            if error is None:
                start = self._pending[0][0]
                self._pending = []
                return [(start, self.request(value))]
            if error == "incomplete" and len(self._pending) < 500:
                return []
            # Not one object after all: the lines before this one are bad, this one is read
            # again on its own.
            stale, self._pending = self._pending[:-1], []
            out = [(at, "unterminated JSON object") for at, _ in stale]
            return out + self._feed(number, raw)
        if not raw.strip():
            return [(number, "empty line")]
        value, error = _json(raw)
        if error is None:
            return [(number, self.request(value))]
        if error == "incomplete" and raw.lstrip()[:1] == b"{":
            self._pending = [(number, raw)]
            return []
        return [(number, "not a JSON object")]

    def line(self, raw: bytes):
        value, error = _json(raw)
        return "not a JSON object" if error else self.request(value)

    @staticmethod
    def request(entry):
        if not isinstance(entry, dict) or not isinstance(entry.get("request"), dict):
            return "not a Caddy access-log entry"
        request = entry["request"]
        headers = request.get("headers") if isinstance(request.get("headers"), dict) else {}
        try:
            hour, minute, zone = epoch_fields(float(entry["ts"]))
        except (KeyError, TypeError, ValueError, OverflowError, OSError):
            return "unreadable time"
        status = entry.get("status")
        if not isinstance(status, int) or not 100 <= status <= 999:
            return "no status"
        client = request.get("client_ip") or request.get("remote_ip") or _no_port(
            str(request.get("remote_addr") or "")
        )
        return (
            _b(_no_port(str(request.get("host") or ""))), b"", _b(client), hour, minute, zone,
            _b(request.get("method")), _b(request.get("uri")), b"%d" % status,
            _b(_header(headers, "Referer")), _b(_header(headers, "User-Agent") or "-"),
            _b(_header(headers, "X-Forwarded-For")), b"",
        )

    def shape(self, raw: bytes) -> str | None:
        return "caddy" if raw.lstrip()[:1] == b"{" else None


def _json(text: bytes):
    """``(value, None)``, or ``(None, "incomplete")`` when more lines may finish it, or
    ``(None, "bad")``."""
    try:
        return json.loads(text), None
    except UnicodeDecodeError:
        return None, "bad"
    except ValueError as error:
        end = len(text.decode("utf-8", "replace").rstrip())
        return None, "incomplete" if getattr(error, "pos", 0) >= end else "bad"


def _header(headers: dict, name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            if isinstance(value, list):
                return str(value[0]) if value else ""
            return str(value)
    return ""


def _no_port(address: str) -> str:
    """``[2001:db8::1]:443`` → ``2001:db8::1``; ``192.0.2.1:80`` → ``192.0.2.1``."""
    if address.startswith("["):
        return address[1:].split("]", 1)[0]
    if address.count(":") == 1:
        return address.split(":", 1)[0]
    return address


def _b(value) -> bytes:
    return str(value or "").encode("utf-8", "surrogateescape")


# Bunny CDN -------------------------------------------------------------------------------


class Bunny:
    """Bunny CDN: ``cache|status|unix ms|bytes|zone|ip|referrer|url|edge|agent|id|country``,
    and the extended format with three more fields. Bunny logs no method: every line is a
    ``GET``."""

    has_agent = True

    def __init__(self, name: str) -> None:
        self.name = name
        # Fields after the user agent (which may itself hold a pipe).
        self.after = 5 if name == "bunny-extended" else 2
        self._days: dict[int, tuple[bytes, bytes, bytes]] = {}

    def batch(self, chunk: bytes, first: int):
        return _by_line(self, chunk, first)

    def line(self, raw: bytes):
        raw = raw.rstrip(b"\r")
        if not raw.strip():
            return "empty line"
        fields = raw.split(b"|")
        if len(fields) < 10 + self.after:
            return "not in Bunny CDN log format"
        agent = b"|".join(fields[9:len(fields) - self.after])
        status, stamp, url = fields[1], fields[2], fields[7]
        if not (status.isdigit() and len(status) == 3):
            return "no status"
        if not stamp.isdigit():
            return "unreadable time"
        minute = int(stamp) // 60000
        when = self._days.get(minute)
        if when is None:
            try:
                when = epoch_fields(minute * 60)
            except (OverflowError, OSError, ValueError):
                return "unreadable time"
            if len(self._days) > 100_000:
                self._days.clear()
            self._days[minute] = when
        host, target = _split_url(url)
        country = fields[len(fields) - self.after + 1]
        return (
            host, b"", fields[5], when[0], when[1], when[2], b"GET", target, status,
            fields[6], agent or b"-", b"", country.strip().upper(),
        )

    def shape(self, raw: bytes) -> str | None:
        fields = raw.rstrip(b"\r\n").split(b"|")
        if len(fields) < 12 or not fields[1].isdigit() or not fields[2].isdigit():
            return None
        return "bunny-extended" if len(fields) >= 15 else "bunny"


def _split_url(url: bytes) -> tuple[bytes, bytes]:
    """Host (without port) and target of an absolute URL."""
    if b"://" not in url:
        return b"", url
    try:
        parts = urlsplit(url.decode("utf-8", "surrogateescape"))
    except ValueError:
        return b"", url
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return _b(parts.hostname or ""), _b(target)


# User patterns ---------------------------------------------------------------------------

# Apache LogFormat directives and nginx variables, and what they are to us.
_APACHE = {
    "h": "client", "a": "client", "{c}a": "client", "v": "host", "V": "host",
    "t": "time_local", "r": "request", "m": "method", "U": "path", "q": "query",
    ">s": "status", "s": "status", "<s": "status",
    "{Referer}i": "referrer", "{User-Agent}i": "agent", "{X-Forwarded-For}i": "forwarded",
    "{Host}i": "host",
}
_NGINX = {
    "remote_addr": "client", "binary_remote_addr": "client", "realip_remote_addr": "client",
    "host": "host", "server_name": "host", "http_host": "host",
    "time_local": "time_local", "time_iso8601": "time_iso", "msec": "time_epoch",
    "request": "request", "request_method": "method", "request_uri": "target",
    "uri": "path", "document_uri": "path", "args": "query", "query_string": "query",
    "status": "status", "http_referer": "referrer", "http_user_agent": "agent",
    "http_x_forwarded_for": "forwarded",
}
_DIRECTIVE = re.compile(r"%(?:[<>]?(?:\{[^}]*\})?[a-zA-Z%])|\$([a-z_][a-z0-9_]*)")
_TIME_ISO = re.compile(rb"(\d{4}-\d\d-\d\dT\d\d):(\d\d):\d\d(?:\.\d+)?(Z|[+-]\d\d:?\d\d)")


class Pattern:
    """A user's line pattern, compiled to one regular expression."""

    name = "pattern"

    def __init__(self, text: str) -> None:
        if not text or not text.strip():
            raise FormatError("format 'pattern' needs the option 'pattern'")
        self.text = text
        self.fields: list[str] = []
        regex = []
        position = 0
        quoted = False
        for match in _DIRECTIVE.finditer(text):
            literal = text[position:match.start()]
            quoted ^= literal.count('"') % 2 == 1
            regex.append(re.escape(literal).replace("\\ ", " +"))
            regex.append(self._field(match, quoted, text[match.end():match.end() + 1]))
            position = match.end()
        regex.append(re.escape(text[position:]).replace("\\ ", " +"))
        if "time_local" not in self.fields and not {"time_iso", "time_epoch"} & set(self.fields):
            raise FormatError("the pattern has no time (%t, $time_local, $time_iso8601 or $msec)")
        if "request" not in self.fields and not {"path", "target"} & set(self.fields):
            raise FormatError("the pattern has no request (%r, %U, $request or $request_uri)")
        if "status" not in self.fields:
            raise FormatError("the pattern has no status (%>s or $status)")
        self.has_agent = "agent" in self.fields
        self.regex = re.compile(("".join(regex) + r"[ \t]*\r?").encode())

    def _field(self, match: re.Match, quoted: bool, after: str) -> str:
        token = match[0]
        if token == "%%":
            return "%"
        name = _NGINX.get(match[1]) if match[1] else _APACHE.get(token[1:])
        if name is None and token[1:].endswith("t") and token.startswith("%{"):
            spec = token[2:-2]
            name = {"sec": "time_epoch", "msec": "time_epoch_ms",
                    "%Y-%m-%dT%H:%M:%S%z": "time_iso"}.get(spec)
            if name is None:
                raise FormatError(f"unsupported time directive {token} in the pattern")
        if name is None or name in self.fields:
            body = r'(?:[^"\\]|\\.)*' if quoted else r"\S*"
            return f"(?:{body})"
        self.fields.append(name)
        if name == "time_local":
            body = r"\[?[^\]]*\]?"
        elif quoted:
            body = r'(?:[^"\\]|\\.)*'
        elif name == "request":
            body = r".*?"
        elif after and after not in " \t":
            body = "[^" + re.escape(after) + r"\s]*"
        else:
            body = r"\S*"
        return f"(?P<{name}>{body})"

    def batch(self, chunk: bytes, first: int):
        return _by_line(self, chunk, first)

    def line(self, raw: bytes):
        if not raw.strip():
            return "empty line"
        match = self.regex.fullmatch(raw)
        if match is None:
            return "does not match the pattern"
        fields = match.groupdict()
        when = _pattern_time(fields)
        if when is None:
            return "unreadable time"
        status = fields["status"]
        if not (status.isdigit() and len(status) == 3):
            return "no status"
        if "request" in fields:
            method, target = _request(unescape(fields["request"]))
        else:
            method = fields.get("method") or b"GET"
            target = fields.get("target") or fields.get("path") or b""
            query = fields.get("query") or b""
            if query and query != b"-" and b"?" not in target:
                target += b"?" + query.lstrip(b"?")
        agent = fields.get("agent")
        forwarded = fields.get("forwarded") or b""
        return (
            _dash(fields.get("host") or b"").split(b":")[0], b"",
            fields.get("client") or b"-", when[0], when[1], when[2], method, target, status,
            _dash(unescape(fields.get("referrer") or b"")),
            None if agent is None else unescape(agent) or b"-",
            b"" if forwarded == b"-" else forwarded, b"",
        )


def _dash(value: bytes) -> bytes:
    return b"" if value == b"-" else value


def _pattern_time(fields: dict):
    if "time_local" in fields:
        stamp = _TIME_TEXT.search(fields["time_local"])
        return (stamp[1], stamp[2], stamp[3]) if stamp else None
    if "time_iso" in fields:
        stamp = _TIME_ISO.fullmatch(fields["time_iso"])
        if stamp is None:
            return None
        zone = stamp[3].replace(b":", b"")
        if zone == b"Z" or zone in (b"+0000", b"-0000"):
            return stamp[1], stamp[2], b"Z"
        try:
            when = datetime.strptime(fields["time_iso"][:19].decode() + zone.decode(),
                                     "%Y-%m-%dT%H:%M:%S%z")
        except ValueError:
            return None
        return utc_fields(when)
    try:
        seconds = float(fields.get("time_epoch") or 0) or int(fields["time_epoch_ms"]) / 1000
        return epoch_fields(seconds)
    except (KeyError, ValueError, OverflowError, OSError):
        return None


# Choosing a format -----------------------------------------------------------------------


def get(name: str, pattern: str | None = None, lists: bool = False):
    """The parser of a format by name (``pattern`` for user patterns); ``lists``: the lines
    start with forwarded-for lists."""
    if name == "pattern" or (name == "auto" and pattern):
        return Pattern(pattern or "")
    if name in ("combined", "common", "combined-vhost", "common-vhost", "nginx"):
        return ApacheFamily(name, lists)
    if name == "caddy":
        return Caddy()
    if name in ("bunny", "bunny-extended"):
        return Bunny(name)
    raise FormatError(f"unknown log format {name!r}; expected one of {', '.join(NAMES)}")


# When shapes tie, the first listed wins: a line that fits nginx's main also fits combined
# with a trailing field.
_PREFERENCE = ("caddy", "bunny-extended", "bunny", "nginx", "combined-vhost", "combined",
               "common-vhost", "common")


def has_lists(lines: list[bytes]) -> bool:
    """Whether any of ``lines`` starts with a forwarded-for list (``a, b - - [...``)."""
    for raw in lines[:DETECT_LINES]:
        match = TOLERANT.match(raw.rstrip(b"\r\n"))
        if match and match["forwarded"]:
            return True
    return False


def detect(lines: list[bytes]) -> tuple[str, int]:
    """The format most of ``lines`` look like, and how many lines said so.

    ``("combined", 0)`` when none of them looks like anything known: the reader then counts
    every line as bad, with its reason.
    """
    probes = (ApacheFamily("combined"), Caddy(), Bunny("bunny"))
    votes: dict[str, int] = {}
    looked = 0
    for raw in lines:
        raw = raw.rstrip(b"\r\n")
        if not raw.strip():
            continue
        looked += 1
        if looked > DETECT_LINES:
            break
        for probe in probes:
            shape = probe.shape(raw)
            if shape:
                votes[shape] = votes.get(shape, 0) + 1
                break
    if not votes:
        return "combined", 0
    # A pretty-printed Caddy object votes once per opening line: enough to win.
    best = max(votes.values())
    name = next(name for name in _PREFERENCE if votes.get(name) == best)
    return name, best
