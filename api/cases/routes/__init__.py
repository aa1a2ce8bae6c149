"""The case system's HTTP surface: the citizens' API, the staff API, Open311 GeoReport v2, and categorize.

`routers` is the order `create_app` includes them in: categorize's `/api/cases/categorize` before the citizens'
`/api/cases/{case_no}`, which would otherwise take it for a case number.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.cases.routes import categorize, citizen, open311, staff

routers: tuple[APIRouter, ...] = (categorize.router, citizen.router, staff.router, open311.router)

__all__ = ["categorize", "citizen", "open311", "routers", "staff"]
