"""The console in a real headless chromium against a real hub (SQLite, Mosquitto, uvicorn).

An operator logs in with a token, a crossing published over MQTT arrives in the page live (SSE
read with fetch streaming), the operator acknowledges it in the page and sees the audit entry in
the alert's history; the admin's audit API shows the same entry. The page runs under the
console's strict CSP: the browser log must hold no CSP violation.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from borderwatch.contract import Channel, EventBatch, topic
from borderwatch.hub.api.app import create_app
from borderwatch.hub.api.tokens import Role
from borderwatch.hub.app import Hub
from borderwatch.hub.config import HubConfig
from borderwatch.runtime.configfile import parse_config
from tests.support import browser
from tests.support.alerts import event
from tests.support.broker import Mosquitto
from tests.support.hub import local_hub_sections
from tests.support.mqtt_peer import Raw
from tests.support.server import serving

pytestmark = [pytest.mark.integration, pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))]
SITE, AGENT = "west-1", "mast-01"
SENSORS = [{"id": "cam1", "kind": "camera", "heading_deg": 0, "fov_deg": 60, "range_m": 250},
           {"id": "rad1", "kind": "radar", "heading_deg": 0, "fov_deg": 120, "range_m": 400}]  # fmt: skip
MAST = {"agent": AGENT, "lat": 51.999, "lon": 14.0, "sensors": SENSORS}
PLAN = {"sites": [{"name": SITE, "border": [[52.0005, 13.998], [52.0005, 14.002]], "masts": [MAST]}]}


FIRST_ALERT = """const li = document.querySelector(`#alert-list li[data-state='${arguments[0]}']`);
return li && {id: li.dataset.id, severity: li.dataset.severity};"""
HISTORY = """const li = document.querySelector(`#d-history li[data-action='${arguments[0]}']`);
return li && li.textContent;"""


@pytest.fixture
def running(tmp_path: Path, mosquitto: Mosquitto) -> Iterator[tuple[Hub, Mosquitto, str]]:
    cfg = parse_config(local_hub_sections(tmp_path / "hub", mosquitto.port) | {"console": PLAN}, HubConfig)
    hub = Hub(cfg)
    hub.start()
    assert hub.service.wait_connected(10)
    try:
        with serving(create_app(hub.context(), cfg.api, cfg.console)) as url:
            yield hub, mosquitto, url
    finally:
        hub.stop()


def test_operator_sees_a_live_alert_acknowledges_it_and_sees_the_audit(running, tmp_path: Path) -> None:
    hub, broker, url = running
    _, op_token = hub.tokens.create("duty-officer", Role.OPERATOR)
    _, admin_token = hub.tokens.create("auditor", Role.ADMIN)
    with browser.chromium(tmp_path / "profile") as driver:
        wait = WebDriverWait(driver, 20, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException])
        driver.get(f"{url}/console/")
        driver.find_element(By.ID, "token").send_keys(op_token)
        driver.find_element(By.ID, "login-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "stream-state"), "live"))
        assert "duty-officer (operator)" in driver.find_element(By.ID, "who").text
        assert driver.find_elements(By.CSS_SELECTOR, "#plan [data-mast='mast-01']"), "the site plan draws the mast"
        assert len(driver.find_elements(By.CSS_SELECTOR, "#plan path.fov")) == 2

        crossing = event(0, "camera", "cam1", ts=datetime.now(UTC), lat=52.0006, agent=AGENT, site=SITE, track=7)
        mqtt = Raw(broker.port)
        batch = EventBatch(site=SITE, agent=AGENT, sent_at=datetime.now(UTC), events=[crossing])
        mqtt.publish(topic(SITE, AGENT, Channel.EVENTS), batch.model_dump_json(by_alias=True, exclude_none=True))
        # the page re-renders on every stream message: read and click through fresh lookups
        first = wait.until(lambda d: d.execute_script(FIRST_ALERT, "firing"))
        assert first["severity"] == "critical"
        alert_id = first["id"]
        wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, f"#plan [data-alert='{alert_id}']")))

        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"#alert-list li[data-id='{alert_id}']").click() or True)
        wait.until(ec.element_to_be_clickable((By.ID, "act-ack")))
        driver.find_element(By.ID, "act-comment-text").send_keys("patrol 3 sent")
        driver.find_element(By.ID, "act-ack").click()
        wait.until(lambda d: d.execute_script(FIRST_ALERT, "acknowledged"))
        entry = wait.until(lambda d: d.execute_script(HISTORY, "ack"))
        assert "duty-officer" in entry and "patrol 3 sent" in entry
        logs = [e["message"] for e in driver.get_log("browser")]
        mqtt.close()

    audit = httpx.get(f"{url}/api/v1/audit", params={"alert_id": alert_id},
                      headers={"Authorization": f"Bearer {admin_token}"}, timeout=5).json()  # fmt: skip
    assert [(e["action"], e["who"], e["comment"]) for e in audit] == [("ack", "duty-officer", "patrol 3 sent")]
    assert not [m for m in logs if "Content Security Policy" in m], logs


def test_a_viewer_gets_no_operator_buttons(running, tmp_path: Path) -> None:
    hub, _, url = running
    _, token = hub.tokens.create("watcher", Role.VIEWER)
    with browser.chromium(tmp_path / "profile") as driver:
        wait = WebDriverWait(driver, 20, poll_frequency=0.1)
        driver.get(f"{url}/console/")
        driver.find_element(By.ID, "token").send_keys("not-a-token")
        driver.find_element(By.ID, "login-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "login-error"), "unknown or revoked"))
        driver.find_element(By.ID, "token").clear()
        driver.find_element(By.ID, "token").send_keys(token)
        driver.find_element(By.ID, "login-button").click()
        wait.until(ec.text_to_be_present_in_element((By.ID, "who"), "watcher (viewer)"))
        assert "hidden" in (driver.find_element(By.ID, "actions").get_attribute("class") or "")
