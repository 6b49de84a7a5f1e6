"""Who the client is: X-Forwarded-For only counts when a trusted proxy says it."""

from appointment_api.client_address import client_address, trusted_networks

PROXIES = trusted_networks(["10.0.0.0/8", "fd00::/8"])


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() -> None:
    assert client_address("203.0.113.9", ["198.51.100.1"], ()) == "203.0.113.9"


def test_a_header_from_an_untrusted_peer_is_ignored() -> None:
    assert client_address("203.0.113.9", ["198.51.100.1"], PROXIES) == "203.0.113.9"


def test_the_first_untrusted_hop_from_the_right_is_the_client() -> None:
    # The client wrote the leftmost entry itself; our proxies appended the rest.
    header = ["6.6.6.6, 198.51.100.7, 10.1.2.3"]
    assert client_address("10.0.0.1", header, PROXIES) == "198.51.100.7"


def test_repeated_headers_are_read_as_one_list() -> None:
    assert client_address("10.0.0.1", ["6.6.6.6", "198.51.100.7"], PROXIES) == "198.51.100.7"


def test_ipv6_proxies_and_clients() -> None:
    assert client_address("fd00::1", ["2001:db8::5"], PROXIES) == "2001:db8::5"


def test_a_trusted_peer_without_the_header_is_the_client() -> None:
    assert client_address("10.0.0.1", [], PROXIES) == "10.0.0.1"


def test_when_every_hop_is_trusted_the_leftmost_is_the_closest_to_the_client() -> None:
    assert client_address("10.0.0.1", ["10.9.9.9, 10.0.0.2"], PROXIES) == "10.9.9.9"


def test_a_garbage_hop_is_kept_short() -> None:
    assert client_address("10.0.0.1", ["x" * 500], PROXIES) == "x" * 64


def test_no_peer_is_unknown() -> None:
    assert client_address(None, ["198.51.100.7"], PROXIES) == "unknown"
