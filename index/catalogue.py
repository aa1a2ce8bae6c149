"""Load and cross-check the guide files; nothing half-loaded is ever returned."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from index import content, documents, glossary
from index.documents import APPLICANT, Vocabulary
from index.paths import GUIDES_DIR
from index.paths import REQUIRED_FILE as REQUIRED_FILE  # for callers that know it as catalogue.REQUIRED_FILE
from index.schema import Bundle, BundleMaterial, Item, Material, MaterialForm, SameAs, Site, Window

MAX_FILE_BYTES = 256 * 1024

# libyaml's C loader when present: five times faster on the whole catalogue, same safety
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

KINDS: dict[str, type[BaseModel]] = {"items": Item, "bundles": Bundle, "windows": Window}
# the sections of the shared required.yml and the kind of entry each lists
REQUIRED_SECTIONS = (
    ("windows", "windows"), ("bundles", "bundles"), ("items", "items"), ("items_added", "items"),
    ("bundles_added", "bundles"),
)  # fmt: skip


@dataclass(frozen=True)
class GuideError:
    """One problem in one file, shown to an editor as `file: field: message`."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class CatalogueError(Exception):
    """The guides are not consistent; `errors` says where."""

    def __init__(self, errors: list[GuideError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class MergedMaterial:
    """A line of a bundle's one-table list: one document of one person, with the member items that ask for it.

    `optional_when` is kept only when no member needs it unconditionally; `data_shared` (免证) only when every
    member reads it from shared data."""

    name: str
    form: MaterialForm
    count: int
    note: str
    needed_for: tuple[str, ...]
    of: str | None = None
    optional_when: str | None = None
    data_shared: bool = False
    where_to_get: str | None = None
    example: str | None = None
    sample: str | None = None
    common_rejections: tuple[str, ...] = ()


@dataclass
class Catalogue:
    """Everything under guides/, validated and cross-referenced."""

    items: dict[str, Item]
    bundles: dict[str, Bundle]
    windows: dict[str, Window]
    site: Site
    digest: str
    sources: dict[str, str] = field(default_factory=dict)
    documents: Vocabulary | None = None
    same_as: dict[str, str] = field(default_factory=dict)  # an alias entry's id -> the canonical item's id

    def resolve(self, entry_id: str) -> str:
        """The canonical id for an alias entry's id (`same_as`); any other id as it is. Every lookup by an id from
        outside the guides (a URL, a case, a bot entity, an eval line) goes through this."""
        return self.same_as.get(entry_id, entry_id)

    def item(self, entry_id: str) -> Item | None:
        return self.items.get(self.resolve(entry_id))

    def kind_of(self, entry_id: str) -> str | None:
        entry_id = self.resolve(entry_id)
        if entry_id in self.items:
            return "item"
        if entry_id in self.bundles:
            return "bundle"
        if entry_id in self.windows:
            return "window"
        return None

    def get(self, entry_id: str) -> Item | Bundle | Window | None:
        entry_id = self.resolve(entry_id)
        return self.items.get(entry_id) or self.bundles.get(entry_id) or self.windows.get(entry_id)

    def items_at_window(self, window_id: str) -> list[Item]:
        """What a window handles, derived from the items so it is never typed twice."""
        return [i for i in self.items.values() if i.window == window_id]

    def bundles_at_window(self, window_id: str) -> list[Bundle]:
        return [b for b in self.bundles.values() if b.window == window_id]

    def document_name(self, name: str) -> str:
        """The vocabulary's name for a material name (居民身份证 for 身份证); the name itself when not a common one."""
        return (self.documents.canonical(name) if self.documents else None) or name

    def merged_materials(self, bundle_id: str) -> list[MergedMaterial]:
        """The bundle's 一套材料: each document once per person across the members, then the bundle's own.

        A member's material marked `in_bundles: false` (a 补发 case) is left out."""
        bundle = self.bundles[bundle_id]
        merged: dict[tuple[str, str], MergedMaterial] = {}
        left_out = {(x.member, self.document_name(x.name), x.of or APPLICANT) for x in bundle.leave_out}
        for member_id in bundle.members:
            roles = bundle.roles.get(member_id, {})
            for m in self.items[member_id].materials:
                name, whose = self.document_name(m.name), m.of or APPLICANT
                if not m.in_bundles or (member_id, name, whose) in left_out:
                    continue
                whose = roles.get(whose, whose)
                key = (_material_key(name), whose)
                line = _merged_line(name, m, member_id, whose)
                merged[key] = _merge(merged[key], line) if key in merged else line
        for extra in bundle.extra_materials:
            key = (_material_key(self.document_name(extra.name)), extra.of or APPLICANT)
            line = _merged_line(self.document_name(extra.name), extra, bundle.id, extra.of or APPLICANT)
            merged[key] = _merge(merged[key], line) if key in merged else line
        return list(merged.values())

    def entries(self) -> Iterable[tuple[str, Item | Bundle | Window]]:
        """Every entry once: an alias entry (`same_as`) is its canonical item, never an entry of its own."""
        yield from (("item", i) for i in self.items.values())
        yield from (("bundle", b) for b in self.bundles.values())
        yield from (("window", w) for w in self.windows.values())


def _merged_line(name: str, m: Material | BundleMaterial, source: str, whose: str) -> MergedMaterial:
    return MergedMaterial(
        name=name,
        form=m.form,
        count=m.count,
        note=m.note,
        needed_for=(source,),
        of=None if whose == APPLICANT else whose,
        optional_when=m.optional_when,
        data_shared=m.data_shared if isinstance(m, Material) else False,
        where_to_get=m.where_to_get,
        example=m.example,
        sample=m.sample,
        common_rejections=tuple(m.common_rejections),
    )


_PAPER = frozenset({MaterialForm.original, MaterialForm.copy, MaterialForm.original_and_copy})


def _merged_form(a: MaterialForm, b: MaterialForm) -> MaterialForm:
    if a == b or not {a, b} <= _PAPER:
        return a
    return MaterialForm.original_and_copy


def _merge(prev: MergedMaterial, new: MergedMaterial) -> MergedMaterial:
    """One line for a document two members ask for: required if either needs it always, 免证 only if both say so."""
    if prev.optional_when is None or new.optional_when is None:
        optional_when = None
    elif new.optional_when in prev.optional_when:
        optional_when = prev.optional_when
    else:
        optional_when = f"{prev.optional_when}；{new.optional_when}"
    rejections = prev.common_rejections + tuple(r for r in new.common_rejections if r not in prev.common_rejections)
    return MergedMaterial(
        name=prev.name,
        form=_merged_form(prev.form, new.form),
        count=max(prev.count, new.count),
        note=prev.note,
        needed_for=(*prev.needed_for, *(s for s in new.needed_for if s not in prev.needed_for)),
        of=prev.of,
        optional_when=optional_when,
        data_shared=prev.data_shared and new.data_shared,
        where_to_get=prev.where_to_get or new.where_to_get,
        example=prev.example or new.example,
        sample=prev.sample or new.sample,
        common_rejections=rejections,
    )


def _material_key(name: str) -> str:
    for noise in ("（", "(", "原件", "复印件"):
        name = name.split(noise)[0] if noise in ("（", "(") else name.replace(noise, "")
    return name.strip()


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(file)"


def _read_yaml(path: Path, rel: str, errors: list[GuideError]) -> Any:
    if path.stat().st_size > MAX_FILE_BYTES:
        errors.append(GuideError(rel, "", f"file larger than {MAX_FILE_BYTES // 1024} KiB"))
        return None
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_YamlLoader)
    except UnicodeDecodeError:
        errors.append(GuideError(rel, "", "not UTF-8 text"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        errors.append(GuideError(rel, where, f"invalid YAML: {problem}"))
    return None


def _validate(model: type[BaseModel], data: Any, rel: str, errors: list[GuideError]) -> Any:
    if not isinstance(data, dict):
        errors.append(GuideError(rel, "", "expected a mapping of fields at the top level"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            errors.append(GuideError(rel, _field_path(tuple(e["loc"])), e["msg"]))
    return None


def _empty_strings(data: Any, path: str = "") -> Iterable[str]:
    if isinstance(data, str) and not data.strip():
        yield path or "(file)"
    elif isinstance(data, dict):
        for k, v in data.items():
            yield from _empty_strings(v, f"{path}.{k}" if path else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _empty_strings(v, f"{path}.{i}")


def load(
    guides_dir: Path = GUIDES_DIR, required_file: Path | None = None, require_filled: bool = content.REQUIRE_FILLED
) -> Catalogue:
    """Read every guide file; raise CatalogueError listing every problem found.

    `require_filled` makes every item's where_to_get, rejections and visits required (content.REQUIRE_FILLED)."""
    errors: list[GuideError] = []
    loaded: dict[str, dict[str, Any]] = {k: {} for k in KINDS}
    sources: dict[str, str] = {}
    seen: dict[str, str] = {}
    aliases: dict[str, SameAs] = {}
    digest = hashlib.sha256()

    for kind, model in KINDS.items():
        folder = guides_dir / kind
        if not folder.is_dir():
            errors.append(GuideError(f"{kind}/", "", "folder is missing"))
            continue
        for path in sorted(folder.iterdir()):
            rel = f"{kind}/{path.name}"
            if path.name.startswith(".") or path.is_dir():
                continue
            if path.suffix not in (".yml", ".yaml"):
                errors.append(GuideError(rel, "", "only .yml guide files belong here"))
                continue
            digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
            data = _read_yaml(path, rel, errors)
            if data is None:
                if not any(e.file == rel for e in errors):
                    errors.append(GuideError(rel, "", "file is empty"))
                continue
            empties = [p for p in _empty_strings(data) if not p.startswith("local.")]  # named by content.check
            for p in empties:
                errors.append(GuideError(rel, p, "empty text"))
            is_alias = isinstance(data, dict) and "same_as" in data
            entry = _alias_entry(kind, data, rel, errors) if is_alias else _validate(model, data, rel, errors)
            if entry is None:
                continue
            if path.stem != entry.id:
                errors.append(GuideError(rel, "id", f"id '{entry.id}' must match the file name '{path.stem}'"))
            if entry.id in seen:
                errors.append(GuideError(rel, "id", f"duplicate id '{entry.id}', also in {seen[entry.id]}"))
                continue
            seen[entry.id] = rel
            sources[entry.id] = rel
            if isinstance(entry, SameAs):
                aliases[entry.id] = entry
            else:
                loaded[kind][entry.id] = entry

    site_path = guides_dir / "site.yml"
    site: Site | None = None
    if site_path.is_file():
        digest.update(b"site.yml\0" + site_path.read_bytes())
        site = _validate(Site, _read_yaml(site_path, "site.yml", errors), "site.yml", errors)
    else:
        errors.append(GuideError("site.yml", "", "file is missing"))

    items, same_as, alias_errors = _resolve_aliases(loaded["items"], aliases, sources, guides_dir)
    errors.extend(alias_errors)
    bundles = _resolve_members(loaded["bundles"], same_as)
    windows: dict[str, Window] = loaded["windows"]
    errors.extend(_cross_check(items, bundles, windows, sources))
    for kind_name, entries in (("items", items), ("bundles", bundles), ("windows", windows)):
        errors.extend(_alias_checks(kind_name, entries, sources))
    errors.extend(_jargon_check(guides_dir, items, bundles, windows, site, sources))
    vocab, problems = documents.read(guides_dir)
    if vocab is not None:  # the merged bundle lists depend on it
        digest.update(b"documents.yml\0" + (guides_dir / documents.DOCUMENTS_FILE).read_bytes())
    prose: list[tuple[str, BaseModel]] = [(sources[e.id], e) for d in (items, bundles, windows) for e in d.values()]
    if site is not None:
        prose.append(("site.yml", site))
    problems += content.send_to_ask(prose)
    extras = {b.id: list(b.extra_materials) for b in bundles.values()}
    problems += content.check(guides_dir, items, extras, sources, vocab, require_filled)
    problems += content.merge_check(bundles, items, sources, vocab)
    errors.extend(GuideError(p.file, p.field, p.message) for p in problems)
    if required_file is not None:
        errors.extend(_required_check(required_file, items, bundles, windows, same_as))

    if errors or site is None:
        raise CatalogueError(errors)
    return Catalogue(items, bundles, windows, site, digest.hexdigest(), sources, vocab, same_as)


def _alias_entry(kind: str, data: dict[str, Any], rel: str, errors: list[GuideError]) -> SameAs | None:
    """An item file with `same_as`: id, name, same_as and optional aliases; guide content is an error here."""
    if kind != "items":
        errors.append(GuideError(rel, "same_as", "only an item file can be an alias entry"))
        return None
    content_here = "an alias entry (same_as) has only id, name and aliases: the guide belongs in the item it names"
    errors.extend(GuideError(rel, str(key), content_here) for key in data if key not in SameAs.model_fields)
    entry: SameAs | None = _validate(SameAs, {k: v for k, v in data.items() if k in SameAs.model_fields}, rel, errors)
    return entry


def _resolve_aliases(
    items: dict[str, Item], aliases: dict[str, SameAs], src: dict[str, str], guides_dir: Path
) -> tuple[dict[str, Item], dict[str, str], list[GuideError]]:
    """Each alias entry checked against the item it names, and its phrasings folded into that item's aliases."""
    errors: list[GuideError] = []
    same_as: dict[str, str] = {}
    added: dict[str, list[str]] = {}
    for a in aliases.values():
        file, target = src[a.id], a.same_as
        if target in aliases:
            chained = f"'{target}' is itself an alias entry (of '{aliases[target].same_as}'): name that item"
            errors.append(GuideError(file, "same_as", chained))
            continue
        if target not in items:
            if target in src:
                kind = src[target].split("/")[0].removesuffix("s")
                errors.append(GuideError(file, "same_as", f"'{target}' is a {kind}: an alias entry names an item"))
            elif not (guides_dir / "items" / f"{target}.yml").is_file():  # a broken one reports its own errors
                errors.append(GuideError(file, "same_as", f"unknown item '{target}'"))
            continue
        canonical = items[target]
        if a.name != canonical.name:
            other = f"'{a.name}' is not the name of '{target}' ({canonical.name}): one service has one name"
            errors.append(GuideError(file, "name", other))
        have = {canonical.name, *canonical.aliases, *added.get(target, [])}
        for i, phrase in enumerate(a.aliases):
            if phrase in have:
                errors.append(GuideError(file, f"aliases.{i}", f"'{phrase}' is already an alias of '{target}'"))
            else:
                added.setdefault(target, []).append(phrase)
                have.add(phrase)
        same_as[a.id] = target
    merged = dict(items)
    for target, phrases in added.items():
        merged[target] = items[target].model_copy(update={"aliases": [*items[target].aliases, *phrases]})
    return merged, same_as, errors


def _resolve_members(bundles: dict[str, Bundle], same_as: dict[str, str]) -> dict[str, Bundle]:
    """A bundle may name an item by an alias id; from here on it names the canonical item."""
    if not same_as:
        return bundles
    out: dict[str, Bundle] = {}
    for b in bundles.values():
        members = [same_as.get(m, m) for m in b.members]
        roles = {same_as.get(m, m): r for m, r in b.roles.items()}
        leave_out = [x.model_copy(update={"member": same_as.get(x.member, x.member)}) for x in b.leave_out]
        changed = members != b.members or roles != b.roles or leave_out != b.leave_out
        out[b.id] = b.model_copy(update={"members": members, "roles": roles, "leave_out": leave_out}) if changed else b
    return out


def same_as_ids(guides_dir: Path = GUIDES_DIR) -> dict[str, str]:
    """Alias id -> canonical id read from the item files alone, for tools that only map ids (the eval's
    expectations); `index check` is what validates them."""
    out: dict[str, str] = {}
    for path in sorted((guides_dir / "items").glob("*.yml")):
        raw = path.read_text(encoding="utf-8")
        if "same_as" not in raw:
            continue
        data = yaml.load(raw, Loader=_YamlLoader)
        if isinstance(data, dict) and isinstance(data.get("same_as"), str):
            out[path.stem] = data["same_as"]
    return out


def _cross_check(
    items: dict[str, Item], bundles: dict[str, Bundle], windows: dict[str, Window], src: dict[str, str]
) -> list[GuideError]:
    errors: list[GuideError] = []
    for item in items.values():
        if item.window not in windows:
            errors.append(GuideError(src[item.id], "window", f"unknown window '{item.window}'"))
        for i, b in enumerate(item.bundles):
            if b not in bundles:
                errors.append(GuideError(src[item.id], f"bundles.{i}", f"unknown bundle '{b}'"))
            elif item.id not in bundles[b].members:
                errors.append(
                    GuideError(src[item.id], f"bundles.{i}", f"bundle '{b}' does not list this item in members")
                )
    for bundle in bundles.values():
        if bundle.window not in windows:
            errors.append(GuideError(src[bundle.id], "window", f"unknown window '{bundle.window}'"))
        for i, m in enumerate(bundle.members):
            if m not in items:
                errors.append(GuideError(src[bundle.id], f"members.{i}", f"unknown item '{m}'"))
            elif bundle.id not in items[m].bundles:
                errors.append(
                    GuideError(src[bundle.id], f"members.{i}", f"item '{m}' does not list this bundle in bundles")
                )
        if len(set(bundle.members)) != len(bundle.members):
            errors.append(GuideError(src[bundle.id], "members", "an item is listed twice"))
    return errors


def _alias_checks(kind: str, entries: dict[str, Any], src: dict[str, str]) -> list[GuideError]:
    errors: list[GuideError] = []
    for e in entries.values():
        dupes = [a for a, n in Counter(e.aliases).items() if n > 1]
        if dupes:
            errors.append(GuideError(src[e.id], "aliases", f"repeated alias: {', '.join(dupes)}"))
        qs = [f.q for f in e.faqs]
        if len(set(qs)) != len(qs):
            errors.append(GuideError(src[e.id], "faqs", "the same question appears twice"))
    return errors


def _jargon_check(
    guides_dir: Path,
    items: dict[str, Item],
    bundles: dict[str, Bundle],
    windows: dict[str, Window],
    site: Site | None,
    src: dict[str, str],
) -> list[GuideError]:
    """Office jargon from guides/glossary.yml used without its plain words in the same sentence."""
    words, problems = glossary.read(guides_dir)
    if words is not None:
        entries: list[tuple[str, BaseModel]] = [(src[e.id], e) for d in (items, bundles, windows) for e in d.values()]
        if site is not None:
            entries.append(("site.yml", site))
        problems += glossary.check(words, entries)
    return [GuideError(p.file, p.field, p.message) for p in problems]


def _required_check(
    required_file: Path,
    items: dict[str, Item],
    bundles: dict[str, Bundle],
    windows: dict[str, Window],
    same_as: dict[str, str] | None = None,
) -> list[GuideError]:
    """Every id of the shared catalogue (the first lists and the `_added` ones) exists with its window, bundles
    and members; an id that is an alias entry exists, and its facts are checked on the item it names."""
    errors: list[GuideError] = []
    same_as = same_as or {}
    req = yaml.safe_load(required_file.read_text(encoding="utf-8"))
    have: dict[str, dict[str, Any]] = {"items": items, "bundles": bundles, "windows": windows}
    for section, kind in REQUIRED_SECTIONS:
        for entry in req.get(section) or []:
            rid = same_as.get(entry["id"], entry["id"])
            if rid not in have[kind]:
                errors.append(GuideError(f"{kind}/{rid}.yml", "", f"required {kind[:-1]} '{rid}' is missing"))
                continue
            got = have[kind][rid]
            if kind == "items":
                if got.window != entry["window"]:
                    errors.append(GuideError(f"items/{rid}.yml", "window", f"catalogue says '{entry['window']}'"))
                missing = set(entry.get("bundles", [])) - set(got.bundles)
                if missing:
                    errors.append(GuideError(f"items/{rid}.yml", "bundles", f"catalogue also lists {sorted(missing)}"))
                if entry.get("cross") and not got.cross_region:
                    errors.append(GuideError(f"items/{rid}.yml", "cross_region", "catalogue says true"))
            if kind == "bundles":
                missing = {same_as.get(m, m) for m in entry["members"]} - set(got.members)
                if missing:
                    errors.append(
                        GuideError(f"bundles/{rid}.yml", "members", f"catalogue also lists {sorted(missing)}")
                    )
    return errors


__all__ = ["BundleMaterial", "Catalogue", "CatalogueError", "GuideError", "MergedMaterial", "load"]
