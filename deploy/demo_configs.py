"""Configs of the demo's processes, derived from the scenario so that poses and the border agree."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from borderwatch.deploy.credentials import agent_identity, resolve_secret, set_password
from borderwatch.simulators.scenario import CameraPose, Scenario

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"
DEMO_ACL = Path(__file__).resolve().parent / "mosquitto" / "borderwatch.acl"
"""The shipped ACL: the demo's broker pins its agent as production does (absent from a wheel)."""
HUB_USER = "hub"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoLayout:
    """Where one demo or eval run keeps its files (configs, secrets, the hub's stores, the truth) and the
    local ports of its processes; the simulated cameras, imagers and radars listen from ``camera_base_port`` on."""

    run_dir: Path
    broker_port: int
    api_port: int
    camera_base_port: int
    agent: str = "mast-01"
    hub_id: str = "hub"
    agent_broker_port: int | None = None  # the agent reaches the broker here (the eval's partition proxy)

    @property
    def hub_config(self) -> Path:
        return self.run_dir / "hub.toml"

    @property
    def agent_config(self) -> Path:
        return self.run_dir / "agent.toml"

    @property
    def truth(self) -> Path:
        return self.run_dir / "truth.jsonl"

    @property
    def events_db(self) -> Path:
        return self.run_dir / "hub" / "events.sqlite3"

    @property
    def alerts_db(self) -> Path:
        return self.run_dir / "hub" / "alerts.sqlite3"

    @property
    def passwd(self) -> Path:
        """The broker's password file (``$7$`` hashes of the demo's generated secrets)."""
        return self.run_dir / "broker" / "passwd"

    def secret(self, identity: str) -> Path:
        """Where the generated secret of one broker identity is kept (0600)."""
        return self.run_dir / "secrets" / f"{identity.replace('/', '_')}.secret"


def write_credentials(scn: Scenario, layout: DemoLayout) -> None:
    """A generated password for the hub and for the agent (``SITE/AGENT``), as in the field."""
    for identity in (HUB_USER, agent_identity(scn.site, layout.agent)):
        secret, _ = resolve_secret(None, None, layout.secret(identity))
        set_password(layout.passwd, identity, secret)


def shipped_model(kind: str) -> str | None:
    """Name of the first model of sensor ``kind`` in the manifest, or None (model-free fallback). A manifest
    that cannot be read is logged, not raised: the run goes on, on the fallback, and the log says why."""
    try:
        from borderwatch.models.registry import load_manifest

        return next((m.name for m in load_manifest() if m.kind == kind), None)
    except (OSError, ValueError) as exc:
        log.warning("no shipped %s model, model-free fallback: the models manifest cannot be read (%s)", kind, exc)
        return None


def shipped_camera_model() -> str | None:
    """Name of the first camera model in the manifest, or None (motion-blob fallback)."""
    return shipped_model("camera")


def hub_config(layout: DemoLayout, scn: Scenario | None = None) -> dict[str, Any]:
    """The hub's config on SQLite under the run folder; with ``scn``, the console's plan of the simulated site."""
    hub_dir = layout.run_dir / "hub"
    console = {"console": {"sites": [site_plan(scn, layout)]}} if scn is not None else {}
    return {
        "hub_id": layout.hub_id,
        "broker": _broker(layout, HUB_USER),
        "store": {"type": "sqlite", "path": str(layout.events_db)},
        "delivery": {"ledger_path": str(hub_dir / "ledger.sqlite3"), "mqtt_version": "3.1.1"},
        "alerts": {"db_path": str(layout.alerts_db)},
        "evidence": {"dir": str(hub_dir / "evidence")},
        "api": {"host": "127.0.0.1", "port": layout.api_port},
        **console,
    }


def site_plan(scn: Scenario, layout: DemoLayout) -> dict[str, Any]:
    """The console's ``[[console.sites]]`` entry for the simulated site: the demo's one mast where
    its first camera (or imager) stands, each camera, imager and radar its agent runs with its view,
    and the border line. A camera's or imager's range is the half-size of the simulated ground
    (nothing is drawn, so nothing can be seen, beyond it); a radar's is the scenario's own."""
    reach = scn.terrain.extent_m
    sensors = [{"id": c.id, "kind": "camera", "heading_deg": c.pose.heading_deg % 360, "fov_deg": c.pose.hfov_deg,
                "range_m": reach} for c in scn.cameras]  # fmt: skip
    sensors += [{"id": t.id, "kind": "thermal", "heading_deg": t.pose.heading_deg % 360, "fov_deg": t.pose.hfov_deg,
                 "range_m": reach} for t in scn.thermals]  # fmt: skip
    sensors += [{"id": r.id, "kind": "radar", "heading_deg": r.heading_deg % 360, "fov_deg": r.fov_deg,
                 "range_m": r.range_m} for r in scn.sensors if r.kind == "radar"]  # fmt: skip
    poses = [c.pose for c in scn.cameras] + [t.pose for t in scn.thermals]
    lat, lon = (poses[0].lat, poses[0].lon) if poses else (scn.origin.lat, scn.origin.lon)
    return {
        "name": scn.site,
        "masts": [{"agent": layout.agent, "lat": lat, "lon": lon, "sensors": sensors}],
        "border": [list(pt) for pt in scn.border.points],
    }


def _camera(scn: Scenario, index: int, layout: DemoLayout, model: str | None) -> dict[str, Any]:
    spec = scn.cameras[index]
    return {
        "url": f"http://127.0.0.1:{layout.camera_base_port + index}/video",
        "fps": min(spec.fps, 5.0),  # the technician guide's rate: plenty for people and vehicles, CPU to spare
        "pose": _pose(spec.pose),
        "detection": {"model": model} if model else {},
        "lines": _border_lines(scn),
        "evidence": {"dir": str(layout.run_dir / "agent" / "evidence")},
    }


def _border_lines(scn: Scenario) -> list[dict[str, Any]]:
    """The ``lines`` of every sensor of the site: the scenario's border, in lat/lon."""
    border = scn.border
    points = [list(pt) for pt in border.points]
    return [{"name": "border", "coords": "geo", "points": points, "inbound_side": border.inbound_side}]


def _pose(p: CameraPose) -> dict[str, float]:
    return {
        "lat": p.lat,
        "lon": p.lon,
        "height_m": p.height_m,
        "heading_deg": p.heading_deg % 360,
        "tilt_deg": p.tilt_deg,
        "hfov_deg": p.hfov_deg,
    }


def _thermal(scn: Scenario, index: int, layout: DemoLayout, model: str | None) -> dict[str, Any]:
    """Imager k listens after the cameras (``simulators/site.py``); its border line is the scenario's, and the
    scenario's rivers and lakes are its water zones (a person inside gets rescue priority).
    """
    spec = scn.thermals[index]
    port = layout.camera_base_port + len(scn.cameras) + index
    water = [{"name": w.name, "coords": "geo", "points": [list(p) for p in w.points]} for w in scn.water]
    return {
        "url": f"tcp://127.0.0.1:{port}",
        "fps": min(spec.fps, 9.0),
        "pose": _pose(spec.pose),
        **({"model": model} if model else {}),
        "lines": _border_lines(scn),
        **({"distress": {"water_zones": water}} if water else {}),
        "evidence": {"dir": str(layout.run_dir / "agent" / "evidence")},
    }


def _radar(scn: Scenario, index: int, layout: DemoLayout, model: str | None) -> dict[str, Any]:
    """Radar k of ``scn.sensors`` listens for the site's ASTERIX datagrams after the cameras' and
    imagers' ports (``simulators/site.py``); its border line is the scenario's, in lat/lon."""
    spec = [s for s in scn.sensors if s.kind == "radar"][index]
    port = layout.camera_base_port + len(scn.cameras) + len(scn.thermals) + index
    return {
        "protocol": "asterix",
        "listen_host": "127.0.0.1",
        "listen_port": port,
        "pose": {"lat": spec.lat, "lon": spec.lon, "heading_deg": spec.heading_deg % 360},
        "max_range_m": spec.range_m,
        "tracker": {"cluster_m": 8.0},  # a vehicle's returns spread over its length: one target, not two
        **({"model": model} if model else {}),
        "lines": _border_lines(scn),
    }


def agent_config(scn: Scenario, layout: DemoLayout) -> dict[str, Any]:
    """The edge agent's config: every camera, imager and radar of the scenario with the shipped models."""
    model = shipped_camera_model()
    thermals = {t.id: _thermal(scn, i, layout, shipped_model("thermal")) for i, t in enumerate(scn.thermals)}
    radar_ids = [s.id for s in scn.sensors if s.kind == "radar"]
    radars = {rid: _radar(scn, i, layout, shipped_model("radar")) for i, rid in enumerate(radar_ids)}
    return {
        "site": scn.site,
        "agent": layout.agent,
        "state_dir": str(layout.run_dir / "agent"),
        "telemetry_interval_s": 5.0,
        "broker": _broker(layout, agent_identity(scn.site, layout.agent), layout.agent_broker_port),
        "link": {"mqtt_version": "3.1.1"},
        "detector": {"models_dir": str(MODELS_DIR)},
        "cameras": {c.id: _camera(scn, i, layout, model) for i, c in enumerate(scn.cameras)},
        **({"thermals": thermals} if thermals else {}),
        **({"radars": radars} if radars else {}),
    }


def _broker(layout: DemoLayout, identity: str, port: int | None = None) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": port or layout.broker_port,
        "username": identity,
        "password_file": str(layout.secret(identity)),
    }


def write_configs(scn: Scenario, layout: DemoLayout) -> None:
    """Credentials and both configs (the broker's password file, secrets, hub.toml, agent.toml)."""
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    write_credentials(scn, layout)
    layout.hub_config.write_text(tomli_w.dumps(hub_config(layout, scn)), encoding="utf-8")
    layout.agent_config.write_text(tomli_w.dumps(agent_config(scn, layout)), encoding="utf-8")
