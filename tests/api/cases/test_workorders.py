"""The work-order verbs (api/cases/workorders.py) on SQLite and PostgreSQL: 派单 → 签收 / 退回, 延期, 回访, the 督办
clock, merging duplicates, a caller's history — each with its timeline line, outbox event and role rule."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.accounts import auth
from api.accounts.models import StaffUser
from api.cases import service, workorders
from api.cases.config import CaseConfig, default_config, load_config
from api.cases.models import CallerLookup, Case, Outbox
from api.cases.schemas import CaseCreate
from api.cases.states import IllegalTransition, Status
from api.core.clock import add_working_days, china_today
from api.core.db import Database
from api.handoff import service as handoff_service
from api.handoff.models import Handoff

PASSWORD = "correct horse battery"


@pytest.fixture
def config() -> CaseConfig:
    """Forwarding on, so every step also lands in the outbox (the external work-order system)."""
    return load_config(forwarding_enabled=True)


def _user(session: Session, name: str, role: str, department: str | None = None) -> StaffUser:
    user = auth.create_user(
        session=session, username=name, password=PASSWORD, role=role, display_name=name, department=department
    )
    session.commit()
    return user


def _case(session: Session, config: CaseConfig, **extra: str) -> Case:
    data = {
        "category": "extra-materials",
        "description": "窗口让我再开证明",
        "phone": "13812345678",
        "channel": "widget",
    }
    return service.create_case(session=session, case_in=CaseCreate(**{**data, **extra}), config=config)


def _dept(config: CaseConfig, key: str) -> workorders.Department:
    dept = config.departments.find(key)
    assert dept is not None
    return dept


def _kinds(case: Case) -> list[str]:
    return [e.kind for e in case.timeline]


def test_dispatch_accept_reply_and_a_good_visit_close_the_case(case_db: Database, config: CaseConfig) -> None:
    with case_db.sessions() as session:
        boss = _user(session, "boss", "supervisor")
        clerk = _user(session, "hr-clerk", "agent", department="人社局")
        caller_agent = _user(session, "hotline", "agent")
        case = _case(session, config)
        deadline = case.deadline
        with pytest.raises(workorders.NotAllowed):  # 派单 is the dispatcher's
            workorders.dispatch(
                session=session, case=case, user=caller_agent, department=_dept(config, "人社局"), config=config
            )
        workorders.dispatch(
            session=session, case=case, user=boss, department=_dept(config, "人社局"), note="请核实", config=config
        )
        assert (case.status, case.department, case.dispatched_by) == ("forwarded", "human-resources", "staff:boss")
        assert case.deadline == deadline  # the reply deadline keeps running
        with pytest.raises(workorders.NotAllowed):  # someone outside the department cannot 签收
            workorders.accept(session=session, case=case, user=caller_agent, config=config)
        workorders.accept(session=session, case=case, user=clerk, config=config)
        assert case.status == "in_progress" and case.accepted_at is not None and case.assignee_id == clerk.id
        with pytest.raises(IllegalTransition):
            workorders.accept(session=session, case=case, user=clerk, config=config)
        workorders.answer(session=session, case=case, user=clerk, text="已核实，不用再开证明", config=config)
        assert case.status == "replied"
        workorders.record_visit(
            session=session, case=case, user=caller_agent, score=4, note="来电人满意", config=config
        )
        assert case.status == "closed"
        assert _kinds(case) == ["created", "dispatch", "note", "accept", "reply", "visit", "transition"]
        assert case.ratings[-1].via == "visit" and case.ratings[-1].by == "staff:hotline"
        events = [json.loads(p) for p in session.scalars(select(Outbox.payload).where(Outbox.case_id == case.id))]
        assert [e["type"] for e in events] == _kinds(case)
        assert events[1]["note"] == "已派单给人社局办理" and events[2]["note"] is None  # the instruction is internal
        assert events[1]["case"]["department"] == "human-resources"


def test_return_goes_back_to_the_dispatcher_with_the_reason(case_db: Database, config: CaseConfig) -> None:
    with case_db.sessions() as session:
        boss = _user(session, "boss", "supervisor")
        clerk = _user(session, "police", "agent", department="公安局")
        case = _case(session, config)
        workorders.dispatch(session=session, case=case, user=boss, department=_dept(config, "公安局"), config=config)
        with pytest.raises(workorders.BadRequest):
            workorders.return_case(session=session, case=case, user=clerk, reason="  ", config=config)
        workorders.return_case(session=session, case=case, user=clerk, reason="不是户政的事，归人社局", config=config)
        assert (case.status, case.department, case.dispatched_by) == ("received", None, "staff:boss")
        last = case.timeline[-1]
        assert last.kind == "return" and not last.public and "退回给派单人（boss）：不是户政的事" in (last.note or "")
        with pytest.raises(workorders.NotAllowed):  # no longer that department's case
            workorders.accept(session=session, case=case, user=clerk, config=config)
        workorders.dispatch(session=session, case=case, user=boss, department=_dept(config, "人社局"), config=config)
        assert case.status == "forwarded" and case.department == "human-resources"


def test_extension_is_asked_by_the_department_and_decided_by_a_supervisor(
    case_db: Database, config: CaseConfig
) -> None:
    with case_db.sessions() as session:
        boss = _user(session, "boss", "supervisor")
        clerk = _user(session, "clerk", "agent", department="government-services")
        case = _case(session, config)
        with pytest.raises(workorders.BadRequest):  # not yet 签收
            workorders.request_extension(session=session, case=case, user=boss, days=2, reason="等材料", config=config)
        workorders.dispatch(session=session, case=case, user=boss, department=_dept(config, "政务办"), config=config)
        workorders.accept(session=session, case=case, user=clerk, config=config)
        for days in (0, config.extension_max_days + 1):
            with pytest.raises(workorders.BadRequest):
                workorders.request_extension(
                    session=session, case=case, user=clerk, days=days, reason="等材料", config=config
                )
        workorders.request_extension(
            session=session, case=case, user=clerk, days=3, reason="要等外省回函", config=config
        )
        with pytest.raises(workorders.BadRequest):  # one request at a time
            workorders.request_extension(session=session, case=case, user=clerk, days=1, reason="再等等", config=config)
        with pytest.raises(workorders.NotAllowed):
            workorders.decide_extension(session=session, case=case, user=clerk, approve=True, config=config)
        before = case.deadline
        workorders.decide_extension(session=session, case=case, user=boss, approve=True, config=config)
        assert case.deadline == add_working_days(before, 3) and case.extension_days is None
        assert case.timeline[-1].kind == "extension_approved" and case.timeline[-1].public
        workorders.request_extension(session=session, case=case, user=clerk, days=2, reason="还要等", config=config)
        workorders.decide_extension(
            session=session, case=case, user=boss, approve=False, note="请按期办", config=config
        )
        assert case.deadline == add_working_days(before, 3) and case.timeline[-1].kind == "extension_denied"
        with pytest.raises(workorders.BadRequest):
            workorders.decide_extension(session=session, case=case, user=boss, approve=True, config=config)


def test_a_bad_visit_reopens_to_supervision_and_an_unreached_one_waits(case_db: Database, config: CaseConfig) -> None:
    with case_db.sessions() as session:
        agent = _user(session, "agent", "agent")
        case = _case(session, config)
        with pytest.raises(IllegalTransition):  # 回访 comes after the reply
            workorders.record_visit(session=session, case=case, user=agent, score=5, config=config)
        service.transition(session=session, case=case, target=Status.IN_PROGRESS, actor="staff:agent", config=config)
        workorders.answer(session=session, case=case, user=agent, text="已办", config=config)
        workorders.record_visit(
            session=session, case=case, user=agent, score=workorders.VISIT_UNREACHED, note="无人接听", config=config
        )
        assert case.status == "replied" and case.timeline[-1].kind == "visit_unreached" and not case.ratings
        with pytest.raises(workorders.BadRequest):
            workorders.record_visit(session=session, case=case, user=agent, score=9, config=config)
        workorders.record_visit(session=session, case=case, user=agent, score=2, note="说没解决", config=config)
        assert case.status == "supervised" and _kinds(case)[-2:] == ["visit", "reopened"]
        assert case.deadline == add_working_days(china_today(), config.supervise_sla_days)


def test_supervision_has_a_clock_too(case_db: Database, config: CaseConfig) -> None:
    """督办 is open like the others: its deadline passes, the case shows overdue, the timeline says so once."""
    with case_db.sessions() as session:
        case = _case(session, config)
        no = case.case_no
        later = case.deadline + timedelta(days=1)
        assert service.mark_overdue(session=session, config=config, today=later) == [no]
    with case_db.sessions() as session:
        case = service.get_case(session=session, case_no=no)
        assert case is not None and case.status == "supervised"
        assert case.deadline == add_working_days(later, config.supervise_sla_days)
        assert not service.is_overdue(case, later)
        past = case.deadline + timedelta(days=1)
        assert service.is_overdue(case, past)
        flt = service.CaseFilter(overdue=True)
        assert service._filtered(select(Case), flt, past).whereclause is not None
    with case_db.sessions() as session:
        assert service.mark_overdue(session=session, config=config, today=past) == [no]
        assert service.mark_overdue(session=session, config=config, today=past) == []  # said once per deadline
        case = service.get_case(session=session, case_no=no)
        assert case is not None and case.status == "supervised" and _kinds(case)[-1] == "supervise_overdue"
        assert "督办期限" in (case.timeline[-1].note or "")


def test_merged_duplicate_gets_the_main_reply_and_no_clock(case_db: Database, config: CaseConfig) -> None:
    with case_db.sessions() as session:
        boss = _user(session, "boss", "supervisor")
        agent = _user(session, "agent", "agent")
        main = _case(session, config, description="人民路路灯不亮", phone="13900001111")
        dup = _case(session, config, description="人民路的路灯坏了好几天", phone="13700002222")
        third = _case(session, config, description="路灯又坏了", phone="13600003333")
        with pytest.raises(workorders.NotAllowed):
            workorders.mark_duplicate(session=session, case=dup, main=main, user=agent, config=config)
        with pytest.raises(workorders.BadRequest):
            workorders.mark_duplicate(session=session, case=main, main=main, user=boss, config=config)
        workorders.mark_duplicate(session=session, case=dup, main=main, user=boss, config=config)
        workorders.mark_duplicate(session=session, case=third, main=dup, user=boss, config=config)  # to the root
        assert third.duplicate_of_id == main.id
        with pytest.raises(workorders.BadRequest):
            workorders.mark_duplicate(session=session, case=dup, main=third, user=boss, config=config)
        assert not service.is_overdue(dup, dup.deadline + timedelta(days=30))
        assert dup.timeline[-1].kind == "merged" and main.case_no in (dup.timeline[-1].note or "")
        service.transition(session=session, case=main, target=Status.IN_PROGRESS, actor="staff:agent", config=config)
        workorders.answer(session=session, case=main, user=agent, text="路灯已修好", config=config)
        for c in (dup, third):
            session.refresh(c)
            assert (c.status, c.reply) == ("replied", "路灯已修好") and c.timeline[-1].kind == "reply"
            payload = json.loads(
                session.scalars(select(Outbox.payload).where(Outbox.case_id == c.id).order_by(Outbox.id.desc())).first()
                or "{}"
            )
            assert payload["type"] == "reply" and payload["case"]["duplicate_of"] == main.case_no
        # a case merged after the main one was answered gets the reply at once
        late = _case(session, config, description="路灯的事", phone="13500004444")
        workorders.mark_duplicate(session=session, case=late, main=main, user=boss, config=config)
        assert late.status == "replied" and late.reply == "路灯已修好"
        with pytest.raises(workorders.BadRequest):  # already answered: nothing to merge
            workorders.mark_duplicate(session=session, case=late, main=dup, user=boss, config=config)


def test_caller_history_links_cases_handoffs_and_chat_turns(case_db: Database, config: CaseConfig) -> None:
    with case_db.sessions() as session:
        agent = _user(session, "agent", "agent")
        _case(session, config, sender="wx-openid-1")
        _case(session, config, description="又去了一次还是不行")
        _case(session, config, phone="13900009999")
        handoff_service.record_turn(
            session=session, sender="wx-openid-1", channel="wechat", text="我的证明开不了 13812345678",
            route_kind="none", route_id=None, confident=False, degraded=False,
        )  # fmt: skip
        session.add(Handoff(sender="wx-openid-1", channel="wechat", reason="转人工"))
        session.commit()
        history = workorders.caller_history(session=session, phone="13812345678")
        assert len(history.cases) == 2 and history.phone_masked == "138****5678"
        assert [h.sender for h in history.handoffs] == ["wx-openid-1"]
        assert len(history.turns) == 1 and "13812345678" not in history.turns[0].text  # stored masked
        workorders.record_lookup(session=session, user=agent, phone="13812345678", found=2)
        row = session.scalars(select(CallerLookup)).one()
        assert (row.actor, row.phone_masked, row.found) == ("staff:agent", "138****5678", 2)


def test_hotline_case_starts_with_the_agent_and_its_request_type(case_db: Database) -> None:
    config = default_config()
    with case_db.sessions() as session:
        case = service.create_case(
            session=session,
            case_in=CaseCreate(
                category="other", description="咨询公积金", phone="13812345678", channel="hotline",
                request_type="consult", caller_name="张先生",
            ),
            config=config,
            actor="staff:wang",
        )  # fmt: skip
        assert case.timeline[0].actor == "staff:wang" and case.request_type == "consult"
        with pytest.raises(service.UnknownRequestType):
            service.create_case(
                session=session,
                case_in=CaseCreate(
                    category="other", description="x", phone="13812345678", channel="hotline", request_type="nope"
                ),
                config=config,
            )
