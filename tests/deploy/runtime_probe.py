"""The gateway as its image runs it, in a fresh interpreter (run by tests/deploy/test_gateway_image.py).

`python -m tests.deploy.runtime_probe SPEC.json`: before anything of ours is imported, a meta-path finder
makes every module named in the spec's "absent" list unimportable, as if its distribution were not installed
(the test lists every module the runtime requirements do not bring: torch, sentence-transformers, transformers,
onnx, pytest...). Then it builds a small index through the `python -m index build` command, builds the app
on the real index and answers one search and one chat turn (Rasa down, so the answer comes from search).
Prints one JSON object of what it saw. Only the standard library is imported before the finder is in place.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import socket
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class Absent(importlib.abc.MetaPathFinder):
    """Refuses the listed top-level modules and everything under them; remembers what was asked for."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = frozenset(names)
        self.asked: set[str] = set()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        top = fullname.partition(".")[0]
        if top in self.names:
            self.asked.add(top)
            raise ModuleNotFoundError(f"No module named {fullname!r} (not in requirements.txt)", name=fullname)
        return None


def dead_url() -> str:
    """A loopback URL nobody listens on: Rasa is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def run(spec: dict[str, Any], absent: Absent) -> dict[str, Any]:
    from index import cli

    work = Path(spec["work"])
    mini_index = work / "mini-index"
    build_rc = cli.main(["--guides", spec["mini_guides"], "build", "--index", str(mini_index)])
    mini = json.loads((mini_index / "manifest.json").read_text(encoding="utf-8"))

    from fastapi.testclient import TestClient

    from api.main import create_app
    from api.settings import Settings

    settings = Settings(
        app_env="test",
        index_dir=Path(spec["index_dir"]),
        index_autobuild=False,
        database_url=f"sqlite:///{work / 'cases.db'}",
        case_background=False,
        rasa_url=dead_url(),
        log_level="WARNING",
    )
    question = spec["question"]
    with TestClient(create_app(settings)) as client:
        search = client.get("/api/search", params={"q": question, "k": 3})
        chat = client.post("/api/chat", json={"sender": "probe", "message": question})
        encoder = type(client.app.state.app.searcher.encoder).__name__  # type: ignore[attr-defined]
    hits = search.json().get("hits", []) if search.status_code == 200 else []
    meta = chat.json().get("meta", {}) if chat.status_code == 200 else {}
    asked_for = sorted(absent.asked)  # before the check below asks for torch itself
    try:
        import torch  # noqa: F401  (proves the finder is in force; must fail)

        finder_active = False
    except ModuleNotFoundError:
        finder_active = True
    return {
        "build_rc": build_rc,
        "mini_entries": mini.get("entries"),
        "encoder": encoder,
        "search_status": search.status_code,
        "search_top": hits[0]["id"] if hits else None,
        "chat_status": chat.status_code,
        "chat_degraded": meta.get("degraded"),
        "chat_route": meta.get("route"),
        "finder_active": finder_active,
        "asked_for": asked_for,
        "loaded": sorted({m.partition(".")[0] for m in sys.modules} & absent.names),
    }


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    absent = Absent(spec["absent"])
    sys.meta_path.insert(0, absent)
    print(json.dumps(run(spec, absent)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
