"""Which algorithms we accept, and which keys may verify them."""

from collections.abc import Iterable

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

SYMMETRIC = frozenset({"HS256", "HS384", "HS512"})
RSA = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
ELLIPTIC = frozenset({"ES256", "ES384", "ES512"})
SUPPORTED = SYMMETRIC | RSA | ELLIPTIC

PublicKey = RSAPublicKey | EllipticCurvePublicKey


class JwtConfigError(ValueError):
    """A verifier setting is unusable; ``field`` names the setting at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def pinned(algorithms: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(algorithms)
    if not chosen:
        raise JwtConfigError("algorithms", "pin at least one algorithm")
    if unknown := sorted(chosen - SUPPORTED):
        raise JwtConfigError("algorithms", f"unsupported {unknown}, not in {sorted(SUPPORTED)}")
    return chosen


def load_public_key(pem: str) -> PublicKey:
    try:
        key = load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise JwtConfigError("public_key", "not a PEM public key") from exc
    if not isinstance(key, PublicKey):
        raise JwtConfigError("public_key", "only RSA and EC public keys are supported")
    return key


def fits(key: PublicKey, algorithm: str) -> bool:
    if isinstance(key, RSAPublicKey):
        return algorithm in RSA
    return algorithm in ELLIPTIC
