"""An agent's reply out on the citizen's own channel: WeChat's customer-service message API (公众号 and 小程序,
`/cgi-bin/message/custom/send` with the managed access token) and Telegram's `sendMessage`.

Called by the handoff outbox (api/handoff/delivery.py). Errors become DeliveryError with a message fit for the
console: no token, no openid, no chat id.
"""

from __future__ import annotations

import httpx

from api.channels.identity import redact
from api.channels.render import split_text
from api.channels.runtime import ChannelsRuntime
from api.channels.wechat_api import WeChatApiError
from api.handoff.delivery import DeliveryError

# WeChat errcodes no retry can fix: invalid openid, the user unfollowed, outside the 48-hour window after the
# user's last message, too many messages in that window, API not authorised for this account
WECHAT_PERMANENT = frozenset({40003, 43004, 45015, 45047, 48001})


class ChannelSender:
    """`await sender(channel, address, text)`: the Send of the handoff outbox, over the channels' API clients."""

    def __init__(self, rt: ChannelsRuntime) -> None:
        self.rt = rt

    async def __call__(self, channel: str, address: str, text: str) -> None:
        if channel in ("wechat", "miniprogram"):
            await self._wechat(channel, address, text)
        elif channel == "telegram":
            await self._telegram(address, text)
        else:
            raise DeliveryError(f"no send API for channel {channel[:16]}", permanent=True)

    async def _wechat(self, channel: str, openid: str, text: str) -> None:
        account = getattr(self.rt, channel)
        if account is None or account.api is None:
            raise DeliveryError(f"{channel}: the send API is off ({channel.upper()}_APP_ID / _APP_SECRET not set)")
        try:
            for chunk in split_text(text, self.rt.settings.wechat_text_max_bytes):
                await account.api.send_text(openid=openid, text=chunk)
        except WeChatApiError as exc:
            raise DeliveryError(redact(str(exc)), permanent=exc.errcode in WECHAT_PERMANENT) from None
        except httpx.HTTPStatusError as exc:
            raise DeliveryError(f"{channel}: HTTP {exc.response.status_code} from the send API") from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{channel}: {type(exc).__name__} reaching the send API") from None

    async def _telegram(self, chat_id: str, text: str) -> None:
        from telegram.error import BadRequest, Forbidden, TelegramError

        from api.channels.telegram import TEXT_MAX_BYTES

        channel = self.rt.telegram
        if channel is None:
            raise DeliveryError("telegram: TELEGRAM_BOT_TOKEN is not set")
        try:
            bot = await channel.ready_bot()
            for chunk in split_text(text, TEXT_MAX_BYTES):
                await bot.send_message(int(chat_id), chunk)
        except (Forbidden, BadRequest) as exc:  # blocked by the user, chat not found: sending again will not help
            raise DeliveryError(f"telegram: {redact(exc.message)}", permanent=True) from None
        except TelegramError as exc:
            raise DeliveryError(f"telegram: {redact(exc.message)}") from None
        except ValueError:
            raise DeliveryError("telegram: the stored chat id is not a number", permanent=True) from None
