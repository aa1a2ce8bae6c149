"""Search over the guides for the widget, the bot's actions and hotline staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from api.core import wording
from api.core.deps import SettingsDep
from api.deps import SearcherDep

router = APIRouter(prefix="/api", tags=["search"])


@router.get("/search")
def search(
    searcher: SearcherDep,
    settings: SettingsDep,
    q: Annotated[str, Query(min_length=1, max_length=2000)],
    k: Annotated[int, Query(ge=1, le=20)] = 5,
) -> dict[str, object]:
    if not q.strip():
        raise HTTPException(status_code=422, detail=wording.text("gateway", "errors.empty_query"))
    return searcher.search(q[: settings.max_query_chars], k=k).to_dict()
