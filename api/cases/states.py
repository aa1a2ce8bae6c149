"""The 有诉即办 state machine, as data: which status may follow which, and nothing else."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    RECEIVED = "received"  # 受理
    FORWARDED = "forwarded"  # 转办
    IN_PROGRESS = "in_progress"  # 办理中
    REPLIED = "replied"  # 已答复
    CLOSED = "closed"  # 已办结
    SUPERVISED = "supervised"  # 督办


STATUS_NAMES: dict[Status, str] = {
    Status.RECEIVED: "受理",
    Status.FORWARDED: "转办",
    Status.IN_PROGRESS: "办理中",
    Status.REPLIED: "已答复",
    Status.CLOSED: "已办结",
    Status.SUPERVISED: "督办",
}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.FORWARDED, Status.IN_PROGRESS, Status.SUPERVISED}),
    Status.FORWARDED: frozenset({Status.IN_PROGRESS, Status.SUPERVISED}),
    Status.IN_PROGRESS: frozenset({Status.FORWARDED, Status.REPLIED, Status.SUPERVISED}),
    Status.REPLIED: frozenset({Status.CLOSED, Status.SUPERVISED}),
    Status.CLOSED: frozenset({Status.SUPERVISED}),
    Status.SUPERVISED: frozenset({Status.FORWARDED, Status.IN_PROGRESS, Status.REPLIED}),
}

OPEN_STATUSES = frozenset({Status.RECEIVED, Status.FORWARDED, Status.IN_PROGRESS, Status.SUPERVISED})
# A deadline can pass only while nobody has answered; 督办 cases already sit with a supervisor.
OVERDUE_CANDIDATES = frozenset({Status.RECEIVED, Status.FORWARDED, Status.IN_PROGRESS})
RATEABLE = frozenset({Status.REPLIED, Status.CLOSED})


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
