"""The ``[notify]`` section of the hub config: retained alert state on MQTT and webhooks."""

from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field


class WebhookConfig(BaseModel):
    """One HTTP endpoint that receives every paging alert change (POST)."""

    model_config = ConfigDict(extra="forbid")

    url: AnyHttpUrl = Field(description="http(s) URL the alert is POSTed to")
    format: Literal["json", "cap"] = Field(
        default="json", description="json = {reason, previous, alert}; cap = CAP 1.2 XML of the alert"
    )
    timeout_s: float = Field(default=5.0, gt=0, le=120, description="per attempt (connect + read)")
    max_retries: int = Field(default=5, ge=0, le=50, description="attempts after the first one fails")
    backoff_s: float = Field(default=1.0, gt=0, le=600, description="wait before the first retry; doubles each time")
    backoff_max_s: float = Field(default=60.0, gt=0, le=3600, description="longest wait between two attempts")
    queue_max: int = Field(default=1000, ge=1, le=100_000, description="changes waiting; beyond, new ones are dropped")
    token_header: str | None = Field(
        default=None, max_length=2000, description="sent as the Authorization header (e.g. 'Bearer ...')"
    )


class NotifyConfig(BaseModel):
    """Where paging alert changes go besides the live console."""

    model_config = ConfigDict(extra="forbid")

    mqtt_retained: bool = Field(
        default=True,
        description="keep each active alert retained at bw/v1/<site>/<hub_id>/alerts/<alert_id>; "
        "an empty retained message clears it when the alert resolves",
    )
    cap_sender: str = Field(
        default="borderwatch@hub", min_length=1, max_length=200, description="CAP <sender> (e.g. ops@centre.example)"
    )
    webhooks: list[WebhookConfig] = Field(default_factory=list, max_length=32)
