"""A complaint typed as free text files a case on WeChat and on Telegram, through the real bot (issue #15).

The citizen never taps: a story, then whatever the bot asks (bench/complaint_eval.py decides what it asks and what
the citizen answers), and at the read-back the WeChat user replies with the number of the 确认提交 line — WeChat
shows buttons as "回复 1 …" lines — while the Telegram user types "对，提交" instead of pressing the inline button.

WeChat posts signed 明文模式 XML to nginx; the answer is the passive XML reply, or, when the bot took longer than
WECHAT_REPLY_TIMEOUT_S and the gateway said "success", the customer-service message it sent to the fake WeChat
API. Telegram posts updates with the secret-token header; every answer is a sendMessage to the fake Bot API.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from defusedxml.ElementTree import fromstring

from api.channels.render import say
from api.channels.telegram import SECRET_HEADER
from bench import complaint_eval
from civic.phone import find_phone, mask_phone
from tests.api.channels.conftest import TG_SECRET, signed, text_xml
from tests.scale.conftest import ChannelFakes
from tools.cluster import Cluster

pytestmark = pytest.mark.skipif(
    os.environ.get("RUN_SCALE_TESTS") != "1", reason="multi-replica tests: `make scale-test` (RUN_SCALE_TESTS=1)"
)

COMPLAINT_DOMAIN = Path(__file__).resolve().parents[2] / "bot" / "domain" / "complaint.yml"
ANSWER_WAIT_S = 30.0  # one turn through nginx, a gateway, Rasa and the actions, on 2 busy cores
QUIET_S = 0.5  # a Telegram answer in several parts: the parts follow each other within this

# our own conversations, in complaint_eval's line shape; one gives a landline typed with spaces inside a sentence
WECHAT_LINE: dict[str, Any] = {
    "id": "wechat-attitude",
    "first": "出入境窗口的工作人员态度很差，问两句就不耐烦，还冲我嚷嚷",
    "category": "attitude",
    "category_words": "态度不好",
    "item": "护照",
    "phone": "我手机 139 0371 2468",
    "story": "冲我嚷嚷",
}
TELEGRAM_LINE: dict[str, Any] = {
    "id": "telegram-overdue-landline",
    "first": "我想投诉",
    "story_text": "食品经营许可证的申请交上去四十天了还没消息，当时说二十个工作日办好",
    "category": "overdue-service",
    "category_words": "超时没办",
    "item": "食品经营许可",
    "phone": "我电话 0371-6123 4567",
    "story": "四十天了还没消息",
}


def confirm_title() -> str:
    """The read-back's "yes" button, as the bot's domain names it."""
    domain = yaml.safe_load(COMPLAINT_DOMAIN.read_text(encoding="utf-8"))
    buttons = domain["responses"]["utter_ask_complaint_confirm"][0]["buttons"]
    return str(next(b["title"] for b in buttons if b["payload"] == "/affirm"))


def choice_number(text: str, title: str) -> str:
    """The number WeChat shows in front of `title` ("回复 1 确认提交"), as the citizen would type it."""
    for n in range(1, 10):
        if say("choice_line", n=str(n), title=title) in text:
            return str(n)
    raise AssertionError(f"no numbered {title!r} line in the read-back: {text}")


@dataclass
class WeChatUser:
    """A follower of the official account: each message a signed XML push with its own MsgId."""

    base_url: str
    fakes: ChannelFakes
    openid: str = field(
        default_factory=lambda: "o" + "".join(random.choices("abcdefghijkmnpqrstuvwxyz0123456789", k=27))
    )
    msg_ids: Iterator[int] = field(default_factory=lambda: itertools.count(random.randrange(10**18, 9 * 10**18)))
    paths: Counter[str] = field(default_factory=Counter)  # passive / send-api: how each answer came back

    def _sent(self) -> list[str]:
        """Read without the fake's lock, so it also works inside its condition's wait."""
        sent = list(self.fakes.wechat.sent)
        return [m["text"]["content"] for m in sent if m.get("touser") == self.openid]

    def say(self, text: str) -> str:
        before = len(self._sent())
        xml = text_xml(text, msg_id=str(next(self.msg_ids)), openid=self.openid)
        resp = httpx.post(
            self.base_url + "/wechat", params=signed(), content=xml.encode(), timeout=ANSWER_WAIT_S, trust_env=False
        )
        assert resp.status_code == 200, resp.text
        if resp.text != "success":
            root = fromstring(resp.content, forbid_dtd=True)
            assert root.findtext("ToUserName") == self.openid, resp.text
            self.paths["passive"] += 1
            return str(root.findtext("Content") or "")
        # the bot was slower than the 5-second rule allows: the answer went through the customer-service API
        api = self.fakes.wechat
        with api.cond:
            api.cond.wait_for(lambda: len(self._sent()) > before, timeout=ANSWER_WAIT_S)
        time.sleep(QUIET_S)  # an answer too long for one message comes in parts
        parts = self._sent()[before:]
        assert parts, f"no answer to {text!r}, neither passive nor through the send API"
        self.paths["send-api"] += 1
        return "\n\n".join(parts)


@dataclass
class TelegramUser:
    """A private chat with the bot: each message a webhook update carrying the secret token."""

    base_url: str
    fakes: ChannelFakes
    chat_id: int = field(default_factory=lambda: random.randrange(10**8, 10**9))
    update_ids: Iterator[int] = field(default_factory=lambda: itertools.count(random.randrange(10**6, 10**8)))
    keyboards: list[Any] = field(default_factory=list)  # the inline keyboard of each answer (None: none)

    def _sent(self) -> list[dict[str, Any]]:
        """Read without the fake's lock, so it also works inside its condition's wait."""
        calls = list(self.fakes.telegram.calls)
        return [p for n, p in calls if n == "sendMessage" and int(p.get("chat_id", 0)) == self.chat_id]

    def say(self, text: str) -> str:
        before = len(self._sent())
        update_id = next(self.update_ids)
        user = {"id": self.chat_id, "is_bot": False, "first_name": "小李"}
        message = {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": self.chat_id, "type": "private"},
            "from": user,
            "text": text,
        }
        resp = httpx.post(
            self.base_url + "/telegram/webhook",
            json={"update_id": update_id, "message": message},
            headers={SECRET_HEADER: TG_SECRET},
            timeout=ANSWER_WAIT_S,
            trust_env=False,
        )
        assert resp.status_code == 200, resp.text
        tg = self.fakes.telegram
        with tg.cond:
            tg.cond.wait_for(lambda: len(self._sent()) > before, timeout=ANSWER_WAIT_S)
        while True:  # the webhook answered at once; the parts of the answer follow as sendMessage calls
            count = len(self._sent())
            time.sleep(QUIET_S)
            if len(self._sent()) == count:
                break
        parts = self._sent()[before:]
        assert parts, f"no sendMessage answered {text!r}"
        self.keyboards.append(parts[-1].get("reply_markup"))
        return "\n\n".join(str(p["text"]) for p in parts)


@dataclass
class Filed:
    case_no: str
    readback: str
    transcript: list[tuple[str, str]]


def converse(say: Callable[[str], str], line: dict[str, Any], confirm: Callable[[str], str]) -> Filed:
    """The citizen answers whatever the bot asks, in free text; `confirm` answers the read-back."""
    message, readback = line["first"], ""
    seen: Counter[str] = Counter()
    transcript: list[tuple[str, str]] = []
    for _ in range(complaint_eval.MAX_TURNS):
        text = say(message)
        transcript.append((message, text))
        what = complaint_eval.asked(text)
        if what == "filed":
            found = complaint_eval.CASE_NO.search(text)
            assert found, f"filed without a case number: {transcript}"
            return Filed(case_no=found.group(1), readback=readback, transcript=transcript)
        seen[what] += 1
        assert seen[what] < 3, f"stuck: the bot asked {what} three times: {transcript}"
        if what == "confirm":
            readback, reply = text, confirm(text)
        else:
            answer = complaint_eval.answer_for(what, line)
            assert answer is not None, f"the bot asked nothing a citizen can answer: {transcript}"
            reply = answer
        message = reply
    raise AssertionError(f"no case after {complaint_eval.MAX_TURNS} turns: {transcript}")


def shown(filed: Filed) -> str:
    """The conversation, what was typed and the start of each answer, for the -s output of `make scale-test`."""
    return "".join(f"\n  > {message}\n  < {text[:60]!r}" for message, text in filed.transcript)


def check_case(rig: Cluster, line: dict[str, Any], filed: Filed) -> None:
    """Through the citizen's case API, as complaint_eval checks: the given phone's last 4 open the right case."""
    phone = find_phone(line["phone"])
    assert phone, line["phone"]
    last4 = re.sub(r"\D", "", phone)[-4:]
    resp = httpx.get(
        f"{rig.public_url}/api/cases/{filed.case_no}", params={"phone_last4": last4}, timeout=10, trust_env=False
    )
    info = f"{filed.transcript}\n{rig.log_tails()}"
    assert resp.status_code == 200, f"the given phone does not open case {filed.case_no}: {resp.text}\n{info}"
    case = resp.json()
    assert case["category"] == line["category"], info
    assert case["phone"] == mask_phone(phone), info  # the phone typed in the sentence, not some digits near it
    assert line["story"] in filed.readback, info


def test_a_wechat_user_types_a_complaint_and_confirms_by_number(rig: Cluster, channel_fakes: ChannelFakes) -> None:
    user = WeChatUser(rig.public_url, channel_fakes)
    title = confirm_title()
    started = time.monotonic()
    filed = converse(user.say, WECHAT_LINE, lambda readback: choice_number(readback, title))
    took = time.monotonic() - started
    summary = f"case {filed.case_no} in {len(filed.transcript)} turns, {took:.1f} s, answers {dict(user.paths)}"
    print(f"\nwechat: {summary}{shown(filed)}")
    assert filed.transcript[-1][0] == choice_number(filed.readback, title), filed.transcript  # the bare number
    check_case(rig, WECHAT_LINE, filed)


def test_a_telegram_user_types_a_complaint_with_a_landline(rig: Cluster, channel_fakes: ChannelFakes) -> None:
    user = TelegramUser(rig.public_url, channel_fakes)
    title = confirm_title()
    started = time.monotonic()
    filed = converse(user.say, TELEGRAM_LINE, lambda _: complaint_eval.CONFIRM)
    took = time.monotonic() - started
    print(f"\ntelegram: case {filed.case_no} in {len(filed.transcript)} turns, {took:.1f} s{shown(filed)}")
    # the read-back came with 确认提交 as an inline button; the citizen typed the confirmation instead
    readback_at = next(i for i, (_, text) in enumerate(filed.transcript) if text == filed.readback)
    keyboard = user.keyboards[readback_at] or {}
    titles = [row[0]["text"] for row in keyboard.get("inline_keyboard", [])]
    assert title in titles, keyboard
    check_case(rig, TELEGRAM_LINE, filed)
