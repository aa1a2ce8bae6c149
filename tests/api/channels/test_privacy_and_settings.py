"""No openid, phone, ID number or API token in the logs; settings refuse half-configured channels in production."""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from api.channels.identity import is_channel_sender, mask, redact, sender_id
from api.settings import Settings
from tests.api.channels.conftest import OPENID, TG_SECRET, TG_TOKEN, Harness, text_xml
from tests.api.channels.fakes import text_reply
from tests.support.channels import message_update

PHONE = "13812345678"
ID_NUMBER = "11010119900307123X"


def test_logs_hold_no_identities_or_tokens(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    question = f"我的电话{PHONE}，身份证{ID_NUMBER}，社保卡丢了"
    h.chat.answers[question] = text_reply("很长的回答。" * 400)  # forces the send API, so tokens travel in URLs
    h.post_wechat(text_xml(question, msg_id="11001"))
    h.api.wait_for(2)
    h.chat.fail = True
    h.post_wechat(text_xml(question, msg_id="11002"))  # the failure path logs too
    h.chat.fail = False
    h.client.post(
        "/telegram/webhook", json=message_update(50, question), headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    )
    h.telegram.wait_for("sendMessage", 1)
    time.sleep(0.3)
    text = caplog.text
    assert "wx:" in text  # the pseudonymous sender id is what the logs use
    for secret in (OPENID, PHONE, ID_NUMBER, "ACCESS-1-xyz", TG_TOKEN, "s3cret-app", "777001"):
        assert secret not in text, secret


def test_sender_ids_are_stable_and_opaque() -> None:
    key = "k" * 43
    assert sender_id("wechat", OPENID, key=key) == sender_id("wechat", OPENID, key=key)
    assert sender_id("wechat", OPENID, key=key) != sender_id("miniprogram", OPENID, key=key)
    assert OPENID not in sender_id("wechat", OPENID, key=key)


def test_sender_ids_cannot_be_computed_from_an_openid_without_the_key() -> None:
    """An unsalted hash let anyone who knew an openid (or a Telegram id) speak as that person on /api/chat."""
    unsalted = hashlib.sha256(OPENID.encode()).hexdigest()
    ours = sender_id("wechat", OPENID, key="k" * 43)
    assert ours.startswith("wx:") and unsalted[:16] not in ours
    assert ours != sender_id("wechat", OPENID, key="other-" + "k" * 40)
    assert len(ours) == len("wx:") + 32 and is_channel_sender(ours)
    assert not is_channel_sender("w-" + "0" * 32) and not is_channel_sender("wxid:1")
    assert mask(OPENID) == "oy***rs" and mask("abc") == "***"
    cleaned = redact(f"call {PHONE} id {ID_NUMBER} url /cgi-bin/x?access_token=ABC&x=1 /bot1:tok/sendMessage")
    assert PHONE not in cleaned and ID_NUMBER not in cleaned and "ABC" not in cleaned and "1:tok" not in cleaned


PRODUCTION: dict[str, Any] = {
    "app_env": "production",
    "secret_key": "prod-secret-" + "k" * 32,
    "internal_token": "prod-internal-token-" + "t" * 32,
}


def test_production_refuses_missing_channel_secrets(tmp_path: Path) -> None:
    full = {
        "wechat_token": "t",
        "wechat_app_id": "wx1",
        "wechat_app_secret": "s",
        "wechat_encoding_aes_key": "a" * 43,
    }
    Settings(**PRODUCTION, **full)  # complete: accepted
    for missing in ("wechat_app_id", "wechat_app_secret", "wechat_encoding_aes_key"):
        with pytest.raises(ValidationError):
            Settings(**PRODUCTION, **{**full, missing: ""})
    with pytest.raises(ValidationError):
        Settings(**PRODUCTION, miniprogram_token="t")
    with pytest.raises(ValidationError):
        Settings(**PRODUCTION, telegram_bot_token=TG_TOKEN)  # no secret token
    Settings(**PRODUCTION, telegram_bot_token=TG_TOKEN, telegram_secret_token=TG_SECRET)
    Settings(**PRODUCTION)  # channels off: nothing required
    with pytest.raises(ValidationError):
        Settings(wechat_token="t", wechat_encoding_aes_key="short")  # malformed even in development
