"""The ``[state]`` section: SQLite by default, PostgreSQL by ``type``; several hubs need a shared event store."""

from __future__ import annotations

import pytest

from borderwatch.hub.config import HubConfig
from borderwatch.runtime.configfile import ConfigError, parse_config


def test_sqlite_is_the_default_and_postgres_is_chosen_by_type() -> None:
    assert HubConfig().state.type == "sqlite"
    cfg = parse_config({"state": {"type": "postgres", "dsn": "postgresql://db/bw", "schema": "fleet_a"}}, HubConfig)
    assert cfg.state.type == "postgres" and cfg.state.schema_name == "fleet_a"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("state", "needle"),
    [
        ({"type": "postgres", "schema": "Robert'); DROP"}, "schema"),
        ({"type": "sqlite", "dsn": "postgresql://db"}, "dsn"),
        ({"type": "mysql"}, "type"),
    ],
)
def test_bad_state_sections_are_refused(state: dict, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        parse_config({"state": state}, HubConfig)


def test_several_hubs_on_postgres_need_a_shared_event_store() -> None:
    fleet = {"state": {"type": "postgres"}, "delivery": {"shared_group": "hubs", "mqtt_version": "5"}}
    with pytest.raises(ConfigError, match="shared event store"):
        parse_config(fleet, HubConfig)
    assert parse_config({**fleet, "store": {"type": "influxdb", "precision": "ms"}}, HubConfig).state.type == "postgres"
