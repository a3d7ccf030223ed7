"""Dashboard configuration, read from the environment in one place.

``Config.from_env()`` is what ``caseload serve`` and the WSGI module use; tests build a
``Config`` directly. Production (``CASELOAD_ENV`` set to anything but ``development`` or
``test``) refuses to start without a ``SECRET_KEY``: a per-process random key would log every
user out whenever a gunicorn worker restarts and would not be shared between workers.

The production server entry points (``caseload serve --production`` and ``dashboard.wsgi``)
ask for ``Config.from_env(serving=True)``: production's rules whatever ``CASELOAD_ENV`` says,
plus two more, no debug mode and no embedded SQLite file (one file cannot be shared by the
workers of several hosts, and a copy of it is a copy of every record) unless
``CASELOAD_ALLOW_SQLITE`` (``--allow-sqlite``) says so.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass, field, replace

from etl.settings import get_settings


class ConfigError(RuntimeError):
    """The configuration cannot run safely (e.g. production without a secret key)."""


DEVELOPMENT_ENVIRONMENTS = frozenset({"", "development", "test"})


def is_development_environment() -> bool:
    """True only when ``CASELOAD_ENV`` is unset, ``development`` or ``test`` (any case, spaces
    trimmed). Anything else, a typo or ``staging`` included, gets production's rules: failing
    closed costs a clear start-up error, failing open costs demo passwords on real records."""
    return os.environ.get("CASELOAD_ENV", "").strip().lower() in DEVELOPMENT_ENVIRONMENTS


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _cadence(value: str | None) -> dict[str, float]:
    # Imported here: the read layer imports the auth package, which imports this module.
    from dashboard.read.freshness import parse_cadence

    return parse_cadence(value)


@dataclass(frozen=True)
class Config:
    """Everything the app factory needs. Field names mirror the environment variables."""

    secret_key: str | None
    database_url: str
    # A read replica for page reads (dashboard.db); None: everything on database_url.
    database_read_url: str | None = None
    # After a command, the caller's reads stay on the primary this long (read-your-writes).
    read_your_writes_seconds: int = 30
    production: bool = False
    idle_timeout_minutes: int = 15
    # However active, a session ends this long after sign-in: a copied cookie kept alive by
    # its holder's own requests does not outlive the working day.
    session_max_hours: int = 12
    # Cookies get the Secure flag when the app is served over HTTPS (directly or via a proxy).
    https: bool = False
    # Number of trusted reverse proxies in front of the app (0 = none: ProxyFix off).
    proxy_hops: int = 0
    # Sign-in throttling (README, "Sign-in throttling"): hard limits per account from one
    # address and per address, a capped exponential delay per account from all addresses.
    login_window_minutes: int = 15
    login_max_failures_per_user: int = 5
    login_max_failures_per_address: int = 20
    login_account_backoff_after: int = 10
    login_backoff_base_seconds: float = 1.0
    login_backoff_max_seconds: float = 300.0
    login_known_address_days: int = 30
    # Password checks (Argon2id, 64 MiB each) running at once in one worker; more get a 429.
    login_max_concurrent_hashes: int = 2
    # Pin "today" (ISO date) for demos of old data and for tests; None means the real date.
    today: str | None = None
    # Hours after which a kind's last load is stale (banner), e.g. "checkins=36,clients=168".
    freshness_hours: str | None = None
    # Engine options (e.g. pool size) passed to etl.db.make_engine.
    engine_options: dict = field(default_factory=dict)
    # Flask's debug mode (``CASELOAD_DEBUG`` or ``FLASK_DEBUG``): tracebacks in the browser.
    debug: bool = False
    # A production server entry point: SQLite refused unless ``allow_sqlite``.
    serving: bool = False
    allow_sqlite: bool = False

    @classmethod
    def from_env(cls, *, serving: bool = False) -> Config:
        """The environment's configuration; ``serving``: for a production server entry point."""
        production = serving or not is_development_environment()
        return cls(
            secret_key=os.environ.get("SECRET_KEY") or None,
            database_url=get_settings().database_url,
            database_read_url=os.environ.get("DATABASE_READ_URL") or None,
            read_your_writes_seconds=int(os.environ.get("CASELOAD_READ_YOUR_WRITES_SECONDS", "30")),
            production=production,
            debug=_flag("CASELOAD_DEBUG") or _flag("FLASK_DEBUG"),
            serving=serving,
            allow_sqlite=_flag("CASELOAD_ALLOW_SQLITE"),
            idle_timeout_minutes=int(os.environ.get("CASELOAD_IDLE_TIMEOUT_MINUTES", "15")),
            session_max_hours=int(os.environ.get("CASELOAD_SESSION_MAX_HOURS", "12")),
            https=_flag("CASELOAD_HTTPS", default=production),
            proxy_hops=int(os.environ.get("CASELOAD_PROXY_HOPS", "0")),
            login_window_minutes=int(os.environ.get("CASELOAD_LOGIN_WINDOW_MINUTES", "15")),
            login_max_failures_per_user=int(
                os.environ.get("CASELOAD_LOGIN_MAX_FAILURES_USER", "5")
            ),
            login_max_failures_per_address=int(
                os.environ.get("CASELOAD_LOGIN_MAX_FAILURES_ADDRESS", "20")
            ),
            login_account_backoff_after=int(
                os.environ.get("CASELOAD_LOGIN_ACCOUNT_BACKOFF_AFTER", "10")
            ),
            login_backoff_base_seconds=float(
                os.environ.get("CASELOAD_LOGIN_BACKOFF_BASE_SECONDS", "1")
            ),
            login_backoff_max_seconds=float(
                os.environ.get("CASELOAD_LOGIN_BACKOFF_MAX_SECONDS", "300")
            ),
            login_known_address_days=int(os.environ.get("CASELOAD_LOGIN_KNOWN_ADDRESS_DAYS", "30")),
            login_max_concurrent_hashes=int(
                os.environ.get("CASELOAD_LOGIN_MAX_CONCURRENT_HASHES", "2")
            ),
            today=os.environ.get("CASELOAD_TODAY") or None,
            freshness_hours=os.environ.get("CASELOAD_FRESHNESS_HOURS") or None,
        )

    def resolved(self) -> Config:
        """Fail closed in production; give development a throwaway key so it just runs."""
        if self.production and self.debug:
            raise ConfigError(
                "debug mode is on (CASELOAD_DEBUG or FLASK_DEBUG): refusing to start in "
                "production mode"
            )
        if self.serving and not self.allow_sqlite and self.database_url.startswith("sqlite"):
            raise ConfigError(
                "DATABASE_URL is an SQLite file: refusing to serve in production mode "
                "(use PostgreSQL, or --allow-sqlite / CASELOAD_ALLOW_SQLITE=1 for one host)"
            )
        if self.secret_key:
            if self.production and len(self.secret_key) < 32:
                raise ConfigError("SECRET_KEY must be at least 32 characters in production")
            if self.production:
                from etl.audit import AuditKeyError, audit_key

                try:
                    audit_key(production=True)
                except AuditKeyError as exc:
                    raise ConfigError(str(exc)) from None
            return self
        if self.production:
            raise ConfigError("SECRET_KEY is not set: refusing to start in production mode")
        return replace(self, secret_key=secrets.token_urlsafe(48))

    def flask_settings(self) -> dict:
        """The Flask, Flask-Login and Flask-WTF settings this configuration implies."""
        idle_seconds = self.idle_timeout_minutes * 60
        return {
            "SECRET_KEY": self.secret_key,
            "DEBUG": self.debug and not self.production,
            "TESTING": False,
            "PROPAGATE_EXCEPTIONS": False,
            "SESSION_COOKIE_NAME": "caseload_session",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.https,
            "PERMANENT_SESSION_LIFETIME": dt.timedelta(seconds=idle_seconds),
            "SESSION_REFRESH_EACH_REQUEST": True,
            # Remember-me is never issued; these only harden it should anyone turn it on.
            "REMEMBER_COOKIE_DURATION": 0,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SECURE": self.https,
            "REMEMBER_COOKIE_SAMESITE": "Strict",
            "WTF_CSRF_ENABLED": True,
            # The token cookie is re-issued on every response, so it only ages while idle;
            # never let it expire before the idle timeout does.
            "WTF_CSRF_TIME_LIMIT": max(3600, idle_seconds),
            "WTF_CSRF_SSL_STRICT": True,
            "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
            "CASELOAD_TODAY": self.today,
            "CASELOAD_READ_YOUR_WRITES_SECONDS": self.read_your_writes_seconds,
            "CASELOAD_FRESHNESS_HOURS": _cadence(self.freshness_hours),
            "CASELOAD_LOGIN_WINDOW_MINUTES": self.login_window_minutes,
            "CASELOAD_LOGIN_MAX_FAILURES_USER": self.login_max_failures_per_user,
            "CASELOAD_LOGIN_MAX_FAILURES_ADDRESS": self.login_max_failures_per_address,
            "CASELOAD_LOGIN_ACCOUNT_BACKOFF_AFTER": self.login_account_backoff_after,
            "CASELOAD_LOGIN_BACKOFF_BASE_SECONDS": self.login_backoff_base_seconds,
            "CASELOAD_LOGIN_BACKOFF_MAX_SECONDS": self.login_backoff_max_seconds,
            "CASELOAD_LOGIN_KNOWN_ADDRESS_DAYS": self.login_known_address_days,
            "CASELOAD_LOGIN_MAX_CONCURRENT_HASHES": self.login_max_concurrent_hashes,
            "CASELOAD_SESSION_MAX_SECONDS": self.session_max_hours * 3600,
        }
