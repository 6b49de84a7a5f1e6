import json
import re
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from appointment_api.graphiql import (
    MANIFEST_NAME,
    GraphiQLPresets,
    GraphiQLTemplateError,
    assets_ready,
    cdn_assets,
    content_security_policy,
    default_assets_dir,
    graphiql_assets_app,
    graphiql_response,
    read_manifest,
    render_offline_graphiql,
    sri_digest,
    strawberry_graphiql_html,
    with_presets,
)

ASSETS_URL = "/graphiql-assets"
FETCH_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fetch_graphiql_assets.py"
# The favicon is an inline SVG: its xmlns is a namespace name, never fetched.
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


class _References(HTMLParser):
    """Every URL the page makes the browser load, and the integrity pinned with it."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name in ("src", "href"):
            if attributes.get(name):
                self.urls[attributes[name] or ""] = attributes.get("integrity")


def references(page: str) -> dict[str, str | None]:
    parser = _References()
    parser.feed(page)
    return parser.urls


def local_asset_paths(page: str) -> dict[str, str | None]:
    prefix = f"{ASSETS_URL}/"
    return {
        url.removeprefix(prefix): integrity
        for url, integrity in references(page).items()
        if url.startswith(prefix)
    }


def write_assets(directory: Path) -> None:
    """A complete assets folder as the fetch script leaves it (with placeholder contents)."""
    for asset in cdn_assets():
        target = directory / asset.local_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("/* placeholder */")
    manifest = {"files": {asset.local_path: asset.integrity for asset in cdn_assets()}}
    (directory / MANIFEST_NAME).write_text(json.dumps(manifest))


@pytest.fixture
def page() -> str:
    return render_offline_graphiql(assets_url=ASSETS_URL)


def test_the_page_loads_nothing_from_another_host(page: str) -> None:
    external = [url for url in references(page) if re.match(r"(?i)(https?:)?//", url)]
    assert external == []
    mentioned = set(re.findall(r"(?i)https?://[^\s\"'<>%]+", page)) - {SVG_NAMESPACE}
    assert mentioned == set()


def test_every_cdn_file_is_loaded_from_the_assets_mount_with_its_integrity(page: str) -> None:
    expected = {asset.local_path: asset.integrity for asset in cdn_assets()}
    assert local_asset_paths(page) == expected
    assert len(expected) >= 7  # react, react-dom, js-cookie, graphiql js+css, explorer js+css


def test_only_the_asset_urls_differ_from_strawberrys_page(page: str) -> None:
    restored = page
    for asset in cdn_assets():
        restored = restored.replace(f"{ASSETS_URL}/{asset.local_path}", asset.url)
    assert restored == strawberry_graphiql_html()


def test_a_trailing_slash_on_the_assets_url_makes_no_difference(page: str) -> None:
    assert render_offline_graphiql(assets_url=f"{ASSETS_URL}/") == page


def test_the_headers_editor_is_on_so_an_authorization_header_can_be_set(page: str) -> None:
    assert "isHeadersEditorEnabled: true" in page
    assert "shouldPersistHeaders: true" in page


def test_subscriptions_follow_the_page_url_unless_told_otherwise(page: str) -> None:
    assert "const subscriptionUrl = httpUrlToWebSockeUrl(fetchURL);" in page


def test_a_websocket_url_for_subscriptions_is_used_as_given() -> None:
    page = render_offline_graphiql(
        assets_url=ASSETS_URL, subscriptions_url="wss://api.example.test/graphql"
    )
    assert 'const subscriptionUrl = "wss://api.example.test/graphql";' in page


def test_a_subscriptions_path_is_resolved_against_the_page_and_switched_to_ws() -> None:
    page = render_offline_graphiql(assets_url=ASSETS_URL, subscriptions_url="/graphql</script>")
    assert (
        "const subscriptionUrl = "
        'httpUrlToWebSockeUrl(new URL("/graphql<\\/script>", fetchURL).toString());'
    ) in page


def test_the_page_is_served_with_a_csp_that_allows_exactly_its_inline_blocks(
    tmp_path: Path,
) -> None:
    write_assets(tmp_path)

    response = graphiql_response(assets_dir=tmp_path, assets_url=ASSETS_URL)

    page = bytes(response.body).decode()
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == content_security_policy(page)
    inline_script = page.rsplit("<script>", 1)[1].split("</script>", 1)[0]
    assert f"'{sri_digest(inline_script.encode(), 'sha256')}'" in content_security_policy(page)
    assert "'unsafe-inline'" not in content_security_policy(page)


def test_the_csp_lets_the_page_reach_a_subscriptions_host_of_its_own(tmp_path: Path) -> None:
    write_assets(tmp_path)

    response = graphiql_response(
        assets_dir=tmp_path, assets_url=ASSETS_URL, subscriptions_url="https://ws.example.test/gql"
    )

    assert (
        "connect-src 'self' wss://ws.example.test;" in response.headers["content-security-policy"]
    )


PRESETS = GraphiQLPresets(
    operation="# Free slots </script><script>alert(1)</script>\nquery FreeSlots { __typename }\n",
    variables='{\n  "from": "2030-01-01T00:00:00Z"\n}',
    headers='{"Authorization": "Bearer header.payload.signature"}',
)


def inline_script(page: str) -> str:
    return page.rsplit("<script>", 1)[1].split("</script>", 1)[0]


def js_strings(script: str) -> list[str]:
    """The double-quoted string literals of the script, decoded."""
    return [json.loads(literal) for literal in re.findall(r'"(?:[^"\\]|\\.)*"', script)]


def test_presets_fill_the_editors_unless_the_url_says_otherwise(page: str) -> None:
    script = inline_script(with_presets(page, PRESETS))

    assert "Welcome to GraphiQL" not in script
    assert {PRESETS.operation, PRESETS.variables, PRESETS.headers} <= set(js_strings(script))
    assert "React.useState(parameters.variables || " in script
    assert "React.useState(parameters.headers || " in script
    assert "parameters.q || EXAMPLE_QUERY" in script


def test_presets_cannot_end_the_script_they_stand_in(page: str) -> None:
    presented = with_presets(page, PRESETS)

    assert presented.count("</script>") == page.count("</script>")
    assert presented.count("<script") == page.count("<script")


def test_without_presets_the_page_is_strawberrys_own(tmp_path: Path) -> None:
    write_assets(tmp_path)

    body = bytes(graphiql_response(assets_dir=tmp_path, assets_url=ASSETS_URL).body).decode()

    assert "Welcome to GraphiQL" in body
    assert "Bearer" not in body


def test_the_page_with_presets_is_served_with_a_csp_that_allows_it(tmp_path: Path) -> None:
    write_assets(tmp_path)

    response = graphiql_response(assets_dir=tmp_path, assets_url=ASSETS_URL, presets=PRESETS)

    page = bytes(response.body).decode()
    assert "Bearer header.payload.signature" in page
    digest = sri_digest(inline_script(page).encode(), "sha256")
    assert f"'{digest}'" in response.headers["content-security-policy"]


def test_a_template_without_its_editor_state_refuses_presets(page: str) -> None:
    changed = page.replace("parameters.headers", "parameters.someOtherName")

    with pytest.raises(GraphiQLTemplateError):
        with_presets(changed, PRESETS)


def test_without_assets_the_page_says_to_run_make_assets(tmp_path: Path) -> None:
    response = graphiql_response(assets_dir=tmp_path / "vendor", assets_url=ASSETS_URL)

    body = bytes(response.body).decode()
    assert response.status_code == 503
    assert "make assets" in body
    assert "<script" not in body


def test_assets_are_ready_only_once_the_manifest_is_written(tmp_path: Path) -> None:
    assert not assets_ready(tmp_path)
    write_assets(tmp_path)
    assert assets_ready(tmp_path)

    (tmp_path / cdn_assets()[0].local_path).unlink()
    assert not assets_ready(tmp_path)


def test_a_manifest_from_other_pins_is_not_ready(tmp_path: Path) -> None:
    write_assets(tmp_path)
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text())
    manifest["files"] = dict.fromkeys(manifest["files"], "sha384-older")
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(manifest))

    assert not assets_ready(tmp_path)


def client_for(directory: Path) -> httpx.AsyncClient:
    app = Starlette(routes=[Mount(ASSETS_URL, app=graphiql_assets_app(directory))])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_the_assets_app_serves_the_files_under_the_mount(tmp_path: Path) -> None:
    write_assets(tmp_path)
    asset = next(asset for asset in cdn_assets() if asset.path.endswith(".js"))

    async with client_for(tmp_path) as client:
        response = await client.get(f"{ASSETS_URL}/{asset.local_path}")
        missing = await client.get(f"{ASSETS_URL}/no-such@1.0.0/file.js")

    assert response.status_code == 200
    assert response.text == "/* placeholder */"
    assert "javascript" in response.headers["content-type"]
    assert "immutable" in response.headers["cache-control"]
    assert missing.status_code == 404


async def test_the_assets_app_answers_404_before_the_assets_are_fetched(tmp_path: Path) -> None:
    async with client_for(tmp_path / "vendor") as client:
        response = await client.get(f"{ASSETS_URL}/graphiql@3.8.3/graphiql.min.js")

    assert response.status_code == 404


def test_every_local_asset_is_in_the_fetched_manifest_with_matching_content(page: str) -> None:
    directory = default_assets_dir()
    if not assets_ready(directory):
        pytest.skip("GraphiQL assets not fetched: run `make assets`")

    manifest = read_manifest(directory)

    for path, integrity in local_asset_paths(page).items():
        assert manifest.get(path) == integrity, path
        algorithm = (integrity or "").partition("-")[0]
        assert sri_digest((directory / path).read_bytes(), algorithm) == integrity, path


FAKE_NPM = """\
import io, json, sys, tarfile

packed = []
for spec in [arg for arg in sys.argv[1:] if not arg.startswith("-")][1:]:
    filename = spec.lstrip("@").replace("/", "-").replace("@", "-") + ".tgz"
    with tarfile.open(filename, "w:gz") as archive:
        for path in PATHS:
            info = tarfile.TarInfo("package/" + path)
            info.size = len(b"tampered")
            archive.addfile(info, io.BytesIO(b"tampered"))
    packed.append({"id": spec, "filename": filename})
print(json.dumps(packed))
"""


def test_the_fetch_script_refuses_a_file_whose_hash_differs(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    paths = sorted({asset.path for asset in cdn_assets()})
    npm.write_text(f"#!{sys.executable}\nPATHS = {paths!r}\n" + textwrap.dedent(FAKE_NPM))
    npm.chmod(0o755)

    result = subprocess.run(
        [sys.executable, str(FETCH_SCRIPT), "--dest", str(tmp_path / "vendor")],
        capture_output=True,
        text=True,
        env={"PATH": str(bin_dir)},
        check=False,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "hash mismatch" in result.stderr
    assert not assets_ready(tmp_path / "vendor")
