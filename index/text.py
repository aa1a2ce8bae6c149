"""Chinese text normalisation and tokenisation shared by indexing and querying."""

from __future__ import annotations

import functools
import itertools
import logging
import re
import unicodedata
from pathlib import Path

DICTIONARY_DIR = Path(__file__).resolve().parent.parent / "dictionary"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_LATIN = re.compile(r"^[a-z\s'’\-]+$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

MAX_QUERY_CHARS = 500  # a longer query is cut here: nobody asks an errand in more


@functools.cache
def _t2s() -> object:
    import opencc

    return opencc.OpenCC("t2s.json")


@functools.cache
def _jieba() -> object:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    for path in sorted(DICTIONARY_DIR.glob("*.txt")):
        tk.load_userdict(str(path))
    return tk


def normalize(text: str) -> str:
    """NFKC (full/half width), traditional -> simplified, lower case, control characters dropped."""
    text = _CONTROL.sub(" ", text[: MAX_QUERY_CHARS * 4])
    text = unicodedata.normalize("NFKC", text)
    text = _t2s().convert(text)  # type: ignore[attr-defined]
    text = _SPACE.sub(" ", text).strip().lower()
    return text[:MAX_QUERY_CHARS]


def fold(text: str) -> str:
    """Full-width -> half-width and traditional -> simplified only (case and spacing kept): what the Rasa NLU,
    trained on simplified text, should read."""
    return _t2s().convert(unicodedata.normalize("NFKC", text))  # type: ignore[attr-defined,no-any-return]


def strip_punct(text: str) -> str:
    return _PUNCT.sub(" ", text).strip()


def is_latin(text: str) -> bool:
    """True for a query typed in Latin letters only (pinyin or English)."""
    return bool(_LATIN.match(text)) and any(c.isalpha() for c in text)


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def words(text: str) -> list[str]:
    """Search-mode jieba words plus CJK character bigrams: robust to segmentation slips and typos."""
    clean = strip_punct(text)
    toks = [w for w in _jieba().cut_for_search(clean) if w.strip()]  # type: ignore[attr-defined]
    for run in _CJK_RUN.findall(clean):
        toks.extend(run[i : i + 2] for i in range(len(run) - 1))
    return toks


_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")


@functools.cache
def _syllables() -> frozenset[str]:
    from pypinyin import Style
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.style import convert

    out: set[str] = set()
    for readings in PINYIN_DICT.values():
        for r in readings.split(","):
            out.add(convert(r, strict=False, style=Style.NORMAL))
    return frozenset(s for s in out if s.isascii() and s.isalpha())


def pinyin_of(text: str) -> list[str]:
    """Toneless pinyin syllables of the CJK characters (homophone typos meet here)."""
    from pypinyin import lazy_pinyin

    return [s for s in lazy_pinyin(strip_punct(text), errors="ignore") if s.isalpha()]


def split_pinyin(text: str) -> list[str]:
    """Segment typed pinyin ("shebaoka diule") into syllables by longest match."""
    syl = _syllables()
    out: list[str] = []
    for chunk in re.findall(r"[a-z]+", text.lower()):
        i = 0
        while i < len(chunk):
            for j in range(min(len(chunk), i + 6), i, -1):
                if chunk[i:j] in syl:
                    out.append(chunk[i:j])
                    i = j
                    break
            else:
                i += 1
    return out


# How people ask, not what they ask about: dropped from pinyin matching, where
# "yao duo jiu" (要多久) would otherwise outweigh "hu zhao" (护照).
QUESTION_WORDS = [
    "怎么办",
    "怎么",
    "咋办",
    "咋弄",
    "如何",
    "需要",
    "什么",
    "啥",
    "材料",
    "多久",
    "多长时间",
    "办理",
    "哪里",
    "哪儿",
    "去哪",
    "在哪",
    "要带",
    "可以",
    "能不能",
    "手续",
    "流程",
    "条件",
    "申请",
    "请问",
    "一下",
    "我想",
    "我要",
    "你好",
]


@functools.cache
def _question_bigrams() -> frozenset[str]:
    out: set[str] = set()
    for w in QUESTION_WORDS:
        out.update(_bigrams(pinyin_of(w)))
    return frozenset(out)


def _bigrams(syllables: list[str]) -> list[str]:
    return [f"{a}_{b}" for a, b in itertools.pairwise(syllables)]


def typed_pinyin_terms(query: str) -> list[str]:
    """Terms of a pinyin query; a space typed by the person ends a word, so no pair crosses it."""
    terms: list[str] = []
    for chunk in query.split():
        syl = split_pinyin(chunk)
        terms.extend(pinyin_terms(syl) if len(syl) > 1 else [])
    return terms or pinyin_terms(split_pinyin(query))


def pinyin_terms(syllables: list[str]) -> list[str]:
    """Syllable bigrams without question words: a lone syllable stands for dozens of characters."""
    if len(syllables) < 2:
        return syllables
    stop = _question_bigrams()
    return [b for b in _bigrams(syllables) if b not in stop]


# ---- typed pinyin -> the Chinese words it spells ----
#
# "huzhao banli yao duojiu" reads as 护照 办理 多久 to a person; the dense model and the word index only see letters.
# The words the guides themselves use (plus the 政务 user dictionary) are the vocabulary: each toneless spelling
# maps to the word the guides use most, so "shebaoka" is 社保卡 and never a rarer homophone.

PINYIN_MIN_COVERED = 0.85  # share of the letters that must spell words or characters, else the query stays as typed


def pinyin_vocabulary(texts: list[str]) -> dict[str, str]:
    """{toneless spelling: word}: the most frequent word of two or more characters for each spelling, and for a
    spelling no word has, the most frequent character."""
    from pypinyin import lazy_pinyin

    counts: dict[str, int] = {}
    tk = _jieba()
    words_of_dictionary = []
    for path in sorted(DICTIONARY_DIR.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                words_of_dictionary.append(line.split()[0])
    for t in [*texts, *words_of_dictionary, *QUESTION_WORDS]:
        for w in tk.cut_for_search(strip_punct(normalize(t))):  # type: ignore[attr-defined]
            if len(w) >= 2 and all(_CJK.match(c) for c in w):
                counts[w] = counts.get(w, 0) + 1
    chars: dict[str, int] = {}  # a lone syllable ("ling" 领, "diu" 丢) spells the guides' most frequent character
    for t in texts:
        for c in normalize(t):
            if _CJK.match(c):
                chars[c] = chars.get(c, 0) + 1
    vocab: dict[str, str] = {}
    for table in (counts, chars):  # a word's spelling is never taken by a character
        for w, _ in sorted(table.items(), key=lambda kv: (-kv[1], kv[0])):
            spelling = "".join(lazy_pinyin(w))
            if spelling.isascii() and spelling.isalpha():
                vocab.setdefault(spelling, w)
    return vocab


_FUZZY = ((re.compile(r"([zcs])h"), r"\1"), (re.compile(r"ng"), "n"))


def fuzzy_spelling(spelling: str) -> str:
    """zh/ch/sh -> z/c/s and -ng -> -n: the slips of typed pinyin ("gesui" for 个税 geshui)."""
    for pattern, repl in _FUZZY:
        spelling = pattern.sub(repl, spelling)
    return spelling


def fuzzy_vocabulary(vocab: dict[str, str]) -> dict[str, str]:
    """The vocabulary under fuzzy spellings; the first (most frequent) word keeps a shared spelling."""
    out: dict[str, str] = {}
    for spelling, word in vocab.items():
        out.setdefault(fuzzy_spelling(spelling), word)
    return out


def _cover(chunk: str, vocab: dict[str, str], longest: int) -> tuple[int, list[str]]:
    """(letters covered, words) of the longest cover of `chunk` by vocabulary spellings, fewest words on a tie."""
    n = len(chunk)
    none: list[str] = []
    best: list[tuple[int, int, list[str]]] = [(0, 0, none)] + [(-1, 0, none)] * n
    for i in range(n):
        cov, neg, ws = best[i]
        if cov < 0:
            continue
        if (cov, neg) > best[i + 1][:2]:  # a letter no word spells
            best[i + 1] = (cov, neg, ws)
        for j in range(i + 1, min(n, i + longest) + 1):
            word = vocab.get(chunk[i:j])
            if word is not None and (cov + j - i, neg - 1) > best[j][:2]:
                best[j] = (cov + j - i, neg - 1, [*ws, word])
    return best[n][0], best[n][2]


def from_pinyin(query: str, vocab: dict[str, str], fuzzy: dict[str, str] | None = None) -> str | None:
    """The Chinese a typed-pinyin query spells ("gongjijin tiqu" -> "公积金提取"), or None when it spells too little.

    Each typed chunk is covered by vocabulary spellings (most letters, then fewest words); letters no word spells
    are dropped. Under fuzzy spellings a chunk may read as fewer words, which then win. Only for
    Latin-only input (is_latin)."""
    if not is_latin(query) or not vocab:
        return None
    longest = max(len(k) for k in vocab)
    out: list[str] = []
    letters = covered = 0
    for chunk in re.findall(r"[a-z]+", query.lower()):
        letters += len(chunk)
        cov, words_ = _cover(chunk, vocab, longest)
        loose = fuzzy_spelling(chunk)
        if fuzzy:  # "gesui": 个税 under fuzzy spellings beats 个 + 岁 exactly
            fcov, fwords = _cover(loose, fuzzy, longest)
            if (fcov / len(loose), -len(fwords)) > (cov / len(chunk), -len(words_)):
                cov, words_ = round(fcov / len(loose) * len(chunk)), fwords
        covered += cov
        out.extend(words_)
    if not letters or covered / letters < PINYIN_MIN_COVERED:
        return None
    return "".join(out)
