"""The WebhookSender port over httpx: a timeout on every call, redirects never followed,
and (in production) no call to an address off the public internet unless allow-listed.

The host is resolved here and every address it has is checked; the request then goes to
the checked address itself (Host and TLS name kept), so that a second DNS answer cannot
point it elsewhere between the check and the call.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Sequence

import httpx

from application.notification_ports import DeliveryFailed
from domain.webhook_addresses import IPNetwork, refused

USER_AGENT = "appointment-api-webhooks/1"


class HttpWebhookSender:
    def __init__(
        self,
        *,
        timeout: float = 10.0,
        guard: bool = True,
        allowed: Sequence[IPNetwork] = (),
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._timeout = httpx.Timeout(timeout)
        self._guard = guard
        self._allowed = tuple(allowed)
        self._client = client or httpx.AsyncClient(
            follow_redirects=False, timeout=self._timeout, trust_env=False
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> int:
        target = httpx.URL(url)
        extensions = {}
        sent_headers = {"user-agent": USER_AGENT, **headers}
        if self._guard:
            address = await self._checked_address(target)
            sent_headers["host"] = target.netloc.decode()
            if target.scheme == "https":
                extensions["sni_hostname"] = target.host
            target = target.copy_with(host=address)
        try:
            async with asyncio.timeout(self._timeout.read or 10.0):
                response = await self._client.post(
                    target,
                    content=body,
                    headers=sent_headers,
                    extensions=extensions,
                    follow_redirects=False,
                )
        except (httpx.HTTPError, TimeoutError, OSError) as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
        return response.status_code

    async def _checked_address(self, url: httpx.URL) -> str:
        host = url.host
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [literal]
        else:
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host,
                    url.port or (443 if url.scheme == "https" else 80),
                    type=socket.SOCK_STREAM,
                )
            except OSError as error:
                raise DeliveryFailed(f"cannot resolve {host}: {error}") from error
            addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
        if not addresses:
            raise DeliveryFailed(f"{host} has no address")
        bad = [str(a) for a in addresses if refused(a, self._allowed)]
        if bad:
            raise DeliveryFailed(
                f"refused: {host} resolves to {', '.join(bad)}, not a public address"
            )
        return str(addresses[0])
