"""GraphiQL that works without internet: Strawberry's page, its CDN assets served by the app.

Strawberry's GraphiQL page loads React, GraphiQL and the explorer plugin from unpkg, each
pinned with an SRI hash. `scripts/fetch_graphiql_assets.py` stores the very same files under
`static/vendor/` in the unpkg layout (`graphiql@3.8.3/graphiql.min.js`), so rewriting the
page's URLs to the app's own mount is all it takes; the integrity attributes stay valid.
"""

import base64
import functools
import hashlib
import html
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import ASGIApp, Scope
from strawberry.http.ides import get_graphql_ide_html

CDN_ORIGIN = "https://unpkg.com"
MANIFEST_NAME = ".complete"  # written last by the fetch script: its presence means "complete"

# The template derives the websocket URL from the page's own URL unless told otherwise.
_DEFAULT_SUBSCRIPTION_LINE = "const subscriptionUrl = httpUrlToWebSockeUrl(fetchURL);"
# Where the template sets what its editors hold when the URL does not say.
_EXAMPLE_QUERY = re.compile(r"const EXAMPLE_QUERY = `.*?`;", re.DOTALL)
_EDITOR_STATE = r"React\.useState\(\s*parameters\.{name},?\s*\)"


class GraphiQLTemplateError(RuntimeError):
    """Strawberry's GraphiQL template no longer looks the way this module expects."""


@dataclass(frozen=True)
class GraphiQLPresets:
    """What the page's editors hold when it opens (a link's own ?q=, ?variables= and
    ?headers= still win)."""

    operation: str
    variables: str  # JSON text
    headers: str  # JSON text


@dataclass(frozen=True)
class CdnAsset:
    """One file the page loads from the CDN, as pinned by the template."""

    url: str
    package: str  # "react", "@graphiql/plugin-explorer"
    version: str
    path: str  # inside the package: "umd/react.production.min.js"
    integrity: str  # the SRI value: "sha384-…"

    @property
    def spec(self) -> str:
        return f"{self.package}@{self.version}"

    @property
    def local_path(self) -> str:
        """Where the file lives under the assets folder (and the assets URL)."""
        return f"{self.spec}/{self.path}"


@functools.cache
def strawberry_graphiql_html() -> str:
    """The page exactly as Strawberry's own view serves it (placeholders already filled)."""
    return get_graphql_ide_html(graphql_ide="graphiql")


def cdn_assets(page: str | None = None) -> list[CdnAsset]:
    """Every CDN file the page loads, in document order, with its pinned integrity."""
    collector = _AssetTags()
    collector.feed(strawberry_graphiql_html() if page is None else page)
    collector.close()
    if not collector.assets:
        raise GraphiQLTemplateError("the GraphiQL template loads nothing from the CDN")
    return collector.assets


@functools.cache
def render_offline_graphiql(*, assets_url: str, subscriptions_url: str | None = None) -> str:
    """Strawberry's GraphiQL page with every CDN URL pointing at `assets_url` instead.

    `subscriptions_url` is the websocket endpoint for subscriptions: `ws://…`/`wss://…` is
    used as is, a path or an http(s) URL is resolved against the page and switched to
    ws(s). Without it the page keeps Strawberry's default (the page's own URL).
    """
    base = assets_url.rstrip("/")
    page = strawberry_graphiql_html()
    for asset in cdn_assets(page):
        local = html.escape(f"{base}/{asset.local_path}", quote=True)
        page = page.replace(f'"{asset.url}"', f'"{local}"')
    if CDN_ORIGIN in page:
        raise GraphiQLTemplateError(f"a {CDN_ORIGIN} URL is left in the GraphiQL page")
    if subscriptions_url is not None:
        page = _set_subscriptions_url(page, subscriptions_url)
    return page


def missing_assets_html(directory: Path) -> str:
    """What the GraphiQL URL answers while the assets have not been fetched."""
    return (
        "<!doctype html>\n<html>\n<head><title>GraphiQL assets missing</title></head>\n"
        "<body>\n<h1>GraphiQL assets missing</h1>\n"
        "<p>GraphiQL is served from this app's own copy of its JavaScript and CSS, "
        f"which is not in <code>{html.escape(str(directory))}</code> "
        "(or is out of date).</p>\n"
        "<p>Run <code>make assets</code> (or <code>python scripts/fetch_graphiql_assets.py"
        "</code>), then reload this page. "
        "The GraphQL endpoint itself works meanwhile (POST queries to this URL).</p>\n"
        "</body>\n</html>\n"
    )


def with_presets(page: str, presets: GraphiQLPresets) -> str:
    """The page opening with `presets` in its query, variables and headers editors."""
    example = f"const EXAMPLE_QUERY = {_js_string(presets.operation)};"
    page, found = _EXAMPLE_QUERY.subn(_constant(example), page, count=1)
    for name, value in (("variables", presets.variables), ("headers", presets.headers)):
        state = f"React.useState(parameters.{name} || {_js_string(value)})"
        pattern = _EDITOR_STATE.format(name=name)
        page, replaced = re.subn(pattern, _constant(state), page, count=1)
        found += replaced
    if found != 3:
        raise GraphiQLTemplateError("the GraphiQL template no longer sets its editors' contents")
    return page


def graphiql_response(
    *,
    assets_dir: Path,
    assets_url: str,
    subscriptions_url: str | None = None,
    presets: GraphiQLPresets | None = None,
) -> HTMLResponse:
    """The GraphiQL page when its assets are in place, a 503 saying how to get them if not.
    With `presets`, the page opens with them in its editors."""
    if not assets_ready(assets_dir):
        return HTMLResponse(missing_assets_html(assets_dir), status_code=503)
    page = render_offline_graphiql(assets_url=assets_url, subscriptions_url=subscriptions_url)
    if presets is not None:
        page = with_presets(page, presets)
    policy = content_security_policy(page, subscriptions_url=subscriptions_url)
    return HTMLResponse(page, headers={"Content-Security-Policy": policy})


def content_security_policy(page: str, *, subscriptions_url: str | None = None) -> str:
    """A CSP that lets this page run: its own assets, plus its inline script and style by hash.

    The page talks to its own origin; a subscriptions URL on another host is allowed too.
    """
    collector = _InlineBlocks()
    collector.feed(page)
    collector.close()
    scripts = " ".join(_csp_hash(text) for text in collector.scripts)
    styles = " ".join(_csp_hash(text) for text in collector.styles)
    connect = " ".join(["'self'", *_websocket_origin(subscriptions_url)])
    return (
        "default-src 'none'; "
        f"script-src 'self' {scripts}; "
        f"style-src 'self' {styles}; "
        f"img-src 'self' data:; font-src 'self' data:; connect-src {connect}; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def assets_ready(directory: Path) -> bool:
    """Whether `directory` holds every file the current template pins, as fetched."""
    try:
        manifest = read_manifest(directory)
    except (OSError, ValueError):
        return False
    return all(
        manifest.get(asset.local_path) == asset.integrity
        and (directory / asset.local_path).is_file()
        for asset in cdn_assets()
    )


def read_manifest(directory: Path) -> dict[str, str]:
    """The fetched files (relative paths) and their SRI integrity values."""
    data = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in files.items()
    ):
        raise ValueError(f"{directory / MANIFEST_NAME}: no 'files' mapping")
    return files


def graphiql_assets_app(directory: Path) -> ASGIApp:
    """Serves the fetched assets; mount it at the assets URL given to the page.

    The folder may not exist yet: its files then answer 404 and the page explains how to
    fetch them.
    """
    return _VersionedAssets(directory=directory, check_dir=False)


def default_assets_dir() -> Path:
    return Path(__file__).resolve().parent / "static" / "vendor"


def sri_digest(content: bytes, algorithm: str = "sha384") -> str:
    """`content`'s SRI value, e.g. `sha384-<base64>`."""
    digest = hashlib.new(algorithm, content).digest()
    return f"{algorithm}-{base64.b64encode(digest).decode('ascii')}"


def _set_subscriptions_url(page: str, subscriptions_url: str) -> str:
    if _DEFAULT_SUBSCRIPTION_LINE not in page:
        raise GraphiQLTemplateError("the GraphiQL template no longer sets subscriptionUrl")
    # json.dumps makes a JS string literal; "</" is escaped so it can't close the script.
    literal = json.dumps(subscriptions_url).replace("</", "<\\/")
    if subscriptions_url.startswith(("ws://", "wss://")):
        value = literal
    else:
        value = f"httpUrlToWebSockeUrl(new URL({literal}, fetchURL).toString())"
    return page.replace(_DEFAULT_SUBSCRIPTION_LINE, f"const subscriptionUrl = {value};")


def _constant(text: str) -> Callable[[re.Match[str]], str]:
    """A re.sub replacement that is `text` as it is (no backslash or group processing)."""
    return lambda _: text


def _js_string(text: str) -> str:
    """A JavaScript string literal of `text` that cannot end the script it stands in."""
    return json.dumps(text).replace("<", "\\u003c")


def _websocket_origin(url: str | None) -> list[str]:
    parts = urlsplit(url or "")
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return [f"{scheme}://{parts.netloc}"] if scheme in {"ws", "wss"} and parts.netloc else []


def _csp_hash(text: str) -> str:
    return f"'{sri_digest(text.encode('utf-8'), 'sha256')}'"


def _parse_cdn_url(url: str, integrity: str) -> CdnAsset:
    parts = urlsplit(url)
    segments = PurePosixPath(parts.path.lstrip("/")).parts
    # A scoped package takes two segments: "@graphiql/plugin-explorer@1.0.2".
    name_length = 2 if segments and segments[0].startswith("@") else 1
    spec, path = "/".join(segments[:name_length]), "/".join(segments[name_length:])
    package, _, version = spec.rpartition("@")
    if (
        parts.query
        or parts.fragment
        or not (package and version and path)
        or ".." in segments
        or not integrity
    ):
        raise GraphiQLTemplateError(f"unexpected CDN asset in the GraphiQL template: {url}")
    return CdnAsset(url=url, package=package, version=version, path=path, integrity=integrity)


class _VersionedAssets(StaticFiles):
    async def check_config(self) -> None:
        # StaticFiles refuses a missing folder; ours appears when `make assets` runs.
        return

    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        # Every path carries its package version, so a file never changes under its URL.
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


class _AssetTags(HTMLParser):
    _URL_ATTRIBUTE = {"script": "src", "link": "href"}

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[CdnAsset] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        url = attributes.get(self._URL_ATTRIBUTE[tag]) if tag in self._URL_ATTRIBUTE else None
        if not url or not url.startswith(("http://", "https://")):
            return
        if not url.startswith(f"{CDN_ORIGIN}/"):
            raise GraphiQLTemplateError(f"the GraphiQL template loads from another host: {url}")
        self.assets.append(_parse_cdn_url(url, attributes.get("integrity") or ""))


class _InlineBlocks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._open: list[str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "style" or (tag == "script" and "src" not in dict(attrs)):
            self._open, self._text = (self.styles if tag == "style" else self.scripts), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag in {"script", "style"}:
            self._open.append("".join(self._text))
            self._open = None
