"""Router: API tokens, for admins (list without secrets, revoke). New tokens come from the CLI,
so a secret is only ever printed on the hub machine's own terminal."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from borderwatch.hub.api.auth import Admin
from borderwatch.hub.api.context import HubContext, get_context
from borderwatch.hub.api.tokens import TokenInfo, TokenStore

Ctx = Annotated[HubContext, Depends(get_context)]
log = logging.getLogger("borderwatch.hub.api")

tokens = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])


def _store(ctx: HubContext) -> TokenStore:
    if ctx.tokens is None:  # unreachable in practice: without a store no token passes
        raise HTTPException(404, "no token store")
    return ctx.tokens


@tokens.get("")
def list_tokens(ctx: Ctx, _: Admin) -> list[TokenInfo]:
    """Names, roles and dates: the hub keeps no secret to show."""
    return _store(ctx).list()


@tokens.delete("/{ref}")
def revoke_token(ctx: Ctx, who: Admin, ref: str) -> TokenInfo:
    """Revoke by name (the active token of that name) or by id; effective on the next request."""
    revoked = _store(ctx).revoke(ref)
    if revoked is None:
        raise HTTPException(404, f"no token {ref!r}")
    log.warning("api token revoked name=%s id=%d by=%s", revoked.name, revoked.id, who.name)
    return revoked
