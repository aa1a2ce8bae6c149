"""The one guide view: every entry's card built once per catalogue from the repository's guides."""

from __future__ import annotations

import gc
import weakref

from api.guides.view import BADGE_FIELDS, EntryRef, WindowInfo, guide_card, guide_view
from index import catalogue
from index.catalogue import Catalogue
from index.schema import MaterialForm


def test_the_view_is_built_once_per_catalogue_and_dropped_with_it(cat: Catalogue) -> None:
    view = guide_view(cat)
    assert guide_view(cat) is view
    assert set(view.cards) == {*cat.items, *cat.bundles, *cat.windows}
    reloaded = catalogue.load()  # what a reload swaps in: the same guides, a new object
    fresh = guide_view(reloaded)
    assert fresh is not view and fresh.cards.keys() == view.cards.keys()
    gone = weakref.ref(fresh)
    del reloaded, fresh
    gc.collect()
    assert gone() is None, "a replaced catalogue's view must not stay in memory"
    assert guide_view(cat) is view


def test_item_card_has_its_window_bundles_and_the_site_defaults(cat: Catalogue) -> None:
    card = guide_card(cat, "marriage-registration")
    assert card is not None and card.kind == "item" and card.url == "/guides/marriage-registration"
    item = cat.items["marriage-registration"]
    w = cat.windows[item.window]
    assert card.window == WindowInfo(
        id=w.id, name=w.name, floor=w.location.floor, counters=w.location.counters, hours=w.hours
    )
    bundle = cat.bundles["yjs-marriage-hukou"]
    assert card.bundles == (EntryRef(id=bundle.id, kind="bundle", name=bundle.name),)
    assert [m.name for m in card.materials] == [m.name for m in item.materials]
    assert card.visits == 1 and card.rejections and card.time_limit == item.time_limit and card.fee == item.fee
    assert card.remedy == cat.site.remedy  # the item sets none of its own
    assert card.phones is not None and card.phones.consult == item.phone
    assert card.phones.supervise == cat.site.phones.supervise


def test_a_material_line_shows_the_badges_its_guide_sets(cat: Catalogue) -> None:
    card = guide_card(cat, "ss-card-replace")
    assert card is not None
    photo = next(m for m in card.materials if m.name == "近期免冠证件照")
    assert photo.data_shared and photo.badges == ("data_shared",)
    assert all(m.badges == () for m in card.materials if m is not photo)
    promised = guide_card(cat, "business-change")
    assert promised is not None
    line = next(m for m in promised.materials if m.name == "新住所使用证明")
    assert "promise_ok" in line.badges and set(line.badges) <= set(BADGE_FIELDS)


def test_bundle_card_is_the_merged_checklist_with_who_asks_for_each_line(cat: Catalogue) -> None:
    card = guide_card(cat, "yjs-newborn")
    assert card is not None and card.kind == "bundle" and card.window is not None
    assert card.window.id == "w-yijianshi"
    assert [m.id for m in card.members] == cat.bundles["yjs-newborn"].members
    ids = next(m for m in card.materials if m.name == "居民身份证")
    assert ids.of == "父母双方" and ids.form in (MaterialForm.original, MaterialForm.original_and_copy)
    assert [r.id for r in ids.needed_for] == list(cat.bundles["yjs-newborn"].members)
    assert all(r.kind == "item" for r in ids.needed_for)
    own = next(m for m in card.materials if m.name == "新生儿出生一件事联办申请表")
    assert own.needed_for == (EntryRef(id="yjs-newborn", kind="bundle", name=card.name),)
    marriage = next(m for m in card.materials if m.name == "结婚证")
    assert marriage.optional_when == "父母已登记结婚" and marriage.data_shared
    assert card.remedy == cat.site.remedy and card.phones is not None
    assert card.phones.consult == cat.site.phones.consult
    assert card.fee is None and card.visits is None and card.rejections == ()


def test_window_card_lists_what_it_handles_and_no_remedy(cat: Catalogue) -> None:
    police = guide_card(cat, "w-police")
    assert police is not None and police.kind == "window" and police.materials == ()
    assert EntryRef(id="passport", kind="item", name="普通护照签发") in police.handles
    assert {r.id for r in police.handles} == {i.id for i in cat.items_at_window("w-police")}
    assert police.window is not None and police.window.id == "w-police"
    assert police.remedy is None and police.phones is None and police.time_limit is None
    hall = guide_card(cat, "w-yijianshi")
    assert hall is not None and "yjs-newborn" in {b.id for b in hall.bundles_here}


def test_an_alias_id_gives_the_card_of_the_item_it_names(cat: Catalogue) -> None:
    view = guide_view(cat)
    assert view.card("new-car-registration") is view.card("vehicle-registration") is not None
    assert "new-car-registration" not in view.cards
    assert view.card("no-such-thing") is None
