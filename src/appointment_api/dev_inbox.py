"""Development only: what the embedded mode sent, where a developer can see it. /dev/mail
lists every email the mail catcher took (and /dev/mail.json the same for scripts);
/dev/webhooks is a webhook receiver to point an endpoint at, listing what it was sent."""

import html
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from infra.mail.catcher import MailCatcher

KEEP = 200


@dataclass(frozen=True, slots=True)
class ReceivedWebhook:
    received_at: datetime
    headers: dict[str, str]
    body: str


class WebhookInbox:
    def __init__(self) -> None:
        self.received: deque[ReceivedWebhook] = deque(maxlen=KEEP)


def _page(title: str, items: list[str]) -> HTMLResponse:
    body = "".join(items) or "<p>Nothing yet.</p>"
    return HTMLResponse(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><h1>{title}</h1>{body}</body></html>"
    )


def mail_routes(catcher: MailCatcher) -> list[Route]:
    async def listing(_: Request) -> HTMLResponse:
        items = []
        for mail in reversed(catcher.mails):
            links = " ".join(
                f"<a href='/dev/mail/{mail.number}/{html.escape(a.filename)}'>"
                f"{html.escape(a.filename)}</a>"
                for a in mail.attachments
            )
            items.append(
                f"<article><h2>#{mail.number} {html.escape(mail.subject)}</h2>"
                f"<p>To {html.escape(', '.join(mail.recipients))} at "
                f"{mail.received_at.isoformat()} {links}</p>"
                f"<pre>{html.escape(mail.text)}</pre></article><hr>"
            )
        return _page("Caught emails", items)

    async def as_json(_: Request) -> JSONResponse:
        return JSONResponse(
            [
                {
                    "number": m.number,
                    "receivedAt": m.received_at.isoformat(),
                    "from": m.sender,
                    "to": list(m.recipients),
                    "subject": m.subject,
                    "text": m.text,
                    "html": m.html,
                    "attachments": [a.filename for a in m.attachments],
                }
                for m in catcher.mails
            ]
        )

    async def attachment(request: Request) -> Response:
        number, name = int(request.path_params["number"]), request.path_params["name"]
        for mail in catcher.mails:
            for part in mail.attachments if mail.number == number else ():
                if part.filename == name:
                    return Response(part.content, media_type=part.content_type)
        return Response("not found", status_code=404)

    return [
        Route("/dev/mail", listing),
        Route("/dev/mail.json", as_json),
        Route("/dev/mail/{number:int}/{name}", attachment),
    ]


def webhook_routes(inbox: WebhookInbox) -> list[Route]:
    async def receive(request: Request) -> Response:
        if request.method == "GET":
            items = [
                f"<article><p>{w.received_at.isoformat()}</p><pre>"
                + html.escape("\n".join(f"{k}: {v}" for k, v in w.headers.items()))
                + "\n\n"
                + html.escape(w.body)
                + "</pre></article><hr>"
                for w in reversed(inbox.received)
            ]
            return _page("Received webhooks", items)
        body = (await request.body()).decode("utf-8", "replace")
        wanted = {k: v for k, v in request.headers.items() if k.startswith("webhook-")}
        inbox.received.append(ReceivedWebhook(datetime.now(UTC), wanted, body))
        return Response(status_code=204)

    async def as_json(_: Request) -> Response:
        return Response(
            orjson.dumps(
                [
                    {"receivedAt": w.received_at.isoformat(), "headers": w.headers, "body": w.body}
                    for w in inbox.received
                ]
            ),
            media_type="application/json",
        )

    return [
        Route("/dev/webhooks", receive, methods=["GET", "POST"]),
        Route("/dev/webhooks.json", as_json),
    ]
