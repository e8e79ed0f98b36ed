"""Router: the evidence snapshots kept at the hub (the JPEG of an event, and the index)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, Field

from borderwatch.hub.api.context import HubContext, get_context
from borderwatch.hub.evidence import EvidenceRow, EvidenceStore

Ctx = Annotated[HubContext, Depends(get_context)]

evidence = APIRouter(prefix="/api/v1/evidence", tags=["evidence"])


class EvidenceOut(BaseModel):
    """One kept snapshot, as the index knows it; the JPEG is at ``/api/v1/evidence/{event_id}``."""

    event_id: str
    site: str
    agent: str
    sensor: str | None = Field(description="filled in once the event itself has reached the hub")
    bytes: int
    received_at: datetime
    sha256: str

    @classmethod
    def of(cls, r: EvidenceRow) -> EvidenceOut:
        return cls(event_id=r.event_id, site=r.site, agent=r.agent, sensor=r.sensor, bytes=r.bytes,
                   received_at=r.received_at, sha256=r.sha256)  # fmt: skip


def _store(ctx: HubContext) -> EvidenceStore:
    if ctx.evidence is None:
        raise HTTPException(404, "evidence is disabled on this hub (evidence.enabled = false)")
    return ctx.evidence


@evidence.get("")
def list_evidence(
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    agent: str | None = None,
    site: str | None = None,
) -> list[EvidenceOut]:
    """Newest first."""
    return [EvidenceOut.of(r) for r in _store(ctx).latest(limit, agent=agent, site=site)]


@evidence.get(
    "/{event_id}",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "the JPEG as the agent sent it"}},
)
def get_evidence(ctx: Ctx, event_id: str) -> Response:
    found = _store(ctx).get(event_id)
    if found is None:
        raise HTTPException(404, f"no evidence for event {event_id}")
    row, jpeg = found
    headers = {
        "ETag": f'"{row.sha256}"',
        "Cache-Control": "private, max-age=86400, immutable",
        # an agent's bytes, shown in operators' browsers: never sniffed into HTML, never active
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    return Response(content=jpeg, media_type="image/jpeg", headers=headers)
