"""Alert rules and grouping: one situation is one alert, different situations are not merged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

from borderwatch.contract import Event, GeoPosition
from borderwatch.hub.alerts.config import AlertsConfig
from borderwatch.hub.alerts.engine import AlertEngine
from borderwatch.hub.alerts.store import SqliteAlertStore

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
_ids = count()


def crossing(
    dt: float = 0.0,
    cls: str = "person",
    direction: str = "inbound",
    lat: float = 52.0,
    lon: float = 14.0,
    sensor: str = "cam1",
    track: int = 1,
    conf: float = 0.9,
    kind: str = "line_crossing",
) -> Event:
    n = next(_ids)
    return Event.model_validate(
        {
            "id": f"evt{n:08d}",
            "seq": n,
            "ts": (T0 + timedelta(seconds=dt)).isoformat(),
            "site": "west-1",
            "agent": "mast-01",
            "sensor": {"id": sensor, "kind": "camera"},
            "kind": kind,
            "class": cls,
            "confidence": conf,
            "track_id": track,
            "position": GeoPosition(lat=lat, lon=lon).model_dump(),
            "rule": {"rule": "border", "direction": direction} if kind == "line_crossing" else None,
        }
    )


def engine(tmp_path: Path) -> tuple[AlertEngine, SqliteAlertStore, list]:
    store = SqliteAlertStore(tmp_path / "alerts.sqlite3")
    seen: list = []
    eng = AlertEngine(AlertsConfig(), store, [lambda a, new: seen.append((a, new))])
    return eng, store, seen


def test_person_crossing_raises_one_critical_alert(tmp_path: Path) -> None:
    eng, store, seen = engine(tmp_path)
    fresh = eng.handle([crossing()])
    assert len(fresh) == 1
    assert fresh[0].rule == "border-crossing-person"
    assert fresh[0].severity.value == "critical"
    assert store.count() == 1 and seen[0][1] is True


def test_same_person_seen_by_two_cameras_is_one_alert(tmp_path: Path) -> None:
    eng, store, _ = engine(tmp_path)
    eng.handle([crossing(sensor="cam1", track=4)])
    fresh = eng.handle([crossing(dt=1.5, sensor="cam2", track=9, lat=52.00005)])
    assert fresh == []
    alerts = store.list()
    assert len(alerts) == 1 and len(alerts[0].event_ids) == 2


def test_separate_situations_are_separate_alerts(tmp_path: Path) -> None:
    eng, store, _ = engine(tmp_path)
    eng.handle([crossing()])
    eng.handle([crossing(dt=2, direction="outbound", track=2)])  # other direction
    eng.handle([crossing(dt=3, lat=52.01, track=3)])  # about 1.1 km away
    eng.handle([crossing(dt=120)])  # long after the window
    assert store.count() == 4


def test_animals_and_low_confidence_do_not_alert(tmp_path: Path) -> None:
    eng, store, _ = engine(tmp_path)
    eng.handle([crossing(cls="animal"), crossing(conf=0.1), crossing(kind="track_new")])
    assert store.count() == 0


def test_alerts_survive_reopen(tmp_path: Path) -> None:
    eng, store, _ = engine(tmp_path)
    (alert,) = eng.handle([crossing()])
    store.close()
    again = SqliteAlertStore(tmp_path / "alerts.sqlite3")
    assert again.get(alert.id) == alert
