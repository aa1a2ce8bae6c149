"""One typed view of the guides: what chat, the console and GET /api/guides show of an item, bundle or window.

`guide_view(cat)` builds the cards of every entry once per catalogue and keeps them while that catalogue
lives: a reload (api/index_reload.py) swaps in a new Catalogue object, which gets its own view on first use,
and the old one is dropped with the old catalogue. Chat (api/chat/cards.py), the console (api/console/talk.py)
and /api/guides (api/guides/routes.py) each serialise these cards to their own JSON; none rebuilds them.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from index.catalogue import Catalogue, MergedMaterial
from index.schema import Bundle, Item, Material, MaterialForm, Online, Phones, Window

Kind = Literal["item", "bundle", "window"]
# the material flags a card shows as badges, in this order (免证 / 告知承诺 / 容缺受理); labels are wording
BADGE_FIELDS = ("data_shared", "promise_ok", "deferrable")


def guide_url(entry_id: str) -> str:
    """The plain-language page of an entry (api/web/pages.py), relative to the gateway."""
    return f"/guides/{entry_id}"


@dataclass(frozen=True, kw_only=True)
class EntryRef:
    """Another entry a card names: a bundle an item is part of, a bundle's member, what a window handles."""

    id: str
    kind: Kind
    name: str

    @property
    def url(self) -> str:
        return guide_url(self.id)


@dataclass(frozen=True, kw_only=True)
class WindowInfo:
    """Where an entry is handled: the window's name, floor, counters and hours."""

    id: str
    name: str
    floor: str
    counters: str
    hours: str

    @property
    def url(self) -> str:
        return guide_url(self.id)


@dataclass(frozen=True, kw_only=True)
class MaterialLine:
    """One line of a card's materials: an item's own material, or a line of a bundle's merged 一套材料.

    `needed_for` is set on a bundle's lines only: the members (or the bundle itself, for its own extra
    materials) that ask for the document, in the order the merge met them."""

    name: str
    form: MaterialForm
    count: int
    note: str
    of: str | None = None
    optional_when: str | None = None
    where_to_get: str | None = None
    example: str | None = None
    sample: str | None = None
    common_rejections: tuple[str, ...] = ()
    data_shared: bool = False
    promise_ok: bool = False
    deferrable: bool = False
    needed_for: tuple[EntryRef, ...] = ()

    @property
    def badges(self) -> tuple[str, ...]:
        """The BADGE_FIELDS this material has set, in their order."""
        return tuple(f for f in BADGE_FIELDS if getattr(self, f))


@dataclass(frozen=True, kw_only=True)
class GuideCard:
    """Everything a card of one entry shows, the site's defaults filled in where the entry sets none.

    Which fields an entry has depends on its kind: an item has `bundles`, `fee`, `rejections`, `visits`; a bundle
    has `members` and its merged `materials`; a window has `handles` and `bundles_here` and no materials.
    `remedy` and `phones` are None for a window. `source` is the guide file's entry itself."""

    kind: Kind
    id: str
    name: str
    summary: str
    source: Item | Bundle | Window
    window: WindowInfo | None
    materials: tuple[MaterialLine, ...] = ()
    bundles: tuple[EntryRef, ...] = ()
    members: tuple[EntryRef, ...] = ()
    handles: tuple[EntryRef, ...] = ()
    bundles_here: tuple[EntryRef, ...] = ()
    steps: tuple[str, ...] = ()
    time_limit: str | None = None
    fee: str | None = None
    online: tuple[Online, ...] = ()
    rejections: tuple[str, ...] = ()
    visits: int | None = None
    remedy: str | None = None
    phones: Phones | None = None

    @property
    def url(self) -> str:
        return guide_url(self.id)


@dataclass(frozen=True)
class GuideView:
    """The cards of one catalogue, by id; `card()` resolves an alias entry's id (`same_as`) first."""

    cards: Mapping[str, GuideCard]
    same_as: Mapping[str, str]

    def card(self, entry_id: str) -> GuideCard | None:
        return self.cards.get(self.same_as.get(entry_id, entry_id))


def _window_info(window: Window | None) -> WindowInfo | None:
    if window is None:
        return None
    return WindowInfo(
        id=window.id,
        name=window.name,
        floor=window.location.floor,
        counters=window.location.counters,
        hours=window.hours,
    )


def _refs(cat: Catalogue, ids: list[str] | tuple[str, ...]) -> tuple[EntryRef, ...]:
    """The items and bundles among `ids`, in their order; an id the catalogue lacks is left out."""
    refs: list[EntryRef] = []
    for i in ids:
        if i in cat.items:
            refs.append(EntryRef(id=i, kind="item", name=cat.items[i].name))
        elif i in cat.bundles:
            refs.append(EntryRef(id=i, kind="bundle", name=cat.bundles[i].name))
    return tuple(refs)


def _own_line(m: Material) -> MaterialLine:
    return MaterialLine(
        name=m.name,
        form=m.form,
        count=m.count,
        note=m.note,
        of=m.of,
        optional_when=m.optional_when,
        where_to_get=m.where_to_get,
        example=m.example,
        sample=m.sample,
        common_rejections=tuple(m.common_rejections),
        data_shared=m.data_shared,
        promise_ok=m.promise_ok,
        deferrable=m.deferrable,
    )


def _merged_line(cat: Catalogue, m: MergedMaterial) -> MaterialLine:
    return MaterialLine(
        name=m.name,
        form=m.form,
        count=m.count,
        note=m.note,
        of=m.of,
        optional_when=m.optional_when,
        where_to_get=m.where_to_get,
        example=m.example,
        sample=m.sample,
        common_rejections=m.common_rejections,
        data_shared=m.data_shared,
        needed_for=_refs(cat, m.needed_for),
    )


def _phones(cat: Catalogue, own: str | None = None) -> Phones:
    return Phones(consult=own or cat.site.phones.consult, supervise=cat.site.phones.supervise)


def _item_card(cat: Catalogue, item: Item) -> GuideCard:
    return GuideCard(
        kind="item",
        id=item.id,
        name=item.name,
        summary=item.summary,
        source=item,
        window=_window_info(cat.windows.get(item.window)),
        materials=tuple(_own_line(m) for m in item.materials),
        bundles=_refs(cat, item.bundles),
        steps=tuple(item.steps),
        time_limit=item.time_limit,
        fee=item.fee,
        online=tuple(item.online),
        rejections=tuple(item.rejections),
        visits=item.visits,
        remedy=item.remedy or cat.site.remedy,
        phones=_phones(cat, item.phone),
    )


def _bundle_card(cat: Catalogue, bundle: Bundle) -> GuideCard:
    return GuideCard(
        kind="bundle",
        id=bundle.id,
        name=bundle.name,
        summary=bundle.summary,
        source=bundle,
        window=_window_info(cat.windows.get(bundle.window)),
        materials=tuple(_merged_line(cat, m) for m in cat.merged_materials(bundle.id)),
        members=_refs(cat, bundle.members),
        steps=tuple(bundle.steps),
        time_limit=bundle.time_limit,
        online=tuple(bundle.online),
        remedy=cat.site.remedy,
        phones=_phones(cat),
    )


def _window_card(cat: Catalogue, window: Window) -> GuideCard:
    return GuideCard(
        kind="window",
        id=window.id,
        name=window.name,
        summary=window.summary,
        source=window,
        window=_window_info(window),
        handles=tuple(EntryRef(id=i.id, kind="item", name=i.name) for i in cat.items_at_window(window.id)),
        bundles_here=tuple(EntryRef(id=b.id, kind="bundle", name=b.name) for b in cat.bundles_at_window(window.id)),
    )


def build_view(cat: Catalogue) -> GuideView:
    """Every entry's card; use guide_view(), which builds this once per catalogue."""
    cards: dict[str, GuideCard] = {}
    for item in cat.items.values():
        cards[item.id] = _item_card(cat, item)
    for bundle in cat.bundles.values():
        cards[bundle.id] = _bundle_card(cat, bundle)
    for window in cat.windows.values():
        cards[window.id] = _window_card(cat, window)
    return GuideView(cards=MappingProxyType(cards), same_as=MappingProxyType(dict(cat.same_as)))


# id(catalogue) -> (a weak reference to it, its view). A Catalogue is a mutable dataclass, so it cannot key a
# WeakKeyDictionary; the weak reference both checks that the id still names the same object and drops the
# entry when the catalogue is collected.
_views: dict[int, tuple[weakref.ref[Catalogue], GuideView]] = {}
_lock = threading.RLock()  # re-entrant: a collection inside build_view may run _forget


def _forget(key: int, ref: weakref.ref[Catalogue]) -> None:
    with _lock:
        if key in _views and _views[key][0] is ref:
            del _views[key]


def guide_view(cat: Catalogue) -> GuideView:
    """The cards of `cat`, built on the first call for this catalogue object and shared by every later one."""
    key = id(cat)
    with _lock:
        cached = _views.get(key)
        if cached is not None and cached[0]() is cat:
            return cached[1]
        view = build_view(cat)
        _views[key] = (weakref.ref(cat, lambda ref: _forget(key, ref)), view)
        return view


def guide_card(cat: Catalogue, entry_id: str) -> GuideCard | None:
    """The card of any catalogue id (an alias entry's id gives the item it names); None for an unknown id."""
    return guide_view(cat).card(entry_id)
