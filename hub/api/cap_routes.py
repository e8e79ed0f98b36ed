"""Router: one alert as CAP 1.2 XML, for centres that ingest the Common Alerting Protocol."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response

from borderwatch.hub.api.context import HubContext, get_context
from borderwatch.hub.notify.cap import to_cap

Ctx = Annotated[HubContext, Depends(get_context)]

cap = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])


@cap.get(
    "/{alert_id}/cap",
    response_class=Response,
    responses={200: {"content": {"application/cap+xml": {}}, "description": "CAP 1.2 <alert> of its current state"}},
)
def get_cap(ctx: Ctx, alert_id: str) -> Response:
    """The alert as it stands: msgType Alert while firing, Update once acknowledged, Cancel once resolved."""
    alert = ctx.alerts.get(alert_id)
    if alert is None:
        raise HTTPException(404, f"no alert {alert_id}")
    return Response(to_cap(alert, ctx.cap_sender, ctx.hub_id), media_type="application/cap+xml")
