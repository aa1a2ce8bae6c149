"""`/console/handoffs`: the 转人工 queue (refreshed live), one conversation's thread, and 转为工单.

Included into the console router by api/console/routes/__init__.py, so the same roles and CSRF rules hold
(ConsoleRoute and the security dependencies). The agents' wording is in api/wording/handoffs.yml, the citizen's in
api/wording/chat.yml.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from api.accounts.models import StaffUser
from api.cases import service as case_service
from api.cases.config import CaseConfig
from api.cases.deps import CaseConfigDep
from api.cases.schemas import MAX_DESCRIPTION, CaseCreate
from api.cases.workorders import actor_of  # one actor name for the timeline
from api.chat.content import load_messages
from api.console.forms import FormDep, form_text
from api.console.pages import ConsoleRoute, beijing, delivery_label, render, see_other
from api.console.security import AgentUser
from api.core import wording
from api.core.clock import utcnow
from api.core.deps import SessionDep
from api.handoff import delivery as handoff_delivery
from api.handoff import queue
from api.handoff import service as handoff_service
from api.handoff.models import Handoff, HandoffMessage
from civic.channels import citizen_channel
from civic.phone import find_phone
from civic.privacy import mask_personal

router = APIRouter(prefix="/handoffs", route_class=ConsoleRoute)
PREVIEW_CHARS = 60
NOTE_LINES = 80  # the transcript on a case's timeline: the last lines, the rest stays in the handoff
StatusFilter = Annotated[str, Query(max_length=16)]


def _name(section: str, code: str | None) -> str:
    names = wording.table("handoffs", section)
    return str(names.get(code or "", code or ""))


def reason_name(code: str) -> str:
    reasons = wording.table("handoffs", "reasons")
    if not code.strip():
        return reasons["unknown"]
    return reasons.get(code, reasons["other"].format(code=code))


def shown_text(text: str) -> str:
    """A tapped button is shown as what the citizen did; anything else as written."""
    if not queue.is_payload(text):
        return text
    labels = wording.table("handoffs", "payloads")
    return labels.get(queue.payload_intent(text), labels["other"])


def _timeout(request: Request) -> timedelta:
    return timedelta(minutes=request.app.state.settings.handoff_timeout_min)


def _secret(request: Request) -> str:
    return str(request.app.state.settings.secret_key)


# ---------------------------------------------------------------- the queue


def queue_row(h: Handoff, *, now: datetime, timeout: timedelta, case_no: str | None) -> dict[str, Any]:
    """One line of the queue, as the page renders it and as the poll sends it (the same keys)."""
    last = queue.last_words(h)
    since = queue.waiting_since(h)
    minutes = max(0, int((now - since).total_seconds() // 60)) if since else None
    long_wait = minutes is not None and minutes * 2 >= timeout.total_seconds() / 60
    if minutes is None:
        wait = wording.say("handoffs", "not_waiting")
    else:
        wait = wording.say(
            "handoffs", "waited_long" if long_wait else "waited" if minutes else "waited_now", minutes=minutes
        )
    preview = mask_personal(last.text.strip()) if last else wording.say("handoffs", "no_words")
    return {
        "id": h.id,
        "url": f"/console/handoffs/{h.id}",
        "channel": h.channel,
        "channel_name": _name("channels", h.channel),
        "reason": h.reason,
        "reason_name": reason_name(h.reason),
        "status": h.status,
        "status_name": _name("statuses", h.status),
        "preview": preview if len(preview) <= PREVIEW_CHARS else preview[: PREVIEW_CHARS - 1] + "…",
        "preview_at": beijing(last.at, "%H:%M") if last else "",
        "waiting_since": since.isoformat() if since else None,
        "wait": wait,
        "wait_min": minutes,
        "long_wait": long_wait,
        "created": beijing(h.created_at),
        "assignee": h.assignee or "",
        "case_no": case_no or "",
    }


def _rows(request: Request, session: Session, status: str) -> list[dict[str, Any]]:
    if status and status not in handoff_service.HANDOFF_STATUSES:
        raise HTTPException(status_code=422, detail=wording.text("console", "handoffs.bad_status"))
    handoffs = queue.queue(session=session, status=status or None)
    cases = queue.cases_of(session=session, secret=_secret(request), handoff_ids=[h.id for h in handoffs])
    now, timeout = utcnow(), _timeout(request)
    return [queue_row(h, now=now, timeout=timeout, case_no=cases.get(h.id)) for h in handoffs]


def _counts(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    waiting = sum(1 for r in rows if r["status"] == "open")
    return {"waiting": waiting, "waiting_text": wording.say("handoffs", "new_waiting", count=waiting)}


@router.get("")
def handoffs(request: Request, user: AgentUser, session: SessionDep, status: StatusFilter = "") -> Response:
    rows = _rows(request, session, status)
    return render(
        request,
        "handoffs.html",
        user=user,
        rows=rows,
        status=status,
        counts=_counts(rows),
        statuses=wording.table("handoffs", "statuses"),
        refreshed=wording.say("handoffs", "refreshed", time=beijing(utcnow(), "%H:%M:%S")),
    )


@router.get("/queue.json")
def handoff_queue(request: Request, user: AgentUser, session: SessionDep, status: StatusFilter = "") -> Response:
    """The queue page's poll: the same rows, so it updates in place (no reload, focus kept)."""
    rows = _rows(request, session, status)
    body = {
        "rows": rows,
        **_counts(rows),
        "refreshed": wording.say("handoffs", "refreshed", time=beijing(utcnow(), "%H:%M:%S")),
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


# ---------------------------------------------------------------- one conversation


def _handoff(session: Session, handoff_id: int) -> Handoff:
    handoff = handoff_service.get_handoff(session=session, handoff_id=handoff_id)
    if handoff is None:
        raise HTTPException(status_code=404, detail=wording.text("console", "handoffs.not_found"))
    return handoff


def _delivery(m: HandoffMessage) -> dict[str, Any] | None:
    """How an agent's line (or a hand-back notice) reached the citizen: pending / sent / failed with the error."""
    d = m.delivery
    if d is None:
        return None
    return {"id": d.id, "state": d.state, "attempts": d.attempts, "error": d.last_error or "",
            "label": delivery_label(d)}  # fmt: skip


def line_json(m: HandoffMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "author": m.author,
        "who": _name("authors", m.author),
        "agent": m.agent or "",
        "at": beijing(m.at, "%H:%M"),
        "text": shown_text(m.text) if m.author == "user" else m.text,
        "button": m.author == "user" and queue.is_payload(m.text),
        "delivery": _delivery(m),
    }


def _case_form(handoff: Handoff) -> dict[str, str]:
    """What 转为工单 starts from: the citizen's own words, and a phone number if they typed one."""
    words = queue.citizen_words(handoff.messages)
    phone = next((p for p in (find_phone(m.text) for m in words) if p), "")
    description = "\n".join(m.text.strip() for m in words)[:MAX_DESCRIPTION]
    return {"category": "", "description": description, "phone": phone}


def _detail(
    request: Request,
    user: StaffUser,
    session: Session,
    config: CaseConfig,
    handoff: Handoff,
    *,
    status_code: int = 200,
    error: str | None = None,
    case_values: dict[str, str] | None = None,
) -> Response:
    case_no = queue.cases_of(session=session, secret=_secret(request), handoff_ids=[handoff.id]).get(handoff.id)
    return render(
        request,
        "handoff_detail.html",
        status_code,
        user=user,
        h=handoff,
        lines=[line_json(m) for m in handoff.messages],
        channel_name=_name("channels", handoff.channel),
        reason_name=reason_name(handoff.reason),
        status_name=_name("statuses", handoff.status),
        closed_name=_name("closed_reasons", handoff.closed_reason) if handoff.closed_reason else "",
        case_no=case_no,
        categories=config.categories,
        case_values=case_values or _case_form(handoff),
        error=error,
    )


@router.get("/{handoff_id}")
def handoff_detail(
    request: Request, handoff_id: int, user: AgentUser, session: SessionDep, config: CaseConfigDep
) -> Response:
    return _detail(request, user, session, config, _handoff(session, handoff_id))


@router.get("/{handoff_id}/messages")
def handoff_messages(
    handoff_id: int, user: AgentUser, session: SessionDep, after: Annotated[int, Query(ge=0)] = 0
) -> JSONResponse:
    """New lines of a thread, for the open detail page: citizens keep writing while the agent reads. `deliveries`
    holds the state of every line sent to the citizen, so the page updates lines it already shows."""
    handoff = _handoff(session, handoff_id)
    lines = [line_json(m) for m in handoff.messages if m.id > after]
    deliveries = {str(m.id): _delivery(m) for m in handoff.messages if m.delivery is not None}
    return JSONResponse({"status": handoff.status, "messages": lines[:200], "deliveries": deliveries})


@router.post("/{handoff_id}/reply")
def handoff_reply(
    request: Request, form: FormDep, handoff_id: int, user: AgentUser, session: SessionDep, config: CaseConfigDep
) -> Response:
    handoff = _handoff(session, handoff_id)
    text = form_text(form, "text")
    if not text:
        return _detail(
            request, user, session, config, handoff, status_code=422, error=wording.text("console", "handoffs.no_reply")
        )
    handoff_service.agent_reply(session=session, handoff=handoff, text=text, agent=user.username)
    return see_other(f"/console/handoffs/{handoff.id}")


@router.post("/{handoff_id}/close")
def handoff_close(request: Request, handoff_id: int, user: AgentUser, session: SessionDep) -> Response:
    """结束会话: the citizen is told, and the bot answers them again."""
    handoff_service.close_handoff(session=session, handoff=_handoff(session, handoff_id), agent=user.username)
    return see_other("/console/handoffs")


@router.post("/{handoff_id}/deliveries/{delivery_id}/retry")
def handoff_delivery_retry(
    request: Request, handoff_id: int, delivery_id: int, user: AgentUser, session: SessionDep
) -> Response:
    """重新发送 a line whose delivery failed (the channel is fixed, or the citizen wrote again on WeChat)."""
    if handoff_delivery.retry(session=session, delivery_id=delivery_id, handoff_id=handoff_id) is None:
        raise HTTPException(status_code=404, detail=wording.text("console", "handoffs.no_failed_line"))
    return see_other(f"/console/handoffs/{handoff_id}")


# ---------------------------------------------------------------- 转为工单


def transcript_note(handoff: Handoff, agent: str) -> str:
    """The conversation for the case's timeline: buttons as what was done, phone and ID numbers masked."""
    lines = [
        wording.say("handoffs", "case_line", at=beijing(m.at, "%m-%d %H:%M"), who=_name("authors", m.author),
           text=mask_personal(shown_text(m.text) if m.author == "user" else m.text).strip())
        for m in handoff.messages
    ]  # fmt: skip
    head = [wording.say("handoffs", "case_note", id=handoff.id, agent=agent)]
    if len(lines) > NOTE_LINES:
        head.append(wording.say("handoffs", "case_more", count=len(lines) - NOTE_LINES, id=handoff.id))
        lines = lines[-NOTE_LINES:]
    return "\n".join(head + lines)


@router.post("/{handoff_id}/case")
def handoff_to_case(
    request: Request, form: FormDep, handoff_id: int, user: AgentUser, session: SessionDep, config: CaseConfigDep
) -> Response:
    """转为工单: a case through the cases service, on the citizen's channel, with the transcript on its timeline. The
    same handoff files one case however often this is posted; the citizen is told the number unless unticked."""
    handoff = _handoff(session, handoff_id)
    secret = _secret(request)
    existing = queue.cases_of(session=session, secret=secret, handoff_ids=[handoff.id]).get(handoff.id)
    if existing:
        return see_other(f"/console/cases/{existing}")
    values = {k: form.get(k, "") for k in ("category", "description", "phone")}
    try:
        case_in = CaseCreate(
            category=values["category"],
            description=values["description"],
            phone=values["phone"],
            channel=citizen_channel(handoff.channel),  # the conversation's, as the bot files its cases
            idempotency_key=queue.case_key(secret, handoff.id),
            sender=handoff.sender,  # the caller view links the case to this chat
        )
        case = case_service.create_case(session=session, case_in=case_in, config=config, actor=actor_of(user))
    except (ValidationError, case_service.UnknownCategory) as exc:
        labels = wording.table("handoffs", "case_fields")
        if isinstance(exc, ValidationError):
            bad = sorted({labels.get(str(e["loc"][0]), str(e["loc"][0])) for e in exc.errors() if e["loc"]})
        else:
            bad = [labels["category"]]
        error = wording.say("handoffs", "case_check", fields="、".join(bad))
        return _detail(request, user, session, config, handoff, status_code=422, error=error, case_values=values)
    case_service.add_note(
        session=session, case=case, text=transcript_note(handoff, user.display_name or user.username),
        actor=actor_of(user), config=config,
    )  # fmt: skip
    if form.get("tell_citizen") and handoff.status != "closed":
        told = load_messages().text("handoff", "case_filed", case_no=case.case_no, deadline=case.deadline.isoformat())
        handoff_service.agent_reply(session=session, handoff=handoff, text=told, agent=user.username)
    return see_other(f"/console/cases/{case.case_no}")
