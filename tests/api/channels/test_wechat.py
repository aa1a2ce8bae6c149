"""The official-account callback end to end: fake WeChat API on loopback, fake bot in process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.channels import wechat as wechat_mod
from api.channels.render import say, split_text
from api.channels.wechat_crypto import WeChatCrypto, sha1_signature
from tests.api.channels.conftest import (
    ACCOUNT,
    AES_KEY,
    APP_ID,
    NEW_AES_KEY,
    OPENID,
    TOKEN,
    Harness,
    channel_settings,
    event_xml,
    expected_sender,
    open_app,
    signed,
    text_xml,
    voice_xml,
)
from tests.api.channels.fakes import FakeChat, FakeTelegramApi, FakeWeChatApi, buttons_reply, text_reply
from tests.support.app import make_settings
from tests.support.channels import reply_fields


def encrypted_post(
    client: TestClient, xml: str, *, key: str = AES_KEY, nonce: str = "98765"
) -> tuple[Any, WeChatCrypto]:
    crypto = WeChatCrypto(token=TOKEN, app_id=APP_ID, aes_keys=[key])
    encrypted = crypto.keys[0].encrypt(xml.encode(), APP_ID)
    params = signed(nonce=nonce)
    params |= {"encrypt_type": "aes", "msg_signature": sha1_signature(TOKEN, params["timestamp"], nonce, encrypted)}
    envelope = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    return client.post("/wechat", params=params, content=envelope), crypto


def open_encrypted_reply(body: str, crypto: WeChatCrypto) -> dict[str, str]:
    env = reply_fields(body)
    assert crypto.msg_signature_ok(
        timestamp=env["TimeStamp"], nonce=env["Nonce"], encrypted=env["Encrypt"], msg_signature=env["MsgSignature"]
    )
    plain, _ = crypto.decrypt(env["Encrypt"])
    return reply_fields(plain.decode())


# --- verification and switching off ---------------------------------------------------------------------------


def test_get_verification(h: Harness) -> None:
    ok = h.client.get("/wechat", params={**signed(), "echostr": "5837397520180129"})
    assert ok.status_code == 200 and ok.text == "5837397520180129"
    bad = h.client.get("/wechat", params={**signed(), "signature": "0" * 40, "echostr": "x"})
    assert bad.status_code == 403
    assert h.client.get("/wechat", params={"echostr": "x"}).status_code == 403


def test_channels_are_off_when_not_configured(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    for client in open_app(settings, FakeChat()):
        assert client.get("/wechat", params={**signed(), "echostr": "x"}).status_code == 404
        assert client.post("/wechat", params=signed(), content=text_xml("你好")).status_code == 404
        assert client.post("/miniprogram", params=signed(), content="{}").status_code == 404
        assert client.post("/telegram/webhook", content="{}").status_code == 404


# --- messages ----------------------------------------------------------------------------------------------------


def test_plaintext_text_gets_a_passive_reply(h: Harness) -> None:
    resp = h.post_wechat(text_xml("社保卡丢了咋办"))
    assert resp.status_code == 200
    fields = reply_fields(resp.text)
    assert fields["ToUserName"] == OPENID and fields["FromUserName"] == ACCOUNT
    assert fields["MsgType"] == "text"
    assert fields["Content"] == "您问的是：社保卡丢了咋办"
    sender, message, channel = h.chat.calls[0]
    assert sender == expected_sender(h.settings, "wechat", OPENID)
    assert (message, channel) == ("社保卡丢了咋办", "wechat")
    assert h.api.sent == []


def test_aes_round_trip(h: Harness) -> None:
    resp, crypto = encrypted_post(h.client, text_xml("营业执照怎么办", msg_id="1001"))
    assert resp.status_code == 200
    assert "营业执照" not in resp.text  # nothing in the clear
    fields = open_encrypted_reply(resp.text, crypto)
    assert fields["ToUserName"] == OPENID and fields["Content"] == "您问的是：营业执照怎么办"


def test_previous_aes_key_accepted_during_rotation(
    tmp_path: Path, fake_api: FakeWeChatApi, fake_telegram: FakeTelegramApi, chat: FakeChat
) -> None:
    settings = channel_settings(
        tmp_path,
        fake_api,
        fake_telegram,
        wechat_encoding_aes_key=NEW_AES_KEY,
        wechat_encoding_aes_key_previous=AES_KEY,
    )
    for client in open_app(settings, chat):
        for key, msg_id in ((AES_KEY, "2001"), (NEW_AES_KEY, "2002")):
            resp, crypto = encrypted_post(client, text_xml("退休手续", msg_id=msg_id), key=key)
            assert resp.status_code == 200
            assert open_encrypted_reply(resp.text, crypto)["Content"] == "您问的是：退休手续"
        stranger = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
        assert encrypted_post(client, text_xml("x", msg_id="2003"), key=stranger)[0].status_code == 400


def test_aes_with_bad_msg_signature_is_403(h: Harness) -> None:
    crypto = WeChatCrypto(token=TOKEN, app_id=APP_ID, aes_keys=[AES_KEY])
    encrypted = crypto.keys[0].encrypt(text_xml("x").encode(), APP_ID)
    params = {**signed(), "encrypt_type": "aes", "msg_signature": "0" * 40}
    resp = h.client.post("/wechat", params=params, content=f"<xml><Encrypt>{encrypted}</Encrypt></xml>")
    assert resp.status_code == 403
    assert h.chat.calls == []


def test_subscribe_menu_and_unknown_types(h: Harness) -> None:
    welcome = reply_fields(h.post_wechat(event_xml("subscribe")).text)
    assert welcome["Content"] == say("welcome")
    click = reply_fields(h.post_wechat(event_xml("CLICK", key="MENU_COMPLAINT", create_time=1409735669)).text)
    assert h.chat.calls[-1][1] == "我要反映问题"
    assert click["Content"] == "您问的是：我要反映问题"
    unknown_menu = h.post_wechat(event_xml("CLICK", key="NO_SUCH_KEY", create_time=1409735670))
    assert reply_fields(unknown_menu.text)["Content"] == say("unknown_menu")
    image = (
        f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>{OPENID}</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>image</MsgType><PicUrl>http://x/y.jpg</PicUrl><MediaId>m</MediaId><MsgId>3001</MsgId></xml>"
    )
    assert reply_fields(h.post_wechat(image).text)["Content"] == say("unsupported")
    video = image.replace("image", "video").replace("3001", "3002")
    assert reply_fields(h.post_wechat(video).text)["Content"] == say("unsupported")
    bye = h.post_wechat(event_xml("unsubscribe", create_time=1409735671))
    assert bye.text == "success"
    assert len(h.chat.calls) == 1


def test_numbered_reply_maps_back_to_the_payload(h: Harness) -> None:
    h.chat.answers["社保卡丢了"] = buttons_reply(
        "可以补办。您想了解：", [("查看所需材料", '/ask_materials{"item_id":"shebaoka"}'), ("去哪办", "/ask_where")]
    )
    first = reply_fields(h.post_wechat(text_xml("社保卡丢了", msg_id="4001")).text)["Content"]
    assert "回复 1 查看所需材料" in first and "回复 2 去哪办" in first
    h.post_wechat(text_xml("1", msg_id="4002"))
    assert h.chat.calls[-1][1] == '/ask_materials{"item_id":"shebaoka"}'
    h.post_wechat(text_xml("1", msg_id="4003"))  # the last answer had no buttons: "1" is just text now
    assert h.chat.calls[-1][1] == "1"
    h.post_wechat(text_xml("社保卡丢了", msg_id="4004"))
    h.post_wechat(text_xml("９", msg_id="4005"))  # out of range: passes through
    assert h.chat.calls[-1][1] == "９"
    h.post_wechat(
        text_xml("2", msg_id="4006"),
    )
    assert h.chat.calls[-1][1] == "2"  # the out-of-range answer replaced the choices


def test_numbered_choices_are_per_user(h: Harness) -> None:
    h.chat.answers["社保卡丢了"] = buttons_reply("您想了解：", [("查看所需材料", "/ask_materials")])
    h.post_wechat(text_xml("社保卡丢了", msg_id="4101"))
    h.post_wechat(text_xml("1", msg_id="4102", openid="o-other-user-000000000000"))
    assert h.chat.calls[-1][1] == "1"


def test_long_answer_is_split_and_sent_through_the_api(h: Harness) -> None:
    long = "\n".join(f"第{i}步：带身份证原件到二楼社保窗口，复印件正反面印在同一页。" for i in range(80))
    h.chat.answers["退休要办啥"] = text_reply(long)
    resp = h.post_wechat(text_xml("退休要办啥", msg_id="5001"))
    assert resp.text == "success"
    expected = len(split_text(long, h.settings.wechat_text_max_bytes))
    assert expected > 1
    messages = h.api.wait_for(expected)
    time.sleep(0.3)
    sent = [m["text"]["content"] for m in h.api.sent]
    assert len(sent) == expected and all(len(c.encode()) <= h.settings.wechat_text_max_bytes for c in sent)
    assert all(m["touser"] == OPENID for m in messages)
    assert "".join(sent).replace("\n", "") == long.replace("\n", "")


def test_access_token_is_cached_and_refreshed_on_40001(h: Harness) -> None:
    h.chat.answers["长"] = text_reply("很长的回答。" * 400)
    n = len(split_text("很长的回答。" * 400, h.settings.wechat_text_max_bytes))
    h.post_wechat(text_xml("长", msg_id="6001"))
    h.api.wait_for(n)
    time.sleep(0.3)
    assert len(h.api.sent) == n
    assert h.api.token_requests == 1  # one token for all the chunks
    h.api.expire_tokens()
    h.post_wechat(text_xml("长", msg_id="6002"))
    h.api.wait_for(2 * n)
    time.sleep(0.3)
    assert len(h.api.sent) == 2 * n
    assert h.api.rejected == 1 and h.api.token_requests == 2


def test_failing_bot_still_answers(h: Harness) -> None:
    h.chat.fail = True
    assert reply_fields(h.post_wechat(text_xml("你好", msg_id="7001")).text)["Content"] == say("failure")


# --- voice messages (接收语音识别结果) --------------------------------------------------------------------------------


def test_voice_is_answered_from_its_recognition_as_a_text_turn(h: Harness) -> None:
    resp = h.post_wechat(voice_xml("社保卡丢了怎么补办。", msg_id="14001"))
    fields = reply_fields(resp.text)
    assert fields["ToUserName"] == OPENID and fields["MsgType"] == "text"
    assert fields["Content"] == "您问的是：社保卡丢了怎么补办"
    assert h.chat.calls == [(expected_sender(h.settings, "wechat", OPENID), "社保卡丢了怎么补办", "wechat")]
    h.chat.answers["身份证丢了"] = buttons_reply(
        "您想了解：", [("查看所需材料", "/ask_materials"), ("去哪办", "/ask_where")]
    )
    h.post_wechat(voice_xml("身份证丢了。", msg_id="14002"))
    h.post_wechat(voice_xml("2。", msg_id="14003"))  # saying a choice's number picks it, as typing it does
    assert h.chat.calls[-1][1] == "/ask_where"
    assert h.api.sent == []


def test_voice_without_recognition_asks_to_type_or_call(h: Harness) -> None:
    for msg_id, recognition in (("14101", None), ("14102", ""), ("14103", " 。 ")):
        resp = h.post_wechat(voice_xml(recognition, msg_id=msg_id))
        assert reply_fields(resp.text)["Content"] == say("voice_unrecognised")
    assert "12345" in say("voice_unrecognised")
    assert h.chat.calls == []


def test_encrypted_voice_round_trip(h: Harness) -> None:
    resp, crypto = encrypted_post(h.client, voice_xml("营业执照怎么办。", msg_id="14401"))
    assert resp.status_code == 200 and "营业执照" not in resp.text
    assert open_encrypted_reply(resp.text, crypto)["Content"] == "您问的是：营业执照怎么办"
    resp, crypto = encrypted_post(h.client, voice_xml(None, msg_id="14402"), nonce="98766")
    assert open_encrypted_reply(resp.text, crypto)["Content"] == say("voice_unrecognised")
    assert [m for _, m, _ in h.chat.calls] == ["营业执照怎么办"]


# --- the 5-second rule and de-duplication ----------------------------------------------------------------------------


def spoken_xml(words: str, *, msg_id: str) -> str:
    """A voice push of these words as WeChat's recogniser writes them, with its closing 。"""
    return voice_xml(words + "。", msg_id=msg_id)


# a voice push is the same turn as the text WeChat recognised in it
AS_TYPED_OR_SPOKEN = pytest.mark.parametrize("push", [text_xml, spoken_xml], ids=["text", "voice"])


@AS_TYPED_OR_SPOKEN
def test_slow_bot_takes_the_async_path_and_retries_add_nothing(h: Harness, push: Callable[..., str]) -> None:
    h.chat.delay_s = 4.5
    started = time.monotonic()
    resp = h.post_wechat(push("孩子出生要办什么", msg_id="8001"))
    elapsed = time.monotonic() - started
    assert resp.text == "success"
    assert 3.9 <= elapsed < 5.0, elapsed  # answered before WeChat gives up at 5 s
    for _ in range(2):  # WeChat's retries of the same MsgId
        assert h.post_wechat(push("孩子出生要办什么", msg_id="8001")).text == "success"
    sent = h.api.wait_for(1, timeout=5.0)
    assert sent[0] == {"touser": OPENID, "msgtype": "text", "text": {"content": "您问的是：孩子出生要办什么"}}
    time.sleep(0.5)
    assert len(h.api.sent) == 1
    assert len(h.chat.calls) == 1


@AS_TYPED_OR_SPOKEN
def test_three_concurrent_retries_make_one_turn(h: Harness, push: Callable[..., str]) -> None:
    h.chat.delay_s = 0.5
    results: list[str] = []

    def retry() -> None:
        results.append(h.post_wechat(push("开餐馆要什么材料", msg_id="9001")).text)

    threads = [threading.Thread(target=retry) for _ in range(3)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert len(h.chat.calls) == 1
    assert [m for _, m, _ in h.chat.calls] == ["开餐馆要什么材料"]
    passive = [r for r in results if r != "success"]
    assert passive and all(reply_fields(r)["Content"] == "您问的是：开餐馆要什么材料" for r in passive)
    assert h.api.sent == []


@pytest.fixture
def two_replicas(
    tmp_path: Path, fake_api: FakeWeChatApi, fake_telegram: FakeTelegramApi
) -> Iterator[tuple[TestClient, TestClient, FakeChat, FakeChat]]:
    """Two gateways on one database, as two replicas behind a load balancer."""
    settings = channel_settings(tmp_path, fake_api, fake_telegram)
    chat_a, chat_b = FakeChat(delay_s=0.5), FakeChat(delay_s=0.5)
    for a in open_app(settings, chat_a):
        for b in open_app(settings, chat_b):
            yield a, b, chat_a, chat_b


def test_retries_across_replicas_make_one_turn(two_replicas: tuple[TestClient, TestClient, FakeChat, FakeChat]) -> None:
    a, b, chat_a, chat_b = two_replicas
    results: list[str] = []

    def push(client: TestClient) -> None:
        results.append(client.post("/wechat", params=signed(), content=text_xml("结婚登记", msg_id="9101")).text)

    threads = [threading.Thread(target=push, args=(c,)) for c in (a, b, a)]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert len(chat_a.calls) + len(chat_b.calls) == 1
    assert any(r != "success" for r in results)


# --- bad input -------------------------------------------------------------------------------------------------------


XXE = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>{OPENID}</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]><xml><Content>&lol9;</Content></xml>"
)


def test_bad_or_missing_signature_is_403_before_parsing(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_parse(data: Any) -> Any:
        raise AssertionError("the body was parsed before the signature was checked")

    monkeypatch.setattr(wechat_mod, "parse_xml", must_not_parse)
    for params in (
        {},
        {**signed(), "signature": "0" * 40},
        signed(token="wrong-token"),
        signed(timestamp=str(int(time.time()) - 3600)),  # replayed
        {**signed(), "nonce": "other"},
    ):
        for body in (text_xml("你好"), XXE, "<xml", "x" * 40_000):
            assert h.client.post("/wechat", params=params, content=body).status_code == 403
    assert h.chat.calls == []


HOSTILE = [
    "<xml><ToUserName>",
    "not xml at all",
    "",
    XXE,
    BILLION_LAUGHS,
    '<!DOCTYPE xml SYSTEM "http://127.0.0.1:1/evil.dtd"><xml/>',
    "<html><body/></html>",
    f"<xml><ToUserName>{ACCOUNT}</ToUserName><MsgType>text</MsgType></xml>",  # no FromUserName
]


def test_malformed_and_hostile_xml_is_4xx(h: Harness) -> None:
    for body in [b.encode() for b in HOSTILE] + [b"\xff\xfe<xml/>"]:
        resp = h.post_wechat(body)
        assert 400 <= resp.status_code < 500, body
        assert "root:" not in resp.text and "lollol" not in resp.text
    resp, _ = encrypted_post(h.client, XXE)  # the same inside an encrypted envelope
    assert resp.status_code == 400
    assert h.chat.calls == []


def test_oversized_bodies_are_413(h: Harness) -> None:
    big = text_xml("很长" * 10_000)
    assert len(big.encode()) > h.settings.channel_max_body_bytes
    assert h.post_wechat(big).status_code == 413

    def chunked() -> Iterator[bytes]:
        for _ in range(100):
            yield b"<!-- padding padding padding padding padding padding padding padding padding -->" * 10

    assert h.client.post("/wechat", params=signed(), content=chunked()).status_code == 413
    assert h.chat.calls == []


def test_a_retry_takes_over_from_a_dead_replica(h: Harness) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from api.channels import store
    from api.core.clock import utcnow

    sessions = h.client.app.state.cases.db.sessions  # type: ignore[attr-defined]
    sender = expected_sender(h.settings, "wechat", OPENID)
    # a replica claimed these and died: one just now (still within its deadline), one 30 s ago
    for msg_id, age in (("12001", 0), ("12002", 30)):
        key = f"{sender}:{msg_id}"
        assert store.claim(sessions=sessions, channel="wechat", key=key)
        with sessions() as s:
            s.execute(
                update(store.ChannelInbox)
                .where(store.ChannelInbox.dedupe_key == key)
                .values(updated_at=utcnow() - timedelta(seconds=age))
            )
            s.commit()
    assert h.post_wechat(text_xml("户口迁移", msg_id="12001")).text == "success"
    assert h.chat.calls == []
    taken = h.post_wechat(text_xml("户口迁移", msg_id="12002"))
    assert reply_fields(taken.text)["Content"] == "您问的是：户口迁移"
    assert len(h.chat.calls) == 1


# --- 安全模式, replay window on verification, events in the same second ---------------------------------------------


def test_safe_mode_refuses_plaintext_unless_allowed(
    tmp_path: Path, fake_api: FakeWeChatApi, fake_telegram: FakeTelegramApi, chat: FakeChat
) -> None:
    """With an EncodingAESKey, a body signed with the token alone could come from anyone who learnt the token."""
    strict = channel_settings(tmp_path, fake_api, fake_telegram, wechat_allow_plaintext=False)
    for client in open_app(strict, chat):
        for params in ({}, {"encrypt_type": "raw"}):
            resp = client.post("/wechat", params={**signed(), **params}, content=text_xml("社保卡丢了", msg_id="13001"))
            assert resp.status_code == 403
        assert chat.calls == []
        resp, crypto = encrypted_post(client, text_xml("社保卡丢了", msg_id="13002"))
        assert open_encrypted_reply(resp.text, crypto)["Content"] == "您问的是：社保卡丢了"
    compatible = channel_settings(tmp_path, fake_api, fake_telegram, wechat_allow_plaintext=True)
    for client in open_app(compatible, chat):
        resp = client.post("/wechat", params=signed(), content=text_xml("社保卡丢了", msg_id="13003"))
        assert reply_fields(resp.text)["Content"] == "您问的是：社保卡丢了"


def test_plaintext_mode_needs_no_setting(
    tmp_path: Path, fake_api: FakeWeChatApi, fake_telegram: FakeTelegramApi, chat: FakeChat
) -> None:
    assert make_settings(tmp_path).wechat_allow_plaintext is False  # off unless asked for
    settings = channel_settings(
        tmp_path, fake_api, fake_telegram, wechat_encoding_aes_key="", wechat_allow_plaintext=False
    )
    for client in open_app(settings, chat):
        resp = client.post("/wechat", params=signed(), content=text_xml("护照", msg_id="13101"))
        assert reply_fields(resp.text)["Content"] == "您问的是：护照"


def test_get_verification_refuses_a_replayed_timestamp(h: Harness) -> None:
    old = signed(timestamp=str(int(time.time()) - 3600))
    assert h.client.get("/wechat", params={**old, "echostr": "5837397520180129"}).status_code == 403
    assert h.client.get("/wechat", params={**signed(timestamp="12ab"), "echostr": "x"}).status_code == 403


def test_different_events_in_the_same_second_are_each_handled(h: Harness) -> None:
    """Events have no MsgId: subscribe and a menu click in one second are two pushes, a retry is the same one."""
    second = 1409735700
    welcome = h.post_wechat(event_xml("subscribe", create_time=second))
    assert reply_fields(welcome.text)["Content"] == say("welcome")
    click = h.post_wechat(event_xml("CLICK", key="MENU_COMPLAINT", create_time=second))
    assert reply_fields(click.text)["Content"] == "您问的是：我要反映问题"
    other = h.post_wechat(event_xml("CLICK", key="NO_SUCH_KEY", create_time=second))
    assert reply_fields(other.text)["Content"] == say("unknown_menu")
    retry = h.post_wechat(event_xml("CLICK", key="MENU_COMPLAINT", create_time=second))
    assert retry.status_code == 200
    assert [m for _, m, _ in h.chat.calls] == ["我要反映问题"]
