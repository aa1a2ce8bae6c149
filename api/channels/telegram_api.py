"""The Telegram Bot API client of a configured bot (python-telegram-bot's `Bot`), initialised on first use.

Apart from api/channels/telegram.py (updates in, answers out) so that the channels' runtime can hold one without
importing the message path, which imports the runtime.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from telegram import Bot

from api.settings import Settings

TEXT_MAX_BYTES = 4000  # Telegram allows 4096 characters; bytes >= characters, so this is always safe


@dataclass
class TelegramChannel:
    bot: Bot
    secret_token: str
    _ready: asyncio.Lock = field(default_factory=asyncio.Lock)
    _initialized: bool = False

    @classmethod
    def create(cls, settings: Settings) -> TelegramChannel:
        bot = Bot(settings.telegram_bot_token, base_url=f"{settings.telegram_api_base.rstrip('/')}/bot")
        return cls(bot=bot, secret_token=settings.telegram_secret_token)

    async def ready_bot(self) -> Bot:
        """The Bot is initialised (getMe) on first use, so a Telegram outage never blocks the gateway start."""
        async with self._ready:
            if not self._initialized:
                await self.bot.initialize()
                self._initialized = True
        return self.bot

    async def shutdown(self) -> None:
        if self._initialized:
            await self.bot.shutdown()
            self._initialized = False
