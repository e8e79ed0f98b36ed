"""`make demo` gives the console a map: the hub config the demo writes carries a ``[console]`` site
plan built from the simulated site (the agent's mast, each camera, imager and radar it runs with its view,
the border line), and the hub accepts it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from borderwatch.deploy.demo_configs import DemoLayout, write_configs
from borderwatch.hub.config import load_hub_config
from borderwatch.simulators.scenario import load_scenario


@pytest.mark.parametrize("name", ["border-crossing", "border-crossing-night", "simulators/scenarios/radar-far.toml"])
def test_the_demo_hub_config_draws_the_simulated_site(tmp_path: Path, name: str) -> None:
    scn = load_scenario(name)
    layout = DemoLayout(tmp_path / "run", broker_port=1883, api_port=8080, camera_base_port=9000)
    write_configs(scn, layout)
    cfg = load_hub_config(layout.hub_config)
    (site,) = cfg.console.sites
    assert site.name == scn.site
    assert [tuple(p) for p in site.border] == [tuple(p) for p in scn.border.points]
    (mast,) = site.masts
    assert mast.agent == layout.agent
    agent = tomllib.loads(layout.agent_config.read_text(encoding="utf-8"))
    runs = sorted([*agent.get("cameras", {}), *agent.get("thermals", {}), *agent.get("radars", {})])
    assert sorted(s.id for s in mast.sensors) == runs and runs  # what the agent runs, nothing else
    first = (scn.cameras or scn.thermals)[0].pose
    assert (mast.lat, mast.lon) == (first.lat, first.lon)
    for s in mast.sensors:
        if s.kind.value == "radar":
            r = next(x for x in scn.sensors if x.id == s.id)
            assert (s.heading_deg, s.fov_deg, s.range_m) == (r.heading_deg % 360, r.fov_deg, r.range_m)
            continue
        pose = next(x.pose for x in [*scn.cameras, *scn.thermals] if x.id == s.id)
        assert s.fov_deg == pose.hfov_deg and s.heading_deg == pose.heading_deg % 360
        assert s.range_m == scn.terrain.extent_m


def test_an_imager_without_cameras_still_gets_the_border_line(tmp_path: Path) -> None:
    # The imager's border line is the scenario's, not borrowed from a camera that may not be there.
    river = load_scenario("simulators/scenarios/river-distress.toml")
    scn = river.model_copy(update={"cameras": []})
    layout = DemoLayout(tmp_path / "run", broker_port=1883, api_port=8080, camera_base_port=9000)
    write_configs(scn, layout)
    agent = tomllib.loads(layout.agent_config.read_text(encoding="utf-8"))
    (imager,) = agent["thermals"].values()
    (line,) = imager["lines"]
    assert [tuple(p) for p in line["points"]] == [tuple(p) for p in scn.border.points]
    assert (line["coords"], line["inbound_side"]) == ("geo", scn.border.inbound_side)
