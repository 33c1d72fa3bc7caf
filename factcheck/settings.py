"""Every setting the service reads, taken from the environment when `create_app` runs."""

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

DEFAULT_REDIS_URL = "redis://localhost:6379/0"
DEFAULT_SITE_URL = "http://127.0.0.1:8000"
LOG_LEVELS = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


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
        "SITE_URL": env.get("SITE_URL", DEFAULT_SITE_URL).rstrip("/"),
        "CACHE_TTL": _integer(env, "CACHE_TTL", 3600, minimum=1),
        "CACHE_REPLAY_INTERVAL": _integer(env, "CACHE_REPLAY_INTERVAL", 2, minimum=0),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
    }
    validate(settings)
    return settings


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
    site_scheme = urlsplit(str(settings["SITE_URL"])).scheme
    if site_scheme not in {"http", "https"}:
        raise SettingsError("SITE_URL must be an http(s) URL")
    if str(settings["LOG_LEVEL"]).upper() not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(sorted(LOG_LEVELS))}")


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
