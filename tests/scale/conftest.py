"""The multi-replica rig (tools/cluster.py), started once for every test under tests/scale: it takes minutes.

Its gateways also run the WeChat official-account and Telegram channels, whose platform APIs are the local fakes
in tests/api/channels/fakes.py, served from this process: the WeChat customer-service send API (answers slower
than WeChat's 5 seconds) and the Telegram Bot API (every Telegram answer is a sendMessage).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.api.channels.conftest import APP_ID, APP_SECRET, TG_SECRET, TG_TOKEN, TOKEN
from tests.api.channels.fakes import FakeTelegramApi, FakeWeChatApi
from tools.cluster import Cluster, ClusterUnavailable, cluster


@dataclass
class ChannelFakes:
    wechat: FakeWeChatApi
    telegram: FakeTelegramApi

    def gateway_env(self) -> dict[str, str]:
        """The channel settings every gateway gets: 明文模式 WeChat (signed, no AES key) and a Telegram webhook."""
        return {
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_APP_ID": APP_ID,
            "WECHAT_APP_SECRET": APP_SECRET,
            "WECHAT_API_BASE": self.wechat.base_url,
            "TELEGRAM_BOT_TOKEN": TG_TOKEN,
            "TELEGRAM_SECRET_TOKEN": TG_SECRET,
            "TELEGRAM_API_BASE": self.telegram.base_url,
        }


@pytest.fixture(scope="session")
def channel_fakes() -> Iterator[ChannelFakes]:
    with FakeWeChatApi({APP_ID: APP_SECRET}) as wechat, FakeTelegramApi(TG_TOKEN) as telegram:
        yield ChannelFakes(wechat=wechat, telegram=telegram)


@pytest.fixture(scope="session")
def rig(tmp_path_factory: pytest.TempPathFactory, channel_fakes: ChannelFakes) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("cluster")
    try:
        with cluster(tmp, gateway_env=channel_fakes.gateway_env()) as c:
            yield c
    except ClusterUnavailable as exc:
        pytest.skip(f"multi-replica rig unavailable: {exc}")
