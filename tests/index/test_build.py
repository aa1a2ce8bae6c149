"""What the index is built from: one entry per service, an alias entry (same_as) folded into its item."""

from __future__ import annotations

from index import build, catalogue


def test_an_alias_entry_is_no_entry_of_its_own_and_its_words_are_the_items() -> None:
    cat = catalogue.load()
    entries, passages = build.collect(cat)
    ids = [e.id for e in entries]
    assert "new-car-registration" not in ids and ids.count("vehicle-registration") == 1
    assert [e.id for e in entries if e.name == "机动车注册登记（新车上牌）"] == ["vehicle-registration"]
    assert len(ids) == len(set(ids))
    vehicle = ids.index("vehicle-registration")
    words = {p.text for p in passages if p.entry == vehicle}
    assert {"新车上牌", "4S店能代办上牌吗", "纯电车挂绿牌子"} <= words  # both files' phrasings, on the one entry
