"""SMTP settings: read like every other setting (the password from a file too), refused
where they would send a password in clear in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from signoff.core.config import SettingsError, load_settings
from tests.core.test_config import GOOD_PRODUCTION, clean_env

pytestmark = pytest.mark.requirement("REQ-026")

__all__ = ["clean_env"]  # autouse: no SIGNOFF_ variable of the machine leaks in


def test_email_is_off_until_a_host_is_set() -> None:
    assert not load_settings().smtp.enabled


def test_smtp_settings_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "smtp").write_text("s3cret-pass\n")
    monkeypatch.setenv("SIGNOFF_SMTP__HOST", "mail.example.com")
    monkeypatch.setenv("SIGNOFF_SMTP__USERNAME", "signoff")
    monkeypatch.setenv("SIGNOFF_SMTP__PASSWORD_FILE", str(tmp_path / "smtp"))
    monkeypatch.setenv("SIGNOFF_SMTP__SENDER", "Design reviews <reviews@example.com>")
    monkeypatch.setenv("SIGNOFF_SMTP__RETRY_SCHEDULE_S", "30, 600")
    monkeypatch.setenv("SIGNOFF_SMTP__BATCH", "10")
    smtp = load_settings().smtp
    assert smtp.enabled
    assert (smtp.host, smtp.port, smtp.starttls, smtp.tls) == ("mail.example.com", 587, True, False)
    assert smtp.password is not None
    assert smtp.password.get_secret_value() == "s3cret-pass"
    assert "s3cret" not in repr(smtp)
    assert smtp.retry_schedule_s == [30.0, 600.0]
    assert smtp.max_attempts == 3
    # Longer than a whole round (connect, 10 messages, quit), each bounded by the timeout.
    assert smtp.lease_s > smtp.timeout_s * 12


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SIGNOFF_SMTP__SENDER", "signoff"),
        ("SIGNOFF_SMTP__RETRY_SCHEDULE_S", "30,0"),
        ("SIGNOFF_SMTP__PORT", "0"),
        ("SIGNOFF_SMTP__BATCH", "0"),
    ],
)
def test_a_bad_smtp_setting_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert [var for var, _ in error.value.problems] == [variable]


def test_production_refuses_an_smtp_password_in_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    smtp = {
        "SIGNOFF_SMTP__HOST": "mail.example.com",
        "SIGNOFF_SMTP__USERNAME": "signoff",
        "SIGNOFF_SMTP__PASSWORD": "s3cret-pass",
        "SIGNOFF_SMTP__STARTTLS": "false",
    }
    for name, value in (GOOD_PRODUCTION | smtp).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match="SIGNOFF_SMTP__STARTTLS: the SMTP password"):
        load_settings()
    monkeypatch.setenv("SIGNOFF_SMTP__TLS", "true")  # implicit TLS (port 465) is fine
    assert load_settings().smtp.tls
