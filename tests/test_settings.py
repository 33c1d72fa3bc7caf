import pytest

from factcheck import create_app
from factcheck.settings import SettingsError, from_env, sqlalchemy_url


def test_defaults_use_sqlite_under_instance(tmp_path: object) -> None:
    settings = from_env({}, instance_path="/srv/instance")
    assert settings["DATABASE_URL"] == "sqlite:////srv/instance/factcheck.sqlite3"
    assert settings["REDIS_URL"] == "redis://localhost:6379/0"
    assert settings["CACHE_TTL"] == 3600


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
