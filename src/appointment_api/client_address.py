"""The client's address: the peer's, or what trusted proxies say it was.

``X-Forwarded-For`` is read only when the peer is a trusted proxy, from the right: each
proxy appends the address it saw, so the first address not of a trusted proxy is the
client. Anything to its left was written by the client and is ignored.
"""

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from starlette.requests import HTTPConnection

Network = IPv4Network | IPv6Network
UNKNOWN = "unknown"
# A forwarded value is the client's key in the rate-limit storage: keep it short.
_MAX_ADDRESS_LENGTH = 64


def trusted_networks(values: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ip_network(value, strict=False) for value in values)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[Network]
) -> str:
    if peer is None:
        return UNKNOWN
    if not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop[:_MAX_ADDRESS_LENGTH]
    # Every hop is a trusted proxy: the leftmost is as close to the client as we know.
    return hops[0] if hops else peer


def connection_address(connection: HTTPConnection, trusted: Sequence[Network]) -> str:
    """The client address of an HTTP request or a websocket."""
    peer = connection.client.host if connection.client is not None else None
    return client_address(peer, connection.headers.getlist("x-forwarded-for"), trusted)


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    if not trusted:
        return False
    parsed = _parsed(address)
    return parsed is not None and any(parsed in network for network in trusted)


def _parsed(address: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(address)
    except ValueError:
        return None
