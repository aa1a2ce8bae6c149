"""Two gateway + two Rasa replicas behind nginx, shared PostgreSQL and Redis (tools/cluster.py).

`make scale-test` runs these after `make bot-train`; a plain `pytest` skips them (they need the trained model and
take a few minutes: two Rasa servers load in parallel on 2 cores). The rig is the session fixture in conftest.py.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.chat_load import questions
from bench.scale import kill_run
from tools.cluster import Cluster

pytestmark = pytest.mark.skipif(
    os.environ.get("RUN_SCALE_TESTS") != "1", reason="multi-replica tests: `make scale-test` (RUN_SCALE_TESTS=1)"
)


def turn(url: str, sender: str, message: str) -> dict[str, Any]:
    resp = httpx.post(url + "/api/chat", json={"sender": sender, "message": message}, timeout=30, trust_env=False)
    assert resp.status_code == 200, resp.text
    data: dict[str, Any] = resp.json()
    return data


def test_follow_up_on_the_other_replica_keeps_the_context(rig: Cluster) -> None:
    """ "要带啥" on gateway 2 / Rasa 2 answers about the guide that gateway 1 / Rasa 1 found a turn earlier."""
    sender = f"alt-{uuid.uuid4().hex[:12]}"
    since = time.time()
    first = turn(rig.gateway_urls[0], sender, "社保卡丢了怎么补办")
    second = turn(rig.gateway_urls[1], sender, "要带啥")
    info = f"{first['meta']} / {second}\n{rig.log_tails()}"
    assert not first["meta"].get("degraded") and not second["meta"].get("degraded"), info
    guide = first["meta"]["route"]["id"]
    assert guide and first["meta"]["route"]["kind"] == "guide", info
    assert second["meta"]["route"]["id"] == guide, info
    # the two turns really ran on different Rasa processes (nginx logged which one answered)
    hits = rig.rasa_hits(since)
    assert [upstream for _, upstream, _ in hits] == [u.removeprefix("http://") for u in rig.rasa_urls], hits


# floors under the figures `make bench` measures through the whole stack (see the README): a slice of our own dev
# files, every Nth line, so a change that throws the conversation back is caught in `make test`
CHAT_SLICE, PRECISION_SLICE = 8, 5
FLOOR_RIGHT_ANSWER, FLOOR_PRECISION, CEILING_FORM_ON_QUESTIONS = 0.70, 0.75, 0.10


def test_the_conversation_holds_its_floor(rig: Cluster) -> None:
    """Dev questions through nginx, gateway, Rasa and the actions: right first answers, the asked fact first."""
    from bench import chat_eval, precision_eval
    from bench.evalclient import HttpChatClient, read_jsonl, run_turns
    from index import catalogue

    data = Path(__file__).resolve().parents[1] / "data"
    client = HttpChatClient(rig.public_url)
    try:
        chat_lines = read_jsonl(data / "dev_questions.jsonl")[::CHAT_SLICE]
        chat = chat_eval.summarise(chat_lines, run_turns(client, [x["q"] for x in chat_lines], 2), "full")
        prec_lines = read_jsonl(data / "precision_questions.jsonl")[::PRECISION_SLICE]
        turns = run_turns(client, [x["q"] for x in prec_lines], 2)
        prec = precision_eval.summarise(precision_eval.evaluate(catalogue.load(), prec_lines, turns), turns, "full")
    finally:
        client.close()
    targets = chat["targets"]
    report = f"chat {targets}\nprecision {prec['rate']}\n{rig.log_tails()}"
    print(f"\nconversation floor: right {targets['right_answer_rate']['value']}, precision {prec['rate']['value']}")
    assert targets["right_answer_rate"]["value"] >= FLOOR_RIGHT_ANSWER, report
    assert targets["complaint_form_on_questions"]["value"] <= CEILING_FORM_ON_QUESTIONS, report
    assert prec["rate"]["value"] >= FLOOR_PRECISION, report


FLOOR_COMPLAINTS_FILED = 0.80


def test_typed_complaints_are_filed(rig: Cluster) -> None:
    """Our typed complaint conversations through the real bot: a case with the right category, none stuck."""
    from bench import complaint_eval
    from bench.evalclient import HttpChatClient

    client = HttpChatClient(rig.public_url)
    try:
        outcomes = [
            complaint_eval.run_one(client, line) for line in complaint_eval.read_lines(complaint_eval.DEFAULT_FILE)
        ]
    finally:
        client.close()
    report = complaint_eval.summarise(outcomes)
    misses = [(o.id, o.result, o.why) for o in outcomes if o.result != "filed_right"]
    print(f"\ntyped complaints: filed right {report['filed_right_rate']}, results {report['results']}")
    assert report["filed_right_rate"] >= FLOOR_COMPLAINTS_FILED, f"{report}\n{misses}\n{rig.log_tails()}"
    assert report["results"].get("stuck", 0) == 0, f"{misses}\n{rig.log_tails()}"


def test_a_rasa_replica_killed_under_load_fails_no_turn(rig: Cluster) -> None:
    """10 users through nginx; Rasa 2 gets SIGKILL after 3 s. Degraded turns are allowed; failed ones are not."""
    report = asyncio.run(
        kill_run(
            rig.public_url,
            users=10,
            turns=8,
            qs=questions(),
            kill=lambda: rig.kill(f"rasa-{rig.replicas}"),
            kill_after_s=3.0,
        )
    )
    print(f"\nrasa kill under load: {report}")
    assert rig.procs[f"rasa-{rig.replicas}"].poll() is not None, "the replica was not killed"
    assert report["failed"] == 0, f"{report}\n{rig.log_tails()}"
    assert report["after_kill"]["answered_by_rasa"] > 0, f"no turn reached the surviving Rasa: {report}"
