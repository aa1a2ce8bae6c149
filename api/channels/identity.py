"""Stable sender ids for channel users, keyed with SECRET_KEY, and masking so openids and phones stay out of logs."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

PREFIXES = {"wechat": "wx", "miniprogram": "mp", "telegram": "tg"}
_NAMESPACES = frozenset(PREFIXES.values())
SENDER_DIGEST_CHARS = 32  # 128 bits of the HMAC

_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
# query-string credentials (WeChat's access_token/secret, Open311's api_key, any key=/token=) and Telegram's /bot<token>
_SECRETS = re.compile(r"((?<![A-Za-z0-9])(?:access_token|api_key|[a-z_]*secret|key|token)=|/bot)[^&\s/\"']+")
_OPENID = re.compile(r"(?<![A-Za-z0-9_-])o[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])")  # WeChat openid / unionid


def sender_id(channel: str, user: str | int, *, key: str) -> str:
    """Prefix plus HMAC-SHA256(SECRET_KEY, channel:user): the bot and the case system never see the raw channel
    identity, and nobody who knows an openid or a Telegram id can work out its sender id without the key."""
    message = f"sender-id|{channel}:{user}".encode()
    digest = hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()[:SENDER_DIGEST_CHARS]
    return f"{PREFIXES[channel]}:{digest}"


def is_channel_sender(sender: str) -> bool:
    """A sender id in a channel namespace (`wx:` …), which only the signed channel routes may use."""
    prefix, colon, _ = sender.partition(":")
    return bool(colon) and prefix.lower() in _NAMESPACES


def mask(value: str | int | None) -> str:
    """For the rare log line that must mention an identity: keep two characters each side."""
    text = "" if value is None else str(value)
    if len(text) <= 6:
        return "***"
    return f"{text[:2]}***{text[-2:]}"


def redact(text: str) -> str:
    """Phones, ID numbers, openids and API tokens in free text become placeholders."""
    text = _PHONE.sub("1**********", text)
    text = _OPENID.sub(lambda m: mask(m.group()), text)
    text = _ID_NUMBER.sub("******************", text)
    return _SECRETS.sub(lambda m: f"{m.group(1)}***", text)


class RedactingFilter(logging.Filter):
    """Attached to the HTTP client loggers, which print request URLs holding access tokens and bot tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()


def install_log_redaction() -> None:
    """httpx logs request URLs (access tokens, the bot token) at INFO; python-telegram-bot and httpcore log
    request parameters (chat ids, message text) at DEBUG, so they are held at INFO unless configured otherwise."""
    for name in ("httpx", "telegram.Bot"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for name in ("telegram", "httpcore"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)
