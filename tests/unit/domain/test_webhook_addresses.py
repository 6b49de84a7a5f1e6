import ipaddress

import pytest

from domain.webhook_addresses import parse_networks, refused, url_problem


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.5",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",  # noqa: S104
        "100.64.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "224.0.0.1",
    ],
)
def test_loopback_private_link_local_and_special_addresses_are_refused(address):
    assert refused(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_called(address):
    assert not refused(ipaddress.ip_address(address))


def test_an_allow_list_lets_a_private_network_through_and_no_other():
    allowed = parse_networks("10.1.0.0/16, 127.0.0.1")
    assert not refused(ipaddress.ip_address("10.1.200.3"), allowed)
    assert not refused(ipaddress.ip_address("127.0.0.1"), allowed)
    assert refused(ipaddress.ip_address("10.2.0.1"), allowed)
    assert refused(ipaddress.ip_address("127.0.0.2"), allowed)


def test_production_wants_https_and_development_takes_http_too():
    assert url_problem("http://crm.example/hook", production=True) is not None
    assert url_problem("https://crm.example/hook", production=True) is None
    assert url_problem("http://localhost:9000/hook", production=False) is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://crm.example/",
        "https://",
        "https://user:pw@crm.example/",
        "https://a.example/#x",
        "x" * 3000,
    ],
)
def test_urls_that_cannot_be_endpoints_say_why(url):
    assert url_problem(url, production=False)
