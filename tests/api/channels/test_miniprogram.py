"""Mini-program customer-service messages: JSON push (plaintext and 安全模式), answers through the send API."""

from __future__ import annotations

import json
import time
from pathlib import Path

from api.channels.render import say
from api.channels.wechat_crypto import WeChatCrypto, sha1_signature
from tests.api.channels.conftest import AES_KEY, MP_APP_ID, MP_TOKEN, Harness, channel_settings, open_app, signed
from tests.api.channels.fakes import FakeChat, FakeTelegramApi, FakeWeChatApi
from tests.support.channels import MP_OPENID, message


def test_verification(h: Harness) -> None:
    ok = h.client.get("/miniprogram", params={**signed(MP_TOKEN), "echostr": "abc"})
    assert ok.status_code == 200 and ok.text == "abc"
    assert h.client.get("/miniprogram", params={**signed(), "echostr": "abc"}).status_code == 403


def test_plaintext_json_push_is_answered_through_the_send_api(h: Harness) -> None:
    resp = h.client.post("/miniprogram", params=signed(MP_TOKEN), json=message("公积金怎么提取"))
    assert resp.status_code == 200 and resp.text == "success"
    sent = h.api.wait_for(1)
    assert sent[0] == {"touser": MP_OPENID, "msgtype": "text", "text": {"content": "您问的是：公积金怎么提取"}}
    assert h.chat.calls[0][0].startswith("mp:") and h.chat.calls[0][2] == "miniprogram"


def test_aes_json_push_and_retry_dedupe(h: Harness) -> None:
    crypto = WeChatCrypto(token=MP_TOKEN, app_id=MP_APP_ID, aes_keys=[AES_KEY])
    encrypted = crypto.keys[0].encrypt(json.dumps(message("医保异地备案", 77), ensure_ascii=False).encode(), MP_APP_ID)
    params = signed(MP_TOKEN, nonce="4242")
    params |= {"encrypt_type": "aes", "msg_signature": sha1_signature(MP_TOKEN, params["timestamp"], "4242", encrypted)}
    body = {"ToUserName": "gh_miniprogram01", "Encrypt": encrypted}
    for _ in range(3):
        assert h.client.post("/miniprogram", params=params, json=body).text == "success"
    h.api.wait_for(1)
    time.sleep(0.3)
    assert len(h.api.sent) == 1 and len(h.chat.calls) == 1
    assert h.api.sent[0]["text"]["content"] == "您问的是：医保异地备案"
    bad = {**params, "msg_signature": "0" * 40}
    assert h.client.post("/miniprogram", params=bad, json=body).status_code == 403


def test_enter_session_and_unknown_types(h: Harness) -> None:
    enter = {"ToUserName": "gh", "FromUserName": MP_OPENID, "CreateTime": 5, "MsgType": "event",
             "Event": "user_enter_tempsession", "SessionFrom": "guide-page"}  # fmt: skip
    assert h.client.post("/miniprogram", params=signed(MP_TOKEN), json=enter).text == "success"
    image = {"ToUserName": "gh", "FromUserName": MP_OPENID, "CreateTime": 6, "MsgType": "image", "MsgId": 9,
             "PicUrl": "http://x", "MediaId": "m"}  # fmt: skip
    assert h.client.post("/miniprogram", params=signed(MP_TOKEN), json=image).text == "success"
    sent = h.api.wait_for(2)
    assert {m["text"]["content"] for m in sent} == {say("welcome"), say("unsupported")}
    assert h.chat.calls == []


def voice_message(recognition: str | None, msg_id: int) -> dict[str, object]:
    """The official account's voice push in the mini-program's JSON: WeChat documents none, so it is read alike."""
    msg: dict[str, object] = {"ToUserName": "gh_miniprogram01", "FromUserName": MP_OPENID,
                              "CreateTime": int(time.time()), "MsgType": "voice", "MediaId": "m", "Format": "amr",
                              "MsgId": msg_id}  # fmt: skip
    if recognition is not None:
        msg["Recognition"] = recognition
    return msg


def test_voice_is_answered_from_its_recognition_or_asks_to_type(h: Harness) -> None:
    for _ in range(3):  # the first push and two retries of it
        resp = h.client.post("/miniprogram", params=signed(MP_TOKEN), json=voice_message("公积金怎么提取。", 31))
        assert resp.text == "success"
    h.api.wait_for(1)
    assert h.client.post("/miniprogram", params=signed(MP_TOKEN), json=voice_message(None, 32)).text == "success"
    assert h.client.post("/miniprogram", params=signed(MP_TOKEN), json=voice_message("", 33)).text == "success"
    h.api.wait_for(3)
    time.sleep(0.3)
    assert [m for _, m, _ in h.chat.calls] == ["公积金怎么提取"]
    assert sorted(m["text"]["content"] for m in h.api.sent) == sorted(
        ["您问的是：公积金怎么提取", say("voice_unrecognised"), say("voice_unrecognised")]
    )


def test_bad_input(h: Harness) -> None:
    assert h.client.post("/miniprogram", params=signed(), json=message("x")).status_code == 403
    assert h.client.post("/miniprogram", json=message("x")).status_code == 403
    for body in (b"{not json", b"[1,2]", b'"str"', b"{}", b'{"FromUserName": 5, "MsgType": "text"}', b"\xff"):
        assert h.client.post("/miniprogram", params=signed(MP_TOKEN), content=body).status_code == 400
    big = json.dumps(message("长" * 20_000)).encode()
    assert h.client.post("/miniprogram", params=signed(MP_TOKEN), content=big).status_code == 413
    assert h.chat.calls == []


def test_verification_refuses_a_replayed_timestamp(h: Harness) -> None:
    old = signed(MP_TOKEN, timestamp=str(int(time.time()) - 3600))
    assert h.client.get("/miniprogram", params={**old, "echostr": "abc"}).status_code == 403


def test_safe_mode_refuses_plaintext_unless_allowed(
    tmp_path: Path, fake_api: FakeWeChatApi, fake_telegram: FakeTelegramApi, chat: FakeChat
) -> None:
    strict = channel_settings(tmp_path, fake_api, fake_telegram, miniprogram_allow_plaintext=False)
    for client in open_app(strict, chat):
        assert client.post("/miniprogram", params=signed(MP_TOKEN), json=message("公积金")).status_code == 403
        assert chat.calls == []
    compatible = channel_settings(tmp_path, fake_api, fake_telegram, miniprogram_allow_plaintext=True)
    for client in open_app(compatible, chat):
        assert client.post("/miniprogram", params=signed(MP_TOKEN), json=message("公积金", 2)).text == "success"
        assert fake_api.wait_for(1)[0]["text"]["content"] == "您问的是：公积金"
