"""Hot index reload: an editor's change to the guides reaches search without a restart or a failed request."""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter
from pathlib import Path

from fastapi.testclient import TestClient

from api.index_reload import IndexReloader
from tests.support.app import gateway_client, make_settings

NEW_ALIAS = "猫猫证怎么补办"  # a made-up name no guide uses, added to one guide by the "editor" below
GUIDE = "ss-card-replace"


def copy_tree(index_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    guides = tmp_path / "guides"
    shutil.copytree(Path(__file__).resolve().parents[2] / "guides", guides)
    index = tmp_path / "index"
    shutil.copytree(index_dir, index)
    return guides, index


def top_id(client: TestClient, q: str) -> str | None:
    hits = client.get("/api/search", params={"q": q, "k": 1}).json()["hits"]
    return hits[0]["id"] if hits else None


def test_guide_edit_is_rebuilt_and_swapped_under_load(tmp_path: Path, index_dir: Path) -> None:
    guides, index = copy_tree(index_dir, tmp_path)
    settings = make_settings(
        tmp_path,
        load_searcher=True,
        guides_dir=guides,
        index_dir=index,
        index_watch_s=0.2,
        index_autobuild=True,
        rasa_url="http://127.0.0.1:9",  # Rasa down: chat answers from the searcher being swapped
        chat_rate_sender_burst=100_000,
        chat_rate_ip_burst=100_000,
    )
    with gateway_client(settings) as client:
        reloader: IndexReloader = client.app.state.index_reloader  # type: ignore[attr-defined]
        assert top_id(client, NEW_ALIAS) != GUIDE

        statuses: Counter[int] = Counter()
        stop = threading.Event()

        def citizen(n: int) -> None:
            turn = 0
            while not stop.is_set():
                turn += 1
                if turn % 2:
                    r = client.get("/api/search", params={"q": "社保卡丢了怎么补办", "k": 3})
                    ok = r.status_code == 200 and r.json()["hits"][0]["id"] == GUIDE
                else:
                    r = client.post("/api/chat", json={"sender": f"reload-{n}", "message": f"退休手续 {turn}"})
                    ok = r.status_code == 200 and bool(r.json()["messages"])
                statuses[r.status_code if ok else -1] += 1
                time.sleep(0.02)

        threads = [threading.Thread(target=citizen, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        try:
            path = guides / "items" / f"{GUIDE}.yml"
            path.write_text(
                path.read_text(encoding="utf-8").replace("aliases:\n", f"aliases:\n  - {NEW_ALIAS}\n", 1),
                encoding="utf-8",
            )
            deadline = time.monotonic() + 600
            while reloader.stats.reloads == 0 and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(1.0)  # keep the load on after the swap too
        finally:
            stop.set()
            for t in threads:
                t.join()

        assert reloader.stats.builds == 1 and reloader.stats.reloads == 1, reloader.stats
        assert set(statuses) == {200}, statuses  # every request across the rebuild and the swap answered right
        assert sum(statuses.values()) > 20
        assert top_id(client, NEW_ALIAS) == GUIDE
        assert client.get("/readyz").json()["components"]["index"]["ok"]


def test_broken_guide_edit_keeps_the_old_index(tmp_path: Path, index_dir: Path) -> None:
    guides, index = copy_tree(index_dir, tmp_path)
    settings = make_settings(
        tmp_path, load_searcher=True, guides_dir=guides, index_dir=index, index_watch_s=0, index_autobuild=True
    )
    with gateway_client(settings) as client:
        reloader: IndexReloader = client.app.state.index_reloader  # type: ignore[attr-defined]
        before = client.app.state.app.searcher  # type: ignore[attr-defined]
        (guides / "items" / f"{GUIDE}.yml").write_text("id: [unclosed\n", encoding="utf-8")
        assert client.portal.call(reloader.check) is False  # type: ignore[union-attr]
        assert reloader.stats.failures == 1 and reloader.stats.builds == 0
        assert client.app.state.app.searcher is before  # type: ignore[attr-defined]
        assert top_id(client, "社保卡丢了怎么补办") == GUIDE


def test_a_new_index_folder_from_another_process_is_picked_up(tmp_path: Path, index_dir: Path) -> None:
    """A cluster builds once onto a shared volume (INDEX_AUTOBUILD=false); every replica swaps it in."""
    guides, index = copy_tree(index_dir, tmp_path)
    settings = make_settings(
        tmp_path, load_searcher=True, guides_dir=guides, index_dir=index, index_watch_s=0, index_autobuild=False
    )
    with gateway_client(settings) as client:
        reloader: IndexReloader = client.app.state.index_reloader  # type: ignore[attr-defined]
        before = client.app.state.app.searcher  # type: ignore[attr-defined]
        assert client.portal.call(reloader.check) is False  # type: ignore[union-attr]
        fresh = tmp_path / "fresh"
        shutil.copytree(index_dir, fresh)
        old = tmp_path / "old"
        index.rename(old)
        fresh.rename(index)  # what `index build` does: a whole new folder renamed into place
        assert client.portal.call(reloader.check) is True  # type: ignore[union-attr]
        assert client.app.state.app.searcher is not before  # type: ignore[attr-defined]
        assert client.app.state.app.searcher.encoder is before.encoder  # type: ignore[attr-defined]  # model reused
        assert top_id(client, "社保卡丢了怎么补办") == GUIDE
