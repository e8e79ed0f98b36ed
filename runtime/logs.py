"""Structured logging for every borderwatch process: one logger per component, key=value or JSON.

Why a redacting filter at the handler: credentials can reach a log line through an exception
message from OpenCV, paho or an HTTP library, not only through our own format strings.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s:]+(?::[^/@\s]*)?@")
_KEY_SECRETS = re.compile(r"(?i)\b(password|passwd|token|secret|api_key)=([^\s,;&]+)")


def redact(text: str) -> str:
    """Remove user:password@ from URLs and values of password=/token= pairs."""
    text = _URL_CREDENTIALS.sub(r"\g<scheme>***@", text)
    return _KEY_SECRETS.sub(r"\1=***", text)


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
