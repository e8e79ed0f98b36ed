"""The agent process: sensors -> outbox -> link, plus birth and telemetry.

Why the outbox sits between sensors and link: an event is persisted (and numbered) before it
is ever published, so a dead link, a full broker or a power cut never loses what was seen.
"""

from __future__ import annotations

import logging
import threading
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from borderwatch.contract import AgentState, AgentStatus, Event, Telemetry
from borderwatch.contract.common import utc_now
from borderwatch.edge.clock import in_hub_time
from borderwatch.edge.config.agent import AgentSettings, load_agent_config
from borderwatch.edge.evidence import Evidence
from borderwatch.edge.link import AgentLink
from borderwatch.edge.outbox import Outbox
from borderwatch.edge.sensor.registry import build_kinds
from borderwatch.edge.sensor.service import SensorService
from borderwatch.runtime.signals import stop_on_signals

log = logging.getLogger("borderwatch.edge.agent")


def software_version() -> str:
    """The installed package version for the birth certificate; "0+unknown" when run from an uninstalled tree."""
    try:
        return version("borderwatch")
    except PackageNotFoundError:
        return "0+unknown"


class Agent:
    """One mast's agent; ``run()`` blocks until ``stop`` is set, then shuts down in order."""

    def __init__(self, cfg: AgentSettings) -> None:
        self.cfg = cfg
        self.outbox = Outbox(cfg.outbox_path, cfg.outbox)
        kinds = build_kinds(cfg.registry)  # the kinds the config was validated against
        self.sensors = SensorService(cfg.site, cfg.agent, cfg.sensor_sections(), cfg.detector, self._emit, kinds)
        self.link = AgentLink(cfg.site, cfg.agent, cfg.broker, self.outbox, self.birth, cfg.link)

    def _emit(self, events: list[Event], evidence: list[Evidence]) -> None:
        """Persist first, then wake the link; evidence is best effort (events carry the facts)."""
        if events:
            self.outbox.append(in_hub_time(events, self.link.clock_offset_s, self.cfg.link.clock_correct_over_s))
            self.link.notify()
        for item in evidence:
            self.link.publish_evidence(item.event_id, item.jpeg)

    def birth(self) -> AgentStatus:
        """The status the link publishes (retained) on every connect and leaves as its last will; ``last_seq`` tells the
        hub how far the outbox has numbered.
        """
        return AgentStatus(
            site=self.cfg.site,
            agent=self.cfg.agent,
            state=AgentState.ONLINE,
            ts=utc_now(),
            software_version=software_version(),
            models=self.sensors.models(),
            sensors=self.sensors.sensor_status(),
            last_seq=self.outbox.last_seq,
        )

    def telemetry(self) -> Telemetry:
        """A snapshot of outbox, link and per-sensor counters, published every ``telemetry_interval_s``."""
        stats = self.outbox.stats()
        return Telemetry(
            site=self.cfg.site,
            agent=self.cfg.agent,
            ts=utc_now(),
            outbox_depth=stats.depth,
            outbox_dropped=stats.dropped,
            link_up=self.link.connected,
            last_seq=self.outbox.last_seq,
            sensors=self.sensors.telemetry(),
            clock_offset_s=self.link.clock_offset_s,
        )

    def run(self, stop: threading.Event) -> None:
        """Start sensors, then the link; publish telemetry until ``stop`` is set; shut down in order, on error too."""
        self.sensors.start()  # first: the birth certificate names the loaded models and sensors
        self.link.start()
        log.info(
            "agent running site=%s agent=%s sensors=%s", self.cfg.site, self.cfg.agent, ",".join(self.cfg.sensor_ids())
        )
        try:
            while not stop.wait(self.cfg.telemetry_interval_s):
                try:
                    self.link.publish_telemetry(self.telemetry())
                except Exception:  # health reporting must never stop the agent
                    log.exception("telemetry failed site=%s agent=%s", self.cfg.site, self.cfg.agent)
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        """Sensors first (no new events), then the link (in-flight settles), then the outbox."""
        self.sensors.stop()
        self.link.stop()
        self.outbox.close()
        log.info("agent stopped site=%s agent=%s", self.cfg.site, self.cfg.agent)


def run_agent(config_path: Path) -> int:
    """The ``borderwatch edge run`` entry point: runs until SIGTERM or SIGINT; a bad config raises ConfigError first."""
    cfg = load_agent_config(config_path)
    stop = stop_on_signals()
    Agent(cfg).run(stop)
    return 0
