"""The intent guard: a question is not a complaint, 催办 is not a question; cue words come from guides/cues.yml."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from addons.intent_guard import (
    FallbackGuard,
    IntentGuard,
    corrected,
    load_act,
    load_case_status,
    load_consult,
    load_cues,
    load_question_ends,
    load_question_exceptions,
    rescued,
)

GRIEVANCE, QUESTION = load_cues()
RHETORICAL, NOT_QUESTION = load_question_exceptions()
QUESTION_END = load_question_ends()
CONSULT, COMPLAINT = load_consult()
OWN_CASE, CASE_PROGRESS = load_case_status()
ACT = load_act()


@pytest.mark.parametrize(
    ("intent", "text", "expected"),
    [
        ("file_complaint", "老公上班路上被车撞了，这算不算工伤，要去哪申请", "ask_howto"),
        ("file_complaint", "残疾人有没有优先窗口", "ask_howto"),
        ("file_complaint", "租房和买房提公积金，一次都给我讲讲", "ask_howto"),  # asks to be told
        ("check_case", "怎么查我名下有几套房", "ask_howto"),
        ("check_case", "我的投诉 TS-20261201001 怎么样了？", None),  # a case number: a real status check
        ("file_complaint", "窗口的人态度太差了，我要投诉", None),
        ("file_complaint", "跑了好几回还是不给办，怎么回事", None),  # grievance and question: DIET decides
        ("ask_howto", "营业执照交上去一个月了还没消息，当时说五个工作日", "file_complaint"),
        ("ask_howto", "为了一个章来回跑了四回", "file_complaint"),
        ("ask_howto", "护照怎么办", None),
        ("greet", "你好", None),
        ("hotline", "社保窗口的人不耐烦还吼我，我电话13612345678，请给个说法，不能这样对老百姓", "file_complaint"),
        ("hotline", "12345电话多少", None),
        ("rate_service", "办完事在哪里评价", "ask_howto"),  # how to rate: the 好差评 guide
        ("rate_service", "我要给差评", None),
        ("request_human", "踢皮球，社保说找医保，医保说找社保", "file_complaint"),
        ("request_human", "态度太差了，给我转人工", None),  # asks for a person: the handoff
        ("request_human", "那个大姐冲我嚷嚷，一点耐心都没有", "file_complaint"),  # a grievance, nobody asked for
        ("request_human", "你是机器人吗", "greet"),  # who answers: the greeting says so, no handoff opened
        ("request_human", "你是真人还是机器人？", "greet"),
        ("out_of_scope", "你是真人吗", "greet"),
        ("request_human", "你是机器人吗，给我转人工", None),  # asks for a person
        ("file_complaint", "物业把绿化带改成停车位收钱，这合理吗？", None),  # rhetorical: DIET's complaint stays
        ("file_complaint", "公交站牌被挪走了，前几天有老人摔了，请有关部门管一管", None),  # 前几天 asks nothing
        (
            "file_complaint",
            "我家在外地打工的孩子回来上学，要先去教育局登记还是直接去学校报名，需要带户口本吗",
            "ask_howto",
        ),
        ("out_of_scope", "shebaoka zenme banli", "ask_howto"),  # typed pinyin: the gateway reads it
        ("greet", "huzhao banli yao duojiu", "ask_howto"),  # a long run of pinyin is not small talk
        ("greet", "gesui tuishui", "ask_howto"),
        ("greet", "nihao", None),  # short pinyin small talk stays
        ("thank", "xie xie ni", None),
        ("goodbye", "geti yingye zhizhao zenme ban", "ask_howto"),
        ("out_of_scope", "hello world", None),
        ("greet", "nihao", None),
        ("inform", "我上个月交的材料说好五个工作日办好，现在服务态度还这么差，一直推来推去", "file_complaint"),
        ("inform", "我想问一下系统故障的时候能不能去窗口现场办理，要带什么材料？", "ask_howto"),
        ("inform", "服务态度", None),  # the form's category answer
        ("goodbye", "说系统坏了让我明天再来，明天又坏了", "file_complaint"),  # 明天再来 is a goodbye's words
        ("thank", "谢谢你，辛苦了，下次再来问", None),
        ("goodbye", "好的好的，那就这样吧，拜拜", None),
        ("greet", "你好，我想问一下社保卡丢了之后要去哪里补办，需要带什么东西呢", "ask_howto"),
        ("deny", "不对，类别不是态度太差，是多要材料", None),  # a form's read-back answer stays
        ("deny", "政务中心礼拜六上班不", "ask_howto"),  # a spoken yes/no question, not a no
        ("deny", "不", None),
        ("deny", "不是这个", None),
        ("file_complaint", "十二点多去窗口关门了没有", "ask_howto"),
        ("file_complaint", "下了班六点多还能去办事不？", "ask_howto"),
        ("file_complaint", "材料交了一个月了，到现在还没有", None),  # 还没有 ends a statement
        ("file_complaint", "一直拖着不给办，跑了三趟都办不了，到底给不给办不", None),  # a grievance cue: DIET decides
        ("inform", "我的电话是13912345678，有事打这个号码找我就行，谢谢你们了", None),
        ("inform", "低保申请交上去两个月了一直没人处理，打了三次电话都说再等等，我电话13912345678", "file_complaint"),
        ("inform", "我电话13912345678，想问一下低保申请交上去以后一般多久有结果？", None),  # asks: search decides
        # the writer says they ask: grievance words around it do not make it a complaint
        ("file_complaint", "小区门口的路灯坏了半年一直没人修，想咨询一下这个归哪个部门管", "ask_howto"),
        ("file_complaint", "您好，咨询下拆迁安置房的交房时间，希望相关部门尽快解决", "ask_howto"),
        ("file_complaint", "想咨询一下，窗口态度这么差我该找谁投诉", None),  # strong complaint words: DIET decides
        # a request that someone act (`act`) is a 求助 to file, asked as a question or opened with 咨询
        ("ask_howto", "想咨询一下，我家楼上漏水三个月物业不管，能不能派人来处理？", "file_complaint"),
        ("file_complaint", "想咨询一下，我家楼上漏水三个月物业不管，能不能派人来处理？", None),
        ("ask_howto", "这礼拜跳闸断电四回了，冰箱里的肉全臭了，供电所管不管", "file_complaint"),
        ("ask_howto", "我父亲卧床不起，养老金认证能不能派人上门？", None),  # a service asked about: no act word
        ("ask_howto", "楼顶渗水，想问一下申请用维修资金来修要走什么流程", None),
        ("check_case", "我反映的路灯问题能不能帮忙催一下", None),  # a status check keeps its intent
        ("file_complaint", "想咨询一下案件JB-20261201进展，一直没人处理", None),  # a case number: a status check
        ("ask_howto", "想咨询一下社保卡怎么补办", None),
        # a status check of the writer's own filed case, not a new complaint and not a how-to question
        ("file_complaint", "我反映的事处理完了没", "check_case"),
        ("ask_howto", "我那个单子到哪一步了", "check_case"),
        ("check_case", "工单到哪了", None),  # kept: the how-to rule after it does not take it
        ("inform", "帮我查下我的投诉进度", "check_case"),
        ("check_case", "想咨询一下我那个单子的进度", None),  # asked in 咨询's words: still a status check
        ("ask_howto", "投诉进度在哪查", None),
        # how to rate is a question (the 好差评 guide); 差评 is the rating's word, not a grievance, there
        ("rate_service", "怎么给窗口打差评", "ask_howto"),
        ("rate_service", "好差评在哪评", "ask_howto"),
        ("rate_service", "我要给差评", None),  # rates: the rating form
        ("rate_service", "之前给了差评是误点的，能改吗", None),  # not how to rate: DIET decides
        ("file_complaint", "窗口态度太差了我要给差评，怎么会这样", None),  # nobody's own case: how to check, a how-to question
        ("file_complaint", "我反映的事到现在还没处理，三个月了一直拖着，请领导督促尽快解决", None),  # a letter
    ],
)
def test_corrected(intent: str, text: str, expected: str | None) -> None:
    assert (
        corrected(
            intent,
            text,
            GRIEVANCE,
            QUESTION,
            rhetorical=RHETORICAL,
            not_question=NOT_QUESTION,
            question_end=QUESTION_END,
            consult=CONSULT,
            complaint=COMPLAINT,
            own_case=OWN_CASE,
            case_progress=CASE_PROGRESS,
            act=ACT,
        )
        == expected
    )


def test_process_moves_diets_confidence_and_demotes_its_pick() -> None:
    message = Message(data={TEXT: "老公上班路上被车撞了，这算不算工伤，要去哪申请"})
    message.set(INTENT, {"name": "file_complaint", "confidence": 0.81})
    message.set(
        INTENT_RANKING_KEY,
        [{"name": "file_complaint", "confidence": 0.81}, {"name": "ask_howto", "confidence": 0.12}],
    )
    (out,) = IntentGuard().process([message])
    assert out.get(INTENT) == {"name": "ask_howto", "confidence": 0.81}
    assert [r["name"] for r in out.get(INTENT_RANKING_KEY)] == ["ask_howto", "file_complaint"]
    assert out.get(INTENT_RANKING_KEY)[-1]["confidence"] == 0.0


@pytest.mark.parametrize(
    ("intent", "text", "expected"),
    [
        ("nlu_fallback", "请问新生儿的医保在网上怎么给孩子参保", "ask_howto"),
        ("out_of_scope", "退役军人优待证要去哪里申请的呀", "ask_howto"),
        ("nlu_fallback", "老家的宅基地证能不能在这边补办", "ask_howto"),
        ("nlu_fallback", "这个咋弄", None),  # too short to search on: the fallback asks again
        ("nlu_fallback", "窗口的人态度太差了，到底怎么回事啊", None),  # a grievance: not sent to search
        # a letter with a grievance DIET cannot place: filed (the form reads it back), not met with "没听懂"
        ("nlu_fallback", "小区楼下的烧烤摊每天开到凌晨两点，油烟和噪音弄得一家人睡不着觉，说了好几次都没人管", "file_complaint"),
        ("out_of_scope", "小区楼下的烧烤摊每天开到凌晨两点，油烟和噪音弄得一家人睡不着觉，说了好几次都没人管", None),
        ("out_of_scope", "给我讲一个笑话吧，今天好无聊啊", None),  # asks nothing
        ("nlu_fallback", "收这么多钱这合理吗，我真的想不通", None),  # rhetorical
        ("file_complaint", "请问新生儿的医保在网上怎么给孩子参保", None),  # the guard before the fallback's work
        ("ask_howto", "请问新生儿的医保在网上怎么给孩子参保", None),
    ],
)
def test_rescued(intent: str, text: str, expected: str | None) -> None:
    assert (
        rescued(
            intent,
            text,
            GRIEVANCE,
            QUESTION,
            rhetorical=RHETORICAL,
            not_question=NOT_QUESTION,
            question_end=QUESTION_END,
        )
        == expected
    )


def test_fallback_guard_sends_an_unsure_question_to_search() -> None:
    message = Message(data={TEXT: "请问新生儿的医保在网上怎么给孩子参保"})
    message.set(INTENT, {"name": "nlu_fallback", "confidence": 0.45})
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.45},
        {"name": "ask_online", "confidence": 0.31},
        {"name": "ask_howto", "confidence": 0.29},
    ]
    message.set(INTENT_RANKING_KEY, ranking)
    (out,) = FallbackGuard().process([message])
    assert out.get(INTENT) == {"name": "ask_howto", "confidence": 0.45}
    assert [r["name"] for r in out.get(INTENT_RANKING_KEY)] == ["ask_howto", "ask_online", "nlu_fallback"]


def test_fallback_guard_keeps_a_short_unsure_message() -> None:
    message = Message(data={TEXT: "这个咋弄"})
    message.set(INTENT, {"name": "nlu_fallback", "confidence": 0.45})
    (out,) = FallbackGuard().process([message])
    assert out.get(INTENT) == {"name": "nlu_fallback", "confidence": 0.45}
