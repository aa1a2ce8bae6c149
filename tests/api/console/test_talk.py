"""The console's guide card carries the 审查要点 layer: whose document, where from, examples, rejections, the
remedy, visits and phones, with the site's defaults where a guide sets none."""

from __future__ import annotations

from api.console import talk
from api.guides.view import guide_card
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


def test_cards_are_the_guide_view_with_the_script(cat: Catalogue) -> None:
    """The console card serialises the one guide view: an alias id reads out the item it names, a window has
    no remedy or phones to read out."""
    alias = talk.card_for(cat, "new-car-registration")
    canonical = talk.card_for(cat, "vehicle-registration")
    assert alias is not None and canonical is not None and alias == canonical
    assert alias.guide is guide_card(cat, "vehicle-registration") and alias.path == "/guides/vehicle-registration"
    window = talk.card_for(cat, "w-police")
    assert window is not None and window.kind == "window" and window.materials == []
    assert window.remedy == "" and window.phones == {} and window.time_limit == "" and window.bundles == []
    assert window.window is not None and set(window.window) == {"id", "name", "floor", "counters", "hours"}
    assert cat.windows["w-police"].hours in window.script
    assert talk.card_for(cat, "no-such-thing") is None
