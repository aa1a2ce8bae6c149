"""Production refuses weak secrets, and the refusal never prints a secret's value."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from api.settings import DEV_INTERNAL_TOKEN, DEV_SECRET, MIN_SECRET_CHARS, Settings

STRONG = "k" * MIN_SECRET_CHARS
PRODUCTION: dict[str, Any] = {"app_env": "production", "secret_key": STRONG, "internal_token": "t" * MIN_SECRET_CHARS}


def test_a_strong_production_configuration_starts() -> None:
    Settings(**PRODUCTION)
    Settings(**PRODUCTION, case_webhook_url="https://12345.example/hook", case_webhook_secret="w" * 40)


@pytest.mark.parametrize(
    "overrides",
    [
        {"secret_key": ""},  # exactly what deploy/env/gateway.env.example ships
        {"internal_token": ""},
        {"secret_key": "x"},
        {"internal_token": "x" * (MIN_SECRET_CHARS - 1)},
        {"internal_token": " " * 40},
        {"secret_key": DEV_SECRET},
        {"internal_token": DEV_INTERNAL_TOKEN},
        {"case_webhook_url": "https://12345.example/hook"},  # forwarding on, secret left at the default
        {"case_webhook_url": "https://12345.example/hook", "case_webhook_secret": ""},
        {"case_webhook_url": "https://12345.example/hook", "case_webhook_secret": "short"},
        {"metrics_token": "short"},
        {"open311_api_keys": f"{'p' * 40},abc"},
    ],
)
def test_production_refuses_empty_short_and_default_secrets(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Settings(**{**PRODUCTION, **overrides})


def test_development_keeps_its_defaults() -> None:
    s = Settings(app_env="development")
    assert s.secret_key == DEV_SECRET and s.internal_token == DEV_INTERNAL_TOKEN


def test_the_refusal_names_the_setting_but_never_prints_its_value() -> None:
    secret = "my-short-secret-value"
    with pytest.raises(ValidationError) as info:
        Settings(**{**PRODUCTION, "internal_token": secret})
    message = str(info.value)
    assert "INTERNAL_TOKEN" in message
    assert secret not in message and STRONG not in message
