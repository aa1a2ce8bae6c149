"""The precision evaluator: facts read from the real guides, the salient-part rules, our dev file, a degraded run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bench.evalclient import InProcessChatClient, Turn, degraded_settings, normalise, read_jsonl, run_turns
from bench.precision_eval import (
    DEFAULT_FILE,
    FIELDS,
    InvalidLine,
    evaluate,
    expected_fact,
    family,
    misses,
    salient_amount,
    salient_text,
    summarise,
)
from index.catalogue import Catalogue
from index.search import Searcher


def fact_of(cat: Catalogue, **line: Any) -> str:
    return expected_fact(cat, {"q": "?", **line}).shown


def test_fee_and_time_come_down_to_the_first_number_with_its_unit(cat: Catalogue) -> None:
    assert salient_amount("补领工本费40元；临时身份证10元") == "40元"
    assert salient_amount("材料齐全1—3个工作日办结") == "1—3个工作日"
    assert salient_amount("免费（营业执照和电子营业执照都不收钱）") == "免费"  # no number: the first clause
    item = cat.items["id-card-lost"]
    assert fact_of(cat, id="id-card-lost", field="fee") == salient_amount(item.fee)
    assert fact_of(cat, id="id-card-lost", field="time_limit") == salient_amount(item.time_limit)


def test_long_texts_take_clauses_until_six_characters(cat: Catalogue) -> None:
    assert salient_text("可以。在窗口申请就行，不用跑。") == "可以，在窗口申请就行"
    assert salient_text("12345") == "12345"  # shorter than six: the whole text
    assert salient_text("公交3路、15路下车，停车场在西侧", part=2) == "停车场在西侧"
    with pytest.raises(InvalidLine):
        salient_text("一句话", part=3)
    answer = cat.items["id-card-lost"].faqs[0].a
    assert normalise(answer).startswith(normalise(fact_of(cat, id="id-card-lost", field="faq:1")))


def test_who_is_the_age_when_the_audience_names_one(cat: Catalogue) -> None:
    assert fact_of(cat, id="elderly-allowance", field="who") == "80周岁"
    audience = cat.items["legal-aid"].audience
    assert fact_of(cat, id="legal-aid", field="who") == salient_text(audience)  # no age: the text rule


def test_where_needs_floor_and_counters(cat: Catalogue) -> None:
    fact = expected_fact(cat, {"q": "?", "id": "passport", "field": "where"})
    window = cat.windows[cat.items["passport"].window]
    assert fact.found_in(f"去{window.name}：{window.location.floor} {window.location.counters}")
    assert not fact.found_in(window.location.floor)  # the floor alone is not the place
    assert not fact.found_in(window.location.counters)


def test_online_is_any_one_channel_and_site_paths_read_site_yml(cat: Catalogue) -> None:
    fact = expected_fact(cat, {"q": "?", "id": "passport", "field": "online"})
    assert all(fact.found_in(f"可以在{o.name}上办") for o in cat.items["passport"].online)
    assert expected_fact(cat, {"q": "?", "field": "site:hotline"}).found_in(f"请打{cat.site.hotline}")
    weekend = expected_fact(cat, {"q": "?", "field": "site:hours.weekend"})
    assert weekend.found_in(cat.site.hours.weekend.replace("—", "-"))  # full text, other dash: still found
    appointment = expected_fact(cat, {"q": "?", "field": "site:appointment"})
    assert appointment.found_in(cat.site.appointment[-1].name)


@pytest.mark.parametrize(
    "line",
    [
        {"id": "no-such-guide", "field": "fee"},
        {"id": "passport", "field": "colour"},
        {"id": "passport", "field": "faq:99"},
        {"id": "passport", "field": "faq:x"},
        {"id": "w-police", "field": "fee"},  # a window has no fee
        {"id": "yjs-newborn", "field": "fee"},  # nor does a bundle
        {"id": "death-medical-certificate", "field": "online"},  # no online channel
        {"field": "site:nowhere"},
        {"field": "site:hours"},  # not a text
        {"field": "site:facilities"},  # a list, not one fact
        {"field": "site:address", "part": 9},
    ],
)
def test_lines_the_guides_cannot_answer_are_invalid(cat: Catalogue, line: dict[str, Any]) -> None:
    with pytest.raises(InvalidLine):
        expected_fact(cat, {"q": "?", **line})


def reply(text: str, rid: str | None, card: dict[str, Any] | None = None) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"type": "text", "text": text}]
    if card:
        messages.append({"type": "guide_card", "text": "卡", "card": card})
    return {"messages": messages, "meta": {"route": {"kind": "guide" if rid else "none", "id": rid}}}


def test_summary_rates_per_field_on_entry_and_card_only(cat: Catalogue) -> None:
    fee = cat.items["id-card-lost"].fee
    lines = [
        {"q": "a", "id": "id-card-lost", "field": "fee"},
        {"q": "b", "id": "id-card-lost", "field": "fee", "style": "followup"},
        {"q": "c", "id": "id-card-lost", "field": "fee"},
        {"q": "d", "field": "site:hotline"},
        {"q": "e", "id": "no-such-guide", "field": "fee"},
    ]
    bodies = [
        reply(f"收费：{fee}", "id-card-lost"),
        reply(f"收费：{fee}", "id-card-renew"),  # the fact, but from another guide
        reply("看卡片", "id-card-lost", card={"fee": fee}),
        reply(f"请打{cat.site.hotline}", None),
        reply("", None),
    ]
    turns = [Turn(line["q"], 200, b, 5.0) for line, b in zip(lines, bodies, strict=True)]
    checked = evaluate(cat, lines, turns)
    report = summarise(checked, turns, "test")
    assert report["valid"] == 4
    assert report["rate"]["value"] == 0.75 and report["rate"]["target"] == ">= 0.9"
    assert report["rate_on_entry"] == 0.5
    assert report["in_card_only"] == 1
    assert report["by_field"]["fee"] == {"n": 3, "rate": 0.667, "rate_on_entry": 0.333}
    assert report["by_style"]["followup"]["rate_on_entry"] == 0.0
    assert report["invalid"] == [{"q": "e", "problem": "no entry 'no-such-guide'"}]
    assert [m["q"] for m in misses(checked, turns)] == ["c"]


def test_our_dev_file_is_valid_and_covers_every_field(cat: Catalogue) -> None:
    lines = read_jsonl(DEFAULT_FILE)
    for line in lines:
        expected_fact(cat, line)  # raises InvalidLine naming the problem
    fields = Counter(family(str(line["field"])) for line in lines)
    assert set(fields) == set(FIELDS)
    assert fields["site"] >= 15
    assert sum(line.get("style") == "followup" for line in lines) >= 35
    assert len({line["id"] for line in lines if "id" in line}) >= 60
    assert len({line["q"] for line in lines}) == len(lines)


@pytest.mark.slow
def test_degraded_run_through_the_real_gateway(tmp_path: Path, cat: Catalogue, chat_searcher: Searcher) -> None:
    lines = [
        {"q": "社保卡丢了怎么补办", "id": "ss-card-replace", "field": "where"},
        {"q": "政务中心礼拜六上班不", "field": "site:hours.weekend"},
    ]
    client = InProcessChatClient(degraded_settings(tmp_path), searcher=chat_searcher)
    try:
        turns = run_turns(client, [line["q"] for line in lines], concurrency=1)
    finally:
        client.close()
    checked = evaluate(cat, lines, turns)
    report = summarise(checked, turns, client.mode)
    assert report["mode"] == "degraded" and report["errors"] == 0 and report["degraded_turns"] == 2
    assert checked[0].found or checked[0].in_card_only  # the window is in the text or on the card, wording aside
    assert turns[0].reply is not None and turns[0].reply["meta"]["route"]["id"] == "ss-card-replace"
    assert set(report["by_field"]) == {"where", "site"}
