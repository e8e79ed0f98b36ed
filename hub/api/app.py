"""Build the FastAPI application around a running hub's context."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from borderwatch.hub.api.auth import CHECKS
from borderwatch.hub.api.config import ApiConfig
from borderwatch.hub.api.context import HubContext, get_context
from borderwatch.hub.api.docs import add_docs
from borderwatch.hub.api.routes import OPEN_ROUTERS, ROUTERS
from borderwatch.hub.api.security import guard
from borderwatch.hub.api.tokens import Role
from borderwatch.hub.console.config import ConsoleConfig
from borderwatch.hub.console.routes import add_console


def create_app(ctx: HubContext, cfg: ApiConfig | None = None, console: ConsoleConfig | None = None) -> FastAPI:
    """Every router but the open ones (``/health``) needs a viewer token; routes that change
    something ask for operator or admin themselves. The console's page is open (it holds no data;
    it asks for a token), its routes need a viewer token."""
    cfg = cfg or ApiConfig()
    app = FastAPI(
        title="borderwatch hub",
        version="1",
        summary="alerts, agents, events of the coordination centre",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if cfg.docs else None,
    )
    for router in ROUTERS:
        deps = [] if router in OPEN_ROUTERS else [Depends(CHECKS[Role.VIEWER])]
        app.include_router(router, dependencies=deps)
    if cfg.docs:
        add_docs(app)
    console = console or ConsoleConfig()
    if console.enabled:
        add_console(app, console)
    guard(app, cfg)
    app.dependency_overrides[get_context] = lambda: ctx
    return app
