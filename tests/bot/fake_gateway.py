"""A real HTTP server on 127.0.0.1 that plays the gateway for action tests (no mocks of the client)."""

from __future__ import annotations

import copy
import functools
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import yaml

from civic.channels import CITIZEN_CHANNELS, STAFF_CHANNELS

GUIDES = Path(__file__).resolve().parents[2] / "guides"
INTERNAL_TOKEN = "bot-test-internal-token"  # the conftest puts it in INTERNAL_TOKEN for the action server
CATEGORIES = [
    {"code": "cannot-get-done", "name": "办不成事"},
    {"code": "service-attitude", "name": "服务态度"},
    {"code": "overdue", "name": "超时未办"},
    {"code": "extra-materials", "name": "重复或额外索要材料"},
    {"code": "system-fault", "name": "系统故障"},
    {"code": "other", "name": "其他"},
]


ANSWER_ID = re.compile(r"^[a-z0-9-]{1,64}$")  # as api/answer/routes.py validates id and last
ANSWER_ASKED = re.compile(r"^[a-z_]{1,16}$")  # asked and last_asked
NOT_SURE = "这个问题我没找到准确的办事指南，不敢乱说。"


def message(
    type: str = "text",
    text: str = "",
    buttons: list[dict[str, str]] | None = None,
    card: dict[str, Any] | None = None,
    url: str | None = None,
) -> dict[str, Any]:
    """One message of GET /api/answer, every key present as api/chat/schemas.ChatMessage dumps it."""
    return {"type": type, "text": text, "buttons": buttons or [], "card": card, "url": url}


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
    internal_token: str = INTERNAL_TOKEN
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    answer_callers: list[bool | None] = field(default_factory=list)  # _internal() of each /api/answer call
    categorized: dict[str, str] = field(default_factory=dict)  # text -> the category code categorize tells

    def categorize(self, text: str) -> dict[str, Any]:
        """GET /api/cases/categorize as the gateway answers: the canned category for the text, else none."""
        code = self.categorized.get(text)
        found = next((c for c in CATEGORIES if c["code"] == code), None)
        return {"category": found, "via": "cue" if found else None, "item": None}

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

    def set_answer(
        self,
        q_or_id: str,
        decision: str,
        route: tuple[str, str | None] = ("none", None),
        messages: list[dict[str, Any]] | None = None,
        asked: str | None = None,
        choices: list[str] | None = None,
        confidence: float | None = None,
    ) -> None:
        """The canned GET /api/answer reply to `q` or `id` equal to q_or_id; messages are filled to the real shape."""
        kind, rid = route
        self.answers[q_or_id] = {
            "decision": decision,
            "asked": asked,
            "route": {"kind": kind, "id": rid},
            "confidence": confidence,
            "choices": choices or [],
            "messages": [message(**m) for m in messages or []],
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
        if path == "/api/answer":
            return self._answer(query)
        if path.startswith("/api/guides/"):
            entry = self.state.guides.get(path.rsplit("/", 1)[1])
            return self._send(200, entry) if entry else self._send(404, {"detail": "not found"})
        if self.state.fail_cases and path.startswith("/api/cases"):
            return self._send(503, {"detail": "down"})
        if path == "/api/cases/categories":
            return self._send(200, CATEGORIES)
        if path == "/api/cases/categorize":
            return self._send(200, self.state.categorize(query.get("text", [""])[0]))
        if path.startswith("/api/cases/"):
            case = self.state.cases.get(path.rsplit("/", 1)[1])
            if not case or query.get("phone_last4", [""])[0] != case["phone"][-4:]:
                return self._send(404, {"detail": "not found"})
            public = {k: case[k] for k in ("case_no", "status", "status_name", "deadline", "timeline")}
            return self._send(200, public)
        return self._send(404, {"detail": "no route"})

    def _answer(self, query: dict[str, list[str]]) -> None:
        """GET /api/answer: the real validation (422), a canned answer, else an abstention."""
        self.state.answer_callers.append(self._internal())
        params = {k: v[0] for k, v in query.items()}
        q, entry = params.get("q", ""), params.get("id")
        ids_ok = all(ANSWER_ID.match(params[k]) for k in ("id", "last") if k in params)
        asked_ok = all(ANSWER_ASKED.match(params[k]) for k in ("asked", "last_asked") if k in params)
        if len(q) > 2000 or not ids_ok or not asked_ok or not (q.strip() or entry):
            return self._send(422, {"detail": "invalid"})
        abstain = {
            "decision": "abstain",
            "asked": None,
            "route": {"kind": "none", "id": None},
            "confidence": None,
            "choices": [],
            "messages": [message(text=NOT_SURE)],
        }
        return self._send(200, self.state.answers.get(entry or q, abstain))

    def _internal(self) -> bool | None:
        """True with the right X-Internal-Token, False without one, None with a wrong one (the gateway: 401)."""
        given = self.headers.get("X-Internal-Token")
        if given is None:
            return False
        return True if given == self.state.internal_token else None

    def do_POST(self) -> None:
        path = unquote(urlparse(self.path).path)
        body = self._body()
        self.state.requests.append(("POST", path, body))
        internal = self._internal()
        if internal is None or (path == "/api/handoff" and not internal):
            return self._send(401, {"detail": "internal token missing or wrong"})
        if path == "/api/handoff":
            if self.state.handoff_status >= 400:
                return self._send(self.state.handoff_status, {"detail": "no"})
            body = {"id": "h-1", "status": "queued", "existing": self.state.handoff_status == 200}
            return self._send(self.state.handoff_status, body)
        if self.state.fail_cases and path.startswith("/api/cases"):
            return self._send(503, {"detail": "down"})
        if path == "/api/cases":
            # as api/cases: the action server may name a citizen channel, never a staff one; the public gets "web"
            claimed = body.get("channel")
            if claimed in STAFF_CHANNELS or (claimed is not None and claimed not in CITIZEN_CHANNELS):
                return self._send(422, {"detail": [{"loc": ["body", "channel"], "field": "channel"}]})
            channel = (claimed or "web") if internal else "web"
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
                "channel": channel,
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
