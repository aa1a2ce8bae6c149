"""What a message asks, from the cue words in guides/asked.yml."""

from __future__ import annotations

import pytest

from index import asked, catalogue, text


def n(q: str) -> str:
    return text.normalize(q)


@pytest.mark.parametrize(
    ("q", "aspect"),
    [
        ("补办身份证要多少钱", "fee"),
        ("身份证掉了补一个要几个钱", "fee"),
        ("护照要几天", "time"),
        ("办居住证去几楼", "where"),
        ("个税退税在哪个app上弄", "online"),  # online before where
        ("开小超市要准备啥材料", "materials"),
        ("居住证什么人可以办", "who"),
        ("社保卡丢了怎么补办", "whole"),
        ("新社保卡的初始密码", None),
        ("低保申请为啥被退回了", "rejected"),
        ("为什么不给办营业执照", "rejected"),
        ("公积金提取被退件了", "rejected"),
        ("低保不批怎么办", "remedy"),
        ("对工伤认定不服能复议吗", "remedy"),
        ("办护照要跑几趟", "visits"),
        ("结婚登记要去几次", "visits"),
        ("出生证明去哪开", "source"),  # source before where
        ("这个材料在哪拿", "source"),  # source before materials
        ("婚姻登记处电话多少", "phone"),  # phone before fee's 多少钱
        ("我电话13812345678，社保卡丢了", None),  # a number given is not a phone question
        ("为了一个章来回跑了四回", None),  # a grievance, not a visits question
    ],
)
def test_asked_about(q: str, aspect: str | None) -> None:
    assert asked.asked_about(n(q)) == aspect


def test_a_message_that_names_no_errand_follows_the_context() -> None:
    assert asked.names_nothing(n("在哪办呀"))
    assert asked.names_nothing(n("要带啥呢"))
    assert not asked.names_nothing(n("那身份证呢"))
    assert not asked.names_nothing(n("结婚登记在几楼"))


def test_errand_words_drop_what_is_asked_and_keep_a_bare_question_whole() -> None:
    rest = asked.errand_words(n("办居住证去几楼"))
    assert "居住证" in rest and "几楼" not in rest
    assert asked.errand_words(n("在哪办")) == n("在哪办")


def test_bare_topics_site_facts_and_facilities() -> None:
    assert asked.is_bare_topic(n("公积金")) and asked.is_bare_topic(n("退休"))
    assert not asked.is_bare_topic(n("公积金怎么提取"))
    assert asked.site_fact(n("政务中心周六开门吗")) == "weekend"
    assert asked.site_fact(n("停车方便吗")) == "parking"
    # 休息 asks the hours: "中午休息吗？几点下班" names no errand (it had left 休息 and read as one)
    assert asked.site_fact(n("中午休息吗？几点下班")) == "lunch" and asked.names_nothing(n("中午休息吗？几点下班"))
    assert asked.site_fact(n("周末休息吗")) == "weekend" and asked.names_nothing(n("周末休息吗"))
    assert not asked.names_nothing(n("工伤休息期间工资怎么算"))
    site = catalogue.load().site
    facility = asked.facility_of(n("大厅有复印的地方吗"), site)
    assert facility is not None and "复印" in site.facilities[facility].name
