"""Gateway logs: one JSON object per line in production, plain text in development, personal data masked in both."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from api.channels.identity import mask, redact
from api.handoff.service import mask_personal
from api.settings import Settings
from civic import privacy
from civic.phone import mask_phone, normalize_phone

LogFormat = Literal["json", "text"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# attributes every LogRecord has; anything else on a record came from `extra=` and is logged as a field
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's ANSI copy of the message
}
# field names whose values are identities: masked whole, whatever they look like (Telegram chat ids are plain ints)
_IDENTITY_FIELDS = ("chat_id", "openid", "unionid", "sender", "user_id", "from_user")
_UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")


def mask_text(text: str) -> str:
    """ID numbers, phones and long digit runs as placeholders (mask_personal), then what only the shared rule reads
    as a number, (0371)6512 3456 or an ID in blocks (civic/privacy.py), then openids and API tokens (redact)."""
    return redact(privacy.mask_personal(mask_personal(text)))


def _mask_field(key: str, value: Any) -> Any:
    name = key.lower()
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if "phone" in name and isinstance(value, str | int):
        return mask_phone(normalize_phone(str(value)) or str(value))
    if any(field in name for field in _IDENTITY_FIELDS) and isinstance(value, str | int):
        return mask(value)
    return _mask_value(value)


def _mask_value(value: Any) -> Any:
    """Strings are masked; containers recursively; other objects become masked strings (JSON would str() them)."""
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        text = str(value)
        masked = mask_text(text)
        return value if masked == text else masked
    if isinstance(value, dict):
        return {str(k): _mask_field(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask_value(v) for v in value]
    return mask_text(value if isinstance(value, str) else str(value))


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class MaskFilter(logging.Filter):
    """On our handler, so it sees every record, including those propagated from uvicorn and library loggers."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the line
            message = f"{record.msg} {record.args}"
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            _client, method, path, _version, status = record.args
            record.method, record.path, record.status = method, path, status
        record.msg, record.args = mask_text(message), None
        for key, value in extra_fields(record).items():
            setattr(record, key, _mask_field(key, value))
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        record._masked = True
        return True


class JsonFormatter(logging.Formatter):
    """ts (ISO-8601, UTC), level, logger, msg, then `extra=` fields, then the exception text."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        out: dict[str, Any] = {"ts": ts, "level": record.levelname, "logger": record.name, "msg": record.getMessage()}
        for key, value in extra_fields(record).items():
            out.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class GatewayHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at emit time, so a test runner swapping streams never leaves it stale."""

    def __init__(self) -> None:
        super().__init__()
        self.addFilter(MaskFilter())

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def log_format(settings: Settings) -> LogFormat:
    """LOG_FORMAT when set, else JSON in production (for log shippers) and text elsewhere (for people)."""
    if settings.log_format is not None:
        return settings.log_format
    return "json" if settings.app_env == "production" else "text"


def configure_logging(settings: Settings) -> GatewayHandler:
    """Idempotent (tests build many apps): one handler of ours on the root logger, uvicorn's loggers routed to it."""
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, GatewayHandler)), None)
    if handler is None:
        handler = GatewayHandler()
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if log_format(settings) == "json" else logging.Formatter(TEXT_FORMAT))
    handler.setLevel(level)
    if root.getEffectiveLevel() > level:  # lower only: a test's caplog.set_level may have gone lower still
        root.setLevel(level)
    for name in _UVICORN:  # uvicorn installs its own plain-text, unmasked handlers before it calls create_app
        logger = logging.getLogger(name)
        for h in list(logger.handlers):
            logger.removeHandler(h)
        logger.propagate = True
    return handler
