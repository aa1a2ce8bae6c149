"""Per-answer feedback rows on SQLite and PostgreSQL: linked to the turn, masked as stored, replaced not duplicated."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic import command
from sqlalchemy import func, inspect, select

from api.chat import feedback
from api.chat.feedback import AnswerFeedback
from api.chat.schemas import ChatMeta, Route
from api.core.db import Database, alembic_config, upgrade
from api.handoff import service as handoffs
from api.handoff.models import ChatTurn


def _turn(
    db: Database, text: str, *, sender: str = "w-abc", kind: str = "guide", rid: str | None = "ss-card-replace"
) -> int:
    with db.sessions() as session:
        turn = handoffs.record_turn(
            session=session,
            sender=sender,
            channel="widget",
            text=text,
            route_kind=kind,
            route_id=rid,
            confident=True,
            degraded=False,
        )
        return turn.id


def _rows(db: Database) -> list[AnswerFeedback]:
    with db.sessions() as session:
        return list(session.scalars(select(AnswerFeedback).order_by(AnswerFeedback.id)))


def test_feedback_carries_the_masked_question_and_the_answer_given(case_db: Database) -> None:
    turn_id = _turn(case_db, "我电话13812345678，身份证110101199003071234，社保卡丢了")
    with case_db.sessions() as session:
        row = feedback.record(session=session, turn_id=turn_id, sender="w-abc", value="not_useful")
        assert row is not None
    (stored,) = _rows(case_db)
    assert (stored.turn_id, stored.sender, stored.channel, stored.value) == (turn_id, "w-abc", "widget", "not_useful")
    assert (stored.route_kind, stored.route_id) == ("guide", "ss-card-replace")
    assert "13812345678" not in stored.question and "110101199003071234" not in stored.question
    assert "[电话]" in stored.question and "[身份证号]" in stored.question
    with case_db.sessions() as session:
        assert stored.question == session.get(ChatTurn, turn_id).text  # type: ignore[union-attr]


def test_a_second_tap_replaces_the_first(case_db: Database) -> None:
    turn_id = _turn(case_db, "社保卡丢了")
    for value in ("useful", "not_found", "not_useful"):
        with case_db.sessions() as session:
            assert feedback.record(session=session, turn_id=turn_id, sender="w-abc", value=value) is not None
    (row,) = _rows(case_db)
    assert row.value == "not_useful" and row.updated_at >= row.created_at


def test_racing_taps_leave_one_row(case_db: Database) -> None:
    turn_id = _turn(case_db, "社保卡丢了")

    def tap(value: feedback.Value) -> bool:
        with case_db.sessions() as session:
            return feedback.record(session=session, turn_id=turn_id, sender="w-abc", value=value) is not None

    with ThreadPoolExecutor(max_workers=6) as pool:
        done = list(pool.map(tap, ["useful", "not_useful", "not_found"] * 2))
    assert all(done)
    with case_db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AnswerFeedback)) == 1


def test_only_the_sender_of_a_turn_can_rate_it(case_db: Database) -> None:
    turn_id = _turn(case_db, "社保卡丢了", sender="w-owner")
    with case_db.sessions() as session:
        assert feedback.record(session=session, turn_id=turn_id, sender="w-someone-else", value="useful") is None
        assert feedback.record(session=session, turn_id=turn_id + 1000, sender="w-owner", value="useful") is None
        with pytest.raises(ValueError):
            feedback.record(session=session, turn_id=turn_id, sender="w-owner", value="great")  # type: ignore[arg-type]
    assert _rows(case_db) == []


def test_only_answers_with_an_entry_are_offered_for_rating() -> None:
    assert feedback.rateable(ChatMeta(route=Route(kind="guide", id="x")))
    assert feedback.rateable(ChatMeta(route=Route(kind="window", id="w")))
    assert not feedback.rateable(ChatMeta(route=Route(kind="none")))  # a "which one?" or a not-found
    assert not feedback.rateable(ChatMeta(route=Route(kind="complaint")))
    assert not feedback.rateable(ChatMeta(route=Route(kind="guide", id="x"), handoff_state="passed"))


def test_payloads_round_trip_and_nothing_else_parses() -> None:
    for value in feedback.VALUES:
        text = feedback.payload(123456789, value)
        assert feedback.parse_payload(text) == (123456789, value)
        assert len(text.encode()) <= 64  # Telegram's callback_data limit
    for other in (
        "1",
        "社保卡丢了",
        '/choose_guide{"guide_id":"x"}',
        "/feedback",
        "/feedback{",
        '/feedback{"turn":"1","value":"useful"}',
        '/feedback{"turn":0,"value":"useful"}',
        '/feedback{"turn":true,"value":"useful"}',
        '/feedback{"turn":1,"value":"great"}',
        "/feedback[1]",
    ):
        assert feedback.parse_payload(other) is None, other


def test_the_migration_goes_down_and_up_again(db_url: str) -> None:
    """0007 alone (later migrations may refuse to go down on purpose): up, down to 0006, up, and a row fits."""
    db = Database.connect(db_url)
    try:
        upgrade(db.engine, "0007_feedback")
        cfg = alembic_config()
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006_delivery_parts")
        assert "answer_feedback" not in inspect(db.engine).get_table_names()
        upgrade(db.engine, "0007_feedback")
        assert "answer_feedback" in inspect(db.engine).get_table_names()
        turn_id = _turn(db, "社保卡丢了")
        with db.sessions() as session:
            assert feedback.record(session=session, turn_id=turn_id, sender="w-abc", value="useful") is not None
    finally:
        db.dispose()
