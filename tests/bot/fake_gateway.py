"""A real HTTP server on 127.0.0.1 that plays the gateway for action tests (no mocks of the client)."""

from __future__ import annotations

import copy
import functools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import yaml

GUIDES = Path(__file__).resolve().parents[2] / "guides"
CATEGORIES = [
    {"code": "cannot-get-done", "name": "办不成事"},
    {"code": "service-attitude", "name": "服务态度"},
    {"code": "overdue", "name": "超时未办"},
    {"code": "extra-materials", "name": "重复或额外索要材料"},
    {"code": "system-fault", "name": "系统故障"},
    {"code": "other", "name": "其他"},
]


def load_guides() -> dict[str, dict[str, Any]]:
    """A fresh copy per server, so a test can change guides without touching others."""
    return copy.deepcopy(_load_guides())


@functools.lru_cache(maxsize=1)
def _load_guides() -> dict[str, dict[str, Any]]:
    """Guide JSON shaped like GET /api/guides/{id}, built from the repository's guide files."""
    raw: dict[str, tuple[str, dict[str, Any]]] = {}
    for kind, sub in (("item", "items"), ("bundle", "bundles"), ("window", "windows")):
        for path in sorted((GUIDES / sub).glob("*.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            raw[data["id"]] = (kind, json.loads(json.dumps(data, default=str)))
    out: dict[str, dict[str, Any]] = {}
    for gid, (kind, data) in raw.items():
        entry = {"kind": kind, **data}
        if kind == "item":
            window = raw.get(data.get("window", ""))
            entry["window_info"] = window[1] if window else None
        if kind == "bundle":
            members = [raw[m][1] for m in data.get("members", []) if m in raw]
            entry["member_names"] = {m["id"]: m["name"] for m in members}
            seen, merged = set(), []
            for m in members:
                for mat in m.get("materials", []):
                    if mat["name"] not in seen:
                        seen.add(mat["name"])
                        merged.append(mat)
            entry["merged_materials"] = merged + list(data.get("extra_materials", []))
        out[gid] = entry
    return out


@dataclass
class FakeState:
    guides: dict[str, dict[str, Any]]
    searches: dict[str, dict[str, Any]] = field(default_factory=dict)
    cases: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    fail_cases: bool = False
    handoff_status: int = 404

    def hit(self, gid: str, score: float) -> dict[str, Any]:
        g = self.guides[gid]
        return {
            "id": gid,
            "kind": g["kind"],
            "name": g["name"],
            "score": score,
            "window": g.get("window"),
            "bundles": g.get("bundles", []),
        }

    def set_search(self, query: str, confident: bool, hits: list[tuple[str, float]]) -> None:
        self.searches[query] = {
            "query": query,
            "took_ms": 1.0,
            "confident": confident,
            "hits": [self.hit(g, s) for g, s in hits],
        }


class Handler(BaseHTTPRequestHandler):
    state: FakeState

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"null")

    def do_GET(self) -> None:
        url = urlparse(self.path)
        query = parse_qs(url.query)
        path = unquote(url.path)
        self.state.requests.append(("GET", path, query))
        if path == "/api/search":
            q = query.get("q", [""])[0]
            default = {"query": q, "took_ms": 1.0, "confident": False, "hits": []}
            return self._send(200, self.state.searches.get(q, default))
        if path.startswith("/api/guides/"):
            entry = self.state.guides.get(path.rsplit("/", 1)[1])
            return self._send(200, entry) if entry else self._send(404, {"detail": "not found"})
        if self.state.fail_cases and path.startswith("/api/cases"):
            return self._send(503, {"detail": "down"})
        if path == "/api/cases/categories":
            return self._send(200, CATEGORIES)
        if path.startswith("/api/cases/"):
            case = self.state.cases.get(path.rsplit("/", 1)[1])
            if not case or query.get("phone_last4", [""])[0] != case["phone"][-4:]:
                return self._send(404, {"detail": "not found"})
            public = {k: case[k] for k in ("case_no", "status", "status_name", "deadline", "timeline")}
            return self._send(200, public)
        return self._send(404, {"detail": "no route"})

    def do_POST(self) -> None:
        path = unquote(urlparse(self.path).path)
        body = self._body()
        self.state.requests.append(("POST", path, body))
        if path == "/api/handoff":
            if self.state.handoff_status >= 400:
                return self._send(self.state.handoff_status, {"detail": "no"})
            return self._send(self.state.handoff_status, {"id": "h-1", "status": "queued"})
        if self.state.fail_cases and path.startswith("/api/cases"):
            return self._send(503, {"detail": "down"})
        if path == "/api/cases":
            key = body.get("idempotency_key")
            if key and key in self.state.by_key:
                case = self.state.cases[self.state.by_key[key]]
                return self._send(201, {k: case[k] for k in ("case_no", "status", "deadline")})
            case_no = f"TS2026112800{len(self.state.cases) + 1:03d}"
            case = {
                "case_no": case_no,
                "status": "received",
                "status_name": "受理",
                "deadline": "2026-12-05",
                "phone": body["phone"],
                "timeline": [{"at": "2026-11-28T10:00:00", "actor": "system", "note": "已受理"}],
                "ratings": [],
                "body": body,
            }
            self.state.cases[case_no] = case
            if key:
                self.state.by_key[key] = case_no
            return self._send(201, {k: case[k] for k in ("case_no", "status", "deadline")})
        if path.startswith("/api/cases/") and path.endswith("/rating"):
            case = self.state.cases.get(path.split("/")[3])
            if not case or body.get("phone_last4") != case["phone"][-4:]:
                return self._send(404, {"detail": "not found"})
            case["ratings"].append(body)
            if body["score"] <= 2:
                case["status"], case["status_name"] = "supervised", "督办"
            return self._send(200, {"case_no": case["case_no"], "status": case["status"]})
        return self._send(404, {"detail": "no route"})


class FakeGateway:
    """Start/stop a ThreadingHTTPServer on a free loopback port."""

    def __init__(self) -> None:
        self.state = FakeState(guides=load_guides())
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
