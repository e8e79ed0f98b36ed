"""Rules reload from the hub's own config file, by SIGHUP: a valid file swaps the rules, a broken
one is refused with the path of what is wrong and the rules in force stay."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from borderwatch.hub.alerts.base import AuditQuery
from borderwatch.hub.app import Hub, _reload_on_sighup
from borderwatch.hub.config import load_hub_config
from borderwatch.runtime.configfile import ConfigError
from tests.support.waits import wait_until


def write(path: Path, state: Path, rules: str) -> Path:
    path.write_text(f"""
[store]
type = "sqlite"
path = "{state / "events.sqlite3"}"
[delivery]
ledger_path = "{state / "ledger.sqlite3"}"
[alerts]
db_path = "{state / "alerts.sqlite3"}"
[evidence]
dir = "{state / "evidence"}"
{rules}
""")
    return path


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[tuple[Hub, Path]]:
    cfg_path = write(tmp_path / "hub.toml", tmp_path, "")
    h = Hub(load_hub_config(cfg_path), cfg_path)
    before = signal.getsignal(signal.SIGHUP)
    yield h, cfg_path
    signal.signal(signal.SIGHUP, before)
    h.stop()


def test_sighup_swaps_rules_and_a_broken_file_keeps_them(hub: tuple[Hub, Path], tmp_path: Path, caplog) -> None:
    h, cfg_path = hub
    _reload_on_sighup(h)
    write(cfg_path, tmp_path, '[[alerts.rules]]\nname = "vehicles-only"\nclasses = ["vehicle"]\n')
    os.kill(os.getpid(), signal.SIGHUP)
    wait_until(lambda: [r.name for r in h.engine.config.rules] == ["vehicles-only"], 10, "rules reloaded")
    write(cfg_path, tmp_path, '[[alerts.rules]]\nname = "bad"\nzone = "nowhere"\n')
    with pytest.raises(ConfigError, match=r"rules\[0\]\.zone 'nowhere'"):
        h.reload_rules("admin-1")
    os.kill(os.getpid(), signal.SIGHUP)
    wait_until(lambda: "reload refused, old rules kept" in caplog.text, 10, "refusal logged")
    assert [r.name for r in h.engine.config.rules] == ["vehicles-only"]
    assert [e.who for e in h.alert_store.audit_log(AuditQuery())] == ["SIGHUP"]
