"""The chat's guide card: the one guide view (api/guides/view.py) as the widget and the channels read it."""

from __future__ import annotations

from api.chat.cards import build_card
from api.chat.content import load_messages
from index.catalogue import Catalogue


def test_item_card_carries_badges_in_the_chat_wording_and_links(cat: Catalogue) -> None:
    card = build_card(cat, "ss-card-replace", load_messages())
    assert card is not None
    keys = ["id", "kind", "name", "summary", "materials", "window", "time_limit", "fee", "online", "bundles", "url"]
    assert list(card) == keys
    item = cat.items["ss-card-replace"]
    photo = next(m for m in card["materials"] if m["name"] == "近期免冠证件照")
    assert photo["badges"] == [{"code": "data_shared", "label": load_messages().section("badges")["data_shared"]}]
    assert card["window"]["id"] == item.window and card["window"]["url"] == f"/guides/{item.window}"
    assert [b["id"] for b in card["bundles"]] == item.bundles
    assert all(b["url"] == f"/guides/{b['id']}" for b in card["bundles"])
    assert card["online"] == [o.name for o in item.online] and card["fee"] == item.fee


def test_bundle_card_names_the_items_each_line_is_for(cat: Catalogue) -> None:
    card = build_card(cat, "yjs-newborn", load_messages())
    assert card is not None and card["kind"] == "bundle" and card["fee"] is None
    assert card["steps"] == cat.bundles["yjs-newborn"].steps
    ids = next(m for m in card["materials"] if m["name"] == "居民身份证")
    assert ids["needed_for"] == [cat.items[i].name for i in cat.bundles["yjs-newborn"].members]
    own = next(m for m in card["materials"] if m["name"] == "新生儿出生一件事联办申请表")
    assert own["needed_for"] == []  # the bundle's own form: no member item asks for it
    assert all(m["badges"] == [] and m["optional_when"] is None for m in card["materials"])
    assert [m["name"] for m in card["members"]] == [cat.items[i].name for i in cat.bundles["yjs-newborn"].members]


def test_window_card_lists_what_it_handles(cat: Catalogue) -> None:
    card = build_card(cat, "w-police", load_messages())
    assert card is not None and card["materials"] == [] and card["time_limit"] is None
    assert {"id": "passport", "name": "普通护照签发", "url": "/guides/passport"} in card["handles"]
    assert "online" not in card and card["window"]["id"] == "w-police"
    assert build_card(cat, "no-such-thing", load_messages()) is None


def test_an_alias_id_gives_the_card_of_the_item_it_names(cat: Catalogue) -> None:
    alias = build_card(cat, "new-car-registration", load_messages())
    assert alias is not None and alias == build_card(cat, "vehicle-registration", load_messages())
    assert build_card(cat, "no-such-guide", load_messages()) is None
