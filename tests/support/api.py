"""A TestClient that talks to the hub API as a given role (the API needs a token on every route
but /health). Shared by the API tests; the token is created in the context's real token store."""

from __future__ import annotations

from fastapi.testclient import TestClient

from borderwatch.hub.api.app import create_app
from borderwatch.hub.api.config import ApiConfig
from borderwatch.hub.api.context import HubContext
from borderwatch.hub.api.tokens import Role
from borderwatch.hub.console.config import ConsoleConfig

BASE_URL = "http://localhost"  # a trusted host by default (TestClient's own "testserver" is not)
ISSUED: list[str] = []
"""Every token handed out here, so tests can check that none of them reached a log line."""


def client_as(
    ctx: HubContext, role: Role | None = Role.VIEWER, cfg: ApiConfig | None = None, console: ConsoleConfig | None = None
) -> TestClient:
    """A client sending a fresh token of ``role`` (None: no token at all)."""
    client = TestClient(create_app(ctx, cfg, console), base_url=BASE_URL)
    if role is not None:
        assert ctx.tokens is not None, "the context needs a TokenStore"
        _, secret = ctx.tokens.create(f"test-{role.value}-{len(ctx.tokens.list())}", role)
        ISSUED.append(secret)
        client.headers["Authorization"] = f"Bearer {secret}"
    return client
