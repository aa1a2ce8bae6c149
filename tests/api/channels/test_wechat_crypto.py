"""Signatures and 安全模式 AES against WeChat's own sample (WXBizMsgCrypt Sample.py) and a checked-in vector."""

from __future__ import annotations

import pytest

from api.channels.wechat_crypto import (
    AesKey,
    WeChatCrypto,
    WeChatCryptoError,
    decode_aes_key,
    sha1_signature,
    signature_ok,
    timestamp_fresh,
)

# From the WXBizMsgCrypt sample WeChat publishes with its 消息加解密 documentation (Sample.py, 2014).
SAMPLE_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SAMPLE_TOKEN = "spamtest"
SAMPLE_APP_ID = "wx2c2769f8efd9abc2"
SAMPLE_TIMESTAMP = "1409735669"
SAMPLE_NONCE = "1320562132"
SAMPLE_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9"
    "FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3y"
    "t+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v"
    "6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)

# Produced once by AesKey.encrypt with random16=b"0123456789abcdef" and cross-checked with cryptography's own
# PKCS7(256) padder; it pins the layout random16 + msg_len + msg + appid and the 32-byte padding.
FIXED_PLAIN = "<xml><Content><![CDATA[您好，请带身份证原件。]]></Content></xml>".encode()
FIXED_ENCRYPT = (
    "Q3stYC6hdFzMh9T8HCvyDB/iwGJ+SfO556wUig7GZt8fuIcV/eMBLcG1o+2KtkhgcxqziZBRznnQOKhScacGcxqt8SK4UsBA8vlH7g1whJHp"
    "WQHA/DwElSsKr+3USuJAJK+sKZNxPThNYirZgqR5tF4hUb77MIQ/IkRzvGHxGP4="
)


def sample_crypto(*keys: str) -> WeChatCrypto:
    return WeChatCrypto(token=SAMPLE_TOKEN, app_id=SAMPLE_APP_ID, aes_keys=list(keys) or [SAMPLE_KEY])


def test_known_answer_msg_signature() -> None:
    crypto = sample_crypto()
    assert sha1_signature(SAMPLE_TOKEN, SAMPLE_TIMESTAMP, SAMPLE_NONCE, SAMPLE_ENCRYPT) == SAMPLE_MSG_SIGNATURE
    assert crypto.msg_signature_ok(
        timestamp=SAMPLE_TIMESTAMP, nonce=SAMPLE_NONCE, encrypted=SAMPLE_ENCRYPT, msg_signature=SAMPLE_MSG_SIGNATURE
    )
    assert not crypto.msg_signature_ok(
        timestamp="1409735670", nonce=SAMPLE_NONCE, encrypted=SAMPLE_ENCRYPT, msg_signature=SAMPLE_MSG_SIGNATURE
    )


def test_known_answer_decrypt() -> None:
    plain, _ = sample_crypto().decrypt(SAMPLE_ENCRYPT)
    text = plain.decode()
    assert "<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>" in text
    assert "<Content><![CDATA[abcdteT]]></Content>" in text
    assert "<MsgId>6054768590064713728</MsgId>" in text


def test_fixed_vector_encrypt() -> None:
    key = AesKey(decode_aes_key(SAMPLE_KEY))
    assert key.encrypt(FIXED_PLAIN, SAMPLE_APP_ID, random16=b"0123456789abcdef") == FIXED_ENCRYPT
    assert key.decrypt(FIXED_ENCRYPT, SAMPLE_APP_ID) == FIXED_PLAIN


def test_round_trip_random_and_reply_signature() -> None:
    crypto = sample_crypto()
    encrypted, signature, ts, nonce = crypto.encrypt_reply(FIXED_PLAIN)
    assert crypto.msg_signature_ok(timestamp=ts, nonce=nonce, encrypted=encrypted, msg_signature=signature)
    assert crypto.decrypt(encrypted)[0] == FIXED_PLAIN
    assert crypto.encrypt_reply(FIXED_PLAIN)[0] != encrypted  # random prefix


def test_previous_key_still_decrypts_during_rotation() -> None:
    new_key = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
    crypto = sample_crypto(new_key, SAMPLE_KEY)
    plain, used = crypto.decrypt(SAMPLE_ENCRYPT)
    assert b"abcdteT" in plain
    assert used == crypto.keys[1]
    with pytest.raises(WeChatCryptoError):
        sample_crypto(new_key).decrypt(SAMPLE_ENCRYPT)


def test_wrong_app_id_and_garbage_are_refused() -> None:
    other = WeChatCrypto(token=SAMPLE_TOKEN, app_id="wx0000000000000000", aes_keys=[SAMPLE_KEY])
    for bad in (SAMPLE_ENCRYPT, "not base64 !!", "", "AAAA", FIXED_ENCRYPT[:-8] + "AAAAAAA="):
        with pytest.raises(WeChatCryptoError):
            other.decrypt(bad)


def test_bad_keys_are_refused() -> None:
    for bad in ("short", SAMPLE_KEY[:-1] + "!", SAMPLE_KEY + "A"):
        with pytest.raises(ValueError):
            decode_aes_key(bad)


def test_signature_helpers() -> None:
    sig = sha1_signature("pamtest", "1409304348", "xxxxxx")
    assert signature_ok(("pamtest", "1409304348", "xxxxxx"), sig)
    assert signature_ok(("pamtest", "1409304348", "xxxxxx"), sig.upper())
    assert not signature_ok(("pamtest", "1409304348", "xxxxxx"), None)
    assert not signature_ok(("pamtest", "1409304348", "xxxxxx"), "签名")
    assert not signature_ok(("pamtest", "1409304348", "xxxxxy"), sig)
    assert timestamp_fresh("1000", 300, now=1200)
    assert not timestamp_fresh("1000", 300, now=1400)
    assert timestamp_fresh("1000", 0, now=99999)
    assert not timestamp_fresh("abc", 0)
