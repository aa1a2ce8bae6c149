"""Shared tables, run in .venv by tests/civic and in .venv-rasa too: phones and masking by
tests/bot/test_phone_contract.py, channels by the bot's own code in a subprocess (tests/civic/test_channels.py)."""

from __future__ import annotations

# what a citizen types -> what is stored
NORMALIZED: list[tuple[str, str]] = [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("+86 138-1234-5678", "13812345678"),
    ("+8613812345678", "13812345678"),
    ("0086 138 1234 5678", "13812345678"),
    ("8613812345678", "13812345678"),
    ("86 138 1234 5678", "13812345678"),
    ("１３８１２３４５６７８", "13812345678"),  # full-width digits
    ("＋８６　１３８－１２３４－５６７８", "13812345678"),  # full-width plus, dash and ideographic space
    ("138—1234—5678", "13812345678"),  # em dashes, which NFKC keeps
    (" 19912345678 ", "19912345678"),
    ("0371-61234567", "0371-61234567"),
    ("037161234567", "0371-61234567"),
    ("0371 6512 3456", "0371-65123456"),
    ("(0371)65123456", "0371-65123456"),
    ("（0371）65123456", "0371-65123456"),
    ("(0371)6123456", "0371-6123456"),
    ("010-62345678", "010-62345678"),
    ("010 6123 4567", "010-61234567"),
    ("021-62345678", "021-62345678"),
    ("+86 10 6123 4567", "010-61234567"),  # abroad the trunk 0 is dropped
    ("+86 (0)371 6512 3456", "0371-65123456"),
    ("0086 371 6512 3456", "0371-65123456"),
    ("037-16512345", "0371-6512345"),  # the separators do not decide the split: area codes are prefix-free
]

REFUSED: list[str] = [
    "",
    "123",
    "12345",
    "abc",
    "12812345678",  # no mobile starts with 12
    "23812345678",
    "1381234567",  # 10 digits
    "138123456789",  # 12 digits
    "13812345678x",
    "0371-0123456",  # ... nor with 0
    "010-12345678",  # local numbers never start with 1
    "0123-4567890",  # no area code starts with 01 but 010
    "0371-65123456-801",  # extensions are refused (see civic/phone.py)
    "0371-65123456转801",
    "400-123-4567",  # service numbers are not a citizen's phone
    "95588",
    "410105199001011234",  # an ID number
    "١٣٨١٢٣٤٥٦٧٨",  # Arabic-Indic digits: NFKC keeps them, and they are not what a mainland phone is
]

# free text -> the number found in it (None: nothing that is a phone)
FOUND: list[tuple[str, str | None]] = [
    ("我电话是138 1234 5678，白天打", "13812345678"),
    ("电话13812345678", "13812345678"),
    ("手机：+86 138-1234-5678。", "13812345678"),
    ("座机 0371-65123456 上午有人", "0371-65123456"),
    ("打（0371）6512 3456就行", "0371-65123456"),
    ("办公室0371-65123456转801", "0371-65123456"),
    ("0371-65123456-801", None),  # a dash-joined extension reads like a longer number: asked again
    ("１３８１２３４５６７８", "13812345678"),
    ("2024-03-15 13812345678", "13812345678"),  # a date before it, joined by a space
    ("3月15日下午打13812345678", "13812345678"),
    ("138 1234 5678 2点以后", "13812345678"),  # a short group after it is not part of it
    ("身份证410105199001011234", None),  # 18 digits never yield the 11 inside
    ("身份证 41010519900101123X", None),
    ("身份证 410105 1990 0101 123X", None),  # an ID in blocks: 1990 0101 123 is not a mobile
    ("卡号 6222 0371 6512 3456", None),  # a bank card in blocks
    ("罚了200元，2024年3月15日", None),
    ("订单号A13812345678B", None),  # letters glued to it: an order number
    ("金额 13800 元 1234 5678", None),
    ("2024-03-15", None),
    ("没有电话", None),
    ("", None),
]

# free text -> what leaves the case system (civic/privacy.py): phones and ID or card numbers masked, the rest kept
MASKED: list[tuple[str, str]] = [
    ("身份证110101199003071234，电话13912345678", "身份证1101**********1234，电话139****5678"),
    ("身份证 41010519900101123x 丢了", "身份证 4101**********123X 丢了"),
    ("老身份证410105900101123", "老身份证4101*******1123"),  # 15 digits, before 1999
    ("身份证 410105 1990 0101 123X", "身份证 4101**********123X"),  # in blocks
    ("卡号 6222 0371 6512 3456", "卡号 6222********3456"),
    ("我电话是138 1234 5678，白天打", "我电话是138****5678，白天打"),
    ("+86 139-1234-5678打不通", "139****5678打不通"),
    ("０086 １３９ １２３４ ５６７８", "139****5678"),  # full-width digits
    ("座机（0371）6512 3456", "座机0371-****3456"),
    ("办公室0371-65123456转801", "办公室0371-****3456转801"),
    ("0371-65123456-801", "0371*******6801"),  # not a phone the form accepts, masked as a long number
    ("电话13912345678和13812345678", "电话139****5678和138****5678"),
    ("110101199003071234 13912345678", "1101**********1234 139****5678"),
    ("身份证110101199003071234 2024年办的", "身份证1101**********1234 2024年办的"),
    ("2024-03-15 去了两次，罚了200元", "2024-03-15 去了两次，罚了200元"),
    ("订单号A13812345678B", "订单号A13812345678B"),
    ("3号窗口工作人员一直玩手机不理人", "3号窗口工作人员一直玩手机不理人"),
    ("139****5678 1101**********1234", "139****5678 1101**********1234"),  # masking twice changes nothing
    ("", ""),
]

# a conversation's channel, as the gateway names it in the message metadata -> the channel its case and handoff
# are filed under (civic/channels.py): the bot's complaints and the console's 转为工单 alike
CHANNELS: list[tuple[object, str]] = [
    ("widget", "widget"),
    ("wechat", "wechat"),
    ("miniprogram", "miniprogram"),  # once filed as the widget's: the bot had its own list
    ("telegram", "telegram"),
    ("api", "widget"),  # a bare /api/chat caller
    ("hotline", "widget"),  # a staff channel is the console's, whatever the metadata says
    ("window", "widget"),
    ("open311", "widget"),
    ("web", "widget"),  # the public case API's, never a conversation's
    ("WeChat", "widget"),
    ("", "widget"),
    (None, "widget"),
    (["wechat"], "widget"),  # metadata is JSON: anything may be there
]
