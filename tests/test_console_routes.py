"""The console's files and routes without a browser: strict CSP, token rules, the site plan
config's validation, and the CAP export route (real SQLite stores and tokens)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import xmlschema
from pydantic import ValidationError

from borderwatch.hub.agents import AgentRegistry
from borderwatch.hub.alerts.config import AlertsConfig
from borderwatch.hub.alerts.engine import AlertEngine
from borderwatch.hub.alerts.store import SqliteAlertStore
from borderwatch.hub.api.context import HubContext
from borderwatch.hub.api.tokens import Role, TokenStore
from borderwatch.hub.config import HubConfig
from borderwatch.hub.console.config import ConsoleConfig
from borderwatch.hub.console.routes import CONSOLE_CSP
from borderwatch.runtime.configfile import ConfigError, parse_config
from tests.support.alerts import event
from tests.support.api import client_as

SCHEMA = xmlschema.XMLSchema(Path(__file__).parent / "data" / "cap-v1.2.xsd")
PLAN = {"title": "west sector", "sites": [{"name": "west-1", "border": [[52.0, 13.9], [52.0, 14.1]], "masts": [
    {"agent": "mast-01", "lat": 51.99, "lon": 14.0,
     "sensors": [{"id": "cam1", "kind": "camera", "heading_deg": 10, "fov_deg": 60, "range_m": 300}]}]}]}  # fmt: skip


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[HubContext]:
    alerts = SqliteAlertStore(tmp_path / "alerts.sqlite3")
    tokens = TokenStore(tmp_path / "alerts.sqlite3")
    engine = AlertEngine(AlertsConfig(), alerts)
    yield HubContext("hub-1", alerts, None, AgentRegistry(), dict, None, tokens, engine,  # type: ignore[arg-type]
                     cap_sender="ops@centre.example")  # fmt: skip
    alerts.close()
    tokens.close()


def test_page_and_assets_are_served_under_a_strict_csp(ctx: HubContext) -> None:
    anon = client_as(ctx, None)
    for path, kind in (("/console/", "text/html"), ("/console/console.js", "javascript"),
                       ("/console/console.css", "text/css")):  # fmt: skip
        r = anon.get(path)
        assert r.status_code == 200 and kind in r.headers["content-type"], path
        assert r.headers["content-security-policy"] == CONSOLE_CSP
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
    assert "'unsafe-inline'" not in CONSOLE_CSP and "img-src 'self' blob:" in CONSOLE_CSP
    assert anon.get("/console", follow_redirects=False).headers["location"] == "console/"
    page = anon.get("/console/").text
    assert "<script>" not in page and "style=" not in page and "http" not in page.replace('"http://www.w3', "")
    assert anon.get("/api/v1/console/plan").status_code == 401
    assert anon.get("/api/v1/alerts/x/cap").status_code == 401


def test_me_and_plan_need_a_viewer_token(ctx: HubContext) -> None:
    viewer = client_as(ctx, Role.VIEWER, console=ConsoleConfig.model_validate(PLAN))
    me = viewer.get("/api/v1/console/me").json()
    assert me["role"] == "viewer" and me["hub_id"] == "hub-1" and me["name"].startswith("test-viewer")
    plan = viewer.get("/api/v1/console/plan").json()
    assert plan["title"] == "west sector" and plan["sites"][0]["masts"][0]["sensors"][0]["range_m"] == 300
    assert plan["zones"] == []


def test_disabled_console_is_not_served(ctx: HubContext) -> None:
    off = client_as(ctx, Role.VIEWER, console=ConsoleConfig(enabled=False))
    assert off.get("/console/").status_code == 404 and off.get("/api/v1/console/me").status_code == 404


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, "unknown key"),
        ({"sites": [{"name": "a", "border": [[95.0, 1.0], [0.0, 0.0]]}]}, "not a [lat, lon] pair"),
        ({"sites": [{"name": "a", "border": [[1.0, 1.0]]}]}, "at least two points"),
        ({"sites": [{"name": "a"}, {"name": "a"}]}, "site names repeat"),
        ({"sites": [{"name": "a", "masts": [{"agent": "m", "lat": 0, "lon": 0, "sensors": [
            {"id": "c", "kind": "sonar", "heading_deg": 0, "fov_deg": 60, "range_m": 1}]}]}]}, "kind"),
        ({"sites": [{"name": "a", "masts": [{"agent": "m", "lat": 0, "lon": 0, "sensors": [
            {"id": "c", "kind": "camera", "heading_deg": 360, "fov_deg": 60, "range_m": 1}]}]}]}, "heading_deg"),
    ],
)  # fmt: skip
def test_console_config_is_validated(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        parse_config({"console": change}, HubConfig)
    with pytest.raises(ValidationError):
        ConsoleConfig.model_validate(change)


def test_cap_route_exports_a_valid_cap_message(ctx: HubContext) -> None:
    assert ctx.engine is not None
    (a,) = ctx.engine.handle([event(0.0, track=1)])
    viewer = client_as(ctx, Role.VIEWER)
    r = viewer.get(f"/api/v1/alerts/{a.id}/cap")
    assert r.status_code == 200 and r.headers["content-type"] == "application/cap+xml"
    SCHEMA.validate(r.text)
    assert "<sender>ops@centre.example</sender>" in r.text and "<severity>Severe</severity>" in r.text
    assert viewer.get("/api/v1/alerts/nope/cap").status_code == 404
