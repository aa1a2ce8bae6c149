"""A local fake of Rasa's REST channel: a real HTTP server on 127.0.0.1 that can be normal, slow, broken or down.

It speaks the same format as `rasa run` with `credentials.yml: rest:` and the bot's actions: a text element,
then a `custom` element with {"intent", "confidence", "route"}. The complaint turns call the gateway's real
case API, like the action server does.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.fake_http import FakeHttpServer, Reply, Request

CHOOSE_RE = re.compile(r'^/choose_guide\{"guide_id":\s*"([a-z0-9-]+)"\}$')


def meta(intent: str, kind: str = "none", route_id: str | None = None, confidence: float = 0.95) -> dict[str, Any]:
    return {"intent": intent, "confidence": confidence, "route": {"kind": kind, "id": route_id}}


@dataclass(eq=False)
class FakeRasa(FakeHttpServer):
    mode: str = "normal"  # normal | slow | error | garbage | no_model
    delay_s: float = 5.0
    gateway_url: str | None = None
    gateway: Any = None  # an in-process TestClient to call instead of gateway_url
    internal_token: str | None = None  # set: 转人工 opens a handoff at the gateway, as bot/actions/handoff.py does
    received: list[dict[str, Any]] = field(default_factory=list)
    forms: dict[str, dict[str, str]] = field(default_factory=dict)

    protocol_version = "HTTP/1.1"

    def __post_init__(self) -> None:
        FakeHttpServer.__init__(self)

    @property
    def url(self) -> str:
        return self.base_url

    def handle(self, request: Request) -> Reply:
        if request.method == "GET" and request.path == "/webhooks/rest/ready":  # bot/addons/rest.py
            if self.mode == "no_model":
                return Reply(503, b'{"status": "no_model"}', "application/json")
            return Reply(200, b'{"status": "ready"}', "application/json")
        if request.method == "GET":
            return Reply(200, b"Hello from Rasa: 3.6.21", "text/plain")  # Rasa's own GET /, model or not
        body = json.loads(request.body or b"{}")
        self.received.append(body)
        if request.path != "/webhooks/rest/webhook":
            return Reply(404, b"{}", "application/json")
        if self.mode == "slow":
            time.sleep(self.delay_s)
        if self.mode == "error":
            return Reply(500, b'{"error": "boom"}', "application/json")
        if self.mode == "garbage":
            return Reply(200, b"<html>not json</html>", "text/html")
        channel = str((body.get("metadata") or {}).get("channel") or "widget")
        return Reply.json(200, self.reply(str(body.get("sender")), str(body.get("message", "")), channel))

    # ---- the scripted bot ----

    def reply(self, sender: str, message: str, channel: str = "widget") -> list[dict[str, Any]]:
        def out(text: str, m: dict[str, Any], buttons: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
            first: dict[str, Any] = {"recipient_id": sender, "text": text}
            if buttons:
                first["buttons"] = buttons
            return [first, {"recipient_id": sender, "custom": m}]

        if sender in self.forms or message == "/file_complaint" or message == "我要投诉":
            return self.complaint_turn(sender, message, out)
        chosen = CHOOSE_RE.match(message)
        if chosen:
            gid = chosen.group(1)
            return out(f"好的，这是“{gid}”的办法。", meta("choose_guide", "guide", gid, 1.0))
        if "社保卡" in message and ("丢" in message or "补" in message):
            text = "社保卡丢了先挂失，再带身份证到社保医保综合窗口（一楼东区 12—18号窗口）补一张新卡。"
            return out(text, meta("ask_howto", "guide", "ss-card-replace", 0.97))
        if message == "办卡":
            buttons = [
                {"title": "社会保障卡挂失与补换", "payload": '/choose_guide{"guide_id":"ss-card-replace"}'},
                {"title": "社会保障卡申领", "payload": '/choose_guide{"guide_id":"ss-card-apply"}'},
            ]
            return out("您说的是哪一件？", meta("ask_howto", confidence=0.6), buttons)
        if message in ("/request_human", "转人工"):
            return self.handoff_turn(sender, out, channel)
        return out(f"我听到了：{message}", meta("out_of_scope", confidence=0.3))

    def handoff_turn(self, sender: str, out: Any, channel: str = "widget") -> list[dict[str, Any]]:
        """POST /api/handoff with the internal token, then the route carries the handoff id (the action's contract);
        the channel is the one the gateway named in the message metadata, as bot/actions/common.channel_of reads."""
        said = "好的，已经帮您转人工，工作人员会尽快回复。"
        if self.internal_token is None:
            return list(out(said, meta("request_human", "handoff")))
        body = {
            "sender_id": sender,
            "channel": channel,
            "reason": "requested",
            "transcript": [{"role": "user", "text": "转人工"}],
        }
        headers = {"X-Internal-Token": self.internal_token}
        if self.gateway is not None:
            resp = self.gateway.post("/api/handoff", json=body, headers=headers)
        else:
            assert self.gateway_url, "set gateway_url or gateway to open handoffs"
            resp = httpx.post(self.gateway_url + "/api/handoff", json=body, headers=headers, timeout=10)
        if resp.status_code not in (200, 201):  # 200: the sender's open handoff came back (the action takes any 2xx)
            return list(out("转人工暂时没成功，请拨打12345热线。", meta("request_human", "handoff")))
        return list(out(said, meta("request_human", "handoff", str(resp.json()["id"]))))

    def complaint_turn(self, sender: str, message: str, out: Any) -> list[dict[str, Any]]:
        form = self.forms.setdefault(sender, {})
        cm = meta("file_complaint", "complaint")
        if "category" not in form:
            if message.startswith('/inform{"complaint_category"'):
                form["category"] = json.loads(message[len("/inform") :])["complaint_category"]
                return list(out("请说说发生了什么（至少5个字）。", cm))
            buttons = [
                {"title": "办不成事", "payload": '/inform{"complaint_category":"cannot-get-done"}'},
                {"title": "服务态度", "payload": '/inform{"complaint_category":"attitude"}'},
            ]
            return list(out("您要投诉哪一类问题？", cm, buttons))
        if "description" not in form:
            form["description"] = message
            return list(out("请留一个联系电话。", cm))
        if "phone" not in form:
            form["phone"] = message
            masked = f"{message[:3]}****{message[-4:]}"
            buttons = [{"title": "确认提交", "payload": "/affirm"}, {"title": "算了", "payload": "/deny"}]
            return list(out(f"电话 {masked}，确认提交投诉吗？", cm, buttons))
        del self.forms[sender]
        if message != "/affirm":
            return list(out("好的，已经取消了。", cm))
        assert self.gateway_url, "set gateway_url to file complaints"
        payload = {**form, "channel": "widget", "idempotency_key": f"{sender}-{time.time_ns()}"}
        resp = httpx.post(self.gateway_url + "/api/cases", json=payload, timeout=10)
        if resp.status_code != 201:
            return list(out("投诉暂时没提交成功，我们会自动重试。", cm))
        case = resp.json()
        text = f"投诉已受理，编号 {case['case_no']}，我们会在 {case['deadline']} 前回复您。"
        return list(out(text, meta("affirm", "complaint", case["case_no"])))
