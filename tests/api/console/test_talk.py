"""The console's guide card carries the 审查要点 layer: whose document, where from, examples, rejections, the
remedy, visits and phones, with the site's defaults where a guide sets none."""

from __future__ import annotations

from api.console import talk
from index.catalogue import Catalogue


def test_item_card_has_the_new_fields_and_site_defaults(cat: Catalogue) -> None:
    card = talk.card_for(cat, "marriage-registration")
    assert card is not None
    assert card.rejections and card.visits == 1
    assert card.remedy == cat.site.remedy  # the item sets no remedy of its own
    assert card.phones == {"consult": cat.items["marriage-registration"].phone, "supervise": cat.site.phones.supervise}
    form = next(m for m in card.materials if m["form"] == "表格")
    assert form["example"] and form["where_to_get"] and form["common_rejections"]
    assert "一共要到现场1次" in card.script


def test_bundle_card_names_whose_document_and_keeps_conditions(cat: Catalogue) -> None:
    card = talk.card_for(cat, "yjs-newborn")
    assert card is not None and len(card.materials) <= 10
    ids = [m for m in card.materials if m["name"] == "居民身份证"]
    assert [m["of"] for m in ids] == ["父母双方"]
    assert "父母双方的居民身份证" in card.script
    assert any(m["optional_when"] for m in card.materials), "a conditional line stays conditional"
    assert card.remedy == cat.site.remedy and card.phones["consult"] == cat.site.phones.consult
