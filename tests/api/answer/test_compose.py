"""The 审查要点 facts a chat reply leads with: rejections and 常见退件原因, the remedy, visits, where a material
comes from and the phones, each from the guide or the site's default (no search index needed)."""

from __future__ import annotations

import pytest

from api.answer.compose import Composer
from api.chat.content import load_messages
from index import text
from index.catalogue import Catalogue


@pytest.fixture(scope="module")
def composer(cat: Catalogue) -> Composer:
    return Composer(cat, load_messages())


def _reply(composer: Composer, entry_id: str, asked: str, said: str = "") -> str:
    messages = composer.entry(entry_id, asked, said=text.normalize(said))  # type: ignore[arg-type]
    assert messages[-1].type == "link"
    return messages[0].text or ""


def test_rejected_lists_the_cases_and_the_materials_common_rejections(composer: Composer, cat: Catalogue) -> None:
    item = cat.items["marriage-registration"]
    reply = _reply(composer, item.id, "rejected", "结婚登记为啥不给办")
    assert item.rejections[0] in reply and "一方代另一方签名" in reply


def test_remedy_is_the_items_own_or_the_sites(composer: Composer, cat: Catalogue) -> None:
    assert _reply(composer, "marriage-registration", "remedy") == cat.site.remedy
    own = cat.items["labor-arbitration"].remedy
    assert own and _reply(composer, "labor-arbitration", "remedy") == own


def test_visits_and_phone(composer: Composer, cat: Catalogue) -> None:
    assert "一共要到现场1次" in _reply(composer, "marriage-registration", "visits")
    phone = _reply(composer, "marriage-registration", "phone")
    assert "0000-66012360" in phone and cat.site.phones.supervise in phone
    newborn = _reply(composer, "yjs-newborn", "phone")
    assert cat.site.phones.consult in newborn


def test_source_answers_the_material_named_by_any_of_its_names(composer: Composer, cat: Catalogue) -> None:
    item = cat.items["hukou-newborn"]
    birth = next(m for m in item.materials if m.name == "出生医学证明")
    reply = _reply(composer, item.id, "source", "上户口的出生证明去哪开")
    assert birth.where_to_get and birth.where_to_get in reply
    others = [m for m in item.materials if m.name != "出生医学证明" and m.where_to_get]
    assert others and not any(m.where_to_get in reply for m in others if m.where_to_get != birth.where_to_get)


def test_source_without_a_material_named_is_where(composer: Composer) -> None:
    assert "办公时间" in _reply(composer, "passport", "source", "护照办好了去哪拿")
    assert "材料从哪拿" in _reply(composer, "passport", "source", "办护照的材料在哪拿")


def test_bundle_source_uses_the_merged_list(composer: Composer) -> None:
    reply = _reply(composer, "yjs-newborn", "source", "这些材料去哪开")
    assert "父母双方的居民身份证" in reply and "新生儿的出生医学证明" in reply


def test_source_of_the_document_the_item_itself_issues_is_where(composer: Composer) -> None:
    reply = _reply(composer, "birth-medical-certificate", "source", "给孩子办出生证明去哪开")
    assert "办公时间" in reply and "材料从哪拿" not in reply
