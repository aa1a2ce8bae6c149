"""The sample questions the widget's welcome offers to tap (and the WeChat welcome lists): each gets its answer.

Asked through /api/chat with Rasa down (the search-only path every channel falls back to), as a first turn.
Each sample names in api/wording/chat.yml the guide or 一件事 that answers it, so editors can change them.
"""

from __future__ import annotations

import pytest

from api.channels.render import say
from api.chat.content import load_messages
from index.catalogue import Catalogue
from tests.api.chat.conftest import ClientFactory, dead_url
from tests.support.chat import ask, cards

SAMPLES = load_messages().section("samples")


def test_there_are_a_few_samples_and_each_names_a_real_entry(cat: Catalogue) -> None:
    assert 3 <= len(SAMPLES) <= 6  # a few to tap on a phone, not a menu
    for entry_id, question in SAMPLES.items():
        assert cat.kind_of(entry_id) in ("item", "bundle"), entry_id
        assert 0 < len(question) <= 20, question  # short enough for one button line


@pytest.mark.parametrize(("entry_id", "question"), list(SAMPLES.items()))
def test_each_sample_gets_its_answer_from_search_alone(
    make_client: ClientFactory, cat: Catalogue, entry_id: str, question: str
) -> None:
    client = make_client(rasa_url=dead_url())
    body = ask(client, question, sender=f"sample-{entry_id}")
    assert body["meta"]["degraded"] is True
    kind = "bundle" if cat.kind_of(entry_id) == "bundle" else "guide"
    assert body["meta"]["route"] == {"kind": kind, "id": entry_id}, (question, body["meta"]["route"])
    # the answer itself: the card or the asked fact, and the way to the full guide
    assert cards(body) or body["messages"][0]["text"]
    assert any(m["type"] == "link" and m["url"] == f"/guides/{entry_id}" for m in body["messages"])


def test_the_wechat_welcome_lists_the_same_samples() -> None:
    listed = [line.lstrip("· ").strip() for line in say("welcome").splitlines() if line.startswith("·")]
    assert listed == list(SAMPLES.values())
