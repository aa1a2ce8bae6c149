"""Reply messages for one decision: the asked fact first, in a sentence or two, then the guide link.

The whole card only when the whole procedure is asked; a bundle is an overview plus its checklist link; a fact
is never repeated in the same reply. Wording: the `answer` section of api/wording/chat.yml.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from api.chat.cards import build_card
from api.chat.content import Messages
from api.chat.schemas import Button, ChatMessage
from api.guides.view import guide_url
from index.asked import Asked
from index.catalogue import Catalogue
from index.schema import Bundle, Item, Material, Site, Window

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

    def entry(self, entry_id: str, asked: Asked | None, faq: int | None = None, said: str = "") -> list[ChatMessage]:
        """The messages answering `asked` (or FAQ number `faq`) about one entry; `said` is the normalised message,
        which names the material whose source is asked ("出生证明去哪开")."""
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
            text = self._item(entry, asked, said)
        elif isinstance(entry, Bundle):
            return self._bundle(entry, asked)
        else:
            text = self._window_entry(entry)
        return [ChatMessage(text=text), self.link(entry_id)]

    def _item(self, item: Item, asked: Asked | None, said: str = "") -> str:
        w = self._window(item.window)
        if asked in ("rejected", "remedy", "visits", "phone"):
            return self._review(item, asked)
        if asked == "source":
            named = self._named_materials(item.materials, said)
            reading = self.say.section("reading")
            own = reading["materials"] not in said and self._names_own_document(item, said)
            if not named and (own or not any(w in said for w in reading["documents"].split())):
                # "护照办好了去哪拿", "给孩子办出生证明去哪开" (the item issues that document): where, not the sources
                return self._t("where", name=item.name, **w)
            sources = [self._source(m.name, m.of, m.where_to_get) for m in (named or item.materials)]
            return self._t("source", name=item.name, sources="；".join(s for s in sources[:MAX_LISTED_MATERIALS] if s))
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

    def _review(self, item: Item, asked: Asked) -> str:
        """不予受理情形 and 常见退件原因, 救济途径, 到现场次数, 咨询/监督电话: the item's, or the site's default."""
        site = self.cat.site
        if asked == "rejected":
            text = self._t("rejected", name=item.name, rejections="；".join(item.rejections)) if item.rejections else ""
            common = [r for m in item.materials for r in m.common_rejections][:MAX_LISTED_MATERIALS]
            if common:
                text += self._t("common_rejections", rejections="；".join(common))
            return text or self._t("remedy", remedy=item.remedy or site.remedy)
        if asked == "remedy":
            return self._t("remedy", remedy=item.remedy or site.remedy)
        if asked == "visits" and item.visits is not None:
            key = "visits_none" if item.visits == 0 else "visits"
            return self._t(key, name=item.name, count=item.visits)
        if asked == "visits":
            return _sentence(self._t("time", name=item.name, time_limit=item.time_limit))
        consult = item.phone or site.phones.consult
        return self._t("phone", name=item.name, consult=consult, supervise=site.phones.supervise)

    def _names_own_document(self, item: Item, said: str) -> bool:
        """The message names the document this item issues (出生证明 for 《出生医学证明》首次签发与补发)."""
        vocab = self.cat.documents
        if vocab is None:
            return False
        return any(d.name in item.name and any(w in said for w in (d.name, *d.aliases)) for d in vocab.documents)

    def _named_materials(self, materials: Sequence[Material], said: str) -> list[Material]:
        """The materials a message names, by the material's name or any name of its document (出生证 → 出生医学证明)."""
        vocab = self.cat.documents
        named: list[Material] = []
        for m in materials:
            doc = self.cat.document_name(m.name)
            words = [m.name, doc]
            if vocab is not None:
                words += [a for d in vocab.documents if d.name == doc for a in d.aliases]
            if any(w and w in said for w in words):
                named.append(m)
        return named

    def _source(self, name: str, of: str | None, where_to_get: str | None) -> str:
        if not where_to_get:
            return ""
        if of:
            return self._t("source_line_of", of=of, name=name, where_to_get=where_to_get)
        return self._t("source_line", name=name, where_to_get=where_to_get)

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
        elif asked == "source":
            merged = self.cat.merged_materials(bundle.id)
            sources = [x for x in (self._source(m.name, m.of, m.where_to_get) for m in merged) if x]
            text = self._t("source", name=bundle.name, sources="；".join(sources[:MAX_LISTED_MATERIALS]))
        elif asked == "rejected":
            rejections = [r for m in bundle.members for r in self.cat.items[m].rejections][:MAX_LISTED_MATERIALS]
            text = self._t("rejected", name=bundle.name, rejections="；".join(rejections))
        elif asked == "remedy":
            text = self._t("remedy", remedy=self.cat.site.remedy)
        elif asked == "phone":
            phones = self.cat.site.phones
            text = self._t("phone", name=bundle.name, consult=phones.consult, supervise=phones.supervise)
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
