"""Who is calling: bearer tokens checked against the token store, roles as typed dependencies.

Handlers state the role they need in their signature (``_: Operator``); routers that only
read get ``VIEWER`` for all their routes in :func:`borderwatch.hub.api.app.create_app`.
A missing or bad token is 401 with ``WWW-Authenticate`` (RFC 6750); a token whose role is
too low is 403. The token itself is never logged, only the name it was created with.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from borderwatch.hub.api.context import HubContext, get_context
from borderwatch.hub.api.tokens import Role, TokenInfo

log = logging.getLogger("borderwatch.hub.api")

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="`borderwatch hub token create --role viewer|operator|admin --name NAME -c hub.toml`",
)


def _unauthorized(detail: str, error: str | None = None) -> HTTPException:
    challenge = 'Bearer realm="borderwatch"' + (f', error="{error}"' if error else "")
    return HTTPException(401, detail, headers={"WWW-Authenticate": challenge})


def require(role: Role) -> Callable[..., TokenInfo]:
    """A dependency that admits tokens of ``role`` or above."""

    def check(
        request: Request,
        ctx: Annotated[HubContext, Depends(get_context)],
        creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> TokenInfo:
        if creds is None:
            raise _unauthorized("a bearer token is required (Authorization: Bearer <token>)")
        info = ctx.tokens.verify(creds.credentials) if ctx.tokens is not None else None
        if info is None:
            log.info("api token refused path=%s client=%s", _path(request), _client(request))
            raise _unauthorized("the token is unknown or revoked", "invalid_token")
        if not info.role.allows(role):
            log.info("api role too low token_name=%s role=%s needed=%s path=%s", info.name, info.role, role,
                     _path(request))  # fmt: skip
            raise HTTPException(403, f"token {info.name!r} has role {info.role.value}; this needs {role.value}")
        return info

    check.__name__ = f"require_{role.value}"
    return check


def _client(request: Request) -> str:
    return request.client.host if request.client else "-"


def _path(request: Request) -> str:
    """The caller chose it (a decoded %1B or %00 is a control character): quoted, escaped and cut."""
    return repr(request.url.path[:200])


CHECKS = {role: require(role) for role in Role}
"""One dependency per role (FastAPI caches a dependency per request by identity)."""

Viewer = Annotated[TokenInfo, Depends(CHECKS[Role.VIEWER])]
Operator = Annotated[TokenInfo, Depends(CHECKS[Role.OPERATOR])]
Admin = Annotated[TokenInfo, Depends(CHECKS[Role.ADMIN])]
