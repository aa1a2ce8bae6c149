"""Where to send an agent's reply: the platform user id (openid, Telegram chat id), sealed with AES-GCM.

Sender ids are a one-way HMAC of the platform id, so replying on WeChat or Telegram needs the id itself. It is
personal data: stored only on an open handoff, sealed under a key derived from SECRET_KEY and bound to its sender
(a sealed value copied to another row does not open), never logged, and wiped when the handoff is over.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"
NONCE_BYTES = 12


class AddressError(Exception):
    """A stored address that does not open: another SECRET_KEY, another sender, or a damaged value."""


class AddressBox:
    """seal/open with AES-256-GCM; the sender id is the associated data."""

    def __init__(self, secret_key: str) -> None:
        key = hmac.new(secret_key.encode("utf-8"), b"handoff-address|" + VERSION.encode(), hashlib.sha256).digest()
        self._aead = AESGCM(key)

    def seal(self, address: str, *, sender: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, address.encode("utf-8"), sender.encode("utf-8"))
        return f"{VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, value: str, *, sender: str) -> str:
        version, _, data = value.partition(":")
        if version != VERSION:
            raise AddressError("unknown address format")
        try:
            raw = base64.urlsafe_b64decode(data.encode("ascii"))
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], sender.encode("utf-8"))
        except (InvalidTag, ValueError) as exc:
            raise AddressError("the address does not open") from exc
        return plain.decode("utf-8")
