"""Data functions on SQLite and PostgreSQL: numbering under concurrency, idempotency, ratings, overdue, history."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from api.cases import service
from api.cases.models import Case, CaseCounter, TimelineEvent
from api.cases.schemas import CaseCreate
from api.cases.states import Status
from api.core.clock import china_today, is_working_day
from api.core.db import Database
from api.migrations.metadata import metadata

CASE_NO = re.compile(r"^YS\d{8}-\d{6}$")


def new_case(**kw: str) -> CaseCreate:
    data = {
        "category": "cannot-get-done",
        "description": "材料齐全却被要求再跑一趟",
        "phone": "13812345678",
        "channel": "wechat",
        **kw,
    }
    return CaseCreate(**data)  # type: ignore[arg-type]


def _create(db: Database, case_in: CaseCreate) -> str:
    with db.sessions() as session:
        return service.create_case(session=session, case_in=case_in).case_no


def test_hundred_parallel_creates_get_distinct_numbers(case_db: Database) -> None:
    with ThreadPoolExecutor(max_workers=20) as pool:
        numbers = list(pool.map(lambda i: _create(case_db, new_case(description=f"第 {i} 件")), range(100)))
    assert len(set(numbers)) == 100
    assert all(CASE_NO.match(n) for n in numbers)
    with case_db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 100
        assert session.scalar(select(func.max(CaseCounter.value))) == 100
    assert sorted(int(n[-6:]) for n in numbers) == list(range(1, 101))


def test_idempotency_key_returns_the_same_case_even_in_parallel(case_db: Database) -> None:
    with ThreadPoolExecutor(max_workers=10) as pool:
        numbers = list(pool.map(lambda _: _create(case_db, new_case(idempotency_key="wx-msg-1")), range(10)))
    assert len(set(numbers)) == 1
    other_channel = _create(case_db, new_case(idempotency_key="wx-msg-1", channel="widget"))
    assert other_channel != numbers[0]


def test_deadline_is_in_working_days(case_db: Database) -> None:
    with case_db.sessions() as session:
        case = service.create_case(session=session, case_in=new_case(category="system-failure"))
        assert case.deadline > china_today()
        assert is_working_day(case.deadline)


def test_bad_rating_reopens_and_good_rating_closes(case_db: Database) -> None:
    with case_db.sessions() as session:
        case = service.create_case(session=session, case_in=new_case())
        service.transition(session=session, case=case, target=Status.IN_PROGRESS, actor="staff:a")
        service.reply(session=session, case=case, text="已协调窗口当天办结", actor="staff:a")
        service.rate_case(session=session, case=case, score=2, comment="还是没办成")
        assert case.status == Status.SUPERVISED.value
        service.reply(session=session, case=case, text="督办后已办结", actor="staff:boss")
        service.rate_case(session=session, case=case, score=5, comment=None)
        assert case.status == Status.CLOSED.value
        kinds = [e.kind for e in case.timeline]
        assert kinds == ["created", "transition", "reply", "rating", "reopened", "reply", "rating", "transition"]
        assert [r.score for r in case.ratings] == [2, 5]


def test_overdue_cases_go_to_supervision_once(case_db: Database) -> None:
    with case_db.sessions() as session:
        late = service.create_case(session=session, case_in=new_case())
        fresh = service.create_case(session=session, case_in=new_case())
        answered = service.create_case(session=session, case_in=new_case())
        service.transition(session=session, case=answered, target=Status.IN_PROGRESS, actor="staff:a")
        service.reply(session=session, case=answered, text="已答复", actor="staff:a")
        late_no, fresh_no = late.case_no, fresh.case_no
    future = max(c for c in (late.deadline, answered.deadline)) + timedelta(days=1)
    with case_db.sessions() as session:
        assert service.mark_overdue(session=session, today=fresh.deadline) == []
    with case_db.sessions() as session:
        marked = service.mark_overdue(session=session, today=future)
        assert set(marked) == {late_no, fresh_no}
        assert service.mark_overdue(session=session, today=future) == []
        case = service.get_case(session=session, case_no=late_no)
        assert case is not None and case.status == Status.SUPERVISED.value
        assert case.timeline[-1].kind == "overdue" and case.timeline[-1].actor == "system"


def test_history_cannot_be_edited_or_deleted(case_db: Database) -> None:
    _create(case_db, new_case())
    for sql in ("UPDATE timeline_events SET note = 'x'", "DELETE FROM timeline_events", "DELETE FROM cases"):
        with case_db.sessions() as session, pytest.raises(DBAPIError):
            session.execute(text(sql))
            session.commit()
    with case_db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(TimelineEvent)) == 1


def test_migrations_match_the_models(case_db: Database) -> None:
    with case_db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)  # what env.py gives Alembic
    assert diff == []
