"""The console thread of a WeChat handoff (#15 item 4): the citizen's words that arrived while the bot was quiet,
the agent's replies with their delivery state (pending / sent / failed with the error), 重新发送, and 结束会话."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.chat.content import load_messages
from api.core.db import Database
from api.handoff.models import Handoff
from api.handoff.runtime import HandoffWorker
from api.settings import Settings
from tests.api.channels.conftest import APP_ID, APP_SECRET, OPENID, TOKEN, signed, text_xml
from tests.api.channels.fakes import FakeWeChatApi
from tests.support.app import make_settings
from tests.support.fake_rasa import FakeRasa

INTERNAL = "test-internal-token"
AsRole = Callable[[str], tuple[TestClient, str]]


@pytest.fixture
def wechat_api() -> Iterator[FakeWeChatApi]:
    with FakeWeChatApi({APP_ID: APP_SECRET}) as api:
        yield api


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    fake = FakeRasa(internal_token=INTERNAL).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def console_settings(tmp_path: Path, rasa: FakeRasa, wechat_api: FakeWeChatApi) -> Settings:
    """The console's app with the 公众号 on and the fake Rasa behind the chat path."""
    return make_settings(
        tmp_path,
        internal_token=INTERNAL,
        rasa_url=rasa.url,
        chat_budget_s=20.0,
        wechat_token=TOKEN,
        wechat_app_id=APP_ID,
        wechat_app_secret=APP_SECRET,
        wechat_api_base=wechat_api.base_url,
        handoff_delivery_max_attempts=2,
        handoff_delivery_backoff_s=0.05,
        handoff_delivery_backoff_max_s=0.1,
    )


@pytest.fixture
def citizen(app_client: TestClient, rasa: FakeRasa) -> TestClient:
    rasa.gateway = app_client
    return app_client


def say_on_wechat(client: TestClient, text: str, msg_id: int) -> Any:
    return client.post("/wechat", params=signed(), content=text_xml(text, msg_id=str(msg_id)))


def deliver(client: TestClient) -> None:
    worker: HandoffWorker = client.app.state.handoff_worker  # type: ignore[attr-defined]
    assert client.portal is not None
    client.portal.call(worker.run_once)


def test_the_thread_shows_the_citizens_words_and_each_replys_delivery(
    citizen: TestClient, as_role: AsRole, wechat_api: FakeWeChatApi, rasa: FakeRasa
) -> None:
    say_on_wechat(citizen, "转人工", 1)
    asked = len(rasa.received)
    say_on_wechat(citizen, "我的社保卡是在外地办的", 2)
    say_on_wechat(citizen, "<b>能在这里补吗</b>", 3)
    assert len(rasa.received) == asked  # the bot stayed quiet: both went to the agent
    db: Database = citizen.app.state.cases.db  # type: ignore[attr-defined]
    with db.sessions() as session:
        hid = session.scalars(select(Handoff.id).where(Handoff.channel == "wechat")).one()

    agent, csrf = as_role("agent")
    page = agent.get(f"/console/handoffs/{hid}").text
    assert "我的社保卡是在外地办的" in page and "&lt;b&gt;能在这里补吗&lt;/b&gt;" in page
    assert "发到公众号" in page and OPENID not in page  # the agent sees where it goes, never the openid

    agent.post(f"/console/handoffs/{hid}/reply", data={"csrf_token": csrf, "text": "可以补，带身份证来"})
    assert 'data-state="pending">发送中' in agent.get(f"/console/handoffs/{hid}").text
    deliver(citizen)
    assert wechat_api.sent[-1] == {"touser": OPENID, "msgtype": "text", "text": {"content": "可以补，带身份证来"}}
    data = agent.get(f"/console/handoffs/{hid}/messages").json()
    reply = next(m for m in data["messages"] if m["text"] == "可以补，带身份证来")
    assert reply["delivery"]["state"] == "sent" and data["deliveries"][str(reply["id"])]["label"] == "已发送"

    wechat_api.failing_sends = 10
    agent.post(f"/console/handoffs/{hid}/reply", data={"csrf_token": csrf, "text": "还需要户口本"})
    for _ in range(50):
        deliver(citizen)
        page = agent.get(f"/console/handoffs/{hid}").text
        if 'data-state="failed"' in page:
            break
        time.sleep(0.05)
    assert 'data-state="failed">发送失败：WeChat API error -1: system error' in page
    retry = re.search(r'action="(/console/handoffs/\d+/deliveries/\d+/retry)"', page)
    assert retry, page
    wechat_api.failing_sends = 0
    assert agent.post(retry.group(1), data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert agent.post(retry.group(1), data={"csrf_token": csrf}).status_code == 404  # only a failed one
    deliver(citizen)
    assert wechat_api.sent[-1]["text"]["content"] == "还需要户口本"

    agent.post(f"/console/handoffs/{hid}/close", data={"csrf_token": csrf})
    deliver(citizen)
    assert wechat_api.sent[-1]["text"]["content"] == load_messages().text("handoff", "ended_by_agent")
    page = agent.get(f"/console/handoffs/{hid}").text
    assert "坐席结束" in page and 'class="from-system"' in page
    asked = len(rasa.received)
    say_on_wechat(citizen, "你好", 4)
    assert len(rasa.received) == asked + 1  # the bot answers again
