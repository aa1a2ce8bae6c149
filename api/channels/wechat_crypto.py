"""WeChat message signatures and 安全模式 AES-CBC (EncodingAESKey), after WeChat's WXBizMsgCrypt reference.

Written on `cryptography` rather than wechatpy: the whole scheme is ~60 lines, and wechatpy would add an
unpinned dependency tree (optionsfactory, xmltodict, its own HTTP client) for code we must audit anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
import time
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32  # WeChat pads to 32 bytes (PKCS#7 with k=32), not to the AES block of 16


class WeChatCryptoError(Exception):
    """A body that passed the signature check but cannot be decrypted or belongs to another app."""


def sha1_signature(*parts: str) -> str:
    """WeChat's signature: sha1 over the lexicographically sorted parts, concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def signature_ok(expected_parts: Sequence[str], given: str | None) -> bool:
    """Constant-time comparison; a missing or non-ASCII signature is simply wrong."""
    if not given or not given.isascii():
        return False
    return hmac.compare_digest(sha1_signature(*expected_parts).encode(), given.lower().encode())


def timestamp_fresh(timestamp: str, max_skew_s: int, *, now: float | None = None) -> bool:
    """Replay window; 0 switches it off (WeChat retries reuse the first timestamp, within 15 s)."""
    if not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if max_skew_s <= 0:
        return True
    current = time.time() if now is None else now
    return abs(current - int(timestamp)) <= max_skew_s


def decode_aes_key(encoding_aes_key: str) -> bytes:
    if len(encoding_aes_key) != 43:
        raise ValueError("an EncodingAESKey has 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError("the EncodingAESKey is not base64") from exc
    if len(key) != 32:
        raise ValueError("the EncodingAESKey does not decode to 32 bytes")
    return key


def _pad(data: bytes) -> bytes:
    n = BLOCK - len(data) % BLOCK
    return data + bytes([n]) * n


@dataclass(frozen=True)
class AesKey:
    key: bytes

    def encrypt(self, message: bytes, app_id: str, *, random16: bytes | None = None) -> str:
        nonce = os.urandom(16) if random16 is None else random16
        plain = _pad(nonce + struct.pack(">I", len(message)) + message + app_id.encode())
        enc = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(enc.update(plain) + enc.finalize()).decode("ascii")

    def decrypt(self, encrypted: str, app_id: str) -> bytes:
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise WeChatCryptoError("not base64") from exc
        if not raw or len(raw) % 16:
            raise WeChatCryptoError("ciphertext length is not a multiple of 16")
        dec = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        plain = dec.update(raw) + dec.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or pad > len(plain):
            raise WeChatCryptoError("bad padding")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise WeChatCryptoError("too short")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise WeChatCryptoError("bad message length")
        message, from_app = plain[20 : 20 + length], plain[20 + length :]
        if not hmac.compare_digest(from_app, app_id.encode()):
            raise WeChatCryptoError("message is for another app id")
        return message


class WeChatCrypto:
    """The current EncodingAESKey plus, during rotation, the previous one; replies use the key that decrypted."""

    def __init__(self, *, token: str, app_id: str, aes_keys: Sequence[str]) -> None:
        if not aes_keys:
            raise ValueError("at least one EncodingAESKey is needed")
        self.token = token
        self.app_id = app_id
        self.keys = [AesKey(decode_aes_key(k)) for k in aes_keys]

    def msg_signature_ok(self, *, timestamp: str, nonce: str, encrypted: str, msg_signature: str | None) -> bool:
        return signature_ok((self.token, timestamp, nonce, encrypted), msg_signature)

    def decrypt(self, encrypted: str) -> tuple[bytes, AesKey]:
        for key in self.keys:
            try:
                return key.decrypt(encrypted, self.app_id), key
            except WeChatCryptoError:
                continue
        raise WeChatCryptoError("no configured EncodingAESKey decrypts this message")

    def encrypt_reply(
        self, message: bytes, *, key: AesKey | None = None, timestamp: str | None = None, nonce: str | None = None
    ) -> tuple[str, str, str, str]:
        """Returns (encrypted, msg_signature, timestamp, nonce) for the passive-reply envelope."""
        ts = timestamp or str(int(time.time()))
        nn = nonce or str(int.from_bytes(os.urandom(4), "big"))
        encrypted = (key or self.keys[0]).encrypt(message, self.app_id)
        return encrypted, sha1_signature(self.token, ts, nn, encrypted), ts, nn
