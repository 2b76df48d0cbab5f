"""The one typed settings object, read from the environment (prefix PACKTRACE_) when the app or CLI starts."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import AliasChoices, Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.proxies import TrustedProxies
from ledger.format.policy import Policy, PolicyError, read_policy
from ledger.store.db import postgres_url
from ledger.usecases.cosigning import parse_witnesses
from ledger.usecases.federation import Peer, parse_peers

PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "admin", "password", "token"}
MIN_ADMIN_TOKEN = 24
DEVELOPMENT_PUBLIC_URL = "http://localhost:8000"
PUBLIC_URL_REQUIRED = (
    "PACKTRACE_PUBLIC_URL is required outside development (PACKTRACE_ENVIRONMENT is production): "
    "the log is named after it for good and the labels' QR codes link to it"
)
DB_PARTS = ("db_host", "db_port", "db_user", "db_password", "db_name")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PACKTRACE_", env_file=None, extra="ignore")

    database_url: str = "sqlite:///./packtrace.db"
    # or PostgreSQL by parts (docs/operations.md §1): the URL is made with each part escaped, so a password
    # may hold `@`, `/`, `:` or `%`; PACKTRACE_DB_HOST or PACKTRACE_DB_NAME set means "by parts"
    db_host: str = ""
    db_port: int = 5432
    db_user: str = "packtrace"
    db_password: str = ""
    db_name: str = ""
    # required outside development (`require_public_url`): the log's name and the labels' links
    public_url: str = DEVELOPMENT_PUBLIC_URL
    log_origin: str = ""
    log_key_file: Path = Path("./packtrace-log.key")
    sealing_key_file: Path = Path("./packtrace-sealing.key")  # seals platform-held keys at rest (0600)
    witnesses: str = ""  # `<witness verifier key>=<base URL>`, comma-separated (docs/ledger-format.md §4.3)
    peers: str = ""  # `<peer log verifier key>=<base URL>`, comma-separated (docs/federation.md)
    admin_token: str | None = None
    # Fails closed: only `packtrace demo` and the tests say "development", which accepts placeholder secrets.
    environment: Literal["production", "development"] = "production"
    # SQLite's `synchronous` for every commit but the ledger's own: appends (which sign the checkpoints
    # served) and key revocations commit with at least FULL, so power loss never rolls them back.
    sqlite_synchronous: str = "NORMAL"
    max_body_bytes: int = 16 * 1024 * 1024
    # addresses and networks (CIDR) of the reverse proxies whose X-Forwarded-For/-Proto/-Host headers are
    # honoured, comma-separated; "" (the default): none, the headers are ignored (api/proxies.py)
    trusted_proxies: str = ""
    # PACKTRACE_POLICY: the trust policy (docs/ledger-format.md §9) the regulator's badge applies
    policy_file: Path | None = Field(default=None, validation_alias=AliasChoices("PACKTRACE_POLICY", "policy_file"))

    _origin_derived: bool = PrivateAttr(default=False)
    _public_url_given: bool = PrivateAttr(default=False)
    _policy: Policy | None = PrivateAttr(default=None)
    _peers: tuple[Peer, ...] = PrivateAttr(default=())

    @property
    def origin_is_explicit(self) -> bool:
        """Whether PACKTRACE_LOG_ORIGIN was given (rather than derived from the public URL)."""
        return not self._origin_derived

    @field_validator("admin_token", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("witnesses")
    @classmethod
    def _witnesses_parse(cls, value: str) -> str:
        # refuses a bad key or URL, or a witness named twice, naming the item; "" when none is configured
        return ",".join(f"{w.verifier_key}={w.url}" for w in parse_witnesses(value))

    @model_validator(mode="after")
    def _peers_parse(self) -> Settings:
        # refuses a bad key or URL, or a peer named twice, naming the item; () when none is configured
        self._peers = parse_peers(self.peers)
        return self

    @property
    def peer_platforms(self) -> tuple[Peer, ...]:
        """The other packtrace platforms this one hands packs over to and receives them from."""
        return self._peers

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        # refuses an item that is neither an address nor a network, naming it
        return str(TrustedProxies.parse(value))

    @property
    def proxies(self) -> TrustedProxies:
        return TrustedProxies.parse(self.trusted_proxies)

    def require_public_url(self) -> None:
        """Outside development the public URL must be given: a ValueError naming PACKTRACE_PUBLIC_URL."""
        if self.environment != "development" and not self._public_url_given:
            raise ValueError(PUBLIC_URL_REQUIRED)

    @model_validator(mode="after")
    def _derive(self) -> Settings:
        self._public_url_given = "public_url" in self.model_fields_set
        self.public_url = self.public_url.rstrip("/")
        self._database_by_parts()
        if not self.log_origin:
            host = urlsplit(self.public_url).netloc or "localhost"
            self.log_origin = f"{host}/packtrace"
            self._origin_derived = True
        if self.environment != "development":
            self._refuse_placeholders()
        if self.sqlite_synchronous.upper() not in {"NORMAL", "FULL", "EXTRA"}:
            raise ValueError("PACKTRACE_SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA")
        return self

    @model_validator(mode="after")
    def _read_policy(self) -> Settings:
        """Read the policy once, at start: a file that does not parse refuses to start, naming the line."""
        try:
            self._policy = read_policy(self.policy_file) if self.policy_file is not None else None
        except PolicyError as exc:
            raise ValueError(f"PACKTRACE_POLICY: {exc.message}") from None
        return self

    @property
    def policy(self) -> Policy | None:
        return self._policy

    def _database_by_parts(self) -> None:
        """PACKTRACE_DB_HOST/PORT/USER/PASSWORD/NAME instead of PACKTRACE_DATABASE_URL (not both)."""
        if not (self.db_host or self.db_name):
            if self.db_password:
                raise ValueError("PACKTRACE_DB_PASSWORD is set but PACKTRACE_DB_HOST and PACKTRACE_DB_NAME are not")
            return
        if "database_url" in self.model_fields_set:
            raise ValueError("set PACKTRACE_DATABASE_URL or the PACKTRACE_DB_* parts, not both")
        missing = [f"PACKTRACE_{name.upper()}" for name in ("db_host", "db_name") if not getattr(self, name)]
        if missing:
            raise ValueError(f"{' and '.join(missing)} must be set with the other PACKTRACE_DB_* parts")
        self.database_url = postgres_url(
            host=self.db_host, port=self.db_port, user=self.db_user, password=self.db_password, name=self.db_name
        )

    def _refuse_placeholders(self) -> None:
        """Outside development a secret must not be a well-known word (nor the admin token short)."""
        token = self.admin_token
        if token is not None and (token.lower() in PLACEHOLDER_SECRETS or len(token) < MIN_ADMIN_TOKEN):
            raise ValueError(
                f"PACKTRACE_ADMIN_TOKEN is a placeholder or shorter than {MIN_ADMIN_TOKEN} characters "
                "(PACKTRACE_ENVIRONMENT is production)"
            )
        password = urlsplit(self.database_url).password
        if password is not None and unquote(password).lower() in PLACEHOLDER_SECRETS:
            by_parts = self.db_host or self.db_name
            where = "PACKTRACE_DB_PASSWORD" if by_parts else "the password in PACKTRACE_DATABASE_URL"
            raise ValueError(f"{where} is a placeholder (PACKTRACE_ENVIRONMENT is production)")
