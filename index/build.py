"""Build the hybrid index folder: passages, dense vectors (faiss), BM25 over words and over pinyin."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from index import text
from index.catalogue import Catalogue
from index.embed import Encoder
from index.paths import DEFAULT_INDEX_DIR as DEFAULT_INDEX_DIR  # where the benches and scripts look for it
from index.schema import Bundle, Item, Window

INDEX_VERSION = 7  # 7: homophone_terms.json (a slip in a term -> the term)
APPROX_MIN_PASSAGES = 20_000  # below this an exact flat index is both faster and exact
HNSW_M, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH = 32, 80, 256

# How much a hit on each kind of passage counts: the official name and the
# ways people say it are the strongest evidence, a FAQ question a bit less.
# FAQ answers are no passages: measured as passages (weights 0.88-0.95), they changed no ranking of the dev set.
FIELD_WEIGHT = {"name": 1.0, "alias": 1.0, "summary": 0.96, "event": 0.97, "faq": 0.95}
QUERY_STYLE = {"name", "alias", "faq"}  # short question-like passages are embedded as queries


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str
    name: str
    window: str | None
    bundles: tuple[str, ...]


@dataclass(frozen=True)
class Passage:
    entry: int
    field: str
    text: str


def passages_of(entry: Item | Bundle | Window) -> Iterable[tuple[str, str]]:
    yield "name", entry.name
    for a in entry.aliases:
        yield "alias", a
    yield "summary", entry.summary
    if isinstance(entry, Bundle):
        yield "event", entry.event
    for f in entry.faqs:
        yield "faq", f.q


def collect(cat: Catalogue, extra_names: list[tuple[str, str]] | None = None) -> tuple[list[Entry], list[Passage]]:
    """Entries and their passages; `extra_names` (id, name) adds name-only entries (scale tests)."""
    entries: list[Entry] = []
    passages: list[Passage] = []
    for kind, e in cat.entries():
        window = e.window if isinstance(e, Item | Bundle) else e.id
        bundles = tuple(e.bundles) if isinstance(e, Item) else ()
        entries.append(Entry(e.id, kind, e.name, window, bundles))
        for field, t in passages_of(e):
            passages.append(Passage(len(entries) - 1, field, t))
    for eid, name in extra_names or []:
        entries.append(Entry(eid, "item", name, None, ()))
        passages.append(Passage(len(entries) - 1, "name", name))
    return entries, passages


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def build(
    cat: Catalogue,
    out_dir: Path,
    encoder: Encoder,
    *,
    extra_names: list[tuple[str, str]] | None = None,
    approximate: bool | None = None,
    quiet: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """Write the index into a temp folder, then swap it in: readers never see half an index."""
    import bm25s
    import faiss

    t0 = time.perf_counter()
    entries, passages = collect(cat, extra_names)
    _log(f"index: {len(entries)} entries, {len(passages)} passages", quiet)

    norm = [text.normalize(p.text) for p in passages]
    q_idx = [i for i, p in enumerate(passages) if p.field in QUERY_STYLE]
    p_idx = [i for i, p in enumerate(passages) if p.field not in QUERY_STYLE]
    vecs = np.zeros((len(passages), encoder.dim), dtype=np.float32)
    step = 512
    for group, fn in ((q_idx, encoder.encode_queries), (p_idx, encoder.encode_passages)):
        # the same text is embedded once (an alias that repeats a name, an official name used twice)
        unique = list(dict.fromkeys(norm[i] for i in group))
        where = {t: n for n, t in enumerate(unique)}
        out = np.zeros((len(unique), encoder.dim), dtype=np.float32)
        for s in range(0, len(unique), step):
            out[s : s + step] = fn(unique[s : s + step])
            _log(f"index: embedded {min(s + step, len(unique))}/{len(unique)} {fn.__name__[7:]}", quiet)
        if group:
            vecs[group] = out[[where[norm[i]] for i in group]]

    use_approx = len(passages) >= APPROX_MIN_PASSAGES if approximate is None else approximate
    index: faiss.Index
    if use_approx:
        index = faiss.IndexHNSWFlat(encoder.dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
    else:
        index = faiss.IndexFlatIP(encoder.dim)
    index.add(vecs)

    word_corpus = [text.words(t) or ["<empty>"] for t in norm]
    bm_words = bm25s.BM25(k1=1.2, b=0.5)
    bm_words.index(word_corpus, show_progress=False)
    pin_ids = [i for i, p in enumerate(passages) if p.field in ("name", "alias")]
    pin_corpus = [text.pinyin_terms(text.pinyin_of(norm[i])) or ["<empty>"] for i in pin_ids]
    bm_pinyin = bm25s.BM25(k1=1.2, b=0.5)
    bm_pinyin.index(pin_corpus, show_progress=False)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".index-", dir=out_dir.parent))
    try:
        faiss.write_index(index, str(tmp / "index.faiss"))
        with (tmp / "entries.jsonl").open("w", encoding="utf-8") as f:
            for e in entries:
                f.write(json.dumps(asdict(e), ensure_ascii=False) + "\n")
        with (tmp / "docs.jsonl").open("w", encoding="utf-8") as f:
            for p in passages:
                f.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
        bm_words.save(str(tmp / "bm25_words"), show_progress=False)
        bm_pinyin.save(str(tmp / "bm25_pinyin"), show_progress=False)
        np.save(tmp / "pinyin_passages.npy", np.asarray(pin_ids, dtype=np.int32), allow_pickle=False)
        (tmp / "pinyin_words.json").write_text(
            json.dumps(text.pinyin_vocabulary([p.text for p in passages]), ensure_ascii=False, sort_keys=True)
        )
        names = [p.text for p in passages if p.field in ("name", "alias")]
        (tmp / "homophone_terms.json").write_text(
            json.dumps(text.homophone_terms(names), ensure_ascii=False, sort_keys=True)
        )
        manifest: dict[str, object] = {
            "version": INDEX_VERSION,
            "model": encoder.name,
            "dim": encoder.dim,
            "guides_hash": cat.digest,
            "entries": len(entries),
            "passages": len(passages),
            "faiss": "hnsw" if use_approx else "flat",
            "extra_names": len(extra_names or []),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "build_s": round(time.perf_counter() - t0, 2),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
        swap_in(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _log(f"index: built in {manifest['build_s']} s -> {out_dir}", quiet)
    return manifest


def swap_in(new: Path, target: Path) -> None:
    """Replace `target` with `new` by renames only."""
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
        os.replace(new, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(new, target)


def read_manifest(index_dir: Path) -> dict[str, object] | None:
    try:
        data: dict[str, object] = json.loads((index_dir / "manifest.json").read_text())
        return data
    except (OSError, ValueError):
        return None


def is_stale(index_dir: Path, cat: Catalogue, model: str) -> bool:
    m = read_manifest(index_dir)
    return (
        m is None or m.get("guides_hash") != cat.digest or m.get("model") != model or m.get("version") != INDEX_VERSION
    )
