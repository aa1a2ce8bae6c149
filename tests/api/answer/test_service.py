"""The one answer decision through the real index: the fact asked first, the named errand over the context."""

from __future__ import annotations

import pytest

from api.answer.service import Answer, Answerer
from api.chat.content import load_messages
from api.state import AppState
from index.catalogue import Catalogue
from index.search import Searcher

pytestmark = pytest.mark.slow
SHORT = 160  # characters: a phone screen or two, not a card


@pytest.fixture(scope="module")
def answerer(chat_searcher: Searcher, cat: Catalogue) -> Answerer:
    return Answerer(AppState(catalogue=cat, searcher=chat_searcher), load_messages())


def text_of(a: Answer) -> str:
    return "\n".join(m.text for m in a.messages if m.type in ("text", "buttons"))


def test_a_fee_question_gets_the_fee_in_one_short_sentence(answerer: Answerer, cat: Catalogue) -> None:
    a = answerer.answer("补办身份证要多少钱")
    assert a.decision == "answer" and a.asked == "fee" and a.route.id == "id-card-lost"
    assert cat.items["id-card-lost"].fee in a.messages[0].text
    assert len(a.messages[0].text) <= SHORT
    assert not any(m.type == "guide_card" for m in a.messages)
    assert any(m.type == "link" and m.url == "/guides/id-card-lost" for m in a.messages)


def test_where_names_the_errands_window_not_a_window_cue(answerer: Answerer, cat: Catalogue) -> None:
    a = answerer.answer("办居住证去几楼")
    assert a.route.id == "residence-permit" and a.asked == "where"
    window = cat.windows[cat.items["residence-permit"].window]
    assert window.location.floor in a.messages[0].text and window.location.counters in a.messages[0].text


def test_asking_for_an_errands_window_gets_the_window(answerer: Answerer, cat: Catalogue) -> None:
    a = answerer.answer("办营业执照的窗口在几楼")
    assert a.route.kind == "window" and a.asked == "where"
    window = cat.windows[a.route.id or ""]
    assert window.location.floor in a.messages[0].text and window.location.counters in a.messages[0].text


def test_typed_pinyin_is_answered_as_the_words_it_spells(answerer: Answerer) -> None:
    a = answerer.answer("huzhao banli yao duojiu")
    assert a.decision == "answer" and a.route.id == "passport" and a.asked == "time"


def test_an_faq_question_gets_the_faq_answer(answerer: Answerer, cat: Catalogue) -> None:
    a = answerer.answer("新社保卡的初始密码是多少")
    assert a.asked == "faq"
    entry = cat.get(a.route.id or "")
    assert entry is not None and a.messages[0].text in [f.a for f in entry.faqs]


def test_site_questions_come_from_site_yml(answerer: Answerer, cat: Catalogue) -> None:
    a = answerer.answer("政务中心周六开门吗")
    assert a.decision == "site" and cat.site.hours.weekend in text_of(a)
    assert cat.site.parking and cat.site.parking in text_of(answerer.answer("停车方便吗"))


def test_which_window_is_a_window_not_the_centres_address(answerer: Answerer, cat: Catalogue) -> None:
    a = answerer.answer("帮办代办在哪个窗口")
    assert a.decision == "answer" and a.route.id == "w-helper" and a.asked == "where"
    assert cat.windows["w-helper"].location.counters in a.messages[0].text
    assert answerer.answer("政务中心怎么走").asked == "site:address"  # the centre named: its address


@pytest.mark.parametrize("question", ["帮办代办在哪", "政务中心帮办代办在哪", "帮办在哪"])
def test_a_windows_name_without_chuangkou_is_that_window_not_the_centre(
    answerer: Answerer, cat: Catalogue, question: str
) -> None:
    # 帮 and 办 are filler words elsewhere ("帮我看看", "在哪办"): the window's name still names a window
    a = answerer.answer(question)
    assert a.decision == "answer" and a.asked == "where"
    assert cat.windows["w-helper"].location.counters in a.messages[0].text


def test_the_errand_named_beats_the_context_and_a_bare_follow_up_keeps_it(answerer: Answerer) -> None:
    first = answerer.answer("补社保卡要多少钱")
    assert first.route.id == "ss-card-replace" and first.asked == "fee"
    stays = answerer.answer("在哪办", last_id=first.route.id, last_asked=first.asked)
    assert stays.route.id == "ss-card-replace" and stays.asked == "where"
    switches = answerer.answer("那身份证呢", last_id=first.route.id, last_asked=first.asked)
    assert switches.route.id != "ss-card-replace" and switches.asked == "fee"


def test_a_bare_topic_is_a_clarification_and_nonsense_abstains(answerer: Answerer) -> None:
    a = answerer.answer("公积金")
    assert a.decision == "clarify" and 2 <= len(a.choices) <= 3
    assert all(b.payload.startswith("/choose_guide") for b in a.messages[0].buttons)
    assert answerer.answer("帮我订一张去火星的机票").decision == "abstain"


def test_the_whole_procedure_gets_the_card_and_a_bundle_is_an_overview(answerer: Answerer) -> None:
    whole = answerer.answer("护照怎么办")
    assert whole.asked == "whole" and [m.type for m in whole.messages].count("guide_card") == 1
    bundle = answerer.answer(None, entry_id="yjs-newborn")
    assert bundle.route.kind == "bundle" and len(text_of(bundle)) <= 300
    assert any(m.type == "link" and m.url == "/guides/yjs-newborn" for m in bundle.messages)


def test_a_grievance_is_the_complaint_path_but_a_question_about_its_window_is_not(answerer: Answerer) -> None:
    told = answerer.answer("为了一个章来回跑了四回")
    assert told.decision == "complaint" and told.route.kind == "complaint" and told.messages == []
    asked = answerer.answer("办不成事反映窗口在几号")
    assert asked.decision == "answer" and asked.asked == "where"


@pytest.mark.parametrize(
    "story",
    [
        "踢皮球，社保说找医保，医保说找社保",  # search finds 社保 errands; the words tell a grievance
        "材料都齐了还说缺东西，让我回去开证明，这不是刁难人吗",  # names materials, asks rhetorically
        "来了好几次，每次说法都不一样",  # 好几 holds a question marker and asks nothing
        "单位拖欠工资半年",  # the wage-arrears guide first, a grievance word, nothing asked
    ],
)
def test_a_grievance_told_without_a_question_is_the_complaint_path(answerer: Answerer, story: str) -> None:
    assert answerer.answer(story).decision == "complaint"


@pytest.mark.parametrize("question", ["怎么给窗口打差评", "拖欠工资怎么投诉", "社保卡补办要多少钱"])
def test_a_question_about_complaining_is_answered_not_filed(answerer: Answerer, question: str) -> None:
    assert answerer.answer(question).decision == "answer"
