"""Server-rendered pages (Jinja2, autoescaped) and their assets: /, /guides/{id}, /windows, /search, the widget."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.chat.content import load_messages
from api.core.deps import SettingsDep
from api.deps import CatalogueDep, StateDep
from api.guides.view import BADGE_FIELDS
from index.catalogue import Catalogue
from index.search import EmptyQuery

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
STRINGS_MARKER = "/*STRINGS*/{}"
ASSET_CACHE = "public, max-age=300"
SAMPLE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}
SAMPLE_TYPES |= {".md": "text/plain; charset=utf-8", ".txt": "text/plain; charset=utf-8"}
POPULAR = ("ss-card-replace", "id-card-lost", "hukou-newborn", "passport", "medical-reimburse", "pension-retire")

router = APIRouter(tags=["pages"], include_in_schema=False)


@lru_cache
def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(WEB_DIR / "templates"),
        autoescape=select_autoescape(("html", "j2"), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["badge_labels"] = load_messages().section("badges")
    env.globals["badge_fields"] = BADGE_FIELDS
    return env


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    cat: Catalogue = request.app.state.app.catalogue
    html = templates().get_template(name).render(site=cat.site, request_path=request.url.path, **context)
    return HTMLResponse(html, status_code=status)


@lru_cache
def widget_js() -> str:
    """The widget script with its labels and sample questions from api/wording/chat.yml baked in."""
    messages = load_messages()
    source = (STATIC_DIR / "widget.js").read_text(encoding="utf-8")
    strings: dict[str, Any] = {**messages.section("widget"), "samples": list(messages.section("samples").values())}
    return source.replace(STRINGS_MARKER, json.dumps(strings, ensure_ascii=False), 1)


def static_file(name: str, media_type: str) -> Response:
    body = (STATIC_DIR / name).read_bytes()
    return Response(body, media_type=media_type, headers={"Cache-Control": ASSET_CACHE})


@router.get("/widget.js")
def widget_script() -> Response:
    return Response(widget_js(), media_type="text/javascript; charset=utf-8", headers={"Cache-Control": ASSET_CACHE})


@router.get("/widget.css")
def widget_style() -> Response:
    return static_file("widget.css", "text/css; charset=utf-8")


@router.get("/site.css")
def site_style() -> Response:
    return static_file("site.css", "text/css; charset=utf-8")


@router.get("/site.js")
def site_script() -> Response:
    """The pages' 大字模式 switch (shared with the widget's 大字) and print button; no inline script (CSP)."""
    return static_file("site.js", "text/javascript; charset=utf-8")


@router.get("/favicon.svg")
def favicon_svg() -> Response:
    return static_file("favicon.svg", "image/svg+xml")


@router.get("/favicon.ico")
def favicon_ico() -> Response:
    """Browsers ask for it on their own, whatever the page links."""
    return static_file("favicon.ico", "image/x-icon")


@dataclass(frozen=True)
class FloorGroup:
    floor: str
    windows: list[dict[str, Any]]


def window_directory(cat: Catalogue) -> list[FloorGroup]:
    """Windows grouped by floor, each with what it handles (derived from the items, never typed twice)."""
    floors: dict[str, list[dict[str, Any]]] = {}
    for w in sorted(cat.windows.values(), key=lambda w: (w.location.floor, w.location.counters)):
        floors.setdefault(w.location.floor, []).append(
            {"window": w, "handles": cat.items_at_window(w.id), "bundles": cat.bundles_at_window(w.id)}
        )
    return [FloorGroup(f, ws) for f, ws in sorted(floors.items())]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, cat: CatalogueDep) -> HTMLResponse:
    popular = [cat.items[i] for i in POPULAR if i in cat.items]
    if len(popular) < 3:
        popular += [i for i in list(cat.items.values())[:6] if i not in popular]
    return render(request, "home.html", popular=popular[:6], bundles=list(cat.bundles.values()))


@router.get("/guides/{entry_id}", response_class=HTMLResponse)
def guide_page(
    request: Request, entry_id: str, cat: CatalogueDep, print_view: Annotated[str | None, Query(alias="print")] = None
) -> Response:
    canonical = cat.resolve(entry_id)
    if canonical != entry_id:
        # an alias entry's id (`same_as`) is the same guide at the canonical address: a permanent move. 301, not
        # 308: the page is only ever fetched with GET, so keeping the method buys nothing, and 301 is the one old
        # browsers and in-app web views know; ?print=1 goes along
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/guides/{canonical}{query}", status_code=301)
    kind = cat.kind_of(entry_id)
    printing = print_view not in (None, "", "0")
    if kind == "item":
        item = cat.items[entry_id]
        return render(
            request,
            "item.html",
            item=item,
            window=cat.windows.get(item.window),
            bundles=[cat.bundles[b] for b in item.bundles],
            printing=printing,
        )
    if kind == "bundle":
        bundle = cat.bundles[entry_id]
        return render(
            request,
            "bundle.html",
            bundle=bundle,
            members=[cat.items[m] for m in bundle.members],
            materials=cat.merged_materials(entry_id),
            item_names={i: cat.items[i].name for i in bundle.members},
            window=cat.windows.get(bundle.window),
            printing=printing,
        )
    if kind == "window":
        w = cat.windows[entry_id]
        return render(
            request, "window.html", window=w, items=cat.items_at_window(w.id), bundles=cat.bundles_at_window(w.id)
        )
    return render(request, "not_found.html", status=404, entry_id=entry_id)


@router.get("/guides/samples/{name}")
def guide_sample(
    settings: SettingsDep, name: Annotated[str, PathParam(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
) -> FileResponse:
    """A filled sample form a material's `sample:` points to (guides/samples/), an image or a text file."""
    path = settings.guides_dir / "samples" / name
    media_type = SAMPLE_TYPES.get(path.suffix.lower())
    if media_type is None or not path.is_file():
        raise HTTPException(status_code=404)
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": ASSET_CACHE})


@router.get("/windows", response_class=HTMLResponse)
def windows_page(request: Request, cat: CatalogueDep) -> HTMLResponse:
    return render(request, "windows.html", floors=window_directory(cat))


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, state: StateDep, q: Annotated[str, Query(max_length=500)] = "") -> HTMLResponse:
    hits: list[dict[str, Any]] = []
    confident = False
    query = q.strip()
    if query and state.searcher is not None:
        try:
            result = state.searcher.search(query, k=8)
        except EmptyQuery:
            result = None
        if result is not None:
            confident = result.confident
            for h in result.hits:
                entry = state.catalogue.get(h.id)
                if entry is not None:
                    hits.append({"id": h.id, "kind": h.kind, "name": h.name, "summary": entry.summary})
    return render(
        request,
        "search.html",
        q=query,
        hits=hits,
        confident=confident,
        searched=bool(query),
        index_ready=state.searcher is not None,
    )
