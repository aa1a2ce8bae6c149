"""Static checks of the gateway's wording, as tests/bot/test_contract.py does for the actions: no Chinese string
literal in api/ Python outside docstrings (the words live in api/wording/), and every wording key the code names
with literals is in its file, so a typo fails here rather than as a 500 on the one request that reaches it."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from api.core import wording

ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "api"
CJK = re.compile(r"[\u3400-\u9fff]")
LOOKUPS = frozenset({"say", "text", "table", "entry"})  # api/core/wording.py's (file, key) functions


@functools.cache
def _sources() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(API.rglob("*.py"))]


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _names_bound_to(tree: ast.Module, module: str, name: str) -> set[str]:
    """What `from <module> import <name> [as x]` binds in this file."""
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == module
        for alias in node.names
        if alias.name == name
    }


def _named_keys(path: Path, tree: ast.Module) -> Iterator[tuple[str, str, str]]:
    """(file, dotted key, where) for every lookup with literal arguments: `wording.say("chat", "refusal.too_long")`,
    `load_messages().text("refusal", "too_long")` (chat.yml), and the channels' `say("welcome")` (channels.yml)."""
    loaders = _names_bound_to(tree, "api.core", "wording")
    messages = _names_bound_to(tree, "api.chat.content", "load_messages")
    channel_say = _names_bound_to(tree, "api.channels.render", "say")
    if path == API / "channels" / "render.py":
        channel_say.add("say")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        func, args = node.func, [_text(a) for a in node.args]
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in loaders:
            if func.attr in LOOKUPS and len(args) >= 2 and args[0] and args[1]:
                yield args[0], args[1], where
        elif isinstance(func, ast.Attribute) and func.attr in ("text", "section"):
            receiver = func.value
            if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) and receiver.func.id in messages:
                key = ".".join(a for a in args[:2] if a) if all(args[: 2 if func.attr == "text" else 1]) else None
                if key:
                    yield "chat", key, where
        elif isinstance(func, ast.Name) and func.id in channel_say and args[0]:
            yield "channels", args[0], where


def test_no_chinese_string_literals_in_the_gateway() -> None:
    offenders = []
    for path, tree in _sources():
        docs = _docstring_nodes(tree)
        for node in ast.walk(tree):
            is_text = isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
            if is_text and CJK.search(node.value):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:40]!r}")
    assert offenders == [], "wording goes in api/wording/*.yml (api/core/wording.py reads it)"


def test_every_wording_key_the_code_names_is_there() -> None:
    named = [found for path, tree in _sources() for found in _named_keys(path, tree)]
    assert len(named) > 150  # the checker sees the code's lookups (a change of style would hide them from it)
    missing = []
    for file, key, where in named:
        try:
            wording.entry(file, key)
        except wording.WordingError as exc:
            missing.append(f"{where}: {exc}")
    assert missing == []


@pytest.mark.parametrize("path", sorted(wording.WORDING_DIR.glob("*.yml")), ids=lambda p: p.name)
def test_every_wording_file_is_a_mapping_the_code_reads(path: Path) -> None:
    assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict)
    used = {
        node.value
        for _, tree in _sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert path.stem in used, f"no code in api/ names {path.name}"


def test_every_key_the_code_builds_from_a_code_is_there() -> None:
    """The lookups whose key is made from a code (`f"statuses.{status}"`): every code has its line."""
    from typing import get_args

    from api.cases import states, workorders
    from api.console.routes import figures

    assert {s: states.status_name(s) for s in states.Status} == states.status_names()
    steps = set(get_args(workorders.Step)) | set(states.DEDICATED.values())
    assert all(workorders.step_name(step) for step in steps)
    assert all(figures._title(chart) for chart in get_args(figures.Chart))
