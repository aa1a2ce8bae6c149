"""Stable, non-reversible sender ids for channel users, and masking so openids and phones stay out of logs."""

from __future__ import annotations

import hashlib
import logging
import re

PREFIXES = {"wechat": "wx", "miniprogram": "mp", "telegram": "tg"}

_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_SECRETS = re.compile(r"(access_token=|secret=|/bot)[^&\s/\"']+")
_OPENID = re.compile(r"(?<![A-Za-z0-9_-])o[A-Za-z0-9_-]{27}(?![A-Za-z0-9_-])")  # WeChat openid / unionid


def sender_id(channel: str, user: str | int) -> str:
    """Prefix plus sha256(openid)[:16]: the bot and the case system never see the raw channel identity."""
    digest = hashlib.sha256(str(user).encode("utf-8")).hexdigest()[:16]
    return f"{PREFIXES[channel]}:{digest}"


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
