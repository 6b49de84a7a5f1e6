"""Settings, read from the environment once at start and validated there."""

from enum import StrEnum
from ipaddress import ip_network
from math import ceil
from pathlib import Path
from typing import Annotated, Literal

from limits import parse as parse_rate_limit
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.reminders import parse_offsets
from infra.trusted_documents import load_trusted_documents

# RFC 7518 3.2: an HS256 key at least as long as the hash (256 bits).
MIN_PRODUCTION_SECRET_BYTES = 32
DEV_JWT_SECRET = "dev-only-secret-change-me-0123456789abcdef"  # noqa: S105 - refused in production


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


DEFAULT_MEETING_BASE_URL = "https://meet.jit.si"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    app_env: Environment = Environment.DEVELOPMENT
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)

    database_url: str = "sqlite+aiosqlite:///./appointments.db"
    database_pool_size: int = Field(default=10, ge=1, le=200)
    # PostgreSQL cancels a statement that runs longer than this (0: never).
    database_statement_timeout_ms: int = Field(default=5_000, ge=0, le=3_600_000)
    # The most connections one GraphQL operation holds at once, whatever it asks for.
    database_connections_per_request: int = Field(default=2, ge=1, le=50)
    # An HTTP operation still running after this long is cancelled with a TIMEOUT error.
    request_timeout_seconds: float = Field(default=10.0, gt=0, le=600)

    sqs_queue_url: str | None = None
    sqs_dlq_url: str | None = None
    aws_endpoint_url: str | None = None
    aws_region: str = "us-east-1"

    sqs_max_receive_count: int = Field(default=5, ge=1, le=1000)
    sqs_visibility_timeout: int = Field(default=30, ge=1, le=43200)
    worker_concurrency: int = Field(default=2, ge=1, le=64)
    # Messages a worker decides at once (each in its own transaction, on its own connection).
    worker_parallel_decisions: int = Field(default=4, ge=1, le=64)
    # The relay wakes on each commit that wrote outbox rows; this is only its fallback poll.
    relay_idle_seconds: float = Field(default=2.0, gt=0, le=60)
    # Where `worker` serves Prometheus metrics (on HOST); unset: not served.
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # The API's /metrics: on a port of its own (on HOST), and then not on PORT; or on PORT
    # behind `Authorization: Bearer <METRICS_TOKEN>`. Production needs one or the other.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_token: SecretStr | None = None

    # Operations sent by hash: how many registered documents a process keeps (automatic
    # persisted queries); with TRUSTED_DOCUMENTS, the only documents served.
    persisted_queries_kept: int = Field(default=1_000, ge=0, le=100_000)
    trusted_documents: Path | None = None
    # max-age of the Cache-Control of GET answers (public data: shared caches may keep it).
    get_cache_seconds: int = Field(default=30, ge=0, le=86_400)

    redis_url: str | None = None

    jwt_secret: SecretStr | None = None
    jwt_public_key: SecretStr | None = None
    jwt_jwks_url: str | None = None
    jwt_algorithms: Annotated[list[str], NoDecode] = ["HS256"]
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: int = Field(default=0, ge=0, le=300)

    # Where video calls happen: each confirmed one gets a room of its own under this URL
    # (a self-hosted Jitsi Meet, or the public one).
    meeting_base_url: str = Field(default=DEFAULT_MEETING_BASE_URL, pattern=r"^https?://[^\s]+$")

    min_notice_hours: int = Field(default=24, ge=0, le=24 * 30)
    max_advance_days: int = Field(default=180, ge=1, le=3650)
    # A patient's requests still PENDING at once; one more is refused (TOO_MANY_PENDING).
    max_pending_per_patient: int = Field(default=100, ge=1, le=100_000)
    # How long an idempotency key answers with its first request.
    idempotency_key_hours: int = Field(default=24, ge=1, le=24 * 366)

    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)

    # Websockets (see the README's "Live updates at scale"): compression off unless asked
    # for (its window costs ~45 KiB per connection), a bounded incoming message, a ping
    # to find dead peers, and a write that may wait this long before the peer is dropped.
    ws_per_message_deflate: bool = False
    ws_max_message_bytes: int = Field(default=64 * 1024, ge=1024, le=16 * 1024 * 1024)
    ws_ping_interval_seconds: float = Field(default=30.0, ge=0, le=3600)
    ws_ping_timeout_seconds: float = Field(default=20.0, gt=0, le=3600)
    ws_send_timeout_seconds: float = Field(default=10.0, gt=0, le=3600)

    cors_origins: Annotated[list[str], NoDecode] = []
    graphiql_enabled: bool | None = None
    introspection_enabled: bool | None = None
    graphiql_assets_dir: Path | None = None

    # The edge: what an operation may be before anything runs (resolvers/hardening.py).
    max_query_length: int = Field(default=20_000, ge=100, le=1_000_000)
    max_tokens: int = Field(default=1_000, ge=50, le=100_000)
    max_query_depth: int = Field(default=12, ge=2, le=100)
    max_aliases: int = Field(default=30, ge=0, le=10_000)
    max_directives: int = Field(default=50, ge=0, le=10_000)
    max_query_cost: int = Field(default=5_000, ge=1, le=10_000_000)
    graphql_suggestions: bool | None = None
    # Queries the read compiler covers run as compiled plans (one SQL statement per
    # connection level); off, every operation walks the executor (a fallback switch).
    compiled_reads: bool = True
    # Budgets per caller, in points ("N/second|minute|hour|day"); an operation takes
    # ceil(cost / RATE_LIMIT_COST_PER_POINT) points, at least 1.
    rate_limits_enabled: bool = True
    rate_limit_queries: str = "600/minute"
    rate_limit_mutations: str = "120/minute"
    rate_limit_subscriptions: str = "60/minute"
    rate_limit_cost_per_point: int = Field(default=100, ge=1, le=1_000_000)
    # HTTP requests per client address and process, whatever they carry: the flood guard
    # in front of the cost-based budgets above.
    rate_limit_requests_per_address: str = "1200/minute"
    # Proxies (addresses or networks) whose X-Forwarded-For names the client.
    trusted_proxies: Annotated[list[str], NoDecode] = []

    # Notifications. Email goes through SMTP_HOST; unset, the embedded mode (`dev`)
    # catches every email itself (/dev/mail) and the full stack sends none.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_tls: Literal["starttls", "implicit", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "Appointments <no-reply@appointments.invalid>"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    smtp_ca_file: Path | None = None
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Networks webhooks may reach although not public (production refuses them otherwise).
    webhook_allowed_networks: Annotated[list[str], NoDecode] = []
    # How long before a session each reminder goes out, e.g. "24h,1h" or "2d,90m".
    reminder_offsets: str = "24h,1h"
    notifications_idle_seconds: float = Field(default=1.0, gt=0, le=60)

    @field_validator(
        "jwt_algorithms",
        "cors_origins",
        "trusted_proxies",
        "webhook_allowed_networks",
        mode="before",
    )
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            raise ValueError("must start with postgresql+asyncpg:// or sqlite+aiosqlite://")
        return value

    @field_validator("jwt_algorithms")
    @classmethod
    def _known_algorithms(cls, value: list[str]) -> list[str]:
        allowed = {"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384"}
        unknown = [name for name in value if name not in allowed]
        if unknown or not value:
            raise ValueError(f"must be a comma-separated subset of {sorted(allowed)}")
        return value

    @field_validator(
        "rate_limit_queries",
        "rate_limit_mutations",
        "rate_limit_subscriptions",
        "rate_limit_requests_per_address",
    )
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        try:
            parse_rate_limit(value)
        except ValueError:
            raise ValueError(
                'must read like "600/minute" (per second, minute, hour or day)'
            ) from None
        return value

    @field_validator("reminder_offsets")
    @classmethod
    def _offsets(cls, value: str) -> str:
        parse_offsets(value)
        return value

    @field_validator("trusted_proxies", "webhook_allowed_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    @model_validator(mode="after")
    def _costliest_operation_fits_every_budget(self) -> "Settings":
        # Otherwise an operation the cost limit accepts could never pass the rate limit.
        points = ceil(self.max_query_cost / self.rate_limit_cost_per_point)
        for name in ("rate_limit_queries", "rate_limit_mutations", "rate_limit_subscriptions"):
            if parse_rate_limit(getattr(self, name)).amount < points:
                raise ValueError(
                    f"{name.upper()}: must allow at least {points} points, what an operation "
                    "of MAX_QUERY_COST takes"
                )
        return self

    @model_validator(mode="after")
    def _production_needs_real_keys(self) -> "Settings":
        if self.is_production:
            if self.jwt_secret is not None and self.jwt_secret.get_secret_value() == DEV_JWT_SECRET:
                raise ValueError("JWT_SECRET: production refuses the development secret")
            secret = self.jwt_secret.get_secret_value() if self.jwt_secret else None
            if secret is not None and len(secret.encode()) < MIN_PRODUCTION_SECRET_BYTES:
                raise ValueError(
                    f"JWT_SECRET: production needs at least {MIN_PRODUCTION_SECRET_BYTES} bytes "
                    "(HS256 is as strong as its secret)"
                )
            if not (self.jwt_secret or self.jwt_public_key or self.jwt_jwks_url):
                raise ValueError(
                    "JWT_SECRET: production needs JWT_SECRET, JWT_PUBLIC_KEY or JWT_JWKS_URL"
                )
        return self

    @field_validator("trusted_documents")
    @classmethod
    def _readable_documents(cls, value: Path | None) -> Path | None:
        if value is not None:
            load_trusted_documents(value)  # a ValueError names what is wrong
        return value

    @model_validator(mode="after")
    def _metrics_settings(self) -> "Settings":
        if self.metrics_token is not None and len(self.metrics_token.get_secret_value()) < 16:
            raise ValueError("METRICS_TOKEN: at least 16 characters")
        if self.metrics_port is not None and self.metrics_port == self.port:
            raise ValueError("METRICS_PORT: must differ from PORT")
        return self

    def api_metrics_problem(self) -> str | None:
        """Why this API may not serve: in production /metrics never on the public port
        without a token. The worker and the operator commands do not serve it."""
        if self.is_production and self.metrics_port is None and self.metrics_token is None:
            return (
                "METRICS_TOKEN: production serves /metrics only on METRICS_PORT or behind "
                "METRICS_TOKEN; set one of them"
            )
        return None

    @property
    def is_production(self) -> bool:
        return self.app_env is Environment.PRODUCTION

    @model_validator(mode="after")
    def _queue_and_dead_letters_together(self) -> "Settings":
        if bool(self.sqs_queue_url) != bool(self.sqs_dlq_url):
            raise ValueError("SQS_DLQ_URL: SQS_QUEUE_URL and SQS_DLQ_URL are set together")
        return self

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def effective_jwt_secret(self) -> str | None:
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        if not self.is_production and not (self.jwt_public_key or self.jwt_jwks_url):
            return DEV_JWT_SECRET
        return None

    @property
    def graphiql_on(self) -> bool:
        return (
            self.graphiql_enabled if self.graphiql_enabled is not None else not self.is_production
        )

    @property
    def introspection_on(self) -> bool:
        if self.introspection_enabled is not None:
            return self.introspection_enabled
        return not self.is_production

    @property
    def suggestions_on(self) -> bool:
        """ "Did you mean ...?" in error messages: they reveal the schema, so off in production."""
        if self.graphql_suggestions is not None:
            return self.graphql_suggestions
        return not self.is_production

    @property
    def catches_mail(self) -> bool:
        """The embedded mode keeps every email itself when no mail server is configured."""
        return self.smtp_host is None and not self.is_production
