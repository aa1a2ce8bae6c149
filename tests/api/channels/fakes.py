"""Local stand-ins: a fake WeChat server API and a fake Telegram Bot API (real HTTP on 127.0.0.1), a fake bot."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from api.chat.schemas import Button, Channel, ChatMessage, ChatMeta, ChatReply
from tests.support.fake_http import JsonFakeServer


class FakeWeChatApi(JsonFakeServer):
    """POST /cgi-bin/stable_token and /cgi-bin/message/custom/send, with WeChat's errcodes for bad tokens, bad
    bodies (44002 empty post data, 47001 not JSON, 40003 a missing openid) and, on demand, failing sends."""

    def __init__(self, apps: dict[str, str]) -> None:
        super().__init__()
        self.apps = apps  # app id -> app secret
        self.valid_tokens: set[str] = set()
        self.token_requests = 0
        self.issued = 0
        self.forced = 0
        self.stable: dict[str, str] = {}  # app id -> its current stable token
        self.sticky = False  # normal mode keeps returning a token that sending rejects (then only force helps)
        self.sent: list[dict[str, Any]] = []
        self.rejected = 0
        self.send_attempts = 0
        self.failing_sends = 0  # the next N well-formed sends answer WeChat's "system error" (errcode -1)
        self.failing_attempts: set[int] = set()  # these well-formed sends (1 = the first) answer it too

    def route(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        with self.cond:
            if method == "POST" and path == "/cgi-bin/stable_token":
                req = json.loads(body or b"{}")
                app_id = str(req.get("appid", ""))
                if req.get("grant_type") != "client_credential":
                    return 200, {"errcode": 40002, "errmsg": "invalid grant_type"}
                if app_id not in self.apps or req.get("secret") != self.apps[app_id]:
                    return 200, {"errcode": 40013, "errmsg": "invalid appid"}
                self.token_requests += 1
                current = self.stable.get(app_id)
                # normal mode: the same token to every caller while it is valid; forced: a new one, the old ends
                stale = current is None or (current not in self.valid_tokens and not self.sticky)
                if req.get("force_refresh") is True or stale:
                    if req.get("force_refresh") is True:
                        self.forced += 1
                    self.valid_tokens.discard(current or "")
                    self.issued += 1
                    current = f"ACCESS-{self.issued}-xyz"
                    self.stable[app_id] = current
                    self.valid_tokens.add(current)
                return 200, {"access_token": current, "expires_in": 7200}
            if method == "POST" and path == "/cgi-bin/message/custom/send":
                token = (query.get("access_token") or [""])[0]
                if token not in self.valid_tokens:
                    self.rejected += 1
                    return 200, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
                if not body:
                    return 200, {"errcode": 44002, "errmsg": "empty post data"}
                try:
                    message = json.loads(body)
                except ValueError:
                    return 200, {"errcode": 47001, "errmsg": "data format error"}
                touser = message.get("touser") if isinstance(message, dict) else None
                if not isinstance(touser, str) or not touser:
                    return 200, {"errcode": 40003, "errmsg": "invalid openid"}
                content = (message.get("text") or {}).get("content")
                if message.get("msgtype") != "text" or not isinstance(content, str):
                    return 200, {"errcode": 47001, "errmsg": "data format error"}
                if len(content.encode()) > 2048:
                    return 200, {"errcode": 45002, "errmsg": "content size out of limit"}
                self.send_attempts += 1
                if self.failing_sends > 0 or self.send_attempts in self.failing_attempts:
                    self.failing_sends = max(0, self.failing_sends - 1)
                    self.cond.notify_all()
                    return 200, {"errcode": -1, "errmsg": "system error"}
                self.sent.append(message)
                self.cond.notify_all()
                return 200, {"errcode": 0, "errmsg": "ok"}
        return 404, {"errcode": 404, "errmsg": "not found"}

    def expire_tokens(self) -> None:
        with self.cond:
            self.valid_tokens.clear()

    def wait_for(self, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.sent) >= n, timeout=timeout)
            return list(self.sent)


class FakeTelegramApi(JsonFakeServer):
    """The Bot API methods python-telegram-bot calls here, under /bot<token>/<method>; answers getUpdates from a queue.

    It also serves POST /api/chat as a stand-in gateway for the polling process.
    """

    def __init__(self, token: str, chat: Callable[[str, str], dict[str, Any]] | None = None) -> None:
        super().__init__()
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.updates: list[dict[str, Any]] = []
        self.next_message_id = 100
        self.gateway_chat = chat
        self.blocked: set[int] = set()  # chats whose user blocked the bot: sendMessage answers 403
        self.failing_sends = 0  # the next N sendMessage calls answer 500

    @staticmethod
    def _params(headers: dict[str, str], body: bytes) -> dict[str, Any]:
        ctype = headers.get("Content-Type", headers.get("content-type", ""))
        if "json" in ctype:
            return dict(json.loads(body or b"{}"))
        params: dict[str, Any] = {}
        for key, values in parse_qs(body.decode()).items():
            value = values[0]
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
        return params

    def route(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        if path == "/api/chat" and self.gateway_chat is not None:
            req = json.loads(body)
            with self.cond:
                self.calls.append(("/api/chat", {**req, "headers": {k.lower(): v for k, v in headers.items()}}))
            return 200, self.gateway_chat(req["sender"], req["message"])
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        name = path[len(prefix) :]
        params = self._params(headers, body)
        with self.cond:
            self.calls.append((name, params))
            self.cond.notify_all()
            if name == "getMe":
                return 200, {
                    "ok": True,
                    "result": {"id": 42, "is_bot": True, "first_name": "办事助手", "username": "baihua_bot"},
                }
            if name == "sendMessage":
                try:
                    chat_id = int(params["chat_id"])
                except (KeyError, TypeError, ValueError):
                    return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
                if not str(params.get("text") or "").strip():
                    return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
                if chat_id in self.blocked:
                    return 403, {
                        "ok": False,
                        "error_code": 403,
                        "description": "Forbidden: bot was blocked by the user",
                    }
                if self.failing_sends > 0:
                    self.failing_sends -= 1
                    return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
                self.next_message_id += 1
                result = {
                    "message_id": self.next_message_id,
                    "date": int(time.time()),
                    "chat": {"id": int(params["chat_id"]), "type": "private"},
                    "text": params["text"],
                }
                if "reply_markup" in params:
                    result["reply_markup"] = params["reply_markup"]
                return 200, {"ok": True, "result": result}
            if name in ("answerCallbackQuery", "deleteWebhook", "setWebhook"):
                return 200, {"ok": True, "result": True}
            if name == "getUpdates":
                updates, self.updates = self.updates, []
                return 200, {"ok": True, "result": updates}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def sent(self) -> list[dict[str, Any]]:
        """sendMessage calls (failed ones included: `calls` records every request)."""
        with self.cond:
            return [p for n, p in self.calls if n == "sendMessage"]

    def wait_for(self, method: str, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        with self.cond:
            self.cond.wait_for(lambda: sum(1 for c, _ in self.calls if c == method) >= n, timeout=timeout)
            return [p for c, p in self.calls if c == method]


@dataclass
class FakeChat:
    """In-process ChatService: answers from `answers` (message -> reply) or echoes; can be slow."""

    delay_s: float = 0.0
    answers: dict[str, ChatReply] = field(default_factory=dict)
    fail: bool = False
    calls: list[tuple[str, str, str]] = field(default_factory=list)

    async def turn(self, *, sender: str, message: str, channel: Channel) -> ChatReply:
        self.calls.append((sender, message, channel))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.fail:
            raise RuntimeError("rasa is down and so is search")
        if message in self.answers:
            return self.answers[message]
        return text_reply(f"您问的是：{message}")


def text_reply(text: str) -> ChatReply:
    return ChatReply(messages=[ChatMessage(type="text", text=text)], meta=ChatMeta())


def buttons_reply(text: str, buttons: list[tuple[str, str]]) -> ChatReply:
    msg = ChatMessage(type="buttons", text=text, buttons=[Button(title=t, payload=p) for t, p in buttons])
    return ChatReply(messages=[msg], meta=ChatMeta())
