"""The allow-list of trusted documents (TRUSTED_DOCUMENTS=path), read and checked once."""

import hashlib
import json
from pathlib import Path


def sha256_hex(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def load_trusted_documents(path: Path) -> dict[str, str]:
    """The file's documents by their SHA-256; each hash is checked against its document."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read {path}: {error}") from None
    pairs: list[tuple[object, object]]
    if isinstance(raw, dict) and raw.get("format") == "apollo-persisted-query-manifest":
        operations = raw.get("operations")
        if not isinstance(operations, list) or not all(isinstance(o, dict) for o in operations):
            raise ValueError("the manifest's operations must be a list of objects")
        pairs = [(op.get("id"), op.get("body")) for op in operations]
    elif isinstance(raw, dict):
        pairs = list(raw.items())
    else:
        raise ValueError("a JSON object of sha256 → query, or an Apollo persisted-query manifest")
    documents: dict[str, str] = {}
    for digest, query in pairs:
        if not isinstance(digest, str) or not isinstance(query, str):
            raise ValueError("every entry is a sha256 and a query, both strings")
        if sha256_hex(query) != digest.lower():
            raise ValueError(f"{digest} is not the SHA-256 of its document")
        documents[digest.lower()] = query
    return documents
