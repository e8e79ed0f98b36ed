"""Generate the contract's JSON Schema into docs/contract/ (``python -m borderwatch.contract.schema``).

The files are the contract for third parties (mosquitto_sub, Node-RED, Telegraf's json_v2);
tests/test_contract.py regenerates them in memory and fails when they drift.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from borderwatch.contract.alerts import Alert
from borderwatch.contract.commands import Command, CommandAck, DeliveryConfirm
from borderwatch.contract.events import EventBatch
from borderwatch.contract.status import AgentStatus, Telemetry
from borderwatch.contract.topics import Channel

SCHEMAS: dict[Channel, type[BaseModel]] = {
    Channel.STATUS: AgentStatus,
    Channel.EVENTS: EventBatch,
    Channel.TELEMETRY: Telemetry,
    Channel.COMMAND: Command,
    Channel.COMMAND_ACK: CommandAck,
    Channel.DELIVERY: DeliveryConfirm,
    Channel.ALERTS: Alert,
}
"""The payload model of each JSON channel (evidence carries raw JPEG bytes)."""

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "docs" / "contract"


def render() -> dict[str, str]:
    """File name -> JSON text, for every channel's payload schema."""
    out: dict[str, str] = {}
    for channel, model in SCHEMAS.items():
        schema = model.model_json_schema(by_alias=True, mode="serialization")
        schema["$id"] = f"https://borderwatch.dev/contract/v1/{channel.value}.json"
        schema["x-mqtt-topic"] = f"bw/v1/<site>/<agent>/{channel.value}"
        out[f"{channel.value}.schema.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return out


def write(directory: Path = DEFAULT_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in render().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR):
        print(p)
