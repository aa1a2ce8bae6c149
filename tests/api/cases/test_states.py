"""Every legal and every illegal move of the state machine, through the data functions, on both databases."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy.orm import Session

from api.cases import service
from api.cases.config import default_config
from api.cases.models import Case
from api.cases.schemas import CaseCreate
from api.cases.states import TRANSITIONS, IllegalTransition, Status, can_transition
from api.core.db import Database

ALL_PAIRS = list(itertools.product(Status, Status))
LEGAL = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
ILLEGAL = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]

# The shortest legal path from a new case (受理) to each status, used to set up a case in that status.
PATH_TO: dict[Status, list[Status]] = {
    Status.RECEIVED: [],
    Status.FORWARDED: [Status.FORWARDED],
    Status.IN_PROGRESS: [Status.IN_PROGRESS],
    Status.REPLIED: [Status.IN_PROGRESS, Status.REPLIED],
    Status.CLOSED: [Status.IN_PROGRESS, Status.REPLIED, Status.CLOSED],
    Status.SUPERVISED: [Status.SUPERVISED],
}


def test_every_status_has_an_entry_and_a_way_out() -> None:
    assert set(TRANSITIONS) == set(Status)
    for status in Status:
        assert TRANSITIONS[status], status
        assert status not in TRANSITIONS[status], "staying put is not a transition"


def test_main_line_is_legal() -> None:
    line = [Status.RECEIVED, Status.FORWARDED, Status.IN_PROGRESS, Status.REPLIED, Status.CLOSED]
    for a, b in itertools.pairwise(line):
        assert can_transition(a, b)


def test_reopen_to_supervision_from_everywhere_but_itself() -> None:
    for status in Status:
        assert can_transition(status, Status.SUPERVISED) is (status is not Status.SUPERVISED)


def _case_in(session: Session, status: Status) -> Case:
    case = service.create_case(
        session=session,
        case_in=CaseCreate(category="attitude", description="测试", phone="13812345678", channel="widget"),
    )
    for step in PATH_TO[status]:
        service.transition(session=session, case=case, target=step, actor="staff:test")
    assert case.status == status.value
    return case


@pytest.mark.parametrize(("current", "target"), LEGAL, ids=[f"{a}->{b}" for a, b in LEGAL])
def test_legal_transition(case_db: Database, current: Status, target: Status) -> None:
    with case_db.sessions() as session:
        case = _case_in(session, current)
        before = len(case.timeline)
        service.transition(session=session, case=case, target=target, actor="staff:test", note="ok")
    with case_db.sessions() as session:
        stored = service.get_case(session=session, case_no=case.case_no)
        assert stored is not None and stored.status == target.value
        last = stored.timeline[-1]
        assert len(stored.timeline) == before + 1
        assert (last.from_status, last.to_status, last.actor) == (current.value, target.value, "staff:test")


@pytest.mark.parametrize(("current", "target"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_illegal_transition(case_db: Database, current: Status, target: Status) -> None:
    with case_db.sessions() as session:
        case = _case_in(session, current)
        case_no, before = case.case_no, len(case.timeline)
        with pytest.raises(IllegalTransition):
            service.transition(session=session, case=case, target=target, actor="staff:test")
        session.rollback()
    with case_db.sessions() as session:
        stored = service.get_case(session=session, case_no=case_no)
        assert stored is not None and stored.status == current.value
        assert len(stored.timeline) == before


def test_supervision_gets_a_fresh_deadline(case_db: Database) -> None:
    with case_db.sessions() as session:
        case = _case_in(session, Status.CLOSED)
        service.transition(session=session, case=case, target=Status.SUPERVISED, actor="system")
        assert case.deadline >= service.china_today()
        assert default_config().supervise_sla_days >= 1
