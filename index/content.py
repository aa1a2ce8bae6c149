"""The 零咨询 content checks: no sending people to ask, local facts filled, one name per document, forms with
an example, and (REQUIRE_FILLED) every item saying where each material comes from, when it is refused and how
many trips it takes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

from index.documents import APPLICANT, Vocabulary
from index.glossary import Problem, texts
from index.schema import Bundle, BundleMaterial, Item, Material, MaterialForm

# Every item material has `where_to_get`, every item has `rejections` and `visits`. Flip to False only while a
# content team is still filling them in; the other checks stay on either way.
REQUIRE_FILLED = True

# Phrases that send the citizen off to ask instead of telling them the fact (issue #17).
SEND_TO_ASK = re.compile(
    r"以当地规定为准|问清楚|先问窗口|按规定收|按窗口公示|以窗口公示为准|具体以[^。；;，,\n]{0,20}为准|咨询当地|请咨询|详询"
)


def send_to_ask(entries: Iterable[tuple[str, BaseModel]]) -> list[Problem]:
    """A banned send-them-to-ask phrase anywhere in a citizen-facing field."""
    problems: list[Problem] = []
    for file, entry in entries:
        for field, text in texts(entry.model_dump(mode="json")):
            for m in SEND_TO_ASK.finditer(text):
                problems.append(
                    Problem(file, field, f"'{m.group(0)}' sends the citizen to ask: write the fact and what to do next")
                )
    return problems


def _material_checks(
    file: str,
    where: str,
    materials: Iterable[Material | BundleMaterial],
    vocab: Vocabulary | None,
    guides_dir: Path,
) -> list[Problem]:
    problems: list[Problem] = []
    for i, m in enumerate(materials):
        at = f"{where}.{i}"
        if vocab is not None:
            canonical = vocab.canonical(m.name)
            if canonical is not None and canonical != m.name:
                problems.append(
                    Problem(file, f"{at}.name", f"use the document name {canonical} (whose it is goes in of:)")
                )
            if m.of is not None and m.of not in vocab.persons:
                problems.append(Problem(file, f"{at}.of", f"'{m.of}' is not one of the persons in documents.yml"))
        if m.form == MaterialForm.form and not m.example:
            problems.append(Problem(file, f"{at}.example", "a 表格 needs a 填写示例: how the key boxes are filled"))
        if m.sample is not None:
            path = (guides_dir / m.sample).resolve()
            if not path.is_relative_to(guides_dir.resolve()) or not path.is_file():
                problems.append(Problem(file, f"{at}.sample", f"no file '{m.sample}' under guides/"))
    return problems


def check(
    guides_dir: Path,
    items: dict[str, Item],
    bundle_materials: dict[str, list[BundleMaterial]],
    src: dict[str, str],
    vocab: Vocabulary | None,
    require_filled: bool = REQUIRE_FILLED,
) -> list[Problem]:
    """Materials, `local` values and (when required) the 审查要点 fields of every item and bundle."""
    problems: list[Problem] = []
    for item in items.values():
        file = src[item.id]
        problems += _material_checks(file, "materials", item.materials, vocab, guides_dir)
        seen: dict[tuple[str, str], int] = {}
        for i, m in enumerate(item.materials):
            doc = ((vocab.canonical(m.name) if vocab else None) or m.name, m.of or APPLICANT)
            if doc in seen:
                whose = "" if doc[1] == APPLICANT else f" of {doc[1]}"
                problems.append(Problem(file, f"materials.{i}", f"'{doc[0]}'{whose} is already materials.{seen[doc]}"))
            seen.setdefault(doc, i)
        for name, value in item.local.items():
            if value is None or not value.strip():
                problems.append(Problem(file, f"local.{name}", "no value: a locality must fill in this amount or date"))
        if require_filled:
            for i, m in enumerate(item.materials):
                if not m.where_to_get:
                    problems.append(Problem(file, f"materials.{i}.where_to_get", "say where the citizen gets it"))
            if not item.rejections:
                problems.append(Problem(file, "rejections", "list at least one case that cannot be done (不予受理)"))
            if item.visits is None:
                problems.append(Problem(file, "visits", "say how many trips to the hall it takes (0 = all online)"))
    for bundle_id, extras in bundle_materials.items():
        problems += _material_checks(src[bundle_id], "extra_materials", extras, vocab, guides_dir)
    return problems


def merge_check(
    bundles: dict[str, Bundle], items: dict[str, Item], src: dict[str, str], vocab: Vocabulary | None
) -> list[Problem]:
    """A bundle's `roles` and `leave_out` name its own members, their materials and known persons."""
    problems: list[Problem] = []

    def name_of(name: str) -> str:
        return (vocab.canonical(name) if vocab else None) or name

    for b in bundles.values():
        file = src[b.id]
        for member, roles in b.roles.items():
            if member not in b.members:
                problems.append(Problem(file, f"roles.{member}", f"'{member}' is not a member of this bundle"))
            for here, there in roles.items():
                for person in (here, there):
                    if vocab is not None and person not in vocab.persons:
                        problems.append(
                            Problem(file, f"roles.{member}", f"'{person}' is not one of the persons in documents.yml")
                        )
        for i, x in enumerate(b.leave_out):
            if x.member not in b.members or x.member not in items:
                problems.append(Problem(file, f"leave_out.{i}.member", f"'{x.member}' is not a member of this bundle"))
                continue
            wanted = (name_of(x.name), x.of or APPLICANT)
            if not any((name_of(m.name), m.of or APPLICANT) == wanted for m in items[x.member].materials):
                whose = "" if wanted[1] == APPLICANT else f" of {wanted[1]}"
                problems.append(
                    Problem(file, f"leave_out.{i}", f"item '{x.member}' has no material '{wanted[0]}'{whose}")
                )
    return problems
