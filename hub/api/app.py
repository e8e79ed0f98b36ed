"""Build the FastAPI application around a running hub's context."""

from __future__ import annotations

from fastapi import FastAPI

from borderwatch.hub.api.context import HubContext, get_context
from borderwatch.hub.api.routes import ROUTERS


def create_app(ctx: HubContext) -> FastAPI:
    app = FastAPI(title="borderwatch hub", version="1", summary="alerts, agents, events of the coordination centre")
    for router in ROUTERS:
        app.include_router(router)
    app.dependency_overrides[get_context] = lambda: ctx
    return app
