"""Names the sources publish (paths, referrers, campaigns, titles), made safe to publish.

A referrer whose host is an IP address (``http://192.168.1.77/admin``, ``http://[2001:db8::99]/``)
points at one machine, often a private one: such hosts are never published, they are counted
together as the referrer :data:`IP_REFERRER`.

A name longer than :data:`MAX_NAME` characters (a scanner's request of a 5 MB path) is cut to
that length at normalisation, its last character replaced by :data:`CUT_MARK`, so that neither
``data/`` nor the history stores it whole; paths that share their first 999 characters are then
one row, marked as cut.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter

# The referrer that stands for every host written as an IP address.
IP_REFERRER = "(an IP address)"

# The longest path, referrer, campaign or title kept, in characters, and the mark of a cut one.
MAX_NAME = 1000
CUT_MARK = "…"


def cut(text: str) -> str:
    """``text``, or its first 999 characters and ``…`` when it is longer than 1,000."""
    return text if len(text) <= MAX_NAME else text[: MAX_NAME - 1] + CUT_MARK

# A host that "ends in a number" (WHATWG URL standard) is an IPv4 address to browsers, in any
# of its forms: 192.168.1.77, 127.1, 0xC0.0xA8.1.77, 3232235853.
_NUMERIC_LABEL = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")
# A name without a dot is read as an address only in hex or from 1.0.0.0 on, so that a campaign
# source such as ``2024`` stays a name.
_SMALLEST_BARE = 1 << 24


def is_address(host: str) -> bool:
    """Whether a host name is an IP address literal (IPv4 in any form, or IPv6)."""
    host = host.strip().strip("[]").rstrip(".")
    if not host:
        return False
    if ":" in host:
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        return True
    labels = host.split(".")
    last = labels[-1]
    if not all(labels) or _NUMERIC_LABEL.fullmatch(last) is None:
        return False
    return "." in host or not last.isdigit() or int(last) >= _SMALLEST_BARE


def public_referrer(name: str) -> str:
    """A referrer's name as it may be published: an IP address becomes :data:`IP_REFERRER`,
    a name over :data:`MAX_NAME` characters is cut."""
    return IP_REFERRER if is_address(name) else cut(name)


def public_referrer_rows(rows: list[dict]) -> list[dict]:
    """``{"name", "count"}`` rows with every IP-address name folded into :data:`IP_REFERRER`
    and long names cut (largest first, ties by name); the rows as they are when no name
    changes."""
    if all(public_referrer(str(row["name"])) == row["name"] for row in rows):
        return rows
    counts: Counter = Counter()
    for row in rows:
        counts[public_referrer(str(row["name"]))] += row["count"]
    ranked = sorted(((n, c) for n, c in counts.items() if c), key=lambda item: (-item[1], item[0]))
    return [{"name": name, "count": count} for name, count in ranked]
