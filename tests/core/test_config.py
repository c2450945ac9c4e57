"""Settings: prefix, nesting, secrets from files, and refusals in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from signoff.cli.main import cli
from signoff.core.config import (
    DEVELOPMENT_SECRET,
    SettingsError,
    load_settings,
    unknown_variables,
)

pytestmark = pytest.mark.requirement("REQ-009")

GOOD_PRODUCTION = {
    "SIGNOFF_ENV": "production",
    "SIGNOFF_SECRET_KEY": "p" * 48,
    "SIGNOFF_DATABASE__URL": "postgresql+asyncpg://signoff@db/signoff",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("SIGNOFF_"):
            monkeypatch.delenv(name)


def test_defaults_are_the_embedded_development_setup() -> None:
    settings = load_settings()
    assert settings.database.url.get_secret_value() == "sqlite+aiosqlite:///./signoff.db"
    assert settings.server.host == "127.0.0.1"
    assert settings.server.port == 8000
    assert settings.signup_open
    assert settings.auto_migrate
    assert settings.log_format == "console"


def test_nested_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNOFF_DATABASE__POOL_SIZE", "7")
    monkeypatch.setenv("SIGNOFF_CORS__ALLOW_ORIGINS", "https://a.example, https://b.example")
    monkeypatch.setenv("SIGNOFF_SERVER__TRUSTED_PROXIES", "10.0.0.1")
    settings = load_settings()
    assert settings.database.pool_size == 7
    assert settings.cors.allow_origins == ["https://a.example", "https://b.example"]
    assert settings.server.trusted_proxies == ["10.0.0.1"]


def test_secrets_from_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "key").write_text("k" * 40 + "\n")
    (tmp_path / "db").write_text("postgresql+asyncpg://u:pw@h/d\n")
    monkeypatch.setenv("SIGNOFF_SECRET_KEY_FILE", str(tmp_path / "key"))
    monkeypatch.setenv("SIGNOFF_DATABASE__URL_FILE", str(tmp_path / "db"))
    settings = load_settings()
    assert settings.secret_key.get_secret_value() == "k" * 40
    assert settings.database.url.get_secret_value() == "postgresql+asyncpg://u:pw@h/d"
    assert "pw" not in repr(settings)


def test_variable_wins_over_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "key").write_text("from-file" * 5)
    monkeypatch.setenv("SIGNOFF_SECRET_KEY_FILE", str(tmp_path / "key"))
    monkeypatch.setenv("SIGNOFF_SECRET_KEY", "from-env" * 5)
    assert load_settings().secret_key.get_secret_value() == "from-env" * 5


def test_unreadable_secret_file_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNOFF_REDIS__URL_FILE", "/nonexistent/secret")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert error.value.problems[0][0] == "SIGNOFF_REDIS__URL_FILE"


def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNOFF_SERVER__PORT", "eighty")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert [var for var, _ in error.value.problems] == ["SIGNOFF_SERVER__PORT"]


def test_production_refuses_laptop_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNOFF_ENV", "production")
    monkeypatch.setenv("SIGNOFF_SIGNUP", "open")
    monkeypatch.setenv("SIGNOFF_DEBUG", "true")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert [var for var, _ in error.value.problems] == [
        "SIGNOFF_SECRET_KEY",
        "SIGNOFF_DATABASE__URL",
        "SIGNOFF_SIGNUP",
        "SIGNOFF_DEBUG",
    ]


def test_production_refuses_a_short_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**GOOD_PRODUCTION, "SIGNOFF_SECRET_KEY": "short"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match="SIGNOFF_SECRET_KEY: must be at least 32"):
        load_settings()


def test_production_with_real_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in GOOD_PRODUCTION.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert not settings.signup_open
    assert not settings.auto_migrate
    assert settings.log_format == "json"
    assert settings.secret_key.get_secret_value() != DEVELOPMENT_SECRET


def test_cli_refuses_to_start_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNOFF_ENV", "production")
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2
    assert "SIGNOFF_SECRET_KEY: the development secret is not allowed" in result.output
    assert "SIGNOFF_DATABASE__URL: SQLite is for development only" in result.output


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u:p@db/s", "postgresql+asyncpg://u:p@db/s"),
        ("postgres://u@db/s", "postgresql+asyncpg://u@db/s"),
        ("sqlite:///./x.db", "sqlite+aiosqlite:///./x.db"),
        ("postgresql+asyncpg://u@db/s", "postgresql+asyncpg://u@db/s"),
    ],
)
def test_a_url_without_the_driver_gets_the_installed_one(
    monkeypatch: pytest.MonkeyPatch, given: str, used: str
) -> None:
    monkeypatch.setenv("SIGNOFF_DATABASE__URL", given)
    assert load_settings().database.url.get_secret_value() == used


def test_an_unknown_driver_is_refused_with_the_password_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SIGNOFF_DATABASE__URL", "postgresql+psycopg://u:hunter2@db/s")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    ((variable, problem),) = refused.value.problems
    assert variable == "SIGNOFF_DATABASE__URL"
    assert "'postgresql+psycopg'" in problem
    assert "hunter2" not in problem


def test_unknown_variables_are_found_with_the_closest_name() -> None:
    found = unknown_variables(
        {"SIGNOFF_DATABSE__URL": "x", "SIGNOFF_TOKEN": "k", "SIGNOFF_ZZZ": "1", "PATH": "/"}
    )
    assert found == [("SIGNOFF_DATABSE__URL", "SIGNOFF_DATABASE__URL"), ("SIGNOFF_ZZZ", None)]
