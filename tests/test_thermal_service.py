"""The thermal kind against its simulator: the real reader over TCP (faults: garbage, zeros, flat-field
freezes, a dead stream and its return), the config section, and the kind through the real SensorService.
"""

from __future__ import annotations

import threading

import pytest

from borderwatch.contract.common import SensorKind
from borderwatch.contract.events import Event, EventKind
from borderwatch.edge.config.agent import AgentConfig
from borderwatch.edge.sensor.service import SensorService
from borderwatch.edge.sensors.thermal.config import ThermalConfig
from borderwatch.edge.sensors.thermal.reader import ThermalReader
from borderwatch.runtime.configfile import ConfigError, parse_config
from borderwatch.simulators.camera.server import SimClock
from borderwatch.simulators.scenario import ActorSpec, CameraPose, Scenario, ThermalSpec
from borderwatch.simulators.thermal.render import ThermalRenderer
from borderwatch.simulators.thermal.server import ThermalServer
from tests.support.waits import wait_until

POSE = CameraPose(height_m=8.0, tilt_deg=8.0, hfov_deg=40.0)
WATCHDOG = {"stall_timeout_s": 1.0, "offline_after_s": 0.5, "backoff_initial_s": 0.1, "backoff_max_s": 0.4}


def _server(ffc_every_s: float = 0.0, actors: list[ActorSpec] | None = None) -> ThermalServer:
    spec = ThermalSpec(id="th-1", pose=POSE, width=160, height=120, fps=20.0, ffc_every_s=ffc_every_s, ffc_frames=3)
    scn = Scenario(seed=2, lighting="night", thermals=[spec], actors=actors or [], duration_s=600)
    return ThermalServer(ThermalRenderer(scn, spec), SimClock().start()).start()


def test_reader_skips_bad_frames_and_comes_back_after_the_stream_dies() -> None:
    server = _server(ffc_every_s=1.0)
    reader = ThermalReader("th-1", ThermalConfig(url=server.url, fps=20.0, watchdog=WATCHDOG))
    reader.start()
    try:
        wait_until(lambda: reader.online and reader.bad["frozen"] >= 2, 20, "frames and a flat-field freeze")
        server.set_fault("garbage")
        wait_until(lambda: reader.bad["magic"] >= 3, 20, "garbage counted")
        assert reader.online
        server.set_fault("zeros")
        wait_until(lambda: reader.bad["all_zero"] >= 3, 20, "zero frames counted")
        server.set_fault("kill")
        wait_until(lambda: not reader.online, 20, "offline")
        server.set_fault("none")
        wait_until(lambda: reader.online, 20, "back online")
        assert reader.get(2.0) is not None
        changes = [(c.online, c.reason) for c in reader.pop_changes()]
        assert (False, "stall") in changes or (False, "bad_frames") in changes
        assert changes[-1] == (True, "frames")
        stats = reader.stats()
        assert stats.stalls_1h >= 1 and stats.reconnects_1h >= 1
    finally:
        reader.stop()
        server.stop()


def test_thermal_section_is_validated_with_paths_named() -> None:
    base = {"site": "s", "agent": "a"}
    cfg = parse_config({**base, "thermals": {"th-1": {"url": "tcp://127.0.0.1:9"}}}, AgentConfig)
    assert isinstance(cfg.sensor_sections()["thermals"]["th-1"], ThermalConfig)
    with pytest.raises(ConfigError, match=r"thermals\.th-1\.fsp"):
        parse_config({**base, "thermals": {"th-1": {"fsp": 5}}}, AgentConfig)
    with pytest.raises(ConfigError, match=r"thermals\.th-1\.hotspots\.delta_k"):
        parse_config({**base, "thermals": {"th-1": {"hotspots": {"delta_k": -1}}}}, AgentConfig)
    with pytest.raises(ConfigError, match="tcp://"):
        parse_config({**base, "thermals": {"th-1": {"url": "rtsp://x"}}}, AgentConfig)


class Sink:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.lock = threading.Lock()

    def __call__(self, events: list[Event], evidence: object) -> None:
        with self.lock:
            self.events += events

    def of(self, kind: EventKind) -> list[Event]:
        with self.lock:
            return [e for e in self.events if e.kind is kind]


def test_thermal_kind_runs_through_the_real_sensor_service(tmp_path) -> None:
    walker = ActorSpec(id="p1", cls="person", waypoints=[(-6.0, 30.0), (6.0, 30.0)], speed_mps=1.2, start_s=0.5)
    server = _server(actors=[walker])
    from borderwatch.deploy.demo_configs import MODELS_DIR, shipped_model

    model = shipped_model("thermal")
    section = {
        "url": server.url,
        "fps": 10.0,
        "watchdog": WATCHDOG,
        "pose": POSE.model_dump(include={"height_m", "tilt_deg", "hfov_deg"}),
        "evidence": {"dir": str(tmp_path / "evidence")},
        **({"model": model} if model else {"blob_class": "person"}),
    }
    cfg = parse_config(
        {"site": "s", "agent": "a", "detector": {"models_dir": str(MODELS_DIR)}, "thermals": {"th-1": section}},
        AgentConfig,
    )
    sink = Sink()
    svc = SensorService("s", "a", cfg.sensor_sections(), cfg.detector, sink)
    svc.start()
    try:
        wait_until(lambda: sink.of(EventKind.TRACK_NEW), 30, "a track")
        server.set_fault("kill")
        wait_until(lambda: sink.of(EventKind.SENSOR_OFFLINE), 15, "sensor_offline")
    finally:
        svc.stop()
        server.stop()
    new = sink.of(EventKind.TRACK_NEW)[0]
    assert new.sensor.kind is SensorKind.THERMAL and new.object_class.value == "person"
    assert new.temperature is not None and 29.0 <= new.temperature.max_c <= 38.0
    assert new.position is not None and new.box is not None
    assert [m.name for m in svc.models()] == ([model] if model else [])


def test_sim_thermal_refuses_unknown_imagers_with_exit_2(tmp_path) -> None:
    from borderwatch.simulators.cli import main

    assert main(["sim", "thermal", "--thermal", "nope", "--seconds", "0.1", "--port", "0"]) == 2
    bare = tmp_path / "bare.toml"
    bare.write_text('name = "bare"\n', encoding="utf-8")
    assert main(["sim", "thermal", "--scenario", str(bare), "--seconds", "0.1", "--port", "0"]) == 2


def test_doctor_reads_the_imager_and_names_refused_frames() -> None:
    from borderwatch.edge.doctor import check_thermal

    server = _server()
    try:
        ok = check_thermal("th-1", ThermalConfig(url=server.url, fps=10.0), seconds=1.0)
        server.set_fault("zeros")
        zeros = check_thermal("th-1", ThermalConfig(url=server.url, fps=10.0), seconds=0.5)
    finally:
        server.stop()
    assert ok.status == "PASS" and "160x120 tlinear_0.01" in ok.detail
    assert zeros.status == "FAIL" and "all_zero" in zeros.detail
    dead = check_thermal("th-1", ThermalConfig(url="tcp://127.0.0.1:9", watchdog={"open_timeout_s": 0.5}))
    assert dead.status == "FAIL" and "cannot open" in dead.detail
