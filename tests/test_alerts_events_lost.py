"""Events lost to a full disk on a mast: the agent's telemetry raises a critical events-lost alert at
once (no debounce), one while the disk stays full, resolved when it has room again."""

from __future__ import annotations

from pathlib import Path

from borderwatch.contract import Degraded, Severity, Telemetry
from borderwatch.hub.alerts.config import AlertsConfig, Health
from borderwatch.hub.alerts.engine import AlertChange, AlertEngine
from borderwatch.hub.alerts.health import loss_fault
from borderwatch.hub.alerts.store import SqliteAlertStore
from tests.support.alerts import at


def tel(dt: float, lost: int, full: bool, agent: str = "mast-01") -> Telemetry:
    return Telemetry(
        site="west-1",
        agent=agent,
        ts=at(dt),
        events_lost_disk_full=lost,
        degraded=[Degraded.DISK_FULL] if full else [],
    )


def test_loss_fault_names_a_full_disk_and_growth():
    assert loss_fault(tel(0, 0, False), 0) is None
    assert loss_fault(tel(0, 50, True), 0) == "disk_full"
    assert loss_fault(tel(0, 50, False), 0) == "events_lost"  # an episode between two reports
    assert loss_fault(tel(0, 50, False), 50) is None  # nothing new


class Run:
    """An engine over a real SQLite store with a hand-driven clock."""

    def __init__(self, tmp_path: Path, cfg: AlertsConfig | None = None) -> None:
        self.now = at(0)
        self.paged: list[AlertChange] = []
        self.store = SqliteAlertStore(tmp_path / "alerts.sqlite3")
        self.engine = AlertEngine(cfg or AlertsConfig(), self.store, [self.paged.append], clock=lambda: self.now)

    def report(self, dt: float, lost: int, full: bool) -> None:
        self.now = at(dt)
        self.engine.on_telemetry(tel(dt, lost, full), self.now)
        self.engine.tick(self.now)

    def pages(self) -> list[tuple[str, str, Severity]]:
        return [(c.alert.rule, c.reason.value, c.alert.severity) for c in self.paged]


def test_a_full_disk_pages_once_at_once_and_resolves_when_space_returns(tmp_path: Path) -> None:
    run = Run(tmp_path)
    run.report(0, 0, False)
    assert run.pages() == []
    run.report(15, 50, True)  # no debounce: lost events are gone for good
    assert run.pages() == [("events-lost", "fired", Severity.CRITICAL)]
    alert = run.paged[0].alert
    assert (alert.site, alert.agent, alert.sensor_id) == ("west-1", "mast-01", None)
    assert "disk is full" in alert.summary
    for dt in (30, 45, 60):  # still full, still losing: the same alert
        run.report(dt, 50 + dt, True)
    assert len(run.pages()) == 1
    run.report(75, 110, False)  # room again: nothing more lost
    assert run.pages()[1:] == [("events-lost", "auto_resolved", Severity.CRITICAL)]


def test_a_loss_between_two_reports_still_pages(tmp_path: Path) -> None:
    run = Run(tmp_path)
    run.report(0, 0, False)
    run.report(15, 7, False)  # the disk filled and emptied between reports: 7 events lost
    assert run.pages() == [("events-lost", "fired", Severity.CRITICAL)]
    assert "grew" in run.paged[0].alert.summary


def test_old_losses_do_not_page_a_restarted_hub(tmp_path: Path) -> None:
    run = Run(tmp_path)
    run.report(0, 50, False)  # the first report this hub hears: its count is the baseline
    run.report(15, 50, False)
    assert run.pages() == []


def test_events_lost_can_be_turned_off(tmp_path: Path) -> None:
    run = Run(tmp_path, AlertsConfig(health=Health(events_lost=False)))
    run.report(0, 50, True)
    assert run.pages() == []


def test_a_restarted_hub_keeps_the_open_alert(tmp_path: Path) -> None:
    run = Run(tmp_path)
    run.report(0, 50, True)
    again = Run(tmp_path)  # same store: the open alert is restored, not raised twice
    again.now = at(10)
    again.report(10, 60, True)
    assert again.pages() == [] and [a.rule for a in again.store.open_alerts()] == ["events-lost"]
