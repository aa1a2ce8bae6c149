"""The 有诉即办 state machine, as data: which status may follow which, and nothing else."""

from __future__ import annotations

from enum import StrEnum

from api.core import wording


class Status(StrEnum):
    RECEIVED = "received"  # 受理
    FORWARDED = "forwarded"  # 转办
    IN_PROGRESS = "in_progress"  # 办理中
    REPLIED = "replied"  # 已答复
    CLOSED = "closed"  # 已办结
    SUPERVISED = "supervised"  # 督办


def status_names() -> dict[Status, str]:
    """Every status in the words citizens and staff read (api/wording/cases.yml `statuses`), in workflow order."""
    return {s: status_name(s) for s in Status}


def status_name(status: Status) -> str:
    return wording.text("cases", f"statuses.{status.value}")


TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.FORWARDED, Status.IN_PROGRESS, Status.SUPERVISED}),
    # 转办 is a 派单 waiting for the department: it 签收s (办理中) or 退回s (back to 受理, to the dispatcher)
    Status.FORWARDED: frozenset({Status.RECEIVED, Status.IN_PROGRESS, Status.SUPERVISED}),
    Status.IN_PROGRESS: frozenset({Status.FORWARDED, Status.REPLIED, Status.SUPERVISED}),
    # 已答复 waits for the 回访: a citizen's rating on any channel or an agent's return call closes or reopens it
    Status.REPLIED: frozenset({Status.CLOSED, Status.SUPERVISED}),
    Status.CLOSED: frozenset({Status.SUPERVISED}),
    Status.SUPERVISED: frozenset({Status.FORWARDED, Status.IN_PROGRESS, Status.REPLIED}),
}

OPEN_STATUSES = frozenset({Status.RECEIVED, Status.FORWARDED, Status.IN_PROGRESS, Status.SUPERVISED})
# Every open status has a clock, 督办 included: the supervisor's new deadline passes like any other.
OVERDUE_CANDIDATES = OPEN_STATUSES
RATEABLE = frozenset({Status.REPLIED, Status.CLOSED})
AWAITING_VISIT = Status.REPLIED

# Moves that need their own action and its details, never a bare 改状态: 派单 names a department, 签收 and 退回
# are the department's answer (退回 with a reason), an answer has its text.
DEDICATED: dict[tuple[Status, Status], str] = {
    **{(s, Status.FORWARDED): "dispatch" for s in Status},
    (Status.FORWARDED, Status.IN_PROGRESS): "accept",
    (Status.FORWARDED, Status.RECEIVED): "return",
    **{(s, Status.REPLIED): "reply" for s in Status},
}


def manual_targets(current: Status) -> list[Status]:
    """What 改状态 may offer: the legal moves without their own action, forward moves first, in status order."""
    order = list(Status)
    return [t for t in sorted(TRANSITIONS[current], key=order.index) if (current, t) not in DEDICATED]


class IllegalTransition(Exception):
    """Raised for a move the state machine forbids; the API answers 409."""

    def __init__(self, current: Status, target: Status) -> None:
        super().__init__(f"{current} -> {target}")
        self.current = current
        self.target = target


def can_transition(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: Status, target: Status) -> None:
    if not can_transition(current, target):
        raise IllegalTransition(current, target)
