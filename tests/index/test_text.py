"""Normalisation and tokenisation of Chinese queries."""

from __future__ import annotations

import pytest

from index import text


def test_full_width_and_traditional_become_simplified_half_width() -> None:
    assert text.normalize("社會保障卡遺失怎麼辦？") == "社会保障卡遗失怎么办?"
    assert text.normalize("ＡＢＣ１２３") == "abc123"
    assert text.normalize("  身份证\t\n过期  了 ") == "身份证 过期 了"


def test_control_characters_and_long_input_are_bounded() -> None:
    assert text.normalize("社保\x00卡\x1b丢了") == "社保 卡 丢了"
    assert len(text.normalize("啊" * 10_000)) == text.MAX_QUERY_CHARS


def test_user_dictionary_keeps_terms_whole() -> None:
    toks = text.words("公积金提取和社保卡补办")
    assert "公积金" in toks and "社保卡" in toks


def test_bigrams_give_typo_tolerance() -> None:
    shared = set(text.words("社宝卡丢了")) & set(text.words("社保卡丢了"))
    assert "卡丢" in shared


def test_pinyin_of_chinese_and_typed_pinyin_meet() -> None:
    assert text.pinyin_of("社保卡") == ["she", "bao", "ka"]
    assert text.split_pinyin("shebaoka diule") == ["she", "bao", "ka", "diu", "le"]
    assert text.pinyin_of("社宝卡") == text.pinyin_of("社保卡")  # homophone typo


def test_latin_detection() -> None:
    assert text.is_latin("gongjijin tiqu")
    assert not text.is_latin("公积金 tiqu")
    assert not text.is_latin("12345")


VOCAB_TEXTS = ["社保卡丢了怎么补办", "护照办理要多久", "公积金提取", "个税年度汇算退税", "失业金怎么领取"]


def test_typed_pinyin_reads_as_the_words_it_spells() -> None:
    vocab = text.pinyin_vocabulary(VOCAB_TEXTS)
    fuzzy = text.fuzzy_vocabulary(vocab)
    assert text.from_pinyin("shebaoka diule zenme banli", vocab, fuzzy) == "社保卡丢了怎么办理"
    assert text.from_pinyin("huzhao yao duojiu", vocab, fuzzy) == "护照要多久"
    assert text.from_pinyin("shiyejin zenme ling", vocab, fuzzy) == "失业金怎么领"
    # zh/ch/sh and -ng slips: 个税 is geshui, typed gesui; the word beats two lone characters
    assert text.from_pinyin("gesui tuishui", vocab, fuzzy) == "个税退税"


@pytest.mark.parametrize("q", ["translate hello to chinese", "my id card is lost", "where is the office", "社保 kad"])
def test_english_and_mixed_input_stay_as_typed(q: str) -> None:
    vocab = text.pinyin_vocabulary(VOCAB_TEXTS)
    assert text.from_pinyin(q, vocab, text.fuzzy_vocabulary(vocab)) is None


# ---- how citizens type (index/text.py: mixed_pinyin, correct_homophones, standardise) ----

NAMES = ["社会保障卡申领", "社保卡补办", "住房公积金提取", "残疾人证办理", "残疾证", "最低生活保障", "低保申请",
         "户口迁入", "新生儿落户口", "内地居民结婚登记", "结婚证补领", "在县城买房落户", "居住证申领"]  # fmt: skip


@pytest.fixture(scope="module")
def vocab() -> tuple[dict[str, str], dict[str, str]]:
    v = text.pinyin_vocabulary(NAMES)
    return v, text.fuzzy_vocabulary(v)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("新生儿hukou咋上", "新生儿户口咋上"),
        ("想办juzhuzheng要啥材料", "想办居住证要啥材料"),
        ("我的shebaoka丢了", "我的社保卡丢了"),
        ("id card丢了补办", "id card丢了补办"),  # English does not spell out: stays as typed
        ("手机app上能办吗", "手机app上能办吗"),
    ],
)
def test_pinyin_words_inside_chinese_read_as_the_words_they_spell(
    vocab: tuple[dict[str, str], dict[str, str]], typed: str, read: str
) -> None:
    assert text.mixed_pinyin(typed, *vocab) == read


def test_mixed_pinyin_leaves_letters_only_queries_to_from_pinyin(vocab: tuple[dict[str, str], dict[str, str]]) -> None:
    assert text.mixed_pinyin("shebaoka diule", *vocab) == "shebaoka diule"


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("社宝卡丢了怎么补", "社保卡丢了怎么补"),
        ("公鸡金怎么提取", "公积金怎么提取"),
        ("残急证怎么办", "残疾证怎么办"),
        ("低宝申请要什么条件", "低保申请要什么条件"),
        ("结昏证在哪领", "结婚证在哪领"),
    ],
)
def test_a_homophone_slip_in_a_term_reads_as_the_term(typed: str, read: str) -> None:
    assert text.correct_homophones(typed, text.homophone_terms(NAMES)) == read


@pytest.mark.parametrize(
    "q",
    [
        "我在县城买了房",  # 在县 spells 在线, but 县城 is a word around it
        "社保卡丢了怎么补办",  # already right
        "宝宝出生了怎么给孩子报户口",  # 报户 is the edge of 户口
        "公司新来的员工",
    ],
)
def test_real_words_are_never_read_as_slips(q: str) -> None:
    terms = text.homophone_terms([*NAMES, "在线办理", "保户口", "新来得"])
    assert text.correct_homophones(q, terms) == q


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("我的身份证搞掉了,咋个办", "我的身份证丢了,怎么办"),  # south-west
        ("社保卡啷个补", "社保卡怎么补"),
        ("办护照要好久", "办护照要多久"),
        ("俺的身份证整丢了,咋整", "我的身份证丢了,怎么办"),  # north
        ("俺爹没了,后事都得办啥", "我爹去世了,后事都得办啥"),
        ("屋头老人走了", "家里老人去世了"),
    ],
)
def test_dialect_words_read_as_the_guides_say_them(typed: str, read: str) -> None:
    assert text.standardise(typed) == read


@pytest.mark.parametrize("q", ["走了好几趟都没办成", "整个流程要多久", "工作没了,失业金怎么领"])
def test_words_that_only_sometimes_mean_a_dialect_word_stay(q: str) -> None:
    assert text.standardise(q) == q
