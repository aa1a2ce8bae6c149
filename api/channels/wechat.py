"""WeChat official account (公众号) callback at /wechat (api/channels/routes.py): verification, plaintext and 安全模式
XML, the 5-second rule."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from fastapi import HTTPException, Request
from fastapi.responses import PlainTextResponse, Response

from api.channels import core
from api.channels.identity import sender_id
from api.channels.render import say, wording
from api.channels.runtime import ChannelsRuntime, WeChatAccount
from api.channels.wechat_crypto import AesKey, WeChatCryptoError, signature_ok, timestamp_fresh
from api.chat.schemas import ChatService

log = logging.getLogger(__name__)

SUCCESS = "success"  # tells WeChat "received, nothing to say now" (no retry, no error shown to the user)


def check_signature(account: WeChatAccount, rt: ChannelsRuntime, *, signature: str, timestamp: str, nonce: str) -> None:
    """The first thing every request goes through, before any byte of the body is read."""
    if not timestamp_fresh(timestamp, rt.settings.wechat_max_clock_skew_s):
        raise HTTPException(status_code=403, detail="bad signature")
    if not signature_ok((account.token, timestamp, nonce), signature):
        raise HTTPException(status_code=403, detail="bad signature")


def check_mode(account: WeChatAccount, *, encrypt_type: str | None) -> None:
    """In 安全模式 only a msg_signature proves the sender holds the AES key; the token alone may have leaked."""
    if account.crypto is not None and not account.allow_plaintext and (encrypt_type or "").lower() != "aes":
        raise HTTPException(status_code=403, detail="safe mode needs encrypt_type=aes")


def parse_xml(data: bytes | str) -> Element:
    """defusedxml with every DTD refused: XXE and entity bombs become a 400, never a 500 or a leaked file."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError, UnicodeError) as exc:
        raise HTTPException(status_code=400, detail="malformed XML") from exc
    if root.tag != "xml":
        raise HTTPException(status_code=400, detail="unexpected XML")
    return root


def field_text(root: Element, name: str) -> str:
    node = root.find(name)
    return (node.text or "").strip() if node is not None else ""


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply_xml(*, to_user: str, from_user: str, content: str) -> str:
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{cdata('text')}</MsgType>"
        f"<Content>{cdata(content)}</Content></xml>"
    )


@dataclass
class Inbound:
    root: Element
    key: AesKey | None  # set in 安全模式: the reply is encrypted with the key that decrypted the request


def open_envelope(
    account: WeChatAccount,
    body: bytes,
    *,
    encrypt_type: str | None,
    timestamp: str,
    nonce: str,
    msg_signature: str | None,
) -> Inbound:
    outer = parse_xml(body)
    if (encrypt_type or "raw").lower() != "aes":
        return Inbound(outer, None)
    if account.crypto is None:
        raise HTTPException(status_code=400, detail="safe mode is not configured")
    encrypted = field_text(outer, "Encrypt")
    if not encrypted or not account.crypto.msg_signature_ok(
        timestamp=timestamp, nonce=nonce, encrypted=encrypted, msg_signature=msg_signature
    ):
        raise HTTPException(status_code=403, detail="bad msg_signature")
    try:
        plain, key = account.crypto.decrypt(encrypted)
    except WeChatCryptoError as exc:
        log.warning("wechat: undecryptable message (%s)", exc)
        raise HTTPException(status_code=400, detail="cannot decrypt") from exc
    return Inbound(parse_xml(plain), key)


def passive(account: WeChatAccount, inbound: Inbound, *, to_user: str, from_user: str, content: str) -> Response:
    xml = text_reply_xml(to_user=to_user, from_user=from_user, content=content)
    if inbound.key is None or account.crypto is None:
        return Response(content=xml, media_type="application/xml")
    encrypted, signature, ts, nonce = account.crypto.encrypt_reply(xml.encode("utf-8"), key=inbound.key)
    envelope = (
        f"<xml><Encrypt>{cdata(encrypted)}</Encrypt><MsgSignature>{cdata(signature)}</MsgSignature>"
        f"<TimeStamp>{ts}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>"
    )
    return Response(content=envelope, media_type="application/xml")


def verify(
    account: WeChatAccount, rt: ChannelsRuntime, *, signature: str, timestamp: str, nonce: str, echostr: str
) -> str:
    """GET /wechat: the URL check WeChat runs when the server address is saved in the console."""
    check_signature(account, rt, signature=signature, timestamp=timestamp, nonce=nonce)
    return echostr


async def receive(
    request: Request,
    account: WeChatAccount,
    rt: ChannelsRuntime,
    chat: ChatService,
    *,
    signature: str,
    timestamp: str,
    nonce: str,
    encrypt_type: str | None,
    msg_signature: str | None,
) -> Response:
    """POST /wechat: signature and mode before any byte of the body, then the message, answered within 5 s or sent
    through the customer-service API after."""
    check_signature(account, rt, signature=signature, timestamp=timestamp, nonce=nonce)
    check_mode(account, encrypt_type=encrypt_type)
    body = await core.read_body(request, rt.settings.channel_max_body_bytes)
    inbound = open_envelope(
        account, body, encrypt_type=encrypt_type, timestamp=timestamp, nonce=nonce, msg_signature=msg_signature
    )
    root = inbound.root
    openid = field_text(root, "FromUserName")
    account_name = field_text(root, "ToUserName")
    msg_type = field_text(root, "MsgType").lower()
    if not openid or not msg_type:
        raise HTTPException(status_code=400, detail="not a WeChat message")
    sender = sender_id("wechat", openid, key=rt.settings.secret_key)
    settings = rt.settings
    max_bytes = settings.wechat_text_max_bytes

    async def fixed(text: str) -> list[str]:
        return [text]

    async def bot(text: str, *, map_choice: bool = True) -> list[str]:
        r = await core.answer(
            rt,
            chat,
            channel="wechat",
            sender=sender,
            text=text,
            max_bytes=max_bytes,
            map_choice=map_choice,
            address=openid,  # kept (sealed) only when this turn belongs to a handoff: the agent replies to it
        )
        return r.chunks

    message: str | None = None
    if msg_type == "text":
        message = field_text(root, "Content")
        produce = (lambda: bot(message)) if message else (lambda: fixed(say("unsupported")))
    elif msg_type == "voice":  # answered as the words WeChat recognised, when 接收语音识别结果 is on
        spoken = core.spoken_text(field_text(root, "Recognition"))
        produce = (lambda: bot(spoken)) if spoken else (lambda: fixed(say("voice_unrecognised")))
    elif msg_type == "event":
        event = field_text(root, "Event").lower()
        if event == "subscribe":
            produce = lambda: fixed(say("welcome"))  # noqa: E731
        elif event == "click":
            menu_message = wording().get("menu", {}).get(field_text(root, "EventKey"))
            if isinstance(menu_message, str):
                produce = lambda: bot(menu_message, map_choice=False)  # noqa: E731
            else:
                produce = lambda: fixed(say("unknown_menu"))  # noqa: E731
        else:  # unsubscribe, VIEW, LOCATION, scan …: nothing to say
            log.info("wechat: event %s from %s ignored", event[:32], sender)
            return PlainTextResponse(SUCCESS)
    else:  # image, video, location, link, file …: say what we can read
        produce = lambda: fixed(say("unsupported"))  # noqa: E731

    dedupe_key = core.inbound_key(
        sender,
        field_text(root, "MsgId"),
        field_text(root, "CreateTime"),
        event=field_text(root, "Event"),
        event_key=field_text(root, "EventKey"),
    )
    api = account.api

    async def deliver(chunks: list[str]) -> None:
        if api is None:
            log.error("wechat: answer for %s dropped; WECHAT_APP_SECRET is not set so the send API is off", sender)
            return
        await api.send_texts(openid=openid, chunks=chunks)
        log.info("wechat: %d chunk(s) sent to %s through the customer-service API", len(chunks), sender)

    chunks = await core.reply_once(
        rt,
        channel="wechat",
        key=dedupe_key,
        produce=produce,
        deliver=deliver,
        timeout_s=settings.wechat_reply_timeout_s,
        retry_wait_s=settings.wechat_retry_wait_s,
    )
    if not chunks:
        return PlainTextResponse(SUCCESS)
    return passive(account, inbound, to_user=openid, from_user=account_name, content=chunks[0])
