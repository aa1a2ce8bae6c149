"""Search speed and memory, measured on the real searcher: `python -m index bench --json`."""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path

import psutil

from index import text
from index.search import Searcher

QUERIES = [
    "社保卡丢了咋办", "身份证过期了去哪换", "生了孩子要办哪些手续", "公积金租房怎么提取", "我要投诉窗口态度差",
    "二手房过户要带什么", "老人去世了要办啥", "开个小饭馆要办什么证", "异地就医怎么备案", "驾照到期换证",
    "护照怎么办", "失业金怎么领", "低保怎么申请", "结婚登记要带啥", "办营业执照", "宽带报装", "契税怎么交",
    "退休手续在哪办", "残疾证怎么办", "孩子上小学报名", "公租房申请条件", "养狗要登记吗", "无犯罪记录证明",
    "灵活就业交社保", "医保报销", "不动产证丢了", "公司注销", "刻公章", "居住证办理", "港澳通行证续签",
    "shebaoka diule", "社會保障卡遺失怎麼辦", "你好", "今天天气怎么样", "工资被拖欠了找谁",
    "我爸72了腿脚不好能上门办吗", "预约办事", "窗口几点下班", "教师资格证认定", "高龄补贴",
]  # fmt: skip


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def run(searcher: Searcher, index_dir: Path, rounds: int = 200) -> dict[str, object]:
    qs = [QUERIES[i % len(QUERIES)] for i in range(rounds)]
    cache_size, vector_cache_size = searcher.cache_size, searcher.vector_cache_size
    # every timed search below is computed, never served from the answer cache nor from the query-vector cache
    # (that one keeps a turn's few searches of one message from encoding it twice; a bench query is a new message)
    searcher.cache_size = searcher.vector_cache_size = 0
    searcher.clear_cache()
    for q in QUERIES:  # warm-up: jieba, opencc, the encoder's kernels
        searcher.search(q)
    enc: list[float] = []
    for q in qs:
        norm = text.normalize(q)
        t0 = time.perf_counter()
        searcher.encoder.encode_queries([norm])
        enc.append((time.perf_counter() - t0) * 1000)
    srch: list[float] = []
    t_all = time.perf_counter()
    for q in qs:
        t0 = time.perf_counter()
        searcher.search(q, k=5)
        srch.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - t_all
    searcher.cache_size, searcher.vector_cache_size = cache_size, vector_cache_size
    for q in QUERIES:
        searcher.search(q, k=5)
    cached: list[float] = []
    for q in qs:
        t0 = time.perf_counter()
        searcher.search(q, k=5)
        cached.append((time.perf_counter() - t0) * 1000)
    enc_p50 = statistics.median(enc)
    search_p50 = statistics.median(srch)
    return {
        "encode_p50_ms": round(enc_p50, 2),
        "search_p50_ms": round(search_p50, 2),
        "search_p95_ms": round(_pct(srch, 95), 2),
        "search_over_encode": round(search_p50 / enc_p50, 3),
        "qps": round(rounds / wall, 1),
        "cached_search_p50_ms": round(statistics.median(cached), 3),
        "rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
        "build_s": searcher.manifest.get("build_s"),
        "entries": searcher.manifest.get("entries"),
        "passages": searcher.manifest.get("passages"),
        "model": os.path.basename(str(searcher.manifest.get("model"))),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.python_version()}",
        "rounds": rounds,
    }
