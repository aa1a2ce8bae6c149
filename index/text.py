"""Chinese text normalisation and tokenisation shared by indexing and querying."""

from __future__ import annotations

import functools
import itertools
import logging
import re
import unicodedata
from pathlib import Path

from index.paths import DICTIONARY_DIR

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


# ---- how citizens type: pinyin inside Chinese, a homophone slip in a term, dialect words ----
#
# Applied to a normalised query before search (Searcher.readable), never to the guides: each step only rewrites
# what the guides' own vocabulary can read, and leaves the rest as typed.

DIALECT_FILE = DICTIONARY_DIR / "dialect.yml"
_LATIN_RUN = re.compile(r"[a-z]{2,}")
HOMOPHONE_MAX_WORD = 6  # longest term a slip is looked for in (个人所得税 is 5)


@functools.cache
def dialect_words(path: Path = DIALECT_FILE) -> dict[str, str]:
    """{dialect or colloquial word: the guides' word}, from dictionary/dialect.yml (every region in one table)."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, str] = {}
    for region, table in data.items():
        if region == "passed_away":
            for who in table["who"]:
                for said in table["said"]:
                    out[f"{who}{said}"] = f"{who}{table['means']}"
        else:
            out.update({str(k): str(v) for k, v in (table or {}).items()})
    return out


@functools.cache
def _dialect_pattern(path: Path = DIALECT_FILE) -> re.Pattern[str] | None:
    words = sorted(dialect_words(path), key=len, reverse=True)  # the longest word at a position wins
    return re.compile("|".join(map(re.escape, words))) if words else None


def standardise(norm: str, path: Path = DIALECT_FILE) -> str:
    """Dialect and colloquial words as the guides say them: "身份证搞掉了咋个办" -> "身份证丢了怎么办"."""
    pattern = _dialect_pattern(path)
    if pattern is None:
        return norm
    table = dialect_words(path)
    return pattern.sub(lambda m: table[m.group(0)], norm)


def mixed_pinyin(norm: str, vocab: dict[str, str], fuzzy: dict[str, str] | None = None) -> str:
    """Pinyin words typed inside Chinese, as the words they spell: "新生儿hukou咋上" -> "新生儿户口咋上".

    A run of letters is read only when the guides' vocabulary spells all of it (English words such as "id",
    "app" or "card" do not spell out, and stay as typed); a query in letters only is from_pinyin's."""
    if not vocab or not _LATIN_RUN.search(norm) or not has_cjk(norm):
        return norm
    longest = max(len(k) for k in vocab)

    def read(m: re.Match[str]) -> str:
        run = m.group(0)
        cov, words_ = _cover(run, vocab, longest)
        if cov < len(run) and fuzzy:
            loose = fuzzy_spelling(run)
            fcov, fwords = _cover(loose, fuzzy, longest)
            if fcov == len(loose):
                cov, words_ = len(run), fwords
        return "".join(words_) if cov == len(run) and words_ else run

    return _LATIN_RUN.sub(read, norm)


FUNCTION_CHAR_FREQ = 120_000  # jieba counts 的 318k, 不 360k, 去 123k, 得 134k; 宝 4k, 正 38k, 只 101k


def _char_freq(c: str) -> int:
    return int(_jieba().FREQ.get(c) or 0)  # type: ignore[attr-defined]


def _is_word(w: str) -> bool:
    """A word of jieba's dictionary or of the 政务 user dictionary."""
    return bool(_jieba().FREQ.get(w))  # type: ignore[attr-defined]


def homophone_terms(names: list[str]) -> dict[str, str]:
    """{toneless spelling: term}: the dictionary words of two or more characters in the entries' names and aliases
    (the most frequent one keeps a shared spelling) — what a homophone slip is read as."""
    from pypinyin import lazy_pinyin

    counts: dict[str, int] = {}
    for t in names:
        for w in _jieba().cut_for_search(strip_punct(normalize(t))):  # type: ignore[attr-defined]
            if len(w) >= 2 and all(_CJK.match(c) for c in w) and _is_word(w):
                counts[w] = counts.get(w, 0) + 1
    out: dict[str, str] = {}
    for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        out.setdefault("".join(lazy_pinyin(w)), w)
    return out


def _crossed(run: str, i: int, j: int) -> bool:
    """Some dictionary word holds part of run[i:j] and a character outside it ("县城" in "在县城"): the stretch is
    then no slip for a term but the edge of a real word."""
    for a in range(max(0, i - 3), j):
        for b in range(max(a + 2, i + 1), min(len(run), a + 4) + 1):
            if (a < i < b or a < j < b) and b - a >= 2 and _is_word(run[a:b]):
                return True
    return False


def correct_homophones(norm: str, terms: dict[str, str]) -> str:
    """A term typed with a homophone ("公鸡金" for 公积金, "残急证" for 残疾证), as the guides write it.

    Scans each run of Chinese characters left to right for the longest stretch (2-6 characters) whose toneless
    pinyin spells a term: a stretch that is the term, or any dictionary word, is kept; one that differs from the
    term in one character (two for terms of five or more), is no word of its own and is not the edge of a word
    around it is replaced — in a two-character stretch, only when the character typed is no function word."""
    if not terms or not has_cjk(norm):
        return norm
    from pypinyin import lazy_pinyin

    out: list[str] = []
    last = 0
    for m in _CJK_RUN.finditer(norm):
        run = m.group(0)
        syl = lazy_pinyin(run)
        if len(syl) != len(run):  # a character pypinyin cannot read: leave the run alone
            continue
        fixed: list[str] = []
        i = 0
        while i < len(run):
            step = 1
            for n in range(min(HOMOPHONE_MAX_WORD, len(run) - i), 1, -1):
                gram = run[i : i + n]
                term = terms.get("".join(syl[i : i + n]))
                if term is None or len(term) != n:
                    continue
                if gram == term or _is_word(gram):
                    step = n
                    fixed.append(gram)
                    break
                typed = [a for a, b in zip(gram, term, strict=True) if a != b]
                if n == 2 and any(_char_freq(c) > FUNCTION_CHAR_FREQ for c in typed):
                    continue  # "来的" is no slip for 来得, "不发" none for 补发
                if len(typed) <= (2 if n >= 5 else 1) and not _crossed(run, i, i + n):
                    step = n
                    fixed.append(term)
                    break
            else:
                fixed.append(run[i])
            i += step
        out.append(norm[last : m.start()] + "".join(fixed))
        last = m.end()
    out.append(norm[last:])
    return "".join(out)
