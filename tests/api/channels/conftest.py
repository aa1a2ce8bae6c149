"""An app with the channels switched on, wired to fake WeChat/Telegram servers and an in-process fake bot."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.channels.telegram import SECRET_HEADER
from api.channels.wechat_crypto import sha1_signature
from api.deps import get_chat
from api.settings import Settings
from tests.api.channels.fakes import FakeChat, FakeTelegramApi, FakeWeChatApi
from tests.support.app import gateway_client, make_settings

TOKEN = "pamtest"
APP_ID = "wx2c2769f8efd9abc2"
APP_SECRET = "s3cret-app"
# WeChat's own sample EncodingAESKey (WXBizMsgCrypt Sample.py), and a second one standing for the rotated key
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
NEW_AES_KEY = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
MP_TOKEN = "mptoken"
MP_APP_ID = "wxminiprogram0001"
MP_SECRET = "mp-secret"
TG_TOKEN = "123456:TEST-token"
TG_SECRET = "tg-secret-token-0123456789"
OPENID = "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
ACCOUNT = "gh_10f6c3c3ac5a"


def signed(token: str = TOKEN, *, timestamp: str | None = None, nonce: str = "1320562132") -> dict[str, str]:
    ts = timestamp or str(int(time.time()))
    return {"signature": sha1_signature(token, ts, nonce), "timestamp": ts, "nonce": nonce}


def text_xml(content: str, *, msg_id: str = "6054768590064713728", openid: str = OPENID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def voice_xml(recognition: str | None, *, msg_id: str = "6054768590064713729", openid: str = OPENID) -> str:
    """A voice push; with 接收语音识别结果 on it carries <Recognition> (None: the element is absent)."""
    heard = "" if recognition is None else f"<Recognition><![CDATA[{recognition}]]></Recognition>"
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
        "<MediaId><![CDATA[vOiCeMeDiAiD0001-amr]]></MediaId>"
        f"<Format><![CDATA[amr]]></Format><MsgId>{msg_id}</MsgId>{heard}</xml>"
    )


def event_xml(event: str, *, key: str = "", create_time: int = 1409735668, openid: str = OPENID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


@dataclass
class Harness:
    client: TestClient
    chat: FakeChat
    api: FakeWeChatApi
    telegram: FakeTelegramApi
    settings: Settings

    def post_wechat(self, xml: str | bytes, **params: str) -> Any:
        return self.client.post("/wechat", params={**signed(), **params}, content=xml)


def channel_settings(tmp_path: Path, api: FakeWeChatApi, tg: FakeTelegramApi, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "wechat_token": TOKEN,
        "wechat_app_id": APP_ID,
        "wechat_app_secret": APP_SECRET,
        "wechat_encoding_aes_key": AES_KEY,
        "wechat_api_base": api.base_url,
        "miniprogram_token": MP_TOKEN,
        "miniprogram_app_id": MP_APP_ID,
        "miniprogram_app_secret": MP_SECRET,
        "miniprogram_encoding_aes_key": AES_KEY,
        "miniprogram_api_base": api.base_url,
        "telegram_bot_token": TG_TOKEN,
        "telegram_secret_token": TG_SECRET,
        "telegram_api_base": tg.base_url,
        "public_base_url": "https://banshi.example.gov.cn",
        "wechat_retry_wait_s": 1.0,
        # most tests post readable plaintext; 安全模式 alone (the default) is tested with these off
        "wechat_allow_plaintext": True,
        "miniprogram_allow_plaintext": True,
    }
    values.update(overrides)
    return make_settings(tmp_path, **values)


def open_app(settings: Settings, chat: FakeChat) -> Iterator[TestClient]:
    with gateway_client(settings, overrides={get_chat: lambda: chat}) as c:
        yield c


@pytest.fixture
def fake_api() -> Iterator[FakeWeChatApi]:
    with FakeWeChatApi({APP_ID: APP_SECRET, MP_APP_ID: MP_SECRET}) as api:  # one server for both apps
        yield api


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegramApi]:
    with FakeTelegramApi(TG_TOKEN) as tg:
        yield tg


@pytest.fixture
def chat() -> FakeChat:
    return FakeChat()


@pytest.fixture
def h(tmp_path: Path, fake_api: FakeWeChatApi, fake_telegram: FakeTelegramApi, chat: FakeChat) -> Iterator[Harness]:
    settings = channel_settings(tmp_path, fake_api, fake_telegram)
    for client in open_app(settings, chat):
        yield Harness(client=client, chat=chat, api=fake_api, telegram=fake_telegram, settings=settings)


def expected_sender(settings: Settings, channel: str, user: str | int) -> str:
    """The sender-id contract written out: prefix + HMAC-SHA256(SECRET_KEY, "sender-id|<channel>:<user>")[:32]."""
    prefix = {"wechat": "wx", "miniprogram": "mp", "telegram": "tg"}[channel]
    mac = hmac.new(settings.secret_key.encode(), f"sender-id|{channel}:{user}".encode(), hashlib.sha256)
    return f"{prefix}:{mac.hexdigest()[:32]}"


def hook(h: Harness, update: dict[str, Any], secret: str | None = TG_SECRET) -> Any:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return h.client.post("/telegram/webhook", json=update, headers=headers)
