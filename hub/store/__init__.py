"""Where the hub keeps what it accepted: events and telemetry (time series), dead letters.

Backends are chosen by the ``type`` of the ``[store]`` config section and registered in the
explicit ``BACKENDS`` table; heavy client libraries are imported only when their backend opens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from borderwatch.hub.store.base import DeadLetter, EventStore, StoreError, StoreOverflowError
from borderwatch.hub.store.config import InfluxStoreConfig, SqliteStoreConfig, StoreConfig


def _open_sqlite(cfg: SqliteStoreConfig) -> EventStore:
    from borderwatch.hub.store.sqlite import SqliteStore

    return SqliteStore(cfg.path, retention=cfg.retention, synchronous=cfg.synchronous)


def _open_influx(cfg: InfluxStoreConfig) -> EventStore:
    from borderwatch.hub.store.influx import InfluxStore

    return InfluxStore(cfg)


BACKENDS: dict[str, Callable[[Any], EventStore]] = {
    "sqlite": _open_sqlite,
    "influxdb": _open_influx,
}


def open_store(cfg: StoreConfig) -> EventStore:
    """Open the configured backend (creates files/folders; connects lazily on first write)."""
    return BACKENDS[cfg.type](cfg)


__all__ = [
    "BACKENDS",
    "DeadLetter",
    "EventStore",
    "InfluxStoreConfig",
    "SqliteStoreConfig",
    "StoreConfig",
    "StoreError",
    "StoreOverflowError",
    "open_store",
]
