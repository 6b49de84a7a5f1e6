"""A real SMTP server for the tests (aiosmtpd) on a free port of 127.0.0.1 that requires
STARTTLS with a certificate of a CA made for the test (trustme); it keeps what it is sent,
parsed by the standard library, and can refuse the next messages with a 451."""

import asyncio
import socket
import ssl
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class Mail:
    recipients: tuple[str, ...]
    message: EmailMessage
    over_tls: bool

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def body(self, kind: str) -> str:
        part = self.message.get_body(preferencelist=(kind,))
        assert part is not None, f"no text/{kind} part"
        return str(part.get_content())

    def calendar(self) -> tuple[str, bytes]:
        """The .ics attachment: its file name and content."""
        [part] = [
            p for p in self.message.iter_attachments() if p.get_content_type() == "text/calendar"
        ]
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        return str(part.get_filename()), payload


class TlsSmtpServer:
    def __init__(self, workdir: Path) -> None:
        ca = trustme.CA()
        certificate = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = workdir / "smtp-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(self._tls)
        self.mails: list[Mail] = []
        self.refuse_next = 0
        self._arrived = asyncio.Condition()
        self._server: asyncio.Server | None = None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    def settings(self) -> dict[str, Any]:
        """What the app's Settings need to send here."""
        return {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "smtp_tls": "starttls",
            "smtp_ca_file": self.ca_file,
            "smtp_from": "Clinic <clinic@test.example>",
        }

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse_next > 0:
            self.refuse_next -= 1
            return "451 Try again later"
        message = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        assert isinstance(message, EmailMessage)
        async with self._arrived:
            self.mails.append(
                Mail(tuple(envelope.rcpt_tos), message, over_tls=session.ssl is not None)
            )
            self._arrived.notify_all()
        return "250 OK"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def protocol() -> SMTP:
            return SMTP(self, require_starttls=True, tls_context=self._tls, loop=loop)

        self._server = await loop.create_server(protocol, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def wait_for(self, count: int, *, seconds: float = 15) -> list[Mail]:
        async with asyncio.timeout(seconds), self._arrived:
            await self._arrived.wait_for(lambda: len(self.mails) >= count)
        return list(self.mails)

    def to(self, address: str) -> list[Mail]:
        return [mail for mail in self.mails if address in mail.recipients]
