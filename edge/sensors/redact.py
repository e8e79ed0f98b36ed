"""Credential redaction for stream URLs: nothing secret may reach a log line or an error."""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]*@")
_SECRET_QUERY = re.compile(r"(?i)([?&;](?:password|passwd|pwd|pass|token|key|auth|secret|user|username)=)[^&;#\s]*")


def redact_url(url: str | int) -> str:
    """``rtsp://user:pw@host/x?token=t`` -> ``rtsp://***@host/x?token=***``; device indexes as text."""
    text = str(url)
    text = _USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)
    return _SECRET_QUERY.sub(lambda m: f"{m.group(1)}***", text)


def redact_text(text: str, url: str | int) -> str:
    """Replace any occurrence of the raw URL (and its credentials) in a message, e.g. an OpenCV error."""
    raw = str(url)
    out = text.replace(raw, redact_url(raw)) if raw else text
    match = re.match(r"[A-Za-z][A-Za-z0-9+.-]*://([^/@\s]*)@", raw)
    secrets = [match.group(1), *match.group(1).split(":")] if match else []
    secrets += [
        m.group(2) for m in re.finditer(r"(?i)[?&;](password|passwd|pwd|pass|token|key|auth|secret)=([^&;#\s]+)", raw)
    ]
    for secret in sorted({s for s in secrets if len(s) >= 3}, key=len, reverse=True):
        out = out.replace(secret, "***")
    return redact_url(out)
