"""Structured logs: one JSON object per line, and no phone, ID number or openid anywhere in the output."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.observability.logging import GatewayHandler, JsonFormatter, MaskFilter, configure_logging, log_format
from api.settings import Settings
from tests.support.app import make_settings

PHONES = ("13812345678", "139 1234 5678", "137-1234-5678", "+86 13612345678", "8613512345678")
ID_NUMBERS = ("11010119900307123X", "11010119900307123x", "110101199003071234", "110101900307123")
OPENID = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
UNIONID = "o6_bmasdasdsad6_2sgVt7hMZOPf"
CHAT_ID = 777001234
RAW = (*PHONES, *ID_NUMBERS, OPENID, UNIONID, str(CHAT_ID), "12345678", "1234 5678", "1234-5678")


@pytest.fixture
def handler() -> Iterator[logging.StreamHandler[io.StringIO]]:
    """A handler wired like the gateway's (mask filter + JSON) on a test logger, writing to a buffer."""
    handler = logging.StreamHandler(io.StringIO())
    handler.addFilter(MaskFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tests.observability")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


@pytest.fixture
def stream(handler: logging.StreamHandler[io.StringIO]) -> io.StringIO:
    return handler.stream


def lines(buf: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def assert_clean(text: str) -> None:
    for raw in RAW:
        assert raw not in text, raw


def test_json_lines_carry_time_level_logger_message_and_extras(stream: io.StringIO) -> None:
    log = logging.getLogger("tests.observability")
    log.info("case %s filed", "20260101-0001", extra={"case_no": "20260101-0001", "attempt": 2, "ok": True})
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("forwarding failed")
    first, second = lines(stream)
    assert first["ts"].endswith("+00:00") and "T" in first["ts"]
    assert first["level"] == "INFO" and first["logger"] == "tests.observability"
    assert first["msg"] == "case 20260101-0001 filed"
    assert first["case_no"] == "20260101-0001" and first["attempt"] == 2 and first["ok"] is True
    assert second["level"] == "ERROR" and "ValueError: boom" in second["exc"]


def test_phones_ids_and_openids_are_masked_in_messages_args_extras_and_exceptions(stream: io.StringIO) -> None:
    log = logging.getLogger("tests.observability")
    log.warning("电话 %s 身份证 %s 用户 %s", PHONES[0], ID_NUMBERS[0], OPENID)
    log.warning(f"inline {' / '.join(PHONES)} and {' / '.join(ID_NUMBERS)} unionid={UNIONID}")
    log.warning(
        "extras",
        extra={
            "chat_id": CHAT_ID,
            "openid": OPENID,
            "phone": PHONES[0],
            "note": f"回电 {PHONES[1]}",
            "payload": {"sender": OPENID, "text": [f"身份证{ID_NUMBERS[0]}"], "from_user": CHAT_ID},
        },
    )
    try:
        raise RuntimeError(f"lookup failed for {PHONES[2]} / {ID_NUMBERS[3]} / {OPENID}")
    except RuntimeError:
        log.exception("case %s", PHONES[3])
    out = stream.getvalue()
    assert_clean(out)
    records = lines(stream)
    assert len(records) == 4
    assert "[电话]" in records[0]["msg"] and "[身份证号]" in records[0]["msg"] and "oy***rs" in records[0]["msg"]
    extras = records[2]
    assert extras["chat_id"] == "77***34" and extras["openid"] == "oy***rs" and extras["phone"] == "138****5678"
    assert "RuntimeError" in records[3]["exc"]


def test_access_log_query_strings_are_masked_and_structured(
    handler: logging.StreamHandler[io.StringIO], stream: io.StringIO
) -> None:
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        for path in ("/search?q=13812345678", "/search?q=139%201234%205678", "/search?q=137+1234+5678&k=5"):
            access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.7:51234", "GET", path, "1.1", 200)
    finally:
        access.removeHandler(handler)
        access.setLevel(logging.NOTSET)
    assert_clean(stream.getvalue())
    records = lines(stream)
    assert [r["status"] for r in records] == [200, 200, 200]
    assert records[0]["method"] == "GET" and records[0]["path"].startswith("/search?q=")


def test_access_log_credentials_in_query_strings_are_masked(
    handler: logging.StreamHandler[io.StringIO], stream: io.StringIO
) -> None:
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    paths = ("/open311/v2/requests.json?api_key=PARTNERKEY1", "/x?key=PLAINKEY2&a=1", "/x?token=TOKEN3")
    try:
        for path in paths:
            access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.7:51234", "POST", path, "1.1", 201)
    finally:
        access.removeHandler(handler)
        access.setLevel(logging.NOTSET)
    out = stream.getvalue()
    for secret in ("PARTNERKEY1", "PLAINKEY2", "TOKEN3"):
        assert secret not in out
    assert lines(stream)[0]["path"] == "/open311/v2/requests.json?api_key=***"


def test_configure_logging_is_idempotent_and_routes_uvicorn(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path, log_format="json")
    configure_logging(settings)
    configure_logging(settings)
    root = logging.getLogger()
    assert sum(isinstance(h, GatewayHandler) for h in root.handlers) == 1
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        assert logging.getLogger(name).handlers == [] and logging.getLogger(name).propagate
    logging.getLogger("uvicorn.error").warning("peer %s sent %s", OPENID, PHONES[0])
    err = capsys.readouterr().err
    (line,) = [json.loads(x) for x in err.splitlines() if '"uvicorn.error"' in x]
    assert line["logger"] == "uvicorn.error" and line["level"] == "WARNING"
    assert_clean(err)
    configure_logging(make_settings(tmp_path, log_format="text"))
    logging.getLogger("api.test").warning("text mode %s", PHONES[0])
    err = capsys.readouterr().err
    assert "WARNING api.test: text mode [电话]" in err
    assert_clean(err)


def test_log_format_defaults_to_json_in_production_only(tmp_path: Path) -> None:
    prod = Settings(
        app_env="production", secret_key="prod-secret-" + "k" * 32, internal_token="prod-internal-token-" + "t" * 32
    )
    assert log_format(prod) == "json"
    assert log_format(make_settings(tmp_path)) == "text"
    assert log_format(make_settings(tmp_path, log_format="json")) == "json"


def test_numbers_only_the_shared_rule_reads_are_masked_too(stream: io.StringIO) -> None:
    """A landline in brackets or blocks and an ID in blocks slip past the placeholders: civic/privacy.py masks them."""
    log = logging.getLogger("tests.observability")
    raw = ("（0371）6512 3456", "0371 6512 3456", "410105 1990 0101 123X", "6222 0371 6512 3456")
    log.warning("story: %s", "，".join(raw))
    (record,) = lines(stream)
    assert record["msg"] == "story: 0371-****3456，0371-****3456，4101**********123X，6222********3456"
