"""Operations sent by hash: Apollo's automatic persisted queries, and an optional allow-list
of trusted documents.

Automatic persisted queries (the protocol of Apollo Client's persisted-queries link and
urql's persisted exchange): a client sends ``extensions.persistedQuery.sha256Hash``
alone; an unknown hash is answered ``PersistedQueryNotFound``, and the client sends the
query with its hash once, which the server checks and keeps. The hash alone then stands
for the query, also in a GET whose URL a cache can key on.

Trusted documents (``TRUSTED_DOCUMENTS=path``): the only operations served are those of
the file, by hash or in full; anything else is refused and nothing new is kept. The file
is a JSON object of ``{"<sha256>": "<query>"}`` or an Apollo persisted-query manifest
(``{"format": "apollo-persisted-query-manifest", "operations": [{"id", "body"}]}``).
"""

from collections import OrderedDict
from dataclasses import dataclass, field

from infra.trusted_documents import sha256_hex
from resolvers.errors import ErrorCode

APQ_VERSION = 1
# Apollo's clients recognise the refusal by this exact message (or the code).
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"


@dataclass(frozen=True)
class DocumentRefused(Exception):
    """Answered in GraphQL's shape with ``code``; ``status`` under application/json (the
    graphql-response+json answer is always a 4xx: no operation ran)."""

    message: str
    code: ErrorCode
    status: int = 400


class KnownDocuments:
    """The queries the clients registered, by hash: the most recently used ``capacity``."""

    def __init__(self, capacity: int = 1_000) -> None:
        self._capacity = capacity
        self._queries: OrderedDict[str, str] = OrderedDict()

    def get(self, digest: str) -> str | None:
        query = self._queries.get(digest)
        if query is not None:
            self._queries.move_to_end(digest)
        return query

    def put(self, digest: str, query: str) -> None:
        self._queries[digest] = query
        self._queries.move_to_end(digest)
        while len(self._queries) > self._capacity:
            self._queries.popitem(last=False)


@dataclass
class PersistedDocuments:
    """``trusted``: when set, the only documents served; ``max_length``: the longest query
    kept (the edge refuses longer ones anyway)."""

    trusted: dict[str, str] | None = None
    known: KnownDocuments = field(default_factory=KnownDocuments)
    max_length: int = 20_000

    def resolve(self, query: str | None, extensions: object) -> str | None:
        """The query to run for a request's ``query`` and ``extensions``."""
        digest = _persisted_hash(extensions)
        if digest is None:
            untrusted = (
                self.trusted is not None
                and query is not None
                and sha256_hex(query) not in self.trusted
            )
            if untrusted:
                raise _not_trusted()
            return query
        if query is not None:
            if sha256_hex(query) != digest:
                raise DocumentRefused("provided sha does not match query", ErrorCode.BAD_REQUEST)
            if self.trusted is not None:
                if digest not in self.trusted:
                    raise _not_trusted()
            elif len(query) <= self.max_length:
                self.known.put(digest, query)
            return query
        found = self.trusted.get(digest) if self.trusted is not None else self.known.get(digest)
        if found is None:
            raise DocumentRefused(NOT_FOUND_MESSAGE, ErrorCode.PERSISTED_QUERY_NOT_FOUND, 200)
        return found


def _not_trusted() -> DocumentRefused:
    return DocumentRefused(
        "Only the trusted documents are served here: send one of them, or its hash.",
        ErrorCode.OPERATION_NOT_TRUSTED,
    )


def _persisted_hash(extensions: object) -> str | None:
    if not isinstance(extensions, dict):
        return None
    persisted = extensions.get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != APQ_VERSION:
        raise DocumentRefused(
            "Only version 1 of persisted queries is supported.", ErrorCode.BAD_REQUEST
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64:
        raise DocumentRefused(
            "extensions.persistedQuery.sha256Hash must be a SHA-256 in hex.",
            ErrorCode.BAD_REQUEST,
        )
    return digest.lower()
