"""Bad input, rate limits, CORS, security headers and errors without stack traces on /api/chat."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.chat.conftest import QUESTION, ClientFactory
from tests.support.fake_rasa import FakeRasa


def test_empty_message_is_422_with_a_clear_message(client: TestClient, fake_rasa: FakeRasa) -> None:
    for message in ("", "   \n "):
        resp = client.post("/api/chat", json={"sender": "s1", "message": message})
        assert resp.status_code == 422
        assert resp.json()["detail"] and "Traceback" not in resp.text
    assert fake_rasa.received == []


@pytest.mark.parametrize("length", [501, 10_000])
def test_long_message_gets_a_friendly_refusal_not_an_error(
    client: TestClient, fake_rasa: FakeRasa, length: int
) -> None:
    resp = client.post("/api/chat", json={"sender": "s1", "message": "社" * length})
    assert resp.status_code == 200
    body = resp.json()
    assert body["messages"][0]["text"] and "500" in body["messages"][0]["text"]
    assert body["meta"]["route"]["kind"] == "none"
    assert fake_rasa.received == []  # never forwarded


def test_500_characters_is_still_accepted(client: TestClient, fake_rasa: FakeRasa) -> None:
    resp = client.post("/api/chat", json={"sender": "s1", "message": "社" * 500})
    assert resp.status_code == 200
    assert len(fake_rasa.received) == 1


def test_invalid_json_is_400(client: TestClient) -> None:
    resp = client.post(
        "/api/chat", content=b'{"sender": "s1", "message": ', headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400 and resp.json()["detail"]


@pytest.mark.parametrize(
    ("content", "ctype"),
    [(b"sender=s1&message=hi", "application/x-www-form-urlencoded"), (b"hi", "text/plain"), (b"{}", "")],
)
def test_wrong_content_type_is_415(client: TestClient, content: bytes, ctype: str) -> None:
    headers = {"Content-Type": ctype} if ctype else {}
    resp = client.post("/api/chat", content=content, headers=headers)
    assert resp.status_code == 415 and resp.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        [],
        "hello",
        {"message": QUESTION},
        {"sender": "", "message": QUESTION},
        {"sender": "a b<script>", "message": QUESTION},
        {"sender": "x" * 129, "message": QUESTION},
        {"sender": "s1", "message": 42},
        {"sender": "s1"},
        {"sender": 7, "message": QUESTION},
    ],
)
def test_wrong_fields_are_422(client: TestClient, body: object) -> None:
    resp = client.post("/api/chat", json=body)
    assert resp.status_code == 422 and isinstance(resp.json()["detail"], str)


def test_oversized_body_is_413(client: TestClient) -> None:
    resp = client.post("/api/chat", json={"sender": "s1", "message": "x" * 70_000})
    assert resp.status_code == 413


def test_html_in_a_message_comes_back_as_json_text(client: TestClient) -> None:
    evil = "<script>alert(1)</script>"
    resp = client.post("/api/chat", json={"sender": "s1", "message": evil})
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/json")
    assert evil in resp.json()["messages"][0]["text"]  # stays text; the widget inserts it with textContent


def test_rate_limit_per_sender(make_client: ClientFactory, fake_rasa: FakeRasa) -> None:
    client = make_client(rasa_url=fake_rasa.url, chat_rate_sender_burst=3, chat_rate_sender_per_min=1)
    codes = [client.post("/api/chat", json={"sender": "busy", "message": "你好"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    blocked = client.post("/api/chat", json={"sender": "busy", "message": "你好"})
    assert int(blocked.headers["Retry-After"]) >= 1 and blocked.json()["detail"]
    assert client.post("/api/chat", json={"sender": "calm", "message": "你好"}).status_code == 200


def test_rate_limit_per_ip(make_client: ClientFactory, fake_rasa: FakeRasa) -> None:
    client = make_client(rasa_url=fake_rasa.url, chat_rate_ip_burst=5, chat_rate_ip_per_min=1)
    codes = [client.post("/api/chat", json={"sender": f"s{i}", "message": "你好"}).status_code for i in range(6)]
    assert codes == [200] * 5 + [429]


def test_rate_limiter_is_pluggable(make_client: ClientFactory, fake_rasa: FakeRasa) -> None:
    class Never:
        def hit(self, key: str) -> float:
            return 7.0

    client = make_client(rasa_url=fake_rasa.url)
    client.app.state.chat_runtime.sender_limiter = Never()  # type: ignore[attr-defined]
    resp = client.post("/api/chat", json={"sender": "s1", "message": "你好"})
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "8"


def test_cors_allows_only_listed_sites(make_client: ClientFactory, fake_rasa: FakeRasa) -> None:
    site = "https://www.shifanqu.gov.cn"
    client = make_client(rasa_url=fake_rasa.url, cors_origins=f"{site}, https://m.shifanqu.gov.cn")
    pre = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-chat-channel,x-handoff-key",
    }
    ok = client.options("/api/chat", headers={"Origin": site, **pre})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == site
    poll = {"Origin": site, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-handoff-key"}
    assert client.options("/api/handoffs/inbox/w-1", headers=poll).status_code == 200  # the widget's inbox poll
    bad = client.options("/api/chat", headers={"Origin": "https://evil.example", **pre})
    assert "access-control-allow-origin" not in bad.headers
    resp = client.post("/api/chat", json={"sender": "s1", "message": "你好"}, headers={"Origin": site})
    assert resp.headers["access-control-allow-origin"] == site
    resp = client.post(
        "/api/chat", json={"sender": "s1", "message": "你好"}, headers={"Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in resp.headers


def test_no_cors_by_default(client: TestClient) -> None:
    resp = client.post("/api/chat", json={"sender": "s1", "message": "你好"}, headers={"Origin": "https://x.example"})
    assert "access-control-allow-origin" not in resp.headers


def test_security_headers(make_client: ClientFactory, fake_rasa: FakeRasa) -> None:
    client = make_client(rasa_url=fake_rasa.url, frame_ancestors="https://www.shifanqu.gov.cn")
    for path in ("/", "/guides/ss-card-replace", "/windows", "/search?q=x", "/guides/nope"):
        h = client.get(path).headers
        csp = h["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'self' https://www.shifanqu.gov.cn" in csp
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "strict-origin-when-cross-origin"
    for path in ("/widget.js", "/widget.css", "/healthz"):
        assert client.get(path).headers["x-content-type-options"] == "nosniff"
    h = client.post("/api/chat", json={"sender": "s1", "message": "你好"}).headers
    assert h["x-content-type-options"] == "nosniff"


def test_errors_carry_no_stack_trace(client: TestClient) -> None:
    async def boom(**_: object) -> None:
        raise RuntimeError("secret internals at /work/main/api")

    client.app.state.chat_runtime.service.turn = boom  # type: ignore[attr-defined]
    resp = client.post("/api/chat", json={"sender": "s1", "message": "你好"})
    assert resp.status_code == 500
    assert resp.json()["detail"]
    assert "Traceback" not in resp.text and "secret internals" not in resp.text
