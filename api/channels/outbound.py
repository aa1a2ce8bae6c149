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
    """`await sender(channel, address, text, parts_sent)`: the Send of the handoff outbox, over the channels' API
    clients. A text longer than one message goes out in parts (the same split every time); a retry starts after the
    parts already through, and a failure says how many are, so the citizen never reads a part twice."""

    def __init__(self, rt: ChannelsRuntime) -> None:
        self.rt = rt

    async def __call__(self, channel: str, address: str, text: str, parts_sent: int = 0) -> int:
        if channel in ("wechat", "miniprogram"):
            return await self._wechat(channel, address, text, parts_sent)
        if channel == "telegram":
            return await self._telegram(address, text, parts_sent)
        raise DeliveryError(f"no send API for channel {channel[:16]}", permanent=True)

    async def _wechat(self, channel: str, openid: str, text: str, parts_sent: int) -> int:
        account = getattr(self.rt, channel)
        if account is None or account.api is None:
            raise DeliveryError(f"{channel}: the send API is off ({channel.upper()}_APP_ID / _APP_SECRET not set)")
        through = parts_sent
        try:
            for chunk in split_text(text, self.rt.settings.wechat_text_max_bytes)[parts_sent:]:
                await account.api.send_text(openid=openid, text=chunk)
                through += 1
        except WeChatApiError as exc:
            permanent = exc.errcode in WECHAT_PERMANENT
            raise DeliveryError(redact(str(exc)), permanent=permanent, parts_sent=through) from None
        except httpx.HTTPStatusError as exc:
            raise DeliveryError(
                f"{channel}: HTTP {exc.response.status_code} from the send API", parts_sent=through
            ) from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{channel}: {type(exc).__name__} reaching the send API", parts_sent=through) from None
        return through

    async def _telegram(self, chat_id: str, text: str, parts_sent: int) -> int:
        from telegram.error import BadRequest, Forbidden, TelegramError

        from api.channels.telegram_api import TEXT_MAX_BYTES

        channel = self.rt.telegram
        if channel is None:
            raise DeliveryError("telegram: TELEGRAM_BOT_TOKEN is not set")
        through = parts_sent
        try:
            bot = await channel.ready_bot()
            for chunk in split_text(text, TEXT_MAX_BYTES)[parts_sent:]:
                await bot.send_message(int(chat_id), chunk)
                through += 1
        except (Forbidden, BadRequest) as exc:  # blocked by the user, chat not found: sending again will not help
            raise DeliveryError(f"telegram: {redact(exc.message)}", permanent=True, parts_sent=through) from None
        except TelegramError as exc:
            raise DeliveryError(f"telegram: {redact(exc.message)}", parts_sent=through) from None
        except ValueError:
            raise DeliveryError("telegram: the stored chat id is not a number", permanent=True) from None
        return through
