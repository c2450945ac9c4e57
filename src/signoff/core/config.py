"""Settings: environment variables with the ``SIGNOFF_`` prefix, ``__`` for nesting.

Every secret (a ``SecretStr`` field) can also be read from a file named by the same variable
with ``_FILE`` appended (``SIGNOFF_SECRET_KEY_FILE=/run/secrets/signoff_key``), the way Docker
and Kubernetes mount secrets. Production refuses settings that are only safe on a laptop.
"""

from __future__ import annotations

import os
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

ENV_PREFIX = "SIGNOFF_"
NESTED_DELIMITER = "__"

# Known on every laptop that ran Signoff: never acceptable where real data lives.
DEVELOPMENT_SECRET = "signoff-development-secret-do-not-use-in-production"  # noqa: S105
MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class SettingsError(ValueError):
    """Settings that must not be used; each problem names the variable that causes it."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{var}: {msg}" for var, msg in problems))


def env_name(*path: str) -> str:
    return ENV_PREFIX + NESTED_DELIMITER.join(p.upper() for p in path)


def _comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


CommaList = Annotated[list[str], NoDecode]


class DatabaseSettings(BaseModel):
    url: SecretStr = SecretStr("sqlite+aiosqlite:///./signoff.db")
    replica_url: SecretStr | None = None
    # Reads go to the replica only while it has replayed the primary's writes of at most this
    # long ago, and answers (core/replica.py, design §14.6); checked this often.
    replica_max_lag_s: float = Field(default=5.0, gt=0, le=3600)
    replica_check_s: float = Field(default=1.0, gt=0, le=60)
    pool_size: int = Field(default=10, ge=1, le=200)
    max_overflow: int = Field(default=10, ge=0, le=200)
    pool_timeout_s: float = Field(default=10.0, gt=0)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    statement_timeout_ms: int = Field(default=15_000, ge=0)
    sqlite_busy_timeout_ms: int = Field(default=5_000, ge=0)
    auto_migrate: bool | None = None
    echo: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_secret_value().startswith("sqlite")

    @field_validator("url", "replica_url", mode="after")
    @classmethod
    def _known_driver(cls, value: SecretStr | None) -> SecretStr | None:
        return None if value is None else SecretStr(database_url(value.get_secret_value()))


# The drivers Signoff installs; a URL naming only the database gets the driver it needs
# (SQLAlchemy would otherwise look for psycopg2 or the synchronous sqlite3 dialect).
_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


def database_url(url: str) -> str:
    """``url`` with the driver Signoff uses; ValueError naming the scheme when unknown."""
    scheme, sep, rest = url.partition("://")
    known = _DRIVERS.get(scheme.lower()) if sep else None
    if known is None:
        raise ValueError(
            f"unknown database scheme {scheme!r} in {mask_url(url)!r}: use "
            "sqlite+aiosqlite:///path/to/signoff.db or postgresql+asyncpg://user:pw@host/db"
        )
    return f"{known}://{rest}"


def mask_url(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***`` (for messages and logs)."""
    scheme, sep, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{location}"


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    request_timeout_s: float = Field(default=30.0, gt=0)
    graceful_shutdown_s: float = Field(default=30.0, ge=0)
    max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    gzip_min_bytes: int = Field(default=1024, ge=0)
    # The hottest reads answered before the framework (core.fastlane; design §10.6). Off,
    # every request takes the full stack: the tests compare the two answers byte for byte.
    fast_lane: bool = True
    trusted_proxies: CommaList = Field(default_factory=list)
    public_url: str | None = None
    # `/docs` and `/openapi.json`; None: served except in production.
    api_docs: bool | None = None

    _split = field_validator("trusted_proxies", mode="before")(_comma_list)


class WebSettings(BaseModel):
    """The web UI's browser sessions (``SIGNOFF_WEB__*``)."""

    # Idle: a session unused this long ends. Absolute: every session ends this long after
    # sign-in, however busy (OWASP session management).
    session_idle_s: int = Field(default=2 * 3600, ge=60)
    session_absolute_s: int = Field(default=12 * 3600, ge=60)
    # None: Secure everywhere but development, where the UI is served over plain http.
    cookie_secure: bool | None = None


class CorsSettings(BaseModel):
    allow_origins: CommaList = Field(default_factory=list)
    allow_credentials: bool = False
    max_age_s: int = 600

    _split = field_validator("allow_origins", mode="before")(_comma_list)


class LogSettings(BaseModel):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["auto", "json", "console"] = "auto"
    # The share of answered requests (status below 400) written to the access log; refused
    # and failed requests are always written, and every request is counted in the metrics.
    # The access line was the largest single cost of a /health/live (issue 16).
    access_sample: float = Field(default=1.0, ge=0, le=1)


class AuthSettings(BaseModel):
    issuer: str | None = Field(
        default=None, description="`iss` of access tokens; defaults to the public URL."
    )
    audience: str = "signoff-api"
    access_token_ttl_s: int = Field(default=900, ge=60, le=3600)
    # How long a credential's principal and a member's role are kept in the process
    # (core/access_cache.py); a change to them invalidates them at once. 0 turns it off.
    access_cache_ttl_s: float = Field(default=5.0, ge=0, le=300)
    refresh_token_ttl_s: int = Field(default=30 * 86400, ge=3600)
    refresh_family_max_s: int = Field(default=90 * 86400, ge=3600)
    leeway_s: int = Field(default=30, ge=0, le=60)
    # PEM of an Ed25519 private key; without it keys are generated, stored encrypted in the
    # database and rotated every `key_rotation_days`.
    signing_key: SecretStr | None = None
    previous_public_keys: str | None = Field(
        default=None, description="PEM public keys still accepted (rotation with key files)."
    )
    key_encryption_key: SecretStr | None = Field(
        default=None, description="Encrypts stored signing keys; derived from the secret key."
    )
    key_rotation_days: int = Field(default=30, ge=1)
    password_min_length: int = Field(default=12, ge=8, le=64)
    argon2_memory_kib: int = Field(default=19_456, ge=8_192)
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_parallelism: int = Field(default=1, ge=1)


class ThrottleSettings(BaseModel):
    """Failed-login limits, `limits` notation, several tiers separated by `;`.

    Each tier adds a longer wait after more failures (progressive). See accounts/throttle.py.
    """

    per_address: str = "30/minute;300/day"
    per_account_and_address: str = "5/15 minutes;20/day"
    per_account: str = "50/hour;200/day"
    # Inbound requirement events that fail verification, per client address (inbound/).
    inbound_failures_per_address: str = "30/minute;300/hour"

    @field_validator(
        "per_address", "per_account_and_address", "per_account", "inbound_failures_per_address"
    )
    @classmethod
    def _parses(cls, value: str) -> str:
        from limits import parse_many

        parse_many(value)  # raises ValueError with the offending part
        return value


class TracingSettings(BaseModel):
    """OpenTelemetry tracing (design §13.3): off unless an OTLP endpoint is set."""

    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP collector base URL (`http://collector:4318`); spans go to "
        "`<endpoint>/v1/traces`. None: no tracing.",
    )
    service_name: str = Field(default="signoff", min_length=1, max_length=100)
    sample_ratio: float = Field(
        default=1.0, ge=0, le=1, description="Share of new traces recorded (parents decide)."
    )
    export_timeout_s: float = Field(default=10.0, gt=0, le=120)


class RequestLimitSettings(BaseModel):
    """Requests per authenticated caller and per organization (design §10.5), `limits`
    notation, several tiers separated by `;`, an empty value for no limit. Reads are GET,
    HEAD and OPTIONS; writes the rest. Counted in Redis when configured, as the throttles."""

    reads: str = "1200/minute"
    writes: str = "300/minute"
    org_reads: str = "6000/minute"
    org_writes: str = "1500/minute"

    @field_validator("reads", "writes", "org_reads", "org_writes")
    @classmethod
    def _parses(cls, value: str) -> str:
        from limits import parse_many

        if value.strip():
            parse_many(value)  # raises ValueError with the offending part
        return value


class OidcSettings(BaseModel):
    issuer: str | None = None
    audience: str | None = None
    jwks_url: str | None = Field(default=None, description="Default: from OIDC discovery.")
    algorithms: CommaList = Field(default_factory=lambda: ["RS256", "ES256", "EdDSA"])
    org_claim: str | None = Field(
        default=None, description="Claim listing `slug` or `slug:role` entries to join."
    )
    default_role: Literal["viewer", "member"] = "member"
    http_timeout_s: float = Field(default=5.0, gt=0)
    jwks_min_refresh_s: float = Field(default=30.0, ge=0)
    allow_insecure_http: bool = False
    # "Sign in with <issuer>" in the web UI (authorization code with PKCE): the client
    # registered at the issuer. Its id tokens must name it as their audience.
    client_id: str | None = Field(default=None, description="Default: the audience.")
    client_secret: SecretStr | None = Field(
        default=None, description="Unset for a public client (PKCE only)."
    )
    display_name: str | None = Field(
        default=None, description="The sign-in button's 'Sign in with …'; default: the host."
    )

    _split = field_validator("algorithms", mode="before")(_comma_list)


class DocumentSettings(BaseModel):
    """Bounds on documents people send: each has a clear 413 or 422 when exceeded."""

    max_document_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    max_section_bytes: int = Field(default=512 * 1024, ge=1024)
    max_sections: int = Field(default=1000, ge=1)
    max_nesting_depth: int = Field(default=16, ge=1, le=100)
    render_cache_bytes: int = Field(default=64 * 1024 * 1024, ge=0)


class CpuSettings(BaseModel):
    """CPU-heavy work of a request (parsing, linting, diffing, rendering documents) runs in
    worker processes, off the event loop, within a time budget (core/cpu.py)."""

    workers: int = Field(
        default=1, ge=0, le=64, description="Processes per server process; 0: on the loop."
    )
    budget_s: float = Field(
        default=5.0, gt=0, le=300, description="Longest one piece of work may take (else 422)."
    )
    pdf_budget_s: float = Field(
        default=120.0,
        gt=0,
        le=1800,
        description="Longest rendering of a PDF may take: WeasyPrint lays out every page.",
    )
    queue: int = Field(
        default=16, ge=0, le=1000, description="Pieces waiting for a process (beyond: 503)."
    )
    inline_below_bytes: int = Field(
        default=4096, ge=0, description="Smaller input is handled on the loop: it is quick."
    )


class WorkerSettings(BaseModel):
    in_process: bool = Field(
        default=True,
        description="Run scheduled jobs, the outbox relay, webhook deliveries and email notices "
        "inside `signoff serve` (else `signoff worker`).",
    )
    key_rotation_check_s: float = Field(default=3600.0, gt=0)
    purge_interval_s: float = Field(default=3600.0, gt=0)
    event_retention_days: float = Field(
        default=30.0,
        gt=0,
        le=3650,
        description="Relayed events, with their finished webhook deliveries and email notices, "
        "are deleted this long after they occurred; until then a delivery can be redelivered.",
    )
    inbox_retention_days: float = Field(
        default=30.0,
        gt=0,
        le=3650,
        description="Inbound event ids are kept this long; a later redelivery of an event is "
        "answered `stale` instead of `duplicate` and changes nothing either way.",
    )
    purge_batch: int = Field(default=1000, ge=1, le=100_000)
    overdue_check_s: float = Field(default=300.0, gt=0)
    approval_expiry_check_s: float = Field(default=3600.0, gt=0)
    # The relay also wakes at once when this process commits events; polling catches
    # events committed by other processes.
    outbox_poll_s: float = Field(default=1.0, gt=0, le=60)
    outbox_batch: int = Field(default=100, ge=1, le=1000)
    metrics_port: int | None = Field(
        default=None, ge=0, le=65535, description="`signoff worker` serves /metrics here."
    )
    metrics_refresh_s: float = Field(default=15.0, gt=0)


def _positive_delays(value: list[float]) -> list[float]:
    if any(delay <= 0 for delay in value):
        raise ValueError("every delay must be positive")
    return value


def _networks(values: list[str]) -> list[str]:
    from ipaddress import ip_network

    return [str(ip_network(v, strict=False)) for v in values]


class WebhookSettings(BaseModel):
    """Outgoing webhook deliveries (docs/design.md §9.1, §11.2)."""

    # Networks webhooks may reach although they are not public (loopback, private...).
    # Empty: only public addresses. Tests and on-premises receivers set it.
    allowed_cidrs: CommaList = Field(default_factory=list)
    timeout_s: float = Field(default=10.0, gt=0, le=60)
    # Delays before the 2nd, 3rd... attempt; after the last one the delivery is dead.
    # The default follows the Standard Webhooks recommendation (about 27 hours in all).
    retry_schedule_s: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0],
        min_length=1,
        max_length=30,
    )
    retry_jitter: float = Field(default=0.2, ge=0, lt=1)
    breaker_threshold: int = Field(default=5, ge=1, le=1000)
    breaker_cooldown_s: float = Field(default=60.0, gt=0)
    secret_overlap_s: float = Field(default=86400.0, ge=0, le=30 * 86400)
    concurrency: int = Field(default=16, ge=1, le=256)
    per_endpoint_concurrency: int = Field(default=4, ge=1, le=256)
    poll_interval_s: float = Field(default=1.0, gt=0, le=60)

    _split = field_validator("allowed_cidrs", "retry_schedule_s", mode="before")(_comma_list)

    @field_validator("allowed_cidrs")
    @classmethod
    def _parse_networks(cls, value: list[str]) -> list[str]:
        return _networks(value)

    _positive = field_validator("retry_schedule_s")(_positive_delays)

    @property
    def max_attempts(self) -> int:
        return len(self.retry_schedule_s) + 1

    @property
    def lease_s(self) -> float:
        """How long a claimed delivery stays reserved for the instance sending it: longer than
        the attempt's timeout, so only a crashed sender's deliveries are taken over."""
        return 2 * self.timeout_s + 1


class SmtpSettings(BaseModel):
    """Email notices (docs/design.md §9.1, §9.2, §11.2); no host means no email at all."""

    host: str | None = None
    port: int = Field(default=587, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    sender: str = Field(default="Signoff <signoff@localhost>", max_length=320)
    # STARTTLS is required by default (port 587): credentials and notices never cross the
    # network in clear unless an operator says so (a relay on localhost, a test server).
    starttls: bool = True
    # Implicit TLS from the first byte (port 465); STARTTLS is then beside the point.
    tls: bool = False
    timeout_s: float = Field(default=30.0, gt=0, le=300)
    # Delays before the 2nd, 3rd... attempt; after the last one the notice is dead. Mail is
    # not urgent, and a mail server is down for minutes to hours: about 10 hours in all.
    retry_schedule_s: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [60.0, 300.0, 900.0, 3600.0, 10800.0, 21600.0],
        min_length=1,
        max_length=30,
    )
    retry_jitter: float = Field(default=0.2, ge=0, lt=1)
    poll_interval_s: float = Field(default=1.0, gt=0, le=60)
    batch: int = Field(default=20, ge=1, le=500)

    _split = field_validator("retry_schedule_s", mode="before")(_comma_list)
    _positive = field_validator("retry_schedule_s")(_positive_delays)

    @field_validator("sender")
    @classmethod
    def _an_address(cls, value: str) -> str:
        from email.utils import parseaddr

        if "@" not in parseaddr(value)[1]:
            raise ValueError("not an email address (`name@domain` or `Name <name@domain>`)")
        return value

    @property
    def enabled(self) -> bool:
        return self.host is not None

    @property
    def max_attempts(self) -> int:
        return len(self.retry_schedule_s) + 1

    @property
    def lease_s(self) -> float:
        """How long claimed notices stay reserved for the instance sending them: a round
        (connect, a batch of messages, quit) takes at most ``batch + 2`` timeouts, and one
        more is left to record it, so only a crashed sender's notices are taken over."""
        return self.timeout_s * (self.batch + 3)


class RedisSettings(BaseModel):
    url: SecretStr | None = None
    # Keys are `<prefix>:...`: several deployments (or test runs) can share one Redis.
    key_prefix: str = Field(default="signoff", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    timeout_s: float = Field(default=0.5, gt=0, le=10)
    # After Redis fails, counts stay in the process this long before Redis is tried again.
    retry_after_s: float = Field(default=5.0, gt=0, le=300)


class NatsSettings(BaseModel):
    url: SecretStr | None = None
    stream: str = Field(default="SIGNOFF", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    subject_prefix: str = Field(default="signoff", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    publish_timeout_s: float = Field(default=5.0, gt=0, le=60)
    reconnect_s: float = Field(default=5.0, gt=0, le=300)
    # Inbound requirement events over NATS (the same signed events as the HTTP route):
    # consumed from this subject (e.g. `requirements.>`), kept in their own stream.
    inbound_subject: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.>*-]{1,200}$")
    inbound_stream: str = Field(default="SIGNOFF_INBOUND", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    inbound_durable: str = Field(default="signoff-inbound", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    inbound_batch: int = Field(default=20, ge=1, le=500)
    inbound_redeliver_s: float = Field(default=5.0, gt=0, le=3600)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED_DELIMITER,
        extra="ignore",
        frozen=True,
    )

    env: Environment = Environment.DEVELOPMENT
    debug: bool = False
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    signup: Literal["open", "closed"] | None = None
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    cors: CorsSettings = Field(default_factory=CorsSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    throttle: ThrottleSettings = Field(default_factory=ThrottleSettings)
    request_limits: RequestLimitSettings = Field(default_factory=RequestLimitSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    oidc: OidcSettings = Field(default_factory=OidcSettings)
    documents: DocumentSettings = Field(default_factory=DocumentSettings)
    cpu: CpuSettings = Field(default_factory=CpuSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    nats: NatsSettings = Field(default_factory=NatsSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    web: WebSettings = Field(default_factory=WebSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # A value given directly wins over one from a file, which wins over nothing.
        return (init_settings, env_settings, SecretFileSource(settings_cls))

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env is not Environment.PRODUCTION:
            return self
        problems: list[tuple[str, str]] = []
        secret = self.secret_key.get_secret_value()
        if secret == DEVELOPMENT_SECRET:
            problems.append((env_name("secret_key"), "the development secret is not allowed"))
        elif len(secret) < MIN_SECRET_LENGTH:
            problems.append(
                (env_name("secret_key"), f"must be at least {MIN_SECRET_LENGTH} characters")
            )
        if self.database.is_sqlite:
            problems.append((env_name("database", "url"), "SQLite is for development only"))
        if self.signup == "open":
            problems.append((env_name("signup"), "open signup is not allowed in production"))
        if self.debug:
            problems.append((env_name("debug"), "debug must be off in production"))
        if self.oidc.issuer is not None and self.oidc.audience is None:
            problems.append((env_name("oidc", "audience"), "required when an issuer is set"))
        if self.oidc.allow_insecure_http:
            problems.append(
                (env_name("oidc", "allow_insecure_http"), "the issuer must be reached over https")
            )
        smtp = self.smtp
        if smtp.enabled and smtp.password is not None and not (smtp.tls or smtp.starttls):
            problems.append(
                (env_name("smtp", "starttls"), "the SMTP password would be sent in clear")
            )
        if problems:
            raise SettingsError(problems)
        return self

    @cached_property
    def signup_open(self) -> bool:
        if self.signup is None:
            return self.env is not Environment.PRODUCTION
        return self.signup == "open"

    @cached_property
    def auto_migrate(self) -> bool:
        if self.database.auto_migrate is None:
            return self.env is not Environment.PRODUCTION
        return self.database.auto_migrate

    @cached_property
    def api_docs(self) -> bool:
        """Whether `/docs` and `/openapi.json` are served: by default not in production,
        where they map the attack surface for anyone who asks."""
        if self.server.api_docs is None:
            return self.env is not Environment.PRODUCTION
        return self.server.api_docs

    @cached_property
    def cookie_secure(self) -> bool:
        """Whether the browser session cookie is ``Secure``: everywhere but development."""
        if self.web.cookie_secure is None:
            return self.env is not Environment.DEVELOPMENT
        return self.web.cookie_secure

    @cached_property
    def log_format(self) -> Literal["json", "console"]:
        if self.log.format == "auto":
            return "console" if self.env is Environment.DEVELOPMENT else "json"
        return self.log.format


class SecretFileSource(PydanticBaseSettingsSource):
    """Reads ``SIGNOFF_<PATH>_FILE`` for every ``SecretStr`` setting, at any nesting depth."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # __call__ does all the work; pydantic never calls this

    def __call__(self) -> dict[str, Any]:
        return _secrets_from_files(self.settings_cls.model_fields, ())

    def field_is_complex(self, field: FieldInfo) -> bool:
        return False


def _secrets_from_files(fields: dict[str, FieldInfo], path: tuple[str, ...]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, field in fields.items():
        annotation = field.annotation
        model = _nested_model(annotation)
        if model is not None:
            nested = _secrets_from_files(model.model_fields, (*path, name))
            if nested:
                found[name] = nested
        elif _is_secret(annotation):
            variable = env_name(*path, name) + "_FILE"
            file_name = os.environ.get(variable)
            if file_name:
                found[name] = _read_secret_file(variable, file_name)
    return found


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _is_secret(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    return get_origin(annotation) is not None and SecretStr in get_args(annotation)


def _read_secret_file(variable: str, file_name: str) -> str:
    try:
        # Secret files conventionally end with a newline that is not part of the secret.
        return Path(file_name).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise SettingsError([(variable, f"cannot read {file_name!r}: {exc.strerror}")]) from exc


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment; raise ``SettingsError`` naming each bad variable."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_problems_of(exc)) from exc


def _problems_of(exc: Any) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for error in exc.errors():
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, SettingsError):
            problems.extend(cause.problems)
            continue
        path = [str(part) for part in error["loc"] if not isinstance(part, int)]
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append((env_name(*path) if path else ENV_PREFIX + "*", message))
    return problems


# Variables with the prefix that are not settings of the server: the CLI's, the scripts'.
OTHER_VARIABLES = frozenset(
    {
        "SIGNOFF_URL",
        "SIGNOFF_TOKEN",
        "SIGNOFF_ORG",
        "SIGNOFF_ADMIN_PASSWORD",
        "SIGNOFF_VENV",
        "SIGNOFF_TEST_DATABASE_URL",
        "SIGNOFF_TEST_POSTGRES_URL",
        "SIGNOFF_MODEL_EXAMPLES",
    }
)


def known_variables() -> set[str]:
    """Every ``SIGNOFF_*`` variable Signoff reads (settings, their ``_FILE`` variants, the
    CLI's own)."""
    return _variables_of(Settings.model_fields, ()) | OTHER_VARIABLES


def _variables_of(fields: dict[str, FieldInfo], path: tuple[str, ...]) -> set[str]:
    names: set[str] = set()
    for name, field in fields.items():
        model = _nested_model(field.annotation)
        if model is not None:
            names |= _variables_of(model.model_fields, (*path, name))
            continue
        names.add(env_name(*path, name))
        if _is_secret(field.annotation):
            names.add(env_name(*path, name) + "_FILE")
    return names


def unknown_variables(environ: dict[str, str] | None = None) -> list[tuple[str, str | None]]:
    """``SIGNOFF_*`` variables that nothing reads (a typo is otherwise silently ignored),
    each with the closest known name, if one is close."""
    import difflib

    known = known_variables()
    found = []
    for name in sorted(os.environ if environ is None else environ):
        # pydantic-settings reads names without regard to case.
        if name.upper().startswith(ENV_PREFIX) and name.upper() not in known:
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
            found.append((name, close[0] if close else None))
    return found
