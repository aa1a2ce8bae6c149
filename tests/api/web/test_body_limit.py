"""The body cap counts bytes received: a chunked body has no Content-Length to check."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.support.app import live_server, make_settings

CHUNK = b" " * 65536


def _chunks(total: int) -> Iterator[bytes]:
    yield b'{"sender": "web-body-limit", "message": "hi"'
    sent = 0
    while sent < total:
        yield CHUNK
        sent += len(CHUNK)
    yield b"}"


def test_a_chunked_body_over_the_cap_is_413_not_parsed(client: TestClient) -> None:
    resp = client.post(
        "/api/chat", content=_chunks(10 * 1024 * 1024), headers={"Content-Type": "application/json"}
    )  # httpx sends a generator without Content-Length
    assert resp.status_code == 413
    assert resp.json()["detail"] == "请求内容太大了"


def test_a_declared_length_over_the_cap_is_refused_before_reading(client: TestClient) -> None:
    body = json.dumps({"sender": "web-body-limit", "message": "x" * 70_000}).encode()
    resp = client.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 413


def test_a_small_chunked_body_still_works(client: TestClient) -> None:
    resp = client.post(
        "/api/cases/CASE-NOPE/status", content=iter([b"{}"]), headers={"Content-Type": "application/json"}
    )
    assert resp.status_code != 413


def test_deep_json_is_a_400_not_a_500(client: TestClient) -> None:
    deep = "[" * 30_000 + "]" * 30_000
    resp = client.post("/api/chat", content=deep.encode(), headers={"Content-Type": "application/json"})
    assert resp.status_code == 400


@pytest.fixture
def server(tmp_path: Path) -> Iterator[int]:
    with live_server(create_app(make_settings(tmp_path)), start_timeout_s=20) as url:
        yield int(url.rsplit(":", 1)[1])


def test_a_real_server_answers_413_to_a_chunked_stream_and_stops_reading(server: int) -> None:
    """Raw HTTP/1.1 with Transfer-Encoding: chunked, as curl sends `-T -`: the 413 comes before 200 MB are sent."""
    with socket.create_connection(("127.0.0.1", server), timeout=10) as sock:
        sock.sendall(
            b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        sent, answer = 0, b""
        sock.settimeout(0.01)
        while sent < 200 * 1024 * 1024 and b"\r\n\r\n" not in answer:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
                sent += len(CHUNK)
                answer += sock.recv(4096)
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.settimeout(5)
        try:
            while b"\r\n\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        except (TimeoutError, ConnectionResetError):
            pass
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 4 * 1024 * 1024, f"the server kept reading: {sent} bytes sent"
