"""Hot index reload: a new index on disk (or, with autobuild, changed guides) is swapped in without a restart.

The watcher polls two cheap things every `INDEX_WATCH_S` seconds:
- the identity of `<index>/manifest.json` (inode + mtime): `index build` writes a new folder and renames it
  in, so another process's build (or a shared volume in a cluster) shows up as a new manifest;
- with `INDEX_AUTOBUILD`, the guides' file times: when they change, the catalogue is loaded (an invalid
  edit is logged and the old guides keep serving) and, if its digest differs from the index's, the index
  is rebuilt in a worker thread on one core, then picked up by the first check.
The new Searcher is loaded and warmed in a thread, then the catalogue and searcher are swapped in one step
on the event loop; requests in flight finish on the objects they already hold, so none fails.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI

from api.guides.view import guide_view
from api.settings import Settings, index_settings
from api.state import AppState
from index import catalogue as catalogue_mod
from index.build import build, read_manifest
from index.catalogue import CatalogueError
from index.search import Searcher
from index.settings import IndexSettings

log = logging.getLogger(__name__)


def manifest_identity(index_dir: Path) -> tuple[int, int] | None:
    try:
        st = (index_dir / "manifest.json").stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def guides_fingerprint(guides_dir: Path) -> tuple[int, int]:
    """(file count, newest mtime) of the guide files: changes whenever an editor saves, adds or removes one."""
    count = newest = 0
    for path in guides_dir.rglob("*"):
        if path.suffix in (".yml", ".yaml", ".md") and path.is_file():
            count += 1
            newest = max(newest, path.stat().st_mtime_ns)
    return count, newest


@dataclass
class ReloadStats:
    reloads: int = 0
    builds: int = 0
    failures: int = 0
    last_reload_at: float | None = None
    last_error: str | None = None
    history: list[str] = field(default_factory=list)


class IndexReloader:
    """Keeps `state.searcher` and `state.catalogue` in step with the index folder (and the guides)."""

    def __init__(
        self,
        state: AppState,
        *,
        index_dir: Path,
        guides_dir: Path,
        autobuild: bool,
        index_settings: IndexSettings | None = None,
    ) -> None:
        self.state = state
        self.index_settings = index_settings
        self.index_dir = index_dir
        self.guides_dir = guides_dir
        self.autobuild = autobuild
        self.stats = ReloadStats()
        self._manifest = manifest_identity(index_dir) if state.searcher is not None else None
        self._guides = guides_fingerprint(guides_dir)
        self._lock = asyncio.Lock()

    async def check(self) -> bool:
        """One poll; True when a new index was swapped in."""
        async with self._lock:
            if self.autobuild:
                await self._rebuild_if_guides_changed()
            current = manifest_identity(self.index_dir)
            if current is None or current == self._manifest:
                return False
            try:
                await self._swap(current)
            except Exception as exc:  # a half-written or foreign folder: keep serving the old index
                self.stats.failures += 1
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                log.error("index reload failed, still serving the previous index: %s", self.stats.last_error)
                self._manifest = current  # do not retry the same broken folder every few seconds
                return False
            return True

    async def _rebuild_if_guides_changed(self) -> None:
        fingerprint = guides_fingerprint(self.guides_dir)
        if fingerprint == self._guides:
            return
        previous, self._guides = self._guides, fingerprint
        try:
            await self._rebuild()
        except Exception:
            self._guides = previous  # a failed build (disk full, a crash) is tried again at the next poll
            raise

    async def _rebuild(self) -> None:
        try:
            cat = await asyncio.to_thread(catalogue_mod.load, self.guides_dir)
        except CatalogueError as exc:
            self.stats.failures += 1
            self.stats.last_error = str(exc)
            log.error("guides changed but do not load; still serving the previous guides: %s", exc)
            return
        manifest = read_manifest(self.index_dir) or {}
        if manifest.get("guides_hash") == cat.digest:
            return
        searcher = self.state.searcher
        if searcher is None:
            return
        log.info("guides changed: rebuilding the index in the background")
        t0 = time.perf_counter()
        await asyncio.to_thread(build, cat, self.index_dir, searcher.encoder, quiet=True)
        self.stats.builds += 1
        log.info("index rebuilt in %.1f s", time.perf_counter() - t0)

    async def _swap(self, identity: tuple[int, int]) -> None:
        old = self.state.searcher
        manifest = read_manifest(self.index_dir)
        if manifest is None:
            raise FileNotFoundError(f"{self.index_dir}/manifest.json vanished")
        same_model = old is not None and str(manifest.get("model")) == old.encoder.name
        encoder = old.encoder if old is not None and same_model else None
        cat = await asyncio.to_thread(catalogue_mod.load, self.guides_dir)
        await asyncio.to_thread(guide_view, cat)  # the cards of the new guides, built off the event loop
        # loads and warms up; a new model's encoder loads with the gateway's settings
        new = await asyncio.to_thread(Searcher.load, self.index_dir, encoder, settings=self.index_settings)
        if new.manifest.get("guides_hash") != cat.digest:
            log.warning("the new index was built from other guides than guides/ holds now; serving it anyway")
        # both in one step on the event loop: no request sees a new searcher with the old catalogue
        self.state.catalogue, self.state.searcher = cat, new
        self._manifest = identity
        self.stats.reloads += 1
        self.stats.last_reload_at = time.time()
        log.info("index swapped in: %s entries, built %s", new.n_entries, new.manifest.get("built_at"))

    async def run(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            try:
                await self.check()
            except Exception:  # never let the watcher die: the next poll tries again
                self.stats.failures += 1
                log.exception("index watcher poll failed")


@asynccontextmanager
async def index_reload_lifespan(app: FastAPI, settings: Settings, state: AppState) -> AsyncIterator[None]:
    """Starts the watcher when INDEX_WATCH_S > 0 and a searcher is loaded; `app.state.index_reloader` for tests."""
    reloader = IndexReloader(
        state,
        index_dir=settings.index_dir,
        guides_dir=settings.guides_dir,
        autobuild=settings.index_autobuild,
        index_settings=index_settings(settings),
    )
    app.state.index_reloader = reloader
    task = None
    if settings.index_watch_s > 0 and state.searcher is not None:
        task = asyncio.create_task(reloader.run(settings.index_watch_s), name="index-watcher")
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
