"""Channel message builders several channel tests share: Telegram updates, a WeChat reply's fields, a mini-program
customer-service message."""

from __future__ import annotations

import time
from typing import Any
from xml.etree import ElementTree

# Telegram
USER = {"id": 777001, "is_bot": False, "first_name": "小王"}
CHAT = {"id": 777001, "type": "private"}


def message_update(update_id: int, text: str) -> dict[str, Any]:
    msg = {"message_id": update_id, "date": int(time.time()), "chat": CHAT, "from": USER, "text": text}
    return {"update_id": update_id, "message": msg}


def callback_update(update_id: int, data: str) -> dict[str, Any]:
    msg = {"message_id": 500, "date": int(time.time()), "chat": CHAT, "text": "您想了解："}
    cq = {"id": f"cb{update_id}", "from": USER, "chat_instance": "ci", "data": data, "message": msg}
    return {"update_id": update_id, "callback_query": cq}


# WeChat official account: the fields of a passive reply
def reply_fields(body: str) -> dict[str, str]:
    root = ElementTree.fromstring(body)
    return {child.tag: (child.text or "") for child in root}


# mini-program
MP_OPENID = "oMiniProgramUser0000000001"


def message(content: str, msg_id: int = 1) -> dict[str, object]:
    return {
        "ToUserName": "gh_miniprogram01",
        "FromUserName": MP_OPENID,
        "CreateTime": int(time.time()),
        "MsgType": "text",
        "Content": content,
        "MsgId": msg_id,
    }
