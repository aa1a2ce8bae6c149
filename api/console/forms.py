"""The console's posted forms: one dependency for every screen's routes, and one way to read a text field."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.cases.schemas import MAX_DESCRIPTION


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


# Routes are sync (the threadpool), so a SQLite lock wait or argon2 never stalls the event loop; only the body is read
# here, on the loop.
FormDep = Annotated[dict[str, str], Depends(_form)]


def form_text(form: dict[str, str], name: str, limit: int = MAX_DESCRIPTION) -> str | None:
    """The field stripped and cut to `limit`, or None when it is empty."""
    value = form.get(name, "").strip()
    return value[:limit] if value else None
