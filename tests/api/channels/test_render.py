"""Rendering rules: numbered choices, guide links, splitting under the byte limit, digit parsing."""

from __future__ import annotations

from api.channels.render import parse_choice, render, split_text, wording
from api.chat.schemas import Button, ChatMessage, ChatMeta, ChatReply

BASE = "https://banshi.example.gov.cn"


def test_buttons_become_numbered_choices() -> None:
    reply = ChatReply(
        messages=[
            ChatMessage(type="text", text="社保卡补办可以在网上办，也可以去窗口。"),
            ChatMessage(
                type="buttons",
                text="您想了解：",
                buttons=[
                    Button(title="查看所需材料", payload="/ask_materials"),
                    Button(title="去哪办", payload="/ask_where"),
                ],
            ),
        ],
        meta=ChatMeta(),
    )
    out = render(reply, public_base_url=BASE, max_bytes=1800)
    assert len(out.chunks) == 1
    assert "回复 1 查看所需材料" in out.chunks[0]
    assert "回复 2 去哪办" in out.chunks[0]
    assert [b.payload for b in out.choices] == ["/ask_materials", "/ask_where"]
    plain = render(reply, public_base_url=BASE, max_bytes=1800, numbered=False)
    assert "回复 1" not in plain.chunks[0]
    assert len(plain.choices) == 2


def test_guide_card_links_to_the_guide_page() -> None:
    card = {
        "id": "shebaoka-buban",
        "name": "社会保障卡补换",
        "summary": "丢了、坏了都能补。",
        "materials": [{"name": f"材料{i}"} for i in range(10)],
        "window": {"name": "社保医保窗口", "floor": "二楼", "counters": "12-15号"},
        "url": "/guides/shebaoka-buban",
    }
    reply = ChatReply(messages=[ChatMessage(type="guide_card", text="社会保障卡补换", card=card)], meta=ChatMeta())
    text = render(reply, public_base_url=BASE + "/", max_bytes=1800).chunks[0]
    assert f"{BASE}/guides/shebaoka-buban" in text
    assert text.count("社会保障卡补换") == 1
    assert "材料7" in text and "材料8" not in text
    assert "社保医保窗口" in text
    link = ChatReply(messages=[ChatMessage(type="link", text="拨打热线", url="tel:12345")], meta=ChatMeta())
    assert render(link, public_base_url=BASE, max_bytes=1800).chunks == ["拨打热线：12345"]


def test_long_answers_split_under_the_limit() -> None:
    text = "\n".join(f"第{i}条：请带好身份证原件和户口本原件，复印件要正反面印在同一页。" * 3 for i in range(60))
    chunks = split_text(text, 1800)
    assert len(chunks) > 1
    assert all(len(c.encode()) <= 1800 for c in chunks)
    assert "".join(chunks).replace("\n", "") == text.replace("\n", "")
    one_line = "很长" * 2000
    parts = split_text(one_line, 100)
    assert all(len(p.encode()) <= 100 for p in parts) and "".join(parts) == one_line


def test_parse_choice() -> None:
    assert parse_choice("1") == 1
    assert parse_choice(" １ ") == 1
    assert parse_choice("2。") == 2
    assert parse_choice("12") == 12
    assert parse_choice("1个") is None
    assert parse_choice("13800138000") is None
    assert parse_choice("社保卡") is None


def test_wording_has_every_key() -> None:
    data = wording()
    assert data["welcome"] and data["unsupported"] and isinstance(data["menu"], dict)
