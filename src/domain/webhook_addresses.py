"""Which webhook URLs and addresses may be called (SSRF): in production, nothing on
loopback, private, link-local or other special networks unless the operator allowed it."""

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
MAX_URL_LENGTH = 2000


def url_problem(url: str, *, production: bool) -> str | None:
    """Why ``url`` cannot be a webhook endpoint, or None."""
    if len(url) > MAX_URL_LENGTH:
        return f"The URL may have at most {MAX_URL_LENGTH} characters."
    parts = urlsplit(url)
    allowed = ("https",) if production else ("https", "http")
    if parts.scheme not in allowed:
        return f"The URL must start with {' or '.join(s + '://' for s in allowed)}."
    if not parts.hostname:
        return "The URL must name a host."
    if parts.username or parts.password:
        return "The URL may not carry a user name or password."
    if parts.fragment:
        return "The URL may not have a fragment."
    return None


def refused(address: IPAddress, allowed: Sequence[IPNetwork] = ()) -> bool:
    """True when a call to ``address`` must not be made: it is not on the public internet
    and no allowed network holds it."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in network for network in allowed):
        return False
    return not address.is_global or address.is_multicast


def parse_networks(text: str) -> list[IPNetwork]:
    """A comma-separated allow-list, e.g. ``10.1.0.0/16,127.0.0.1``."""
    return [
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    ]
