"""Serving the console: its static files under ``/console/`` and the two routes only it needs.

Why its own CSP: the API's default policy forbids everything; the console loads its script and
style from this hub only ('self', no inline code), fetches from this hub only, and shows evidence
snapshots it fetched with the token as ``blob:`` URLs (an ``<img src>`` cannot send a header).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from borderwatch.hub.api.auth import Viewer
from borderwatch.hub.api.context import HubContext, get_context
from borderwatch.hub.api.security import SecurityHeaders
from borderwatch.hub.console.config import ConsoleConfig

STATIC = Path(str(files("borderwatch.hub.console") / "static"))
CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
)
"""Code and style from this hub only, never inline; images also from blob: (snapshots fetched with the token)."""

Ctx = Annotated[HubContext, Depends(get_context)]


class Me(BaseModel):
    """Who the token belongs to: the console hides what the role may not do."""

    name: str
    role: str
    hub_id: str


def add_console(app: FastAPI, cfg: ConsoleConfig) -> None:
    """``/console/`` (page, script, style) and ``/api/v1/console/{me,plan}`` (viewer token)."""
    api = APIRouter(prefix="/api/v1/console", tags=["console"])

    @api.get("/me")
    def me(ctx: Ctx, who: Viewer) -> Me:
        """The calling token's name and role."""
        return Me(name=who.name, role=who.role.value, hub_id=ctx.hub_id)

    @api.get("/plan")
    def plan(ctx: Ctx, _: Viewer) -> dict[str, Any]:
        """Sites (masts, sensor coverage, border) from ``[console]``, restricted zones from ``[alerts]``."""
        zones = ctx.engine.config.zones if ctx.engine is not None else []
        return {
            "title": cfg.title,
            "target_ttl_s": cfg.target_ttl_s,
            "sites": [s.model_dump(mode="json") for s in cfg.sites],
            "zones": [z.model_dump(mode="json") for z in zones],
        }

    app.include_router(api)

    @app.get("/console", include_in_schema=False)
    def console_slash() -> RedirectResponse:
        return RedirectResponse("console/", status_code=308)

    headers = {"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-cache"}
    app.mount("/console", SecurityHeaders(StaticFiles(directory=STATIC, html=True), headers), name="console")
