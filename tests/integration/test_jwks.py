import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from domain.viewer import InvalidCredentials, Role
from infra.auth import JwksUnavailable, JwtVerifier

JWKS_PATH = "/.well-known/jwks.json"


class JwksServer:
    """A real HTTP server on a free local port that serves one JWKS document."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.fetches = 0
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}{JWKS_PATH}"

    def __enter__(self) -> "JwksServer":
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        jwks = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != JWKS_PATH:
                    self.send_error(404)
                    return
                jwks.fetches += 1
                body = json.dumps(jwks.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def jwks(signing_key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey) -> Iterator[JwksServer]:
    document = {"keys": [public_jwk(signing_key, "key-1"), public_jwk(other_key, "key-2")]}
    with JwksServer(document) as server:
        yield server


@pytest.fixture
def verifier(jwks: JwksServer) -> JwtVerifier:
    return JwtVerifier(algorithms=["RS256", "RS384"], jwks_url=jwks.url, audience="appointments")


def token(key: rsa.RSAPrivateKey, kid: str | None, algorithm: str = "RS256") -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": "psychologist-1",
        "role": "psychologist",
        "aud": "appointments",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    headers = {"kid": kid} if kid is not None else None
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


async def test_verifies_an_rs256_token_with_the_key_named_by_its_kid(
    verifier: JwtVerifier, jwks: JwksServer, signing_key: rsa.RSAPrivateKey
) -> None:
    viewer = await verifier.authenticate(f"Bearer {token(signing_key, 'key-1')}")

    assert (viewer.subject, viewer.role) == ("psychologist-1", Role.PSYCHOLOGIST)


async def test_fetches_the_key_set_once_for_many_tokens(
    verifier: JwtVerifier,
    jwks: JwksServer,
    signing_key: rsa.RSAPrivateKey,
    other_key: rsa.RSAPrivateKey,
) -> None:
    for _ in range(3):
        await verifier.authenticate(token(signing_key, "key-1"))
        await verifier.authenticate(token(other_key, "key-2"))

    assert jwks.fetches == 1


async def test_refuses_a_token_whose_kid_is_unknown(
    verifier: JwtVerifier, jwks: JwksServer, signing_key: rsa.RSAPrivateKey
) -> None:
    with pytest.raises(InvalidCredentials, match="no signing key for kid 'rotated-away'"):
        await verifier.authenticate(token(signing_key, "rotated-away"))


async def test_unknown_kids_do_not_make_every_request_refetch_the_key_set(
    verifier: JwtVerifier, jwks: JwksServer, signing_key: rsa.RSAPrivateKey
) -> None:
    for attempt in range(5):
        with pytest.raises(InvalidCredentials):
            await verifier.authenticate(token(signing_key, f"guess-{attempt}"))

    assert jwks.fetches == 1


async def test_refuses_a_token_signed_by_another_key_than_its_kid_names(
    verifier: JwtVerifier, signing_key: rsa.RSAPrivateKey
) -> None:
    with pytest.raises(InvalidCredentials, match="wrong signature"):
        await verifier.authenticate(token(signing_key, "key-2"))


async def test_refuses_a_token_without_a_kid(
    verifier: JwtVerifier, signing_key: rsa.RSAPrivateKey
) -> None:
    with pytest.raises(InvalidCredentials, match="no key verifies RS256"):
        await verifier.authenticate(token(signing_key, None))


async def test_refuses_an_algorithm_other_than_the_one_the_key_is_published_for(
    verifier: JwtVerifier, signing_key: rsa.RSAPrivateKey
) -> None:
    with pytest.raises(InvalidCredentials, match="algorithm refused"):
        await verifier.authenticate(token(signing_key, "key-1", algorithm="RS384"))


async def test_an_unreachable_key_set_is_our_fault_not_the_callers(
    signing_key: rsa.RSAPrivateKey,
) -> None:
    with JwksServer({"keys": []}) as gone:
        url = gone.url
    verifier = JwtVerifier(algorithms=["RS256"], jwks_url=url)

    with pytest.raises(JwksUnavailable):
        await verifier.authenticate(token(signing_key, "key-1"))
