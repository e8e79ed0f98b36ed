"""Structured logging for every borderwatch process: one logger per component, key=value or JSON.

Why a redacting filter at the handler: credentials can reach a log line through an exception
message from OpenCV, paho or an HTTP library, not only through our own format strings
(runtime/redact.py says what it masks).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from borderwatch.runtime.redact import redact


class _KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        msg = redact(record.getMessage())
        line = f"ts={ts} level={record.levelname.lower()} logger={record.name} msg={msg}"
        if record.exc_info:
            line += " exc=" + redact(self.formatException(record.exc_info)).replace("\n", " | ")
        return line


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        if record.exc_info:
            doc["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(doc)


def setup_logging(level: str = "info", fmt: str = "kv", stream: object = None) -> None:
    """Configure the root ``borderwatch`` logger once per process."""
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(_JsonFormatter() if fmt == "json" else _KeyValueFormatter())
    root = logging.getLogger("borderwatch")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
    for noisy in ("amqtt", "transitions", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
