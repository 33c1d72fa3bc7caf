import pytest

from factcheck import create_app
from factcheck.settings import SettingsError, from_env, server_from_env, sqlalchemy_url

from .production_server import ProductionServer


def test_defaults_use_sqlite_under_instance(tmp_path: object) -> None:
    settings = from_env({}, instance_path="/srv/instance")
    assert settings["DATABASE_URL"] == "sqlite:////srv/instance/factcheck.sqlite3"
    assert settings["REDIS_URL"] == "redis://localhost:6379/0"
    assert settings["CACHE_TTL"] == 3600
    assert settings["REDIS_PREFIX"] == "factcheck:"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DATABASE_URL", "mysql://db/x", "DATABASE_URL"),
        ("DATABASE_URL", "not a url", "DATABASE_URL"),
        ("REDIS_URL", "http://cache", "REDIS_URL"),
        ("CACHE_TTL", "soon", "CACHE_TTL"),
        ("CACHE_TTL", "0", "CACHE_TTL"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("SITE_URL", "ftp://x", "SITE_URL"),
        ("REDIS_PREFIX", "two words", "REDIS_PREFIX"),
        ("TRUST_FORWARDED_PREFIX", "maybe", "TRUST_FORWARDED_PREFIX"),
        ("REDIS_PREFIX", "keys*", "REDIS_PREFIX"),
        ("REDIS_PREFIX", "x" * 65, "REDIS_PREFIX"),
    ],
)
def test_bad_settings_fail_with_the_setting_named(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        from_env({name: value})


def test_create_app_reads_the_environment_at_call_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://user@db.internal/factcheck")
    monkeypatch.setenv("CACHE_TTL", "42")
    app = create_app()
    assert app.config["CACHE_TTL"] == 42
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db.internal/factcheck"
    )


def test_postgres_urls_use_psycopg3() -> None:
    assert sqlalchemy_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert sqlalchemy_url("sqlite:///x") == "sqlite:///x"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("sqlite://", "sqlite:///<path"),
        ("postgresql:factcheck", "must look like postgresql://"),
        ("postgresql://factcheck:hunter2@db:54x2/factcheck", "port"),
        ("postgresql://factcheck:hunter2@db:99999/factcheck", "port"),
    ],
)
def test_malformed_database_urls_are_named_without_their_password(value: str, message: str) -> None:
    with pytest.raises(SettingsError, match="DATABASE_URL") as raised:
        from_env({"DATABASE_URL": value})
    assert message in str(raised.value)
    assert "hunter2" not in str(raised.value)


@pytest.mark.parametrize(
    "value",
    [
        "postgresql://u:p@db.internal:5432/factcheck",
        "postgresql:///factcheck",
        "postgres://db/factcheck?sslmode=require",
        "sqlite:////srv/instance/x.sqlite3",
    ],
)
def test_well_formed_database_urls_pass(value: str) -> None:
    assert from_env({"DATABASE_URL": value})["DATABASE_URL"] == value


def test_server_defaults_scale_workers_with_the_cpus() -> None:
    server = server_from_env({}, cpu_count=3)
    assert server["WEB_CONCURRENCY"] == 3
    assert server["SERVER_THREADS"] == 2
    assert server["SERVER_GRACEFUL_TIMEOUT"] == 30
    assert server["SERVER_KEEPALIVE"] == 5
    assert server["BIND"] == "127.0.0.1:8000"
    assert server["FORWARDED_ALLOW_IPS"] == "127.0.0.1,::1"
    overridden = server_from_env(
        {"WEB_CONCURRENCY": "2", "SERVER_THREADS": "8", "FORWARDED_ALLOW_IPS": "10.0.0.0/8, *"},
        cpu_count=3,
    )
    assert (overridden["WEB_CONCURRENCY"], overridden["SERVER_THREADS"]) == (2, 8)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WEB_CONCURRENCY", "many"),
        ("WEB_CONCURRENCY", "0"),
        ("SERVER_THREADS", "-1"),
        ("SERVER_GRACEFUL_TIMEOUT", "0"),
        ("SERVER_GRACEFUL_TIMEOUT", "soon"),
        ("SERVER_KEEPALIVE", "1.5"),
        ("BIND", "localhost"),
        ("BIND", "0.0.0.0:http"),
        ("BIND", ":8000"),
        ("FORWARDED_ALLOW_IPS", "10.0.0.1, proxy.internal"),
        # gunicorn's settings, retired: a deployment that still sets one is told what replaced it.
        ("GUNICORN_THREADS", "4"),
        ("GUNICORN_TIMEOUT", "30"),
        ("ACCESS_LOG", "off"),
    ],
)
def test_bad_server_settings_fail_with_the_setting_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        server_from_env({name: value}, cpu_count=1)


def test_the_server_refuses_to_start_on_a_bad_setting_and_says_which(tmp_path: object) -> None:
    server = ProductionServer({"DATABASE_URL": "postgresql://factcheck:hunter2@db:5x/factcheck"})
    with pytest.raises(RuntimeError, match="DATABASE_URL has a port") as raised:
        server.start(timeout=30)
    assert "hunter2" not in str(raised.value)
    assert server.process is None or server.process.poll() is not None
