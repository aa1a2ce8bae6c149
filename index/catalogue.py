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

from index import glossary
from index.schema import Bundle, BundleMaterial, Item, MaterialForm, Site, Window

GUIDES_DIR = Path(__file__).resolve().parent.parent / "guides"
REQUIRED_FILE = Path(__file__).resolve().parent.parent.parent / "shared" / "catalogue" / "required.yml"
MAX_FILE_BYTES = 256 * 1024

# libyaml's C loader when present: five times faster on the whole catalogue, same safety
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

KINDS: dict[str, type[BaseModel]] = {"items": Item, "bundles": Bundle, "windows": Window}


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
    """A material of a bundle's one-table list, with the member items that ask for it."""

    name: str
    form: MaterialForm
    count: int
    note: str
    needed_for: tuple[str, ...]


@dataclass
class Catalogue:
    """Everything under guides/, validated and cross-referenced."""

    items: dict[str, Item]
    bundles: dict[str, Bundle]
    windows: dict[str, Window]
    site: Site
    digest: str
    sources: dict[str, str] = field(default_factory=dict)

    def kind_of(self, entry_id: str) -> str | None:
        if entry_id in self.items:
            return "item"
        if entry_id in self.bundles:
            return "bundle"
        if entry_id in self.windows:
            return "window"
        return None

    def get(self, entry_id: str) -> Item | Bundle | Window | None:
        return self.items.get(entry_id) or self.bundles.get(entry_id) or self.windows.get(entry_id)

    def items_at_window(self, window_id: str) -> list[Item]:
        """What a window handles, derived from the items so it is never typed twice."""
        return [i for i in self.items.values() if i.window == window_id]

    def bundles_at_window(self, window_id: str) -> list[Bundle]:
        return [b for b in self.bundles.values() if b.window == window_id]

    def merged_materials(self, bundle_id: str) -> list[MergedMaterial]:
        """The bundle's 一套材料: member materials deduplicated by name, then its own."""
        bundle = self.bundles[bundle_id]
        merged: dict[str, MergedMaterial] = {}
        for member_id in bundle.members:
            for m in self.items[member_id].materials:
                key = _material_key(m.name)
                if key in merged:
                    prev = merged[key]
                    merged[key] = MergedMaterial(
                        prev.name,
                        prev.form,
                        max(prev.count, m.count),
                        prev.note,
                        (*prev.needed_for, member_id),
                    )
                else:
                    merged[key] = MergedMaterial(m.name, m.form, m.count, m.note, (member_id,))
        for extra in bundle.extra_materials:
            merged.setdefault(
                _material_key(extra.name),
                MergedMaterial(extra.name, extra.form, extra.count, extra.note, (bundle.id,)),
            )
        return list(merged.values())

    def entries(self) -> Iterable[tuple[str, Item | Bundle | Window]]:
        yield from (("item", i) for i in self.items.values())
        yield from (("bundle", b) for b in self.bundles.values())
        yield from (("window", w) for w in self.windows.values())


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


def load(guides_dir: Path = GUIDES_DIR, required_file: Path | None = None) -> Catalogue:
    """Read every guide file; raise CatalogueError listing every problem found."""
    errors: list[GuideError] = []
    loaded: dict[str, dict[str, Any]] = {k: {} for k in KINDS}
    sources: dict[str, str] = {}
    seen: dict[str, str] = {}
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
            empties = list(_empty_strings(data))
            for p in empties:
                errors.append(GuideError(rel, p, "empty text"))
            entry = _validate(model, data, rel, errors)
            if entry is None:
                continue
            if path.stem != entry.id:
                errors.append(GuideError(rel, "id", f"id '{entry.id}' must match the file name '{path.stem}'"))
            if entry.id in seen:
                errors.append(GuideError(rel, "id", f"duplicate id '{entry.id}', also in {seen[entry.id]}"))
                continue
            seen[entry.id] = rel
            sources[entry.id] = rel
            loaded[kind][entry.id] = entry

    site_path = guides_dir / "site.yml"
    site: Site | None = None
    if site_path.is_file():
        digest.update(b"site.yml\0" + site_path.read_bytes())
        site = _validate(Site, _read_yaml(site_path, "site.yml", errors), "site.yml", errors)
    else:
        errors.append(GuideError("site.yml", "", "file is missing"))

    items: dict[str, Item] = loaded["items"]
    bundles: dict[str, Bundle] = loaded["bundles"]
    windows: dict[str, Window] = loaded["windows"]
    errors.extend(_cross_check(items, bundles, windows, sources))
    for kind_name, entries in (("items", items), ("bundles", bundles), ("windows", windows)):
        errors.extend(_alias_checks(kind_name, entries, sources))
    errors.extend(_jargon_check(guides_dir, items, bundles, windows, site, sources))
    if required_file is not None:
        errors.extend(_required_check(required_file, items, bundles, windows))

    if errors or site is None:
        raise CatalogueError(errors)
    return Catalogue(items, bundles, windows, site, digest.hexdigest(), sources)


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
        names = Counter(m.name for m in item.materials)
        for name, n in names.items():
            if n > 1:
                errors.append(GuideError(src[item.id], "materials", f"material '{name}' listed {n} times"))
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
    required_file: Path, items: dict[str, Item], bundles: dict[str, Bundle], windows: dict[str, Window]
) -> list[GuideError]:
    errors: list[GuideError] = []
    req = yaml.safe_load(required_file.read_text(encoding="utf-8"))
    have: dict[str, dict[str, Any]] = {"items": items, "bundles": bundles, "windows": windows}
    for kind in ("items", "bundles", "windows"):
        for entry in req.get(kind, []):
            rid = entry["id"]
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
                missing = set(entry["members"]) - set(got.members)
                if missing:
                    errors.append(
                        GuideError(f"bundles/{rid}.yml", "members", f"catalogue also lists {sorted(missing)}")
                    )
    return errors


__all__ = ["BundleMaterial", "Catalogue", "CatalogueError", "GuideError", "MergedMaterial", "load"]
