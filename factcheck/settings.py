"""Every setting the service reads, taken from the environment when `create_app` runs."""

import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from limits import parse_many

DEFAULT_REDIS_URL = "redis://localhost:6379/0"
DEFAULT_SITE_URL = "http://127.0.0.1:8000"
DEFAULT_REDIS_PREFIX = "factcheck:"
# Printable and unambiguous in redis-cli: no spaces, quotes or glob characters.
REDIS_PREFIX_PATTERN = re.compile(r"[A-Za-z0-9._:-]{0,64}")
LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
# Search, match, the feed and oEmbed run a query each time; documents come from the cache.
DEFAULT_RATE_LIMITS = {
    "RATE_LIMIT_WRITES": "120 per minute",
    "RATE_LIMIT_READS": "600 per minute",
    "RATE_LIMIT_SEARCH": "60 per minute",
    "RATE_LIMIT_FEED": "60 per minute",
    "RATE_LIMIT_OEMBED": "120 per minute",
    "RATE_LIMIT_AUTH_FAILURES": "10 per minute",
}
# How long a request may wait on the database before it is answered 503 (README, "Configuration").
# Seconds; psycopg (like libpq) waits at least 2 s for a connection whatever it is told.
DATABASE_BUDGETS = {
    "DATABASE_CONNECT_TIMEOUT": (2.0, 2.0),
    "DATABASE_STATEMENT_TIMEOUT": (3.0, 0.1),
    "DATABASE_LOCK_TIMEOUT": (2.0, 0.1),
    "DATABASE_POOL_TIMEOUT": (2.0, 0.1),
}
DEFAULT_HSTS_MAX_AGE = 31536000  # a year


# The production server's own limits on a request head (serve.py), above the app's
# (MAX_REQUEST_LINE, ...), so that the app answers an over-long request with problem+json; past
# these granian answers alone, with an empty 414 or 431. granian reads a request line and its
# header fields into one buffer of SERVER_HEAD_BUFFER bytes; its HTTP parser (hyper) takes a
# request target of at most 65534 bytes and at most SERVER_HEADER_FIELDS fields, fixed limits.
# A request line is its target plus at least 14 bytes ("GET " and " HTTP/1.1"), so the app can
# count a line one byte over a MAX_REQUEST_LINE of up to SERVER_LINE_CEILING.
SERVER_HEAD_BUFFER = 2 * 1024 * 1024
SERVER_LINE_CEILING = 65534
SERVER_FIELD_SIZE_CEILING = 32768
SERVER_HEADER_FIELDS = 100
# App threads per worker: more threads only take turns at the GIL, which on a quiet machine
# lengthened the tail of reads and slowed writes (docs/performance.md, stop 23); two still let
# one thread serve while the other waits on the database or Redis.
SERVER_THREADS = 2
# Settings gunicorn read, and what replaced them: a deployment that still sets one is told.
RETIRED_SERVER_SETTINGS = {
    "GUNICORN_THREADS": "SERVER_THREADS",
    "GUNICORN_GRACEFUL_TIMEOUT": "SERVER_GRACEFUL_TIMEOUT",
    "GUNICORN_KEEPALIVE": "SERVER_KEEPALIVE",
    "GUNICORN_TIMEOUT": "nothing (granian kills no silent worker; a dead one is respawned)",
    "ACCESS_LOG": "nothing (the app writes one line per request)",
}


class SettingsError(ValueError):
    """A setting has a value the service cannot run with."""


def from_env(
    environ: Mapping[str, str] | None = None, instance_path: str = "instance"
) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    database_url = env.get("DATABASE_URL") or default_database_url(instance_path)
    settings: dict[str, Any] = {
        "DATABASE_URL": database_url,
        "REDIS_URL": env.get("REDIS_URL", DEFAULT_REDIS_URL),
        "REDIS_PREFIX": env.get("REDIS_PREFIX", DEFAULT_REDIS_PREFIX),
        "SITE_URL": env.get("SITE_URL", DEFAULT_SITE_URL).rstrip("/"),
        "CACHE_TTL": _integer(env, "CACHE_TTL", 3600, minimum=1),
        "CACHE_REPLAY_INTERVAL": _integer(env, "CACHE_REPLAY_INTERVAL", 2, minimum=0),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        "RATE_LIMIT_ENABLED": _boolean(env, "RATE_LIMIT_ENABLED", True),
        # Off: a SCRIPT_NAME the server took from a request header is not believed (web/prefix).
        "TRUST_FORWARDED_PREFIX": _boolean(env, "TRUST_FORWARDED_PREFIX", False),
        **{
            name: _seconds(env, name, default, minimum)
            for name, (default, minimum) in DATABASE_BUDGETS.items()
        },
        # A test fault (web/faults.py): refused by `validate` unless faults are allowed.
        "FAULT_KILL_AFTER_COMMIT": _boolean(env, "FAULT_KILL_AFTER_COMMIT", False),
        "FAULT_INJECTION_ALLOWED": _boolean(env, "FAULT_INJECTION_ALLOWED", False),
        # The app's own request-size limits (web/request_limits), below the server's (serve.py).
        "MAX_REQUEST_LINE": _integer(env, "MAX_REQUEST_LINE", 8190, minimum=256),
        "MAX_HEADER_FIELD_SIZE": _integer(env, "MAX_HEADER_FIELD_SIZE", 8190, minimum=256),
        "MAX_HEADER_FIELDS": _integer(env, "MAX_HEADER_FIELDS", 90, minimum=10),
        # POST /api/v1/organizations/{slug}/imports: a body limit of its own, above the 1 MiB of
        # other writes, and the most ClaimReviews one import takes (it is one transaction).
        "IMPORT_MAX_BYTES": _integer(env, "IMPORT_MAX_BYTES", 16 * 1024 * 1024, minimum=1024),
        "IMPORT_MAX_ITEMS": _integer(env, "IMPORT_MAX_ITEMS", 10_000, minimum=1),
        # Strict-Transport-Security on https requests (web/security_headers); 0 sends none.
        "HSTS_MAX_AGE": _integer(env, "HSTS_MAX_AGE", DEFAULT_HSTS_MAX_AGE, minimum=0),
        **{name: env.get(name) or default for name, default in DEFAULT_RATE_LIMITS.items()},
        **webhooks_from_env(env, instance_path),
    }
    validate(settings)
    return settings


# --- webhooks and their worker ------------------------------------------------------------------


def webhooks_from_env(env: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    """The job engine's storage and the rules webhook deliveries follow (factcheck/jobs)."""
    return {
        # huey's storage: a SQLite file (the default, beside the database) or a Redis URL.
        "JOBS_URL": env.get("JOBS_URL")
        or "sqlite:///" + os.path.join(os.path.abspath(instance_path), "jobs.sqlite3"),
        "WEBHOOK_ALLOW_HTTP": _boolean(env, "WEBHOOK_ALLOW_HTTP", False),
        # Networks a target may resolve to although not public (loopback, private, link-local).
        "WEBHOOK_ALLOWED_NETWORKS": env.get("WEBHOOK_ALLOWED_NETWORKS", ""),
        "WEBHOOK_TIMEOUT": _seconds(env, "WEBHOOK_TIMEOUT", 10.0, minimum=0.01),
        "WEBHOOK_RETRY_BASE": _seconds(env, "WEBHOOK_RETRY_BASE", 30.0, minimum=0.01),
        "WEBHOOK_RETRY_MAX_DELAY": _seconds(env, "WEBHOOK_RETRY_MAX_DELAY", 3600.0, minimum=0.01),
        # Retried for this long after the event, then dead-lettered.
        "WEBHOOK_RETRY_FOR": _seconds(env, "WEBHOOK_RETRY_FOR", 86400.0, minimum=0.01),
        # How long a rotated API key keeps working beside its replacement (core/keys.rotate_key).
        "KEY_ROTATION_GRACE_SECONDS": _integer(env, "KEY_ROTATION_GRACE_SECONDS", 86400, minimum=0),
    }


def allowed_networks(value: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    try:
        return [ipaddress.ip_network(part.strip()) for part in value.split(",") if part.strip()]
    except ValueError:
        raise SettingsError(
            f"WEBHOOK_ALLOWED_NETWORKS must list networks such as 127.0.0.1/32, got {value!r}"
        ) from None


def default_database_url(instance_path: str) -> str:
    return "sqlite:///" + os.path.join(os.path.abspath(instance_path), "factcheck.sqlite3")


def validate(settings: Mapping[str, Any]) -> None:
    """Fail at start-up with a message that names the setting, never later in a request."""
    database_url = str(settings["DATABASE_URL"])
    scheme = urlsplit(database_url).scheme
    if scheme not in {"sqlite", "postgres", "postgresql", "postgresql+psycopg"}:
        raise SettingsError(
            "DATABASE_URL must start with sqlite:/// or postgresql://, got scheme "
            f"{scheme or '(none)'!r}"
        )
    redis_url = settings.get("REDIS_URL")
    if redis_url and urlsplit(str(redis_url)).scheme not in {"redis", "rediss", "unix"}:
        raise SettingsError("REDIS_URL must start with redis://, rediss:// or unix://")
    if not REDIS_PREFIX_PATTERN.fullmatch(str(settings.get("REDIS_PREFIX", ""))):
        raise SettingsError(
            "REDIS_PREFIX must be at most 64 of A-Z a-z 0-9 . _ : -, e.g. 'factcheck:staging:'"
        )
    _check_database_url(database_url)
    site_scheme = urlsplit(str(settings["SITE_URL"])).scheme
    if site_scheme not in {"http", "https"}:
        raise SettingsError("SITE_URL must be an http(s) URL")
    if str(settings["LOG_LEVEL"]).upper() not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(sorted(LOG_LEVELS))}")
    for name in ("RATE_LIMIT_ENABLED", "TRUST_FORWARDED_PREFIX"):
        if not isinstance(settings.get(name, False), bool):
            raise SettingsError(f"{name} must be true or false")
    _check_database_budgets(settings)
    _check_faults(settings)
    for name, ceiling in (
        ("MAX_REQUEST_LINE", SERVER_LINE_CEILING),
        ("MAX_HEADER_FIELD_SIZE", SERVER_FIELD_SIZE_CEILING),
        # A few below the server's, so the app counts, and answers, the request with one too many.
        ("MAX_HEADER_FIELDS", SERVER_HEADER_FIELDS - 2),
    ):
        if int(settings.get(name, 0)) > ceiling:
            raise SettingsError(f"{name} must be at most {ceiling} (the server's own limit)")
    allowed_networks(str(settings.get("WEBHOOK_ALLOWED_NETWORKS", "")))
    jobs_url = str(settings.get("JOBS_URL", "sqlite:///x"))
    if urlsplit(jobs_url).scheme not in {"sqlite", "redis", "rediss", "unix"}:
        raise SettingsError("JOBS_URL must start with sqlite:///, redis://, rediss:// or unix://")
    for name in DEFAULT_RATE_LIMITS:
        try:
            parse_many(str(settings[name]))
        except ValueError:
            raise SettingsError(
                f"{name} must be a limit such as '120 per minute' or '10/second;1000/day', "
                f"got {settings[name]!r}"
            ) from None


def _check_database_budgets(settings: Mapping[str, Any]) -> None:
    for name, (default, minimum) in DATABASE_BUDGETS.items():
        value = settings.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise SettingsError(f"{name} must be a number of seconds, at least {minimum:g}")


def _check_faults(settings: Mapping[str, Any]) -> None:
    # A fault that kills the process is for tests only: a production start refuses it.
    allowed = settings.get("TESTING") or settings.get("FAULT_INJECTION_ALLOWED")
    if settings.get("FAULT_KILL_AFTER_COMMIT") and not allowed:
        raise SettingsError(
            "FAULT_KILL_AFTER_COMMIT is a test fault; it needs TESTING or FAULT_INJECTION_ALLOWED"
        )


def _check_database_url(database_url: str) -> None:
    # Messages name the part that is wrong and never repeat the URL: it may hold a password.
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        if not database_url.startswith("sqlite:///") or len(database_url) == len("sqlite:///"):
            raise SettingsError("DATABASE_URL for SQLite must be sqlite:///<path to a file>")
        return
    if not database_url.startswith(parts.scheme + "://"):
        raise SettingsError("DATABASE_URL must look like postgresql://user:password@host/name")
    try:
        parts.port  # noqa: B018 - urlsplit parses the port lazily and raises here
    except ValueError:
        raise SettingsError("DATABASE_URL has a port that is not a number 0 to 65535") from None


def sqlalchemy_url(database_url: str) -> str:
    """psycopg 3 is the PostgreSQL driver; plain postgresql:// URLs would ask for psycopg2."""
    if database_url.startswith("postgresql://"):
        return "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    if database_url.startswith("postgres://"):
        return "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    return database_url


def _integer(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _seconds(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value >= minimum or value == float("inf"):
        raise SettingsError(f"{name} must be a number of seconds, at least {minimum:g}")
    return value


# --- the WSGI server ---------------------------------------------------------------------------

ON_VALUES = {"1", "true", "yes", "on"}
OFF_VALUES = {"0", "false", "no", "off"}


def server_from_env(
    environ: Mapping[str, str] | None = None, cpu_count: int | None = None
) -> dict[str, Any]:
    """The production server's settings (granian, read by serve.py), validated like the app's."""
    env = os.environ if environ is None else environ
    for retired, successor in RETIRED_SERVER_SETTINGS.items():
        if env.get(retired):
            raise SettingsError(f"{retired} is no longer read (gunicorn's); its place: {successor}")
    cpus = cpu_count or len(os.sched_getaffinity(0))
    server: dict[str, Any] = {
        "BIND": env.get("BIND") or "127.0.0.1:8000",
        # One process per CPU: granian's network I/O runs outside the GIL, and more workers
        # measured no faster (docs/performance.md). Each runs SERVER_THREADS app threads.
        "WEB_CONCURRENCY": _integer(env, "WEB_CONCURRENCY", cpus, minimum=1),
        "SERVER_THREADS": _integer(env, "SERVER_THREADS", SERVER_THREADS, minimum=1),
        "SERVER_GRACEFUL_TIMEOUT": _integer(env, "SERVER_GRACEFUL_TIMEOUT", 30, minimum=1),
        "SERVER_KEEPALIVE": _integer(env, "SERVER_KEEPALIVE", 5, minimum=0),
        "FORWARDED_ALLOW_IPS": env.get("FORWARDED_ALLOW_IPS") or "127.0.0.1,::1",
    }
    _check_bind(server["BIND"])
    _check_forwarded_allow_ips(server["FORWARDED_ALLOW_IPS"])
    return server


def _check_bind(bind: str) -> None:
    if bind.startswith("unix:"):
        return
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(f"BIND must be host:port or unix:/path, got {bind!r}")


def _check_forwarded_allow_ips(value: str) -> None:
    for entry in (part.strip() for part in value.split(",")):
        if entry == "*":
            continue
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SettingsError(
                f"FORWARDED_ALLOW_IPS must list IP addresses or networks (or *), got {entry!r}"
            ) from None


def _boolean(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ON_VALUES:
        return True
    if raw in OFF_VALUES:
        return False
    raise SettingsError(f"{name} must be on or off, got {raw!r}")
