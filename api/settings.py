"""One settings object for the gateway, read from the environment (and `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.settings import Backend, IndexSettings

ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-change-me"
DEV_INTERNAL_TOKEN = "dev-only-internal-token"
MIN_SECRET_CHARS = 32  # `python -c "import secrets; print(secrets.token_urlsafe(32))"` gives 43


class Settings(BaseSettings):
    # hide_input_in_errors: a refused setting's value (a secret) never reaches the startup error or a log
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    app_env: Literal["development", "test", "production"] = "development"
    secret_key: str = DEV_SECRET
    guides_dir: Path = ROOT / "guides"
    index_dir: Path = ROOT / "var" / "index"
    embedding_model: str | None = None
    # the search's own settings (index/settings.py), passed in so the index never reads the environment here
    embed_backend: Backend = (
        "auto"  # ONNX Runtime when the model folder has model.onnx; torch forces sentence-transformers
    )
    embed_threads: int = Field(default=1, ge=1)
    search_cache_size: int = Field(default=4096, ge=0)  # answers kept for repeated questions; 0 off
    load_searcher: bool = True  # tests that need no search switch it off to start fast
    index_watch_s: float = 5.0  # poll for a new index (and changed guides) this often; 0 switches hot reload off
    index_autobuild: bool = True  # rebuild when guides change; clusters: false, build once (operations.md)
    max_body_bytes: int = 64 * 1024
    max_query_chars: int = 500
    # case system (有诉即办), see api/cases/
    database_url: str = f"sqlite:///{ROOT / 'var' / 'cases.db'}"  # or postgresql+psycopg://user:pw@host/db
    case_categories_file: Path | None = None  # default: api/cases/categories.yml
    case_departments_file: Path | None = None  # 承办部门 directory; default: departments.yml in guides_dir
    case_background: bool = True  # run the overdue scheduler and the outbox worker inside the gateway
    case_scheduler_interval_s: float = 300.0
    case_webhook_url: str | None = None  # forwarding to an external 12345 / work-order system, off when unset
    case_webhook_secret: str = DEV_SECRET
    case_outbox_interval_s: float = 2.0
    case_outbox_max_attempts: int = 12
    case_outbox_backoff_s: float = 2.0
    case_outbox_lease_s: float = 60.0  # a claimed event is resent after this if the worker died mid-send
    # POST /api/cases token buckets (api/cases/filing.py): per address without the internal token, per phone always
    case_rate_ip_burst: int = 10
    case_rate_ip_per_min: float = 0.5
    case_rate_phone_burst: int = 5
    case_rate_phone_per_min: float = 0.1
    staff_token_hours: int = 12
    open311_api_keys: str = ""  # comma-separated keys given to partner systems
    # the one jurisdiction Open311 serves: a request may leave jurisdiction_id out; given, it must be this (else 404)
    open311_jurisdiction_id: str = ""
    # X-Internal-Token of the action server -> gateway calls (POST /api/handoffs); see api/handoff/
    internal_token: str = DEV_INTERNAL_TOKEN
    # handoff mode (api/handoff/mode.py): while a person has the conversation the bot stays quiet
    handoff_timeout_min: float = 30.0  # no agent reply for this long: the citizen goes back to the bot
    handoff_ack_every_min: float = 5.0  # at most one "passed on to the agent" acknowledgement per this many minutes
    # agents' replies out on the citizen's channel (api/handoff/delivery.py), with the case outbox's retry shape
    handoff_delivery_interval_s: float = 2.0  # the delivery and timeout pass runs this often (with case_background)
    handoff_delivery_max_attempts: int = 8  # then the delivery shows as failed in the console thread
    handoff_delivery_backoff_s: float = 2.0  # doubled with every failed attempt, with jitter
    handoff_delivery_backoff_max_s: float = 600.0
    handoff_delivery_lease_s: float = 60.0  # a claimed delivery is retried after this if its replica died mid-send
    # guess limits (api/core/guesses.py), counted per client address and per (address, case number / username)
    console_login_max_failures: int = 5  # wrong passwords per account and address, console and staff API together
    case_lookup_max_failures: int = 10  # wrong phone_last4 per case number and address
    guess_client_max_failures: int = 20  # wrong guesses per address over all cases (or all accounts)
    guess_slowdown_s: float = 1.0  # past a limit: wait this long, doubled with every further miss, up to 15 min
    # chat gateway, widget and pages (api/chat, api/web)
    rasa_url: str = "http://127.0.0.1:5005"  # Rasa's REST channel, loopback only
    ready_requires_rasa: bool = True  # /readyz needs Rasa; false in clusters, where gateways serve search without it
    chat_budget_s: float = 3.0  # Rasa must answer within this, else the answer comes from search (degraded)
    chat_max_chars: int = 500  # longer messages get a friendly refusal
    chat_breaker_failures: int = 3  # after this many Rasa failures in a row, skip Rasa for the cool-down
    chat_breaker_cooldown_s: float = 10.0
    chat_rate_sender_burst: int = 10  # token bucket per sender id
    chat_rate_sender_per_min: float = 30.0
    chat_rate_ip_burst: int = 60  # token bucket per client IP
    chat_rate_ip_per_min: float = 240.0
    redis_url: str | None = None  # redis://host:6379/0: rate limits and guess counters shared by replicas
    cors_origins: str = ""  # comma-separated sites allowed to call /api/chat from their pages (the widget)
    frame_ancestors: str = ""  # comma-separated sites allowed to frame our pages; 'self' is always allowed
    # channels (api/channels/): each is off (404) until its token is set
    public_base_url: str = "http://localhost:8000"  # links in channel answers: {PUBLIC_BASE_URL}/guides/{id}
    channel_max_body_bytes: int = 32 * 1024
    wechat_token: str = ""
    wechat_app_id: str = ""
    wechat_app_secret: str = ""  # needed for the customer-service send API (answers slower than the timeout)
    wechat_encoding_aes_key: str = ""  # 43 characters; set for 安全模式
    wechat_encoding_aes_key_previous: str = ""  # still accepted while WeChat rotates to the new key
    wechat_api_base: str = "https://api.weixin.qq.com"
    wechat_reply_timeout_s: float = 4.0  # WeChat waits 5 s; after this the answer goes through the send API
    wechat_retry_wait_s: float = 3.0  # a retried push waits this long for the first request's answer
    wechat_text_max_bytes: int = 1800  # WeChat allows 2048 bytes per text; leave room
    wechat_max_clock_skew_s: int = 300  # replay window on the signed timestamp; 0 switches it off
    # with an EncodingAESKey set, a POST without encrypt_type=aes is refused; true only while the console still
    # sends 明文模式 (switching to 安全模式). 兼容模式 sends encrypt_type=aes and needs no setting.
    wechat_allow_plaintext: bool = False
    miniprogram_token: str = ""
    miniprogram_app_id: str = ""
    miniprogram_app_secret: str = ""
    miniprogram_encoding_aes_key: str = ""
    miniprogram_encoding_aes_key_previous: str = ""
    miniprogram_api_base: str = "https://api.weixin.qq.com"
    miniprogram_allow_plaintext: bool = False  # as WECHAT_ALLOW_PLAINTEXT
    telegram_bot_token: str = ""
    telegram_secret_token: str = ""  # sent by Telegram as X-Telegram-Bot-Api-Secret-Token (setWebhook secret_token)
    telegram_api_base: str = "https://api.telegram.org"
    chat_gateway_url: str = "http://127.0.0.1:8000"  # where `make telegram` (polling) sends turns
    # observability (api/observability/)
    metrics_token: str = ""  # set: GET /metrics needs `Authorization: Bearer <token>`; unset: open, off in production
    log_format: Literal["json", "text"] | None = None  # unset: json in production, text elsewhere
    log_level: str = "INFO"

    @model_validator(mode="after")
    def refuse_weak_secrets(self) -> Settings:
        """Production refuses empty, short and development-default secrets; the message names the setting only."""
        if self.app_env != "production":
            return self
        required = {"SECRET_KEY": self.secret_key, "INTERNAL_TOKEN": self.internal_token}
        if self.case_webhook_url:
            required["CASE_WEBHOOK_SECRET"] = self.case_webhook_secret
        if self.metrics_token:  # optional: unset keeps /metrics off in production (see api/observability)
            required["METRICS_TOKEN"] = self.metrics_token
        for i, key in enumerate(k.strip() for k in self.open311_api_keys.split(",") if k.strip()):
            required[f"OPEN311_API_KEYS[{i}]"] = key
        for name, value in required.items():
            if value in (DEV_SECRET, DEV_INTERNAL_TOKEN):
                raise ValueError(f"{name} must be set in production; the development default is refused")
            if len(value.strip()) < MIN_SECRET_CHARS:
                raise ValueError(
                    f"{name} must have at least {MIN_SECRET_CHARS} characters in production "
                    '(python -c "import secrets; print(secrets.token_urlsafe(32))")'
                )
        return self

    @model_validator(mode="after")
    def refuse_incomplete_channels(self) -> Settings:
        """A configured channel in production needs all its secrets; AES keys must be well formed everywhere."""
        for name in ("wechat", "miniprogram"):
            if not getattr(self, f"{name}_token"):
                continue
            for suffix in ("encoding_aes_key", "encoding_aes_key_previous"):
                key = getattr(self, f"{name}_{suffix}")
                if key and len(key) != 43:
                    raise ValueError(f"{name.upper()}_{suffix.upper()} must have 43 characters")
            if self.app_env == "production":
                for suffix in ("app_id", "app_secret", "encoding_aes_key"):
                    if not getattr(self, f"{name}_{suffix}"):
                        raise ValueError(f"{name.upper()}_{suffix.upper()} must be set when {name} is on in production")
        if self.app_env == "production" and self.telegram_bot_token and len(self.telegram_secret_token) < 16:
            raise ValueError("TELEGRAM_SECRET_TOKEN (16+ characters) must be set when Telegram is on in production")
        return self


def index_settings(settings: Settings) -> IndexSettings:
    """The search's settings as the gateway was configured (`EMBEDDING_MODEL`, `EMBED_BACKEND`, …)."""
    return IndexSettings(
        embedding_model=settings.embedding_model,
        embed_backend=settings.embed_backend,
        embed_threads=settings.embed_threads,
        search_cache_size=settings.search_cache_size,
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
