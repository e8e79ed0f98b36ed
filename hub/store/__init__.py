"""Where the hub keeps what it accepted: events and telemetry (time series), dead letters.

Backends are chosen by the ``type`` of the ``[store]`` config section and registered in the
explicit ``BACKENDS`` table; heavy client libraries are imported only when their backend opens.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from borderwatch.hub.store.base import DeadLetter, EventStore, StoreError, StoreOverflowError
from borderwatch.hub.store.config import InfluxStoreConfig, SqliteStoreConfig, StoreConfig

if TYPE_CHECKING:  # hub.config imports this package's config, so only for type checkers
    from borderwatch.hub.config.state import StateConfig


def _open_sqlite(cfg: SqliteStoreConfig, state: StateConfig | None = None) -> EventStore:
    from borderwatch.hub.store.sqlite import SqliteStore

    return SqliteStore(cfg.path, retention=cfg.retention, synchronous=cfg.synchronous)


def _open_influx(cfg: InfluxStoreConfig, state: StateConfig | None = None) -> EventStore:
    from borderwatch.hub.store.influx import InfluxStore

    return InfluxStore(cfg, state)


BACKENDS: dict[str, Callable[[Any, StateConfig | None], EventStore]] = {
    "sqlite": _open_sqlite,
    "influxdb": _open_influx,
}


def open_store(cfg: StoreConfig, state: StateConfig | None = None) -> EventStore:
    """Open the configured backend (creates files/folders; connects lazily on first write).
    ``state``: the hub's ``[state]`` section; on PostgreSQL the InfluxDB backend keeps its event-id
    owner index in that shared schema."""
    return BACKENDS[cfg.type](cfg, state)


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
