"""What the staff API and the console do alike around one case: find it, say why the work-order rules refused a
step, and show its full phone number or story on purpose (audited). Each surface answers in its own form — JSON
for the staff API (api/cases/routes/staff.py), a page for the console (api/console/routes/cases.py)."""

from __future__ import annotations

from typing import Literal

from fastapi import HTTPException
from sqlalchemy.orm import Session

from api.accounts.models import StaffUser
from api.cases import service, workorders
from api.cases.config import CaseConfig
from api.cases.models import Case
from api.cases.states import IllegalTransition, status_name
from api.cases.workorders import actor_of
from api.core import wording

__all__ = ["REFUSALS", "actor_of", "conflict_message", "load_case", "refusal", "refused", "reveal"]

# what api/cases/workorders.py raises when a step is not allowed: the caller shows the reason, nothing is saved
REFUSALS = (IllegalTransition, workorders.NotAllowed, workorders.BadRequest)


def load_case(session: Session, case_no: str, *, for_update: bool = False) -> Case:
    """The case by its number as typed (spaces and case do not matter), or a 404."""
    case = service.get_case(session=session, case_no=case_no.strip().upper(), for_update=for_update)
    if case is None:
        raise HTTPException(status_code=404, detail=wording.text("cases", "staff.not_found"))
    return case


def conflict_message(exc: IllegalTransition) -> str:
    return wording.say("cases", "staff.conflict", current=status_name(exc.current), target=status_name(exc.target))


def refusal(exc: Exception) -> tuple[int, str]:
    """A refusal of the work-order rules as (HTTP status, reason): 409 a status move, 403 a role, 422 the details."""
    if isinstance(exc, IllegalTransition):
        return 409, conflict_message(exc)
    if isinstance(exc, workorders.NotAllowed):
        return 403, str(exc)
    return 422, str(exc)


def refused(exc: Exception) -> HTTPException:
    code, message = refusal(exc)
    return HTTPException(status_code=code, detail=message)


def reveal(
    *, session: Session, case: Case, user: StaffUser, config: CaseConfig, what: Literal["phone", "description"]
) -> str:
    """The full phone number, or the story with the numbers typed into it: shown only on purpose, and who looked
    is written into the timeline (not public) before it is returned."""
    service.record_event(
        session=session, case=case, config=config, actor=actor_of(user), kind=f"{what}_viewed", public=False
    )
    session.commit()
    return case.phone if what == "phone" else case.description
