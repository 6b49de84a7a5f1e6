"""The embedded mode's mail catcher: a real SMTP server (aiosmtpd) on a local port, in this
process, that keeps the last emails in memory for the /dev/mail page instead of sending
them on. The app reaches it with the same SMTP client as a real server."""

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True, slots=True)
class CaughtMail:
    number: int
    received_at: datetime
    sender: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = field(default=())


def _bytes(payload: object) -> bytes:
    return payload if isinstance(payload, bytes) else b""


def read_mail(number: int, sender: str, recipients: tuple[str, ...], raw: bytes) -> CaughtMail:
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    attachments = tuple(
        Attachment(
            part.get_filename() or "attachment",
            part.get_content_type(),
            _bytes(part.get_payload(decode=True)),
        )
        for part in parsed.iter_attachments()
    )
    return CaughtMail(
        number=number,
        received_at=datetime.now(UTC),
        sender=sender,
        recipients=recipients,
        subject=str(parsed["Subject"] or ""),
        text=text.get_content() if text is not None else "",
        html=html.get_content() if html is not None else "",
        attachments=attachments,
    )


class MailCatcher:
    def __init__(self, *, keep: int = 200) -> None:
        self.mails: deque[CaughtMail] = deque(maxlen=keep)
        self._count = 0
        self._server: asyncio.Server | None = None
        self.port = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self._count += 1
        raw = envelope.original_content or b""
        self.mails.append(
            read_mail(
                self._count,
                str(envelope.mail_from),
                tuple(str(r) for r in envelope.rcpt_tos),
                raw,
            )
        )
        return "250 Message accepted for delivery"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        loop = asyncio.get_running_loop()

        def protocol() -> Any:
            return SMTP(self, hostname="mail-catcher", loop=loop)

        self._server = await loop.create_server(protocol, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
