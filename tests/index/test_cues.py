"""The cue words: a grievance told versus a question asked, from guides/cues.yml alone (no search)."""

from __future__ import annotations

import pytest

from index import cues, text


@pytest.mark.parametrize(
    ("message", "top", "grievance"),
    [
        ("窗口的人态度太差了", None, True),  # a strong complaint word, nothing asked: whatever search found
        ("窗口的人态度怎么样", None, False),  # asked
        ("这不是刁难人吗", None, True),  # rhetorical
        ("来了好几次还是办不成", None, True),  # 好几 asks nothing
        ("单位拖欠工资半年", "wage-arrears-complaint", True),  # a grievance guide first and a grievance word
        ("单位拖欠工资半年", "ss-card-apply", False),  # a weak word alone is not enough
        ("拖欠工资怎么投诉", "wage-arrears-complaint", False),  # asks how
        ("单位拖欠工资半年能申请仲裁不", "wage-arrears-complaint", False),  # a spoken yes/no question (question_end)
        ("单位拖欠工资半年，到现在还没有", "wage-arrears-complaint", True),  # 还没有 ends a statement
        ("单位拖欠工资半年，想咨询一下", "wage-arrears-complaint", False),  # the writer says they ask (consult)
        ("想咨询一下，窗口态度太差了", None, True),  # a strong complaint word wins over consult
        ("想咨询一下，楼上漏水三个月物业不管，能不能派人来处理？", None, True),  # asks someone to act (act)
        ("我父亲卧床不起，养老金认证能不能派人上门？", None, False),  # asks about a service
        ("供电所管不管", None, False),  # too short to read a request in
    ],
)
def test_is_grievance(message: str, top: str | None, grievance: bool) -> None:
    assert cues.is_grievance(text.normalize(message), top) is grievance


def test_question_ends_are_not_a_kind_of_their_own() -> None:
    assert cues.ends_asking(text.normalize("政务中心礼拜六上班不？")) and cues.ends_asking(text.normalize("关门了没有"))
    assert cues.QUESTION_END not in cues.detect(text.normalize("不"))


def test_a_named_field_keeps_a_weak_grievance_a_question() -> None:
    # "单位拖欠工资半年去哪里" would ask; without a question mark but with a field named, only strong words file it
    assert not cues.is_grievance(text.normalize("拖欠工资半年的材料"), "wage-arrears-complaint", wanted_nothing=False)
