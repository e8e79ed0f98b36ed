"""EventStore on the InfluxDB v2 write API (InfluxDB 2.x/3.x, 1.8+ compat, VictoriaMetrics).

influxdb-client does the HTTP (synchronous write API, gzip); :mod:`hub.store.writer` owns
buffering, batching, retries and the "written before acknowledged" promise. Refused messages
are kept with their raw bytes in a local SQLite file (a time-series database is no place
for raw payloads) and counted as ``dead_letters`` points for dashboards. Which site/agent owns
an event id is kept in the hub's own index: next to the dead letters (:mod:`hub.store.owners`) for
one hub, in the shared PostgreSQL schema (:mod:`hub.store.owners_pg`) when ``[state]`` names one, so
every instance of a fleet checks the same claims.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path

from influxdb_client import InfluxDBClient, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

from borderwatch.contract import Event, Telemetry
from borderwatch.contract.topics import parse_topic
from borderwatch.hub.config.state import PostgresStateConfig, StateConfig
from borderwatch.hub.sqldb import open_postgres
from borderwatch.hub.store.base import AlertCount, DeadLetter, StoreError
from borderwatch.hub.store.config import InfluxStoreConfig, resolve_token
from borderwatch.hub.store.owners import OwnerIndex
from borderwatch.hub.store.owners_pg import SharedOwnerIndex
from borderwatch.hub.store.points import alert_count_lines, dead_letter_line, event_lines, telemetry_lines
from borderwatch.hub.store.retention import PeriodicJob, cutoffs
from borderwatch.hub.store.sqlite import SqliteStore
from borderwatch.hub.store.writer import BatchWriter, WriterSettings, WriterStats

_PRECISION = {"ns": WritePrecision.NS, "ms": WritePrecision.MS}


def writer_settings(cfg: InfluxStoreConfig) -> WriterSettings:
    """The writer's knobs from the ``[store]`` section."""
    return WriterSettings(
        batch_size=cfg.batch_size,
        flush_interval_s=cfg.flush_interval_ms / 1000,
        max_buffer_points=cfg.max_buffer_points,
        overflow_wait_s=cfg.overflow_wait_s,
        retry_initial_s=cfg.retry_initial_s,
        retry_max_s=cfg.retry_max_s,
        retry_after_max_s=cfg.retry_after_max_s,
        retry_budget_s=cfg.retry_budget_s,
        close_timeout_s=cfg.close_timeout_s,
    )


class InfluxStore:
    """Events, telemetry and alert counts as points; ``write_*`` return once the server has them."""

    def __init__(self, cfg: InfluxStoreConfig, state: StateConfig | None = None) -> None:
        self.cfg = cfg
        self._client = InfluxDBClient(
            url=cfg.url,
            token=resolve_token(cfg),
            org=cfg.org,
            timeout=int(cfg.timeout_s * 1000),
            enable_gzip=False,  # compressed here, at a chosen level (the client always uses level 9)
            retries=False,  # retries are the writer's job, with its own budget and Retry-After
        )
        if cfg.compress:
            # This client only ever writes, so every request it sends carries a gzip body.
            self._client.api_client.set_default_header("Content-Encoding", "gzip")
        self._write_api = self._client.write_api(write_options=SYNCHRONOUS)
        self._precision = _PRECISION[cfg.precision]
        self._letters = SqliteStore(cfg.dead_letter_path, retention=cfg.dead_letter_retention)
        self._owners = open_owner_index(cfg, state)
        self._owners_job = PeriodicJob(
            "influx-owner-retention", cfg.dead_letter_retention.check_interval_s, self._forget_old_owners
        ).start()
        self._writer = BatchWriter(self._post, writer_settings(cfg), self._dead_point)

    def _forget_old_owners(self) -> None:
        cutoff = cutoffs(self.cfg.dead_letter_retention, datetime.now(UTC)).get("events")
        if cutoff is not None:
            self._owners.forget_before(cutoff)

    def _post(self, bucket: str, lines: list[str]) -> None:
        self._owners.flush()  # the ids of these points are claimed in the file before they are stored
        body = "\n".join(lines).encode()
        if self.cfg.compress:
            body = gzip.compress(body, compresslevel=self.cfg.gzip_level)
        self._write_api.write(bucket=bucket, org=self.cfg.org, record=body, write_precision=self._precision)

    def _dead_point(self, bucket: str, line: str, status: int) -> None:
        detail = f"the server refused this point with HTTP {status}"
        letter = DeadLetter(
            datetime.now(UTC), f"influxdb/{bucket}", f"influx_http_{status}", line.encode(), detail=detail
        )
        self._letters.write_dead_letter(letter)

    # -- asynchronous side (the ingest loop pipelines and acks from the future) ----------------

    def submit_events(self, events: Sequence[Event]) -> Future[int]:
        """Queue a batch; the future resolves (in submission order) once every point is written.
        Raises StoreRefusedError (nothing queued) when an event id belongs to another sender."""
        self._owners.claim(events)
        return self._writer.submit(
            self.cfg.buckets.events, event_lines(events, self.cfg.precision, self.cfg.box_fields)
        )

    def submit_telemetry(self, telemetry: Telemetry) -> Future[int]:
        return self._writer.submit(self.cfg.buckets.telemetry, telemetry_lines(telemetry, self.cfg.precision))

    # -- EventStore -----------------------------------------------------------------------------

    def write_events(self, events: Sequence[Event]) -> int:
        """Written on return. Returns the number of distinct events written: the server cannot tell a
        replay from a new event (a replay overwrites its point), so the ledger owns duplicate counts."""
        _wait(self.submit_events(events), self.cfg.retry_budget_s)
        return len({ev.id for ev in events})

    def write_telemetry(self, telemetry: Telemetry) -> None:
        _wait(self.submit_telemetry(telemetry), self.cfg.retry_budget_s)

    def write_alert_counts(self, counts: Sequence[AlertCount]) -> None:
        lines = alert_count_lines(counts, self.cfg.precision)
        _wait(self._writer.submit(self.cfg.buckets.alerts, lines), self.cfg.retry_budget_s)

    def write_dead_letter(self, letter: DeadLetter) -> None:
        """Raw bytes to the local file (durable); a counter point to the server, best effort."""
        self._letters.write_dead_letter(letter)
        try:
            site = parse_topic(letter.topic).site
        except ValueError:
            site = "unknown"
        line = dead_letter_line(letter.received_at, site, letter.reason, self.cfg.precision)
        self._writer.offer(self.cfg.buckets.dead_letters, [line])

    def close(self) -> None:
        self._owners_job.stop()
        self._writer.close()
        self._client.close()
        self._letters.close()
        self._owners.close()

    # -- introspection --------------------------------------------------------------------------

    def stats(self) -> WriterStats:
        """Points written, retries, overflow, dead-lettered and buffered points."""
        return self._writer.stats()

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return self._letters.dead_letters(limit)


def open_owner_index(cfg: InfluxStoreConfig, state: StateConfig | None) -> OwnerIndex | SharedOwnerIndex:
    """The event-owner index: shared by the fleet when ``[state]`` is PostgreSQL (several hubs
    split one agent's messages, so each must see every claim), else a local file."""
    if isinstance(state, PostgresStateConfig):
        return SharedOwnerIndex(open_postgres(state.dsn, state.schema_name))
    return OwnerIndex(owners_path(cfg))


def owners_path(cfg: InfluxStoreConfig) -> Path:
    """The event-owner index lives next to the dead-letter file (``<name>.owners.sqlite``)."""
    return cfg.dead_letter_path.with_name(cfg.dead_letter_path.stem + ".owners.sqlite")


def _wait(future: Future[int], budget_s: float) -> int:
    # The writer always resolves the future (written, refused or out of retry budget); the
    # extra margin only guards against a writer thread that died, which would be a bug.
    try:
        return future.result(timeout=budget_s * 2 + 60)
    except TimeoutError as exc:
        raise StoreError("write did not complete in time") from exc
