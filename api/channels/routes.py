"""The signed channels' webhooks: `/wechat` (公众号), `/miniprogram` (小程序客服消息), `/telegram/webhook`.

A channel that is not configured answers 404. What each does with a message is its own module's
(api/channels/wechat.py, miniprogram.py, telegram.py); these routes read the query and hand it over.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse, Response

from api.channels import miniprogram, telegram, wechat
from api.channels.runtime import ChannelsRuntime, WeChatAccount, get_channels
from api.channels.telegram_api import TelegramChannel
from api.deps import ChatDep

router = APIRouter(tags=["channels"])


def get_wechat(rt: Annotated[ChannelsRuntime, Depends(get_channels)]) -> WeChatAccount:
    if rt.wechat is None:
        raise HTTPException(status_code=404)
    return rt.wechat


def get_miniprogram(rt: Annotated[ChannelsRuntime, Depends(get_channels)]) -> WeChatAccount:
    if rt.miniprogram is None:
        raise HTTPException(status_code=404)
    return rt.miniprogram


def get_telegram(rt: Annotated[ChannelsRuntime, Depends(get_channels)]) -> TelegramChannel:
    if rt.telegram is None:
        raise HTTPException(status_code=404)
    return rt.telegram


RuntimeDep = Annotated[ChannelsRuntime, Depends(get_channels)]
WeChatDep = Annotated[WeChatAccount, Depends(get_wechat)]
MiniProgramDep = Annotated[WeChatAccount, Depends(get_miniprogram)]
TelegramDep = Annotated[TelegramChannel, Depends(get_telegram)]
QueryText = Annotated[str, Query()]
EchoText = Annotated[str, Query(max_length=256)]
QueryOrNone = Annotated[str | None, Query()]


@router.get("/wechat", response_class=PlainTextResponse)
async def wechat_verify(
    account: WeChatDep,
    rt: RuntimeDep,
    signature: QueryText = "",
    timestamp: QueryText = "",
    nonce: QueryText = "",
    echostr: EchoText = "",
) -> str:
    """The URL check WeChat runs when the server address is saved in the console."""
    return wechat.verify(account, rt, signature=signature, timestamp=timestamp, nonce=nonce, echostr=echostr)


@router.post("/wechat")
async def wechat_receive(
    request: Request,
    account: WeChatDep,
    rt: RuntimeDep,
    chat: ChatDep,
    signature: QueryText = "",
    timestamp: QueryText = "",
    nonce: QueryText = "",
    encrypt_type: QueryOrNone = None,
    msg_signature: QueryOrNone = None,
) -> Response:
    return await wechat.receive(
        request,
        account,
        rt,
        chat,
        signature=signature,
        timestamp=timestamp,
        nonce=nonce,
        encrypt_type=encrypt_type,
        msg_signature=msg_signature,
    )


@router.get("/miniprogram", response_class=PlainTextResponse)
async def miniprogram_verify(
    account: MiniProgramDep,
    rt: RuntimeDep,
    signature: QueryText = "",
    timestamp: QueryText = "",
    nonce: QueryText = "",
    echostr: EchoText = "",
) -> str:
    return wechat.verify(account, rt, signature=signature, timestamp=timestamp, nonce=nonce, echostr=echostr)


@router.post("/miniprogram", response_class=PlainTextResponse)
async def miniprogram_receive(
    request: Request,
    account: MiniProgramDep,
    rt: RuntimeDep,
    chat: ChatDep,
    signature: QueryText = "",
    timestamp: QueryText = "",
    nonce: QueryText = "",
    encrypt_type: QueryOrNone = None,
    msg_signature: QueryOrNone = None,
) -> str:
    return await miniprogram.receive(
        request,
        account,
        rt,
        chat,
        signature=signature,
        timestamp=timestamp,
        nonce=nonce,
        encrypt_type=encrypt_type,
        msg_signature=msg_signature,
    )


@router.post("/telegram/webhook")
async def telegram_webhook(request: Request, rt: RuntimeDep, channel: TelegramDep, chat: ChatDep) -> Response:
    """Secret header first (constant time), then a size-limited body; the answer is sent in the background."""
    return await telegram.receive(request, rt, channel, chat)
