"""`/console/gaps`: 知识缺口 — questions search could not answer, the citizens' 没用 / 没找到, and alias proposals
for the guides, downloadable as CSV or as a YAML patch."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import HTMLResponse

from api.console import gaps
from api.console.forms import FormDep
from api.console.pages import ConsoleRoute, render, see_other
from api.console.security import SupervisorUser
from api.core import wording
from api.core.deps import SessionDep
from api.deps import CatalogueDep, StateDep

router = APIRouter(route_class=ConsoleRoute)


@router.get("/gaps", response_class=HTMLResponse)
def gap_list(request: Request, user: SupervisorUser, session: SessionDep, state: StateDep) -> Response:
    found = gaps.find_gaps(session=session, searcher=state.searcher)
    return render(
        request,
        "gaps.html",
        user=user,
        gaps=found,
        rated=gaps.rated_gaps(session=session),  # 没用 / 没找到 from the citizens, with the answer they got
        proposals=gaps.proposals(session=session),
        cat=state.catalogue,
    )


@router.post("/gaps/proposals")
def gap_propose(
    request: Request, form: FormDep, user: SupervisorUser, session: SessionDep, cat: CatalogueDep
) -> Response:
    text = (form.get("text") or "").strip()[:200]
    entry_id = (form.get("entry_id") or "").strip()[:100]
    if not text or cat.kind_of(entry_id) is None:
        raise HTTPException(status_code=422, detail=wording.text("console", "gaps.bad_proposal"))
    count = int(form["count"]) if form.get("count", "").isdigit() else 1
    # an alias entry's id (same_as) proposes for the item it names: that file holds the aliases
    gaps.propose(session=session, text=text, entry_id=cat.resolve(entry_id), count=count, by=user.username)
    return see_other("/console/gaps")


@router.get("/gaps/proposals.csv")
def gap_csv(_user: SupervisorUser, session: SessionDep, cat: CatalogueDep) -> Response:
    body = "\ufeff" + gaps.to_csv(gaps.proposals(session=session), cat)  # BOM: Excel opens it as UTF-8
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="alias-proposals.csv"'},
    )


@router.get("/gaps/proposals.yml")
def gap_yaml(_user: SupervisorUser, session: SessionDep, cat: CatalogueDep) -> Response:
    return Response(
        gaps.to_yaml_patch(gaps.proposals(session=session), cat),
        media_type="text/yaml; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="alias-proposals.yml"'},
    )
