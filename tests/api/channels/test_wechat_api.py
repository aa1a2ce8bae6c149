"""The stable access token: replicas share one token, and a forced refresh is spent only when nothing else helps."""

from __future__ import annotations

import asyncio

import httpx

from api.channels.wechat_api import WeChatApi
from tests.api.channels.fakes import FakeWeChatApi

APP_ID, SECRET = "wx-replicas", "s3cret"


def test_two_replicas_share_one_token_and_never_invalidate_each_other() -> None:
    async def run(api: FakeWeChatApi) -> None:
        async with httpx.AsyncClient() as client:
            one = WeChatApi(client=client, base_url=api.base_url, app_id=APP_ID, app_secret=SECRET)
            two = WeChatApi(client=client, base_url=api.base_url, app_id=APP_ID, app_secret=SECRET)
            assert await one.access_token() == await two.access_token()
            await one.send_text(openid="o-1", text="您好")
            await two.send_text(openid="o-2", text="您好")
            await one.send_text(openid="o-1", text="还在")  # the first replica's token still works
        assert api.issued == 1 and api.rejected == 0 and api.forced == 0

    with FakeWeChatApi({APP_ID: SECRET}) as api:
        asyncio.run(run(api))


def test_rejected_token_is_refetched_and_forced_only_as_a_last_resort() -> None:
    async def run(api: FakeWeChatApi) -> None:
        async with httpx.AsyncClient() as client:
            wx = WeChatApi(client=client, base_url=api.base_url, app_id=APP_ID, app_secret=SECRET)
            await wx.send_text(openid="o-1", text="一")
            api.expire_tokens()  # WeChat ended it: normal mode hands out a new one, no force needed
            await wx.send_text(openid="o-1", text="二")
            assert api.forced == 0 and api.issued == 2
            api.sticky = True
            api.expire_tokens()  # normal mode keeps returning the dead token: now a forced refresh
            await wx.send_text(openid="o-1", text="三")
            assert api.forced == 1 and api.issued == 3
        assert [m["text"]["content"] for m in api.sent] == ["一", "二", "三"]

    with FakeWeChatApi({APP_ID: SECRET}) as api:
        asyncio.run(run(api))
