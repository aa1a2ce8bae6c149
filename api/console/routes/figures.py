"""`/console/figures`: 数据 — conversations per channel, the most asked items, answer and on-time rates, ratings,
and the work order's 按期办结率, 回访满意率 and 重办率, as server-drawn SVG charts."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.cases.deps import CaseConfigDep
from api.console import charts, figures
from api.console.pages import ConsoleRoute, render
from api.console.security import SupervisorUser
from api.core import wording
from api.core.deps import SessionDep
from api.deps import CatalogueDep

router = APIRouter(route_class=ConsoleRoute)
Chart = Literal[
    "conversations",
    "top_items",
    "answer_rate",
    "complaints",
    "on_time",
    "ratings",
    "closed_on_time",
    "satisfaction",
    "reopen",
]


def _title(chart: Chart) -> str:
    """A chart's title (api/wording/console.yml `figures`)."""
    return wording.text("console", f"figures.{chart}")


def _cases(count: int, total: int) -> str:
    """The count under a gauge: so many cases out of so many."""
    return wording.say("console", "figures.cases_detail", count=count, total=total)


@router.get("/figures", response_class=HTMLResponse)
def figure_page(
    request: Request,
    user: SupervisorUser,
    session: SessionDep,
    config: CaseConfigDep,
    cat: CatalogueDep,
    days: Annotated[int, Query(ge=1, le=90)] = 14,
) -> Response:
    fig = figures.compute(session=session, cat=cat, config=config, days=days)
    svg = {
        "conversations": charts.stacked_columns(_title("conversations"), fig.days, fig.per_channel_day),
        "top_items": charts.hbar(_title("top_items"), fig.top_items),
        "answer_rate": charts.gauge(
            _title("answer_rate"),
            fig.answer_rate,
            detail=wording.say("console", "figures.answer_rate_detail", answered=fig.answered, turns=fig.turns),
        ),
        "complaints": charts.hbar(_title("complaints"), fig.complaints_by_category),
        "on_time": charts.gauge(_title("on_time"), fig.on_time_rate, detail=_cases(fig.replied_on_time, fig.reply_due)),
        "ratings": charts.hbar(_title("ratings"), fig.ratings),
        **figure_gauges(fig),
    }
    return render(request, "figures.html", user=user, fig=fig, svg=svg, days=days)


def figure_gauges(fig: figures.Figures) -> dict[str, str]:
    """按期办结率, 回访满意率, 重办率 as the figures page's gauges (api/console/templates/_work_order_figures.html)."""
    w = fig.work_orders
    if w is None:
        return {}
    return {
        "closed_on_time": charts.gauge(
            _title("closed_on_time"), w.closed_on_time_rate, detail=_cases(w.closed_on_time, w.closed_due)
        ),
        "satisfaction": charts.gauge(
            _title("satisfaction"), w.satisfaction_rate, detail=_cases(w.satisfied, w.visited)
        ),
        "reopen": charts.gauge(_title("reopen"), w.reopen_rate, detail=_cases(w.reopened, w.replied)),
    }
