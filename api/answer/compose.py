"""Reply messages for one decision: the asked fact first, in a sentence or two, then the guide link.

The whole card only when the whole procedure is asked; a bundle is an overview plus its checklist link; a fact
is never repeated in the same reply. Wording: the `answer` section of api/chat/messages.yml.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from api.chat.cards import build_card, guide_url
from api.chat.content import Messages
from api.chat.schemas import Button, ChatMessage
from index.asked import Asked
from index.catalogue import Catalogue
from index.schema import Bundle, Item, Site, Window

MAX_LISTED_MATERIALS = 6
SENTENCE_END = "。！？!?"


def choose_payload(entry_id: str, kind: str) -> str:
    """The button payload that shows an entry (Rasa's intent syntax; the degraded path parses it too)."""
    if kind == "bundle":
        return "/show_bundle" + json.dumps({"bundle_id": entry_id}, separators=(",", ":"))
    return "/choose_guide" + json.dumps({"guide_id": entry_id}, separators=(",", ":"))


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text[-1] in SENTENCE_END else text + "。"


def _names(names: Sequence[str], messages: Messages) -> str:
    shown = "、".join(names[:MAX_LISTED_MATERIALS])
    if len(names) > MAX_LISTED_MATERIALS:
        shown += messages.text("answer", "materials_more", count=len(names))
    return shown


class Composer:
    def __init__(self, catalogue: Catalogue, messages: Messages) -> None:
        self.cat = catalogue
        self.say = messages

    def _t(self, key: str, **values: object) -> str:
        return self.say.text("answer", key, **values)

    def _window(self, window_id: str | None) -> dict[str, str]:
        w = self.cat.windows.get(window_id or "")
        if w is None:
            return {"window": "", "floor": "", "counters": "", "hours": ""}
        return {"window": w.name, "floor": w.location.floor, "counters": w.location.counters, "hours": w.hours}

    def link(self, entry_id: str) -> ChatMessage:
        return ChatMessage(type="link", text=self.say.text("buttons", "full_guide"), url=guide_url(entry_id))

    # ---- one entry ----

    def entry(self, entry_id: str, asked: Asked | None, faq: int | None = None) -> list[ChatMessage]:
        """The messages answering `asked` (or FAQ number `faq`) about one entry."""
        entry = self.cat.get(entry_id)
        if entry is None:
            return []
        if faq is not None and faq < len(entry.faqs):
            return [ChatMessage(text=entry.faqs[faq].a), self.link(entry_id)]
        if asked == "whole":
            card = build_card(self.cat, entry_id, self.say)
            intro = ChatMessage(text=self._t("whole", name=entry.name))
            if card is None:
                return [intro, self.link(entry_id)]
            out = [intro, ChatMessage(type="guide_card", text=entry.name, card=card, url=card["url"])]
            if isinstance(entry, Item) and entry.bundles:
                out.append(self._bundle_offer(entry))
            return [*out, self.link(entry_id)]
        if isinstance(entry, Item):
            text = self._item(entry, asked)
        elif isinstance(entry, Bundle):
            return self._bundle(entry, asked)
        else:
            text = self._window_entry(entry)
        return [ChatMessage(text=text), self.link(entry_id)]

    def _item(self, item: Item, asked: Asked | None) -> str:
        w = self._window(item.window)
        if asked == "fee":
            return self._t("fee", name=item.name, fee=item.fee)
        if asked == "time":
            return self._t("time", name=item.name, time_limit=item.time_limit)
        if asked == "where":
            return self._t("where", name=item.name, **w)
        if asked == "online":
            if item.online:
                ways = "；".join(o.name + (f"（{o.how}）" if o.how else "") for o in item.online)
                return self._t("online", name=item.name, online=ways)
            return self._t("offline", name=item.name, **w)
        if asked == "materials":
            names = [m.name + (f"（{m.optional_when}）" if m.optional_when else "") for m in item.materials]
            return self._t("materials", name=item.name, materials=_names(names, self.say))
        if asked == "who":
            return self._t("who", name=item.name, audience=item.audience)
        facts = self._t(
            "overview_facts",
            materials=_names([m.name for m in item.materials], self.say),
            time_limit=item.time_limit,
            **w,
        )
        return _sentence(self._t("overview", name=item.name, summary=item.summary)) + facts

    def _bundle_offer(self, item: Item) -> ChatMessage:
        """The whole procedure of an item that belongs to a 一件事: offer the whole bundle too."""
        bundles = [self.cat.bundles[b] for b in item.bundles[:3] if b in self.cat.bundles]
        return ChatMessage(
            type="buttons",
            text=self._t("bundle_offer", bundles="、".join(b.name for b in bundles)),
            buttons=[Button(title=b.name, payload=choose_payload(b.id, "bundle")) for b in bundles],
        )

    def _bundle(self, bundle: Bundle, asked: Asked | None) -> list[ChatMessage]:
        w = self._window(bundle.window)
        if asked == "fee":
            fees = "；".join(f"{self.cat.items[m].name}：{self.cat.items[m].fee}" for m in bundle.members)
            text = self._t("fee_bundle", name=bundle.name, fees=fees)
        elif asked == "time":
            text = self._t("time", name=bundle.name, time_limit=bundle.time_limit)
        elif asked == "where":
            text = self._t("where", name=bundle.name, **w)
        elif asked == "materials":
            names = [m.name for m in self.cat.merged_materials(bundle.id)]
            text = self._t("materials", name=bundle.name, materials=_names(names, self.say))
        elif asked == "online" and bundle.online:
            ways = "；".join(o.name + (f"（{o.how}）" if o.how else "") for o in bundle.online)
            text = self._t("online", name=bundle.name, online=ways)
        else:
            members = "、".join(self.cat.items[m].name for m in bundle.members)
            text = self._t("bundle", name=bundle.name, members=members, time_limit=bundle.time_limit, **w)
        checklist = ChatMessage(type="link", text=self._t("bundle_checklist"), url=guide_url(bundle.id))
        return [ChatMessage(text=text), checklist]

    def _window_entry(self, window: Window) -> str:
        w = self._window(window.id)
        services = "、".join(i.name for i in self.cat.items_at_window(window.id)[:4])
        if services:
            return self._t("window_services", name=window.name, services=services, **w)
        return self._t("where_window", name=window.name, **w)

    # ---- choices ----

    def clarify(self, choices: Sequence[tuple[str, str, str]]) -> list[ChatMessage]:
        """choices: (id, kind, name); one message with a button each."""
        buttons = [Button(title=name, payload=choose_payload(cid, kind)) for cid, kind, name in choices]
        return [ChatMessage(type="buttons", text=self._t("clarify"), buttons=buttons)]

    def alternatives(self, choices: Sequence[tuple[str, str, str]]) -> list[ChatMessage]:
        if not choices:
            return []
        buttons = [Button(title=name, payload=choose_payload(cid, kind)) for cid, kind, name in choices]
        return [ChatMessage(type="buttons", text=self._t("alternatives"), buttons=buttons)]

    # ---- the centre ----

    def site(self, fact: str, facility: int | None = None) -> list[ChatMessage]:
        s: Site = self.cat.site
        if facility is not None and facility < len(s.facilities):
            return [ChatMessage(text=self._t("site_facility", answer=s.facilities[facility].answer))]
        values = {
            "site": s.name,
            "weekdays": s.hours.weekdays,
            "extended": s.hours.extended,
            "weekend": s.hours.weekend,
            "address": s.address,
            "parking": s.parking or s.transport or s.address,
            "hotline": s.hotline,
            "transport": s.transport or s.address,
            "web_portal": s.web_portal,
            "mobile": next((a.name for a in s.appointment if a.channel.value == "mobile"), s.web_portal),
            "ways": "；".join(f"{a.name}（{a.how}）" if a.how else a.name for a in s.appointment),
        }
        key = f"site_{fact}"
        if key not in self.say.data["answer"]:
            key = "site_hours"
        return [ChatMessage(text=self._t(key, **values))]
