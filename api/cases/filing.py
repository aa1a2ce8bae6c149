"""Who may file on POST /api/cases, under which channel, and how often (token buckets per address and per phone)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING

from api.cases.schemas import PUBLIC_CHANNEL, Channel
from api.chat.ratelimit import RateLimiter, RedisTokenBucketLimiter, TokenBucketLimiter
from api.settings import Settings
from civic.channels import STAFF_CHANNELS

if TYPE_CHECKING:
    import redis


class StaffChannelRefused(ValueError):
    """Hotline and window cases come from the console, Open311 from its routes; the API answers 422."""


def channel_for(claimed: Channel | None, *, internal: bool) -> Channel:
    """The action server names the citizen's channel; anyone else files as "web", whatever it claims."""
    if claimed in STAFF_CHANNELS:
        raise StaffChannelRefused(claimed)
    return claimed if internal and claimed is not None else PUBLIC_CHANNEL


@dataclass
class FilingLimits:
    per_ip: RateLimiter
    per_phone: RateLimiter
    secret: bytes  # keys the phone hash

    def wait(self, *, phone: str, ip: str | None) -> float:
        """0 when allowed, else the seconds to wait; `ip` None (the action server, every chat user's address) skips
        the address bucket. The address goes first, so a refused address costs the phone nothing."""
        if ip is not None:
            wait = self.per_ip.hit(f"case-ip:{ip}")
            if wait:
                return wait
        return self.per_phone.hit(f"case-phone:{self.phone_key(phone)}")

    def phone_key(self, phone: str) -> str:
        """A keyed hash: the number never sits in Redis, and 10^11 numbers cannot be tried without the secret."""
        return hmac.new(self.secret, b"case-phone|" + phone.encode(), hashlib.sha256).hexdigest()[:32]


def build_filing_limits(settings: Settings, redis_client: redis.Redis | None = None) -> FilingLimits:
    """In Redis when the gateway has one, so replicas share the budget; else in process."""
    ip = (settings.case_rate_ip_burst, settings.case_rate_ip_per_min)
    phone = (settings.case_rate_phone_burst, settings.case_rate_phone_per_min)
    secret = settings.secret_key.encode()
    if redis_client is None:
        return FilingLimits(TokenBucketLimiter(*ip), TokenBucketLimiter(*phone), secret)
    return FilingLimits(
        RedisTokenBucketLimiter(redis_client, *ip), RedisTokenBucketLimiter(redis_client, *phone), secret
    )
