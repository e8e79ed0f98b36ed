"""How long each measurement is kept, and the periodic job that enforces it.

Why per measurement: detections are evidence (months), telemetry is only useful for recent
trouble-shooting (days), dead letters must outlive the investigation of a faulty mast. The
SQLite store enforces this itself; InfluxDB enforces it per bucket (deploy/influxdb/setup.sh).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

log = logging.getLogger("borderwatch.store")

MEASUREMENTS = ("events", "telemetry", "dead_letters", "alerts")


class Retention(BaseModel):
    """Days to keep each measurement; 0 keeps it for ever."""

    model_config = ConfigDict(extra="forbid")

    events_days: float = Field(default=90.0, ge=0, le=3650, description="detections and tracks")
    telemetry_days: float = Field(default=14.0, ge=0, le=3650, description="agent and sensor health")
    dead_letters_days: float = Field(default=30.0, ge=0, le=3650, description="refused messages")
    alerts_days: float = Field(default=365.0, ge=0, le=3650, description="alert counts")
    check_interval_s: float = Field(default=600.0, ge=1, le=86_400, description="how often old rows are deleted")

    def days(self, measurement: str) -> float:
        """Retention of one measurement (name from MEASUREMENTS)."""
        return float(getattr(self, f"{measurement}_days"))


def cutoffs(retention: Retention, now: datetime) -> dict[str, datetime]:
    """Oldest instant to keep per measurement; measurements kept for ever are left out."""
    return {m: now - timedelta(days=retention.days(m)) for m in MEASUREMENTS if retention.days(m) > 0}


class PeriodicJob:
    """Runs ``job`` every ``interval_s`` on a daemon thread until stopped; errors are logged, not fatal."""

    def __init__(self, name: str, interval_s: float, job: Callable[[], object]) -> None:
        self._job = job
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> PeriodicJob:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._job()
            except Exception:
                log.exception("periodic job failed job=%s", self._thread.name)
