"""What both conversation evaluators share: dev files, one chat client, reply text, percentiles, normalisation.

The client sends one citizen turn to `POST /api/chat` as the web widget does (`X-Chat-Channel: widget`), either
to a running stack over HTTP (`make run`, the full path through Rasa) or to the gateway built in-process with an
unreachable Rasa (`--degraded`), where it answers from search: the same request, the same classification.

`normalise` makes a fact comparable with a reply: NFKC (full-width letters, digits and punctuation become
half-width), lower case, then everything that is neither a letter nor a digit is dropped (spaces, punctuation,
dashes, quotes, brackets, symbols), so "12—18号窗口" and "12-18 号窗口" compare equal.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time
import unicodedata
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx

if TYPE_CHECKING:  # the in-process client imports the gateway lazily: `--base` runs need none of it
    from api.settings import Settings
    from index.search import Searcher

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "tests" / "data"
DEFAULT_BASE = "http://127.0.0.1:8000"
UNREACHABLE_RASA = "http://127.0.0.1:9"  # the discard port: nobody listens, so the gateway answers from search
CHAT_PATH = "/api/chat"
CHANNEL_HEADERS = {"X-Chat-Channel": "widget"}
WARM_UP = "社保卡丢了怎么补办"  # one unmeasured turn first, so loading costs do not land on the first question
MAX_THROTTLE_RETRIES = 30
_NOT_WORD = re.compile(r"[\W_]+")


class DevFileError(ValueError):
    """A dev file line that is not a JSON object; the message names the file and line."""


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every non-blank line of a dev file as a dict; a broken line stops the run with its line number."""
    out: list[dict[str, Any]] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise DevFileError(f"{path}:{n}: not JSON ({exc})") from exc
        if not isinstance(data, dict) or not isinstance(data.get("q"), str) or not data["q"].strip():
            raise DevFileError(f'{path}:{n}: expected an object with a non-empty "q"')
        out.append(data)
    return out


def normalise(text: str) -> str:
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def new_sender() -> str:
    """A fresh conversation, in the web widget's own format (`w-` and 32 hex digits)."""
    return "w-" + uuid.uuid4().hex


@dataclass(frozen=True)
class Turn:
    """One question's first turn: the ChatReply JSON when the gateway answered 200, else `error`."""

    message: str
    status: int
    reply: dict[str, Any] | None
    latency_ms: float
    error: str | None = None


class ChatClient(Protocol):
    mode: str  # "full" (HTTP to a running stack) or "degraded" (in-process, Rasa unreachable)

    def send(self, *, sender: str, message: str) -> Turn: ...


class _Response(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    def json(self) -> Any: ...


class _Http(Protocol):
    """httpx.Client, or starlette's TestClient (an httpx2.Client): the two calls the evaluators make."""

    def post(self, url: str, *, json: Any = None, headers: dict[str, str] | None = None) -> _Response: ...

    def get(self, url: str, *, timeout: float = 5.0) -> _Response: ...


def _retry_after(resp: _Response) -> float:
    try:
        return max(0.5, float(resp.headers.get("retry-after", "1")))
    except ValueError:
        return 1.0


class _Poster:
    """One POST per turn; a 429 waits its Retry-After and asks again, so rate limits slow a run but never fail it."""

    mode = "full"

    def __init__(self, http: _Http) -> None:
        self._http = http
        self._lock = threading.Lock()
        self.throttled = 0

    def send(self, *, sender: str, message: str) -> Turn:
        for attempt in range(MAX_THROTTLE_RETRIES + 1):
            t0 = time.perf_counter()
            try:
                resp = self._http.post(CHAT_PATH, json={"sender": sender, "message": message}, headers=CHANNEL_HEADERS)
            except Exception as exc:  # a connection error (full path) or a crash in-process: counted, never fatal
                return Turn(message, 0, None, (time.perf_counter() - t0) * 1000, type(exc).__name__)
            ms = (time.perf_counter() - t0) * 1000
            if resp.status_code == 429 and attempt < MAX_THROTTLE_RETRIES:
                with self._lock:
                    self.throttled += 1
                time.sleep(_retry_after(resp))
                continue
            return _turn(message, resp, ms)
        raise AssertionError("unreachable")  # the last attempt always returns

    def health(self, path: str) -> int:
        try:
            return self._http.get(path, timeout=5.0).status_code
        except Exception:
            return 0


def _turn(message: str, resp: _Response, ms: float) -> Turn:
    if resp.status_code != 200:
        return Turn(message, resp.status_code, None, ms, f"status {resp.status_code}")
    try:
        data = resp.json()
    except ValueError:
        return Turn(message, 200, None, ms, "invalid JSON")
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        return Turn(message, 200, None, ms, "not a ChatReply")
    return Turn(message, 200, data, ms)


class HttpChatClient(_Poster):
    """The full path: a running gateway (and behind it Rasa and the action server), over loopback HTTP."""

    def __init__(self, base: str, timeout_s: float = 30.0) -> None:
        self._client = httpx.Client(base_url=base.rstrip("/"), timeout=timeout_s, trust_env=False)
        super().__init__(self._client)
        self.base = base

    def close(self) -> None:
        self._client.close()


def degraded_settings(tmp_dir: Path, **overrides: Any) -> Settings:
    """The gateway as `make run` builds it, but Rasa unreachable, a throwaway case database and no limits."""
    from api.settings import Settings

    values: dict[str, Any] = {
        "app_env": "test",
        "rasa_url": UNREACHABLE_RASA,
        "database_url": f"sqlite:///{tmp_dir / 'cases.db'}",
        "case_background": False,
        "index_watch_s": 0.0,  # the index is read once; a guide edit mid-run does not change the figures
        "index_autobuild": False,
        "chat_rate_sender_burst": 1_000_000,
        "chat_rate_ip_burst": 1_000_000,
        "log_level": "ERROR",  # every turn would log "rasa unavailable" at WARNING
    }
    values.update(overrides)
    return Settings(**values)


class InProcessChatClient(_Poster):
    """The degraded path: `create_app` in this process behind `TestClient`, Rasa unreachable, answers from search.

    `searcher` replaces the one the app would load from `settings.index_dir` (tests hand in their session index)."""

    mode = "degraded"

    def __init__(self, settings: Settings, searcher: Searcher | None = None) -> None:
        from fastapi.testclient import TestClient

        from api.main import create_app
        from api.settings import get_settings

        if searcher is not None:
            settings = settings.model_copy(update={"load_searcher": False})
        app = create_app(settings)
        app.dependency_overrides[get_settings] = lambda: settings
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()  # runs the lifespan: catalogue, searcher, case database, chat runtime
        if searcher is not None:
            app.state.app.searcher = searcher
        super().__init__(client)
        self._client = client

    def close(self) -> None:
        self._client.__exit__(None, None, None)


def _index_problem(index_dir: Path) -> str | None:
    from index import catalogue
    from index.build import is_stale, read_manifest
    from index.embed import default_model

    if read_manifest(index_dir) is None:
        return f"no search index in {index_dir}: run `make index` first"
    if is_stale(index_dir, catalogue.load(), default_model()):
        print(f"[bench] warning: {index_dir} is older than the guides; `make index` refreshes it", file=sys.stderr)
    return None


@contextmanager
def open_client(*, base: str, degraded: bool) -> Iterator[HttpChatClient | InProcessChatClient]:
    """The running stack at `base`, or the gateway in-process with Rasa down; says which on stderr."""
    if degraded:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        with tempfile.TemporaryDirectory(prefix="bench-eval-") as tmp:
            settings = degraded_settings(Path(tmp))
            problem = _index_problem(settings.index_dir)
            if problem:
                raise SystemExit(f"[bench] {problem}")
            print("[bench] degraded path: gateway in-process, Rasa unreachable, answers from search", file=sys.stderr)
            inproc = InProcessChatClient(settings)
            try:
                yield inproc
            finally:
                inproc.close()
        return
    http = HttpChatClient(base)
    try:
        if http.health("/healthz") != 200:
            raise SystemExit(f"[bench] no gateway answers at {base}: start `make run`, or measure with --degraded")
        ready = http.health("/readyz") == 200
        note = "" if ready else " (not ready: Rasa may still be loading; such turns are counted as degraded)"
        print(f"[bench] full path: the running stack at {base}{note}", file=sys.stderr)
        yield http
    finally:
        http.close()


def run_turns(client: ChatClient, messages: Sequence[str], concurrency: int = 4) -> list[Turn]:
    """Each message as the first turn of its own new conversation, `concurrency` at a time, in input order."""
    client.send(sender=new_sender(), message=WARM_UP)
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(lambda m: client.send(sender=new_sender(), message=m), messages))


def reply_text(reply: dict[str, Any] | None) -> str:
    """The text of every message of a reply, joined: what a citizen reads, cards aside."""
    msgs = (reply or {}).get("messages") or []
    return "\n".join(str(m.get("text") or "") for m in msgs if isinstance(m, dict))


def card_text(reply: dict[str, Any] | None) -> str:
    """Every string inside the reply's guide cards (materials, window, fee…), joined."""

    def strings(value: Any) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)

    msgs = (reply or {}).get("messages") or []
    return "\n".join(s for m in msgs if isinstance(m, dict) for s in strings(m.get("card")))


def route_of(reply: dict[str, Any] | None) -> tuple[str, str | None]:
    """(meta.route.kind, meta.route.id) of a reply, ("none", None) when absent."""
    meta = (reply or {}).get("meta") or {}
    route = meta.get("route") if isinstance(meta, dict) else None
    if not isinstance(route, dict):
        return "none", None
    rid = route.get("id")
    return str(route.get("kind") or "none"), (str(rid) if rid else None)


def is_degraded(reply: dict[str, Any] | None) -> bool:
    meta = (reply or {}).get("meta") or {}
    return bool(isinstance(meta, dict) and meta.get("degraded"))


def latency(turns: Sequence[Turn]) -> dict[str, float | None]:
    """p50 / p95 / max of the answered turns (nearest rank, as `bench.chat_load`)."""
    ms = sorted(t.latency_ms for t in turns if t.reply is not None)
    n = len(ms)
    if not n:
        return {"p50_ms": None, "p95_ms": None, "max_ms": None}
    return {
        "p50_ms": round(ms[min(n - 1, int(0.50 * n))], 1),
        "p95_ms": round(ms[min(n - 1, int(0.95 * n))], 1),
        "max_ms": round(ms[-1], 1),
    }


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def target(value: float | None, op: str, goal: float, over: str) -> dict[str, Any]:
    """One of the issue's targets beside the measured value; `met` is None when nothing was measured."""
    met = None if value is None else (value >= goal if op == ">=" else value <= goal)
    return {"value": value, "target": f"{op} {goal}", "met": met, "over": over}


def add_common_args(parser: argparse.ArgumentParser, default_file: Path) -> None:
    parser.add_argument("file", nargs="?", type=Path, default=default_file, help=f"default: {default_file}")
    parser.add_argument("--base", default=DEFAULT_BASE, help="the running gateway (make run)")
    parser.add_argument("--degraded", action="store_true", help="in-process gateway, Rasa unreachable, no make run")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--limit", type=int, default=None, help="only the first N lines")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--show-misses", action="store_true", help="list the lines that failed")


def print_report(name: str, report: dict[str, Any], *, as_json: bool, misses: list[dict[str, Any]] | None) -> None:
    """JSON on one line ({name: report}, misses inside with --show-misses), or readable lines."""
    if as_json:
        body = dict(report, misses=misses) if misses is not None else report
        print(json.dumps({name: body}, ensure_ascii=False))
        return
    for key, value in report.items():
        print(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    for miss in misses or []:
        print("MISS " + json.dumps(miss, ensure_ascii=False))
