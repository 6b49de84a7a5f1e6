"""The MailSender port over SMTP with aiosmtplib: STARTTLS or implicit TLS, a timeout on
every exchange, the calendar invitation as a text/calendar part and an .ics attachment."""

import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from application.notification_ports import MailFailed, OutgoingEmail

TLS_MODES = ("starttls", "implicit", "none")


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    tls: str = "starttls"
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0
    # A CA bundle to trust besides the system's (a private mail relay, the tests' own CA).
    ca_file: str | None = None


def mime(email: OutgoingEmail, *, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Message-ID"] = make_msgid(idstring=email.id.hex)
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    if email.ics is not None and email.ics_method is not None:
        name = "cancel.ics" if email.ics_method == "CANCEL" else "invite.ics"
        message.add_attachment(
            email.ics.encode(),
            maintype="text",
            subtype="calendar",
            filename=name,
            params={"method": email.ics_method},
        )
    return message


class SmtpSender:
    def __init__(self, server: SmtpServer) -> None:
        self.point_at(server)

    def point_at(self, server: SmtpServer) -> None:
        """Send through ``server`` from now on (the embedded catcher's port is known late)."""
        self._server = server
        self._context = ssl.create_default_context(cafile=server.ca_file)

    async def send(self, email: OutgoingEmail, *, sender: str) -> None:
        server = self._server
        try:
            await aiosmtplib.send(
                mime(email, sender=sender),
                hostname=server.host,
                port=server.port,
                username=server.username,
                password=server.password,
                use_tls=server.tls == "implicit",
                start_tls=server.tls == "starttls",
                tls_context=self._context if server.tls != "none" else None,
                timeout=server.timeout,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise MailFailed(f"{type(error).__name__}: {error}") from error
