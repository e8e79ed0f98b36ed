"""Silences: an operator mutes notifications for alerts matching site/zone/rule/sensor until expiry.

A silenced alert still moves through its lifecycle and still shows in lists and the stream; only
notifiers (MQTT, webhooks, CAP) skip it. Matching is pure: time is passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from borderwatch.contract import Alert
from borderwatch.contract.common import Ident

MAX_SILENCE_S = 7 * 86400


class SilenceRequest(BaseModel):
    """What an operator asks for: at least one matcher, a duration, a reason."""

    model_config = ConfigDict(extra="forbid")

    site: Ident | None = None
    zone: Ident | None = None
    rule: Ident | None = None
    sensor: str | None = Field(default=None, max_length=130, description="agent/sensor, or a sensor id")
    duration_s: float = Field(gt=0, le=MAX_SILENCE_S, description="expires this long after creation")
    comment: str = Field(min_length=1, max_length=512, description="why (kept in the audit log)")

    @model_validator(mode="after")
    def _narrow(self) -> SilenceRequest:
        if not any((self.site, self.zone, self.rule, self.sensor)):
            raise ValueError("a silence needs at least one of site, zone, rule, sensor: muting everything is refused")
        return self


class Silence(BaseModel):
    """A stored silence; ``ends_at`` in the past means expired (deleting expires it at once)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    site: str | None = None
    zone: str | None = None
    rule: str | None = None
    sensor: str | None = None
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str

    @classmethod
    def of(cls, req: SilenceRequest, silence_id: str, who: str, now: datetime) -> Silence:
        """The stored form of an operator's request, expiring ``duration_s`` after ``now``."""
        return cls(id=silence_id, site=req.site, zone=req.zone, rule=req.rule, sensor=req.sensor, starts_at=now,
                   ends_at=now + timedelta(seconds=req.duration_s), created_by=who, comment=req.comment)  # fmt: skip

    def active(self, now: datetime) -> bool:
        """Started and not yet ended at ``now``."""
        return self.starts_at <= now < self.ends_at

    def covers(self, alert: Alert) -> bool:
        """Every given matcher equals the alert's value (sensor: one of its contributing sensors)."""
        sensors = {*alert.sensors, *(s.split("/", 1)[-1] for s in alert.sensors)}
        if alert.sensor_id:
            sensors.add(alert.sensor_id)
        return (
            (self.site is None or self.site == alert.site)
            and (self.zone is None or self.zone == alert.zone)
            and (self.rule is None or self.rule == alert.rule)
            and (self.sensor is None or self.sensor in sensors)
        )


def silenced(alert: Alert, silences: Iterable[Silence], now: datetime) -> bool:
    """Whether any active silence covers the alert."""
    return any(s.active(now) and s.covers(alert) for s in silences)
