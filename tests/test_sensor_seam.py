"""The sensor seam: a kind unknown to the agent's code (tests/toysensor) plugs in through the registry.

Only the toy package and its ``[toys.<id>]`` section know it; the registry table it is added to is a
copy made here (``with_kind``). It runs through the real SensorService, and through the real agent
into the real outbox.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from borderwatch.contract.common import SensorKind
from borderwatch.contract.events import Event, EventKind
from borderwatch.edge.agent import Agent
from borderwatch.edge.config.agent import agent_config_model, load_agent_config
from borderwatch.edge.evidence import Snapshot
from borderwatch.edge.sensor.registry import REGISTRY, KindEntry, build_kinds, with_kind
from borderwatch.edge.sensor.service import SensorService
from borderwatch.edge.sensors.camera.kind import check_frame
from borderwatch.edge.sensors.frame import Frame
from borderwatch.runtime.configfile import ConfigError, parse_config
from tests.support.waits import free_port, wait_until
from tests.toysensor.config import ToyConfig
from tests.toysensor.kind import ToyKind

TOYS = with_kind(REGISTRY, "toys", KindEntry(ToyConfig, ToyKind, "toy sensors by sensor id"))


class Sink:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.lock = threading.Lock()

    def __call__(self, events, evidence) -> None:
        with self.lock:
            self.events += events

    def kinds(self, kind: EventKind) -> list[Event]:
        with self.lock:
            return [e for e in self.events if e.kind is kind]


def test_the_shipped_registry_is_not_changed_by_a_test_kind():
    assert "toys" not in REGISTRY and set(TOYS) == {*REGISTRY, "toys"}
    with pytest.raises(ValueError, match="already registered"):
        with_kind(TOYS, "toys", TOYS["toys"])


def test_toy_section_validates_through_the_registry_with_paths_named():
    model = agent_config_model(TOYS)
    cfg = parse_config({"site": "s", "agent": "a", "toys": {"t1": {"targets": 2}}}, model)
    assert cfg.sensor_sections() == {**{key: {} for key in REGISTRY}, "toys": {"t1": ToyConfig(targets=2)}}
    with pytest.raises(ConfigError, match=r"toys\.t1\.tragets = 2: unknown key"):
        parse_config({"site": "s", "agent": "a", "toys": {"t1": {"tragets": 2}}}, model)
    with pytest.raises(ConfigError, match=r"toys\.t1\.tracker\.max_cost"):
        parse_config({"site": "s", "agent": "a", "toys": {"t1": {"tracker": {"max_cost": -1}}}}, model)
    with pytest.raises(
        ConfigError, match=r"no sensors configured: add at least one \[cameras.<id>\].* or \[toys.<id>\]"
    ):
        parse_config({"site": "s", "agent": "a"}, model)
    with pytest.raises(ConfigError, match="toys: unknown key"):  # the shipped agent knows no toys
        parse_config({"site": "s", "agent": "a", "toys": {"t1": {}}}, agent_config_model(REGISTRY))


def test_toy_kind_runs_through_the_real_sensor_service():
    cfg = parse_config(
        {"site": "s", "agent": "a", "toys": {"t1": {"targets": 3, "frames": 80}}}, agent_config_model(TOYS)
    )
    sink = Sink()
    svc = SensorService("s", "a", cfg.sensor_sections(), cfg.detector, sink, build_kinds(TOYS))
    svc.start()
    try:
        wait_until(lambda: sink.kinds(EventKind.SENSOR_OFFLINE), 20, "a sensor_offline event")
        status = svc.sensor_status()
        tele = svc.telemetry()
    finally:
        svc.stop()
    new, ended = sink.kinds(EventKind.TRACK_NEW), sink.kinds(EventKind.TRACK_END)
    assert len(new) == 3 and len({e.track_id for e in new}) == 3  # one track per moving point, clutter never confirmed
    assert {e.track_id for e in ended} == {e.track_id for e in new}  # ended by the reader's end of data
    assert all(e.sensor.kind is SensorKind.RADAR and e.sensor.id == "t1" for e in sink.events)
    assert status[0].kind is SensorKind.RADAR and tele[0].process_fps > 0 and tele[0].detection_fps > 0


def test_toy_kind_runs_through_the_agent_into_the_outbox(tmp_path: Path):
    path = tmp_path / "agent.toml"
    path.write_text(
        f"""
site = "s"
agent = "a"
state_dir = "{tmp_path / "state"}"
[broker]
host = "127.0.0.1"
port = {free_port()}
[toys.t1]
targets = 2
frames = 60
""",
        encoding="utf-8",
    )
    agent = Agent(load_agent_config(path, TOYS))
    stop = threading.Event()
    runner = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    runner.start()
    try:
        wait_until(
            lambda: any(e.kind is EventKind.SENSOR_OFFLINE for e in agent.outbox.pending(1000)),
            20,
            "sensor_offline in the outbox",
        )
        stored = agent.outbox.pending(1000)
        birth = agent.birth()
    finally:
        stop.set()
        runner.join(20)
    assert not runner.is_alive()
    seqs = [e.seq for e in stored]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # numbered by the outbox, none lost
    new = [e for e in stored if e.kind is EventKind.TRACK_NEW]
    assert len(new) == 2 and all(e.polar is not None and e.box is None for e in new)
    assert [(s.id, s.kind) for s in birth.sensors] == [("t1", SensorKind.RADAR)]


def test_each_stage_states_its_frame_format():
    """The camera kind owns 8-bit BGR; evidence takes only the 8-bit BGR picture a kind rendered."""
    thermal = Frame("cam", 0.0, 0, np.zeros((48, 64), np.uint16))
    with pytest.raises(ValueError, match="HxWx3 uint8 BGR"):
        check_frame(thermal)
    check_frame(Frame("cam", 0.0, 0, np.zeros((48, 64, 3), np.uint8)))
    with pytest.raises(ValueError, match=r"Snapshot\.frame"):
        Snapshot("t1", ("e",), thermal.data, np.zeros((0, 4)), (), np.zeros(0, bool), 10_000, 640)
