"""One settings object for the gateway, read from the environment (and `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    app_env: Literal["development", "test", "production"] = "development"
    secret_key: str = DEV_SECRET
    guides_dir: Path = ROOT / "guides"
    index_dir: Path = ROOT / "var" / "index"
    embedding_model: str | None = None
    load_searcher: bool = True  # tests that need no search switch it off to start fast
    max_body_bytes: int = 64 * 1024
    max_query_chars: int = 500
    # case system (有诉即办), see api/cases/
    database_url: str = f"sqlite:///{ROOT / 'var' / 'cases.db'}"  # or postgresql+psycopg://user:pw@host/db
    case_categories_file: Path | None = None  # default: api/cases/categories.yml
    case_background: bool = True  # run the overdue scheduler and the outbox worker inside the gateway
    case_scheduler_interval_s: float = 300.0
    case_webhook_url: str | None = None  # forwarding to an external 12345 / work-order system, off when unset
    case_webhook_secret: str = DEV_SECRET
    case_outbox_interval_s: float = 2.0
    case_outbox_max_attempts: int = 12
    case_outbox_backoff_s: float = 2.0
    case_outbox_lease_s: float = 60.0  # a claimed event is resent after this if the worker died mid-send
    staff_token_hours: int = 12
    open311_api_keys: str = ""  # comma-separated keys given to partner systems

    @model_validator(mode="after")
    def refuse_default_secrets(self) -> Settings:
        if self.app_env == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("SECRET_KEY must be set in production; the development default is refused")
        if self.app_env == "production" and self.case_webhook_url and self.case_webhook_secret == DEV_SECRET:
            raise ValueError("CASE_WEBHOOK_SECRET must be set when forwarding is on in production")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
