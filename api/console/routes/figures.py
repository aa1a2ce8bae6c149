"""`/console/figures`: 数据 — conversations per channel, the most asked items, answer and on-time rates, ratings,
and the work order's 按期办结率, 回访满意率 and 重办率, as server-drawn SVG charts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.cases.deps import CaseConfigDep
from api.console import charts, figures
from api.console.pages import ConsoleRoute, render
from api.console.security import SupervisorUser
from api.core.deps import SessionDep
from api.deps import CatalogueDep

router = APIRouter(route_class=ConsoleRoute)


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
        "conversations": charts.stacked_columns("每天各渠道会话数", fig.days, fig.per_channel_day),
        "top_items": charts.hbar("问得最多的事项", fig.top_items),
        "answer_rate": charts.gauge("答复率", fig.answer_rate, detail=f"{fig.answered}/{fig.turns} 轮"),
        "complaints": charts.hbar("各类别投诉数", fig.complaints_by_category),
        "on_time": charts.gauge("按期回复率", fig.on_time_rate, detail=f"{fig.replied_on_time}/{fig.reply_due} 件"),
        "ratings": charts.hbar("好差评分布", fig.ratings),
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
            "按期办结率", w.closed_on_time_rate, detail=f"{w.closed_on_time}/{w.closed_due} 件"
        ),
        "satisfaction": charts.gauge("回访满意率", w.satisfaction_rate, detail=f"{w.satisfied}/{w.visited} 件"),
        "reopen": charts.gauge("重办率", w.reopen_rate, detail=f"{w.reopened}/{w.replied} 件"),
    }
