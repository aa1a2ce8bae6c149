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
