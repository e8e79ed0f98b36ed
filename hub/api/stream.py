"""Server-sent events at ``/api/v1/stream``: alert changes, agent health and live tracks.

Why SSE over a fetch stream: one long HTTP response the console reads with ``fetch`` and a
``ReadableStream``, so the token stays in the ``Authorization`` header (``EventSource`` cannot
send headers and would need the token in the URL, where proxies log it). Hub threads publish
through :class:`Broadcaster`; each client has a bounded queue, and a client too slow to keep up
loses messages (counted, and told by a ``lagged`` event) instead of holding the hub back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse

from borderwatch.hub.api.broadcast import Broadcaster, Client
from borderwatch.hub.api.context import HubContext, get_context

KINDS = ("alert", "agent", "track")
KEEPALIVE_S = 15.0

stream = APIRouter(tags=["stream"])


async def _events(request: Request, hub: Broadcaster, c: Client) -> AsyncIterator[str]:
    reported = 0
    try:
        yield "retry: 3000\n: connected\n\n"
        while not await request.is_disconnected():
            if c.lagged > reported:
                yield f"event: lagged\ndata: {c.lagged - reported}\n\n"
                reported = c.lagged
            try:
                kind, data = await asyncio.wait_for(c.queue.get(), KEEPALIVE_S)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            yield f"event: {kind}\ndata: {data}\n\n"
    finally:
        hub.leave(c)


_SSE = {200: {"content": {"text/event-stream": {}}, "description": "SSE: alert, agent, track"}}
Kinds = Annotated[list[str] | None, Query()]


Ctx = Annotated[HubContext, Depends(get_context)]


@stream.get("/api/v1/stream", response_class=StreamingResponse, responses=_SSE)  # type: ignore[arg-type]
async def sse(request: Request, ctx: Ctx, kind: Kinds = None) -> StreamingResponse:
    """``event: alert`` (every alert change: reason, previous state, alert), ``event: agent``
    (status and telemetry), ``event: track`` (located track events); ``?kind=`` narrows."""
    if ctx.stream is None:
        raise HTTPException(503, "the live stream is not running on this hub")
    wanted = frozenset(kind or KINDS)
    if not wanted <= set(KINDS):
        raise HTTPException(422, f"kind must be among {list(KINDS)}")
    client = ctx.stream.join(wanted)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(_events(request, ctx.stream, client), media_type="text/event-stream", headers=headers)
