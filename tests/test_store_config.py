"""[store] config: discriminated union, refused keys and bounds, token sources, backend table."""

from __future__ import annotations

import tomllib

import pytest
from pydantic import BaseModel, ConfigDict, Field

from borderwatch.hub.store import BACKENDS, open_store
from borderwatch.hub.store.config import InfluxStoreConfig, SqliteStoreConfig, StoreConfig, resolve_token
from borderwatch.hub.store.sqlite import SqliteStore
from borderwatch.runtime.configfile import ConfigError, parse_config


class HubSection(BaseModel):
    """How the hub config is expected to embed the section."""

    model_config = ConfigDict(extra="forbid")
    store: StoreConfig = Field(default_factory=SqliteStoreConfig)


def test_default_is_sqlite():
    assert isinstance(HubSection().store, SqliteStoreConfig)
    assert set(BACKENDS) == {"sqlite", "influxdb"}


def test_influx_section_parses():
    cfg = parse_config({"store": {"type": "influxdb", "url": "http://db:8086", "batch_size": 1000}}, HubSection)
    assert isinstance(cfg.store, InfluxStoreConfig) and cfg.store.batch_size == 1000


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ({"type": "influxdb", "batch_sise": 10}, "store.batch_sise = 10: unknown key"),
        (
            {"type": "influxdb", "batch_size": 0},
            "store.batch_size = 0: Input should be greater than or equal to 1",
        ),
        (
            {"type": "sqlite", "retention": {"events_days": -1}},
            "store.retention.events_days = -1: Input should be greater",
        ),
        ({"type": "postgres"}, "store"),
        ({"type": "influxdb", "url": "db:8086"}, "store.url = 'db:8086'"),
        ({"type": "influxdb", "token": "x", "token_env": "Y"}, "at most one of token"),
        ({"type": "influxdb", "retry_initial_s": 5, "retry_max_s": 1}, "retry_max_s"),
    ],
)
def test_bad_sections_refused_with_path(store, message):
    with pytest.raises(ConfigError) as err:
        parse_config({"store": store}, HubSection, "hub.toml")
    assert message in str(err.value)


@pytest.mark.parametrize(
    ("url", "gzip", "compress"),
    [
        ("http://127.0.0.1:8428", "auto", False),
        ("http://localhost:8086", "auto", False),
        ("http://[::1]:8086", "auto", False),
        ("https://tsdb.example.org:8086", "auto", True),
        ("http://10.1.2.3:8086", "auto", True),
        ("http://127.0.0.1:8428", True, True),
        ("https://tsdb.example.org", False, False),
    ],
)
def test_gzip_auto_compresses_for_other_machines_only(url, gzip, compress):
    assert InfluxStoreConfig(url=url, gzip=gzip).compress is compress


def test_token_sources(tmp_path, monkeypatch):
    monkeypatch.setenv("BORDERWATCH_INFLUX_TOKEN", "from-default-env")
    assert resolve_token(InfluxStoreConfig()) == "from-default-env"
    monkeypatch.setenv("MY_TOKEN", "from-env")
    assert resolve_token(InfluxStoreConfig(token_env="MY_TOKEN")) == "from-env"
    (tmp_path / "tok").write_text("from-file\n")
    assert resolve_token(InfluxStoreConfig(token_file=tmp_path / "tok")) == "from-file"
    inline = InfluxStoreConfig(token="inline-secret")
    assert resolve_token(inline) == "inline-secret"
    assert "inline-secret" not in repr(inline) and "inline-secret" not in str(inline.model_dump())


def test_open_store_sqlite(tmp_path):
    store = open_store(SqliteStoreConfig(path=tmp_path / "x" / "hub.sqlite"))
    assert isinstance(store, SqliteStore)
    store.close()


EXAMPLE_SQLITE = """
[store]
type = "sqlite"
path = "data/hub.sqlite"
synchronous = "FULL"
[store.retention]
events_days = 90
telemetry_days = 14
dead_letters_days = 30
alerts_days = 365
check_interval_s = 600
"""

EXAMPLE_INFLUX = """
[store]
type = "influxdb"
url = "http://127.0.0.1:8086"
org = "borderwatch"
token_file = "/etc/borderwatch/secrets/hub-writer.token"
precision = "ns"          # "ms" for VictoriaMetrics
batch_size = 5000
flush_interval_ms = 10
max_buffer_points = 200000
overflow_wait_s = 5.0
gzip = true
gzip_level = 1
retry_initial_s = 0.5
retry_max_s = 30.0
retry_budget_s = 300.0
dead_letter_path = "data/dead_letters.sqlite"
[store.buckets]
events = "bw_events"
telemetry = "bw_telemetry"
alerts = "bw_alerts"
dead_letters = "bw_dead_letters"
"""


@pytest.mark.parametrize("text", [EXAMPLE_SQLITE, EXAMPLE_INFLUX], ids=["sqlite", "influxdb"])
def test_documented_examples_parse(text):
    cfg = parse_config(tomllib.loads(text), HubSection, "example.toml")
    assert cfg.store.type in ("sqlite", "influxdb")
