"""Credential redaction for every text that leaves a process: log lines, URLs, error messages.

Credentials reach text through more than our own format strings: OpenCV, paho and HTTP
libraries put URLs (with ``user:password@``) and whole requests into their exceptions, and a
config error echoes the value it refused. So one function, ``redact``, runs over every log line
(runtime/logs.py), every shown URL and every config error; it masks

- URL user info, also when the password holds ``@`` or ``/`` (``rtsp://u:p@ss/w@host`` ->
  ``rtsp://***@host``): everything up to the last ``@`` of the URL's run of text goes;
- values of secret keys written ``key=value``, ``key: value``, ``key = 'value'`` and as JSON or
  Python literals (``"password": "x"``), including prefixed names such as ``BW_MQTT_PASSWORD``;
- ``Bearer``/``Basic`` credentials (an ``Authorization`` header);
- in URL queries also the user name (``?user=bob``) and a bare ``key``.

It errs towards masking too much (a path holding ``@`` loses its head) rather than too little.
"""

from __future__ import annotations

import re

MASK = "***"

SECRET_KEYS = (
    r"pass(?:word|wd|phrase)?",
    r"pwd",
    r"secret",
    r"token",
    r"(?:api|access|private|secret)[_-]?key",
    r"auth(?:orization)?",
    r"credentials?",
)
"""Names (regular expressions) whose values are secret, with any ``prefix_`` (``mqtt_password``)."""

_QUERY_ONLY_KEYS = (r"user(?:name)?", r"key")
"""Further names secret only as URL query parameters, where they come with a password or are one."""

_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^\s\"'<>]*@")
_KEYS = "|".join(SECRET_KEYS)
_KEY_VALUE = re.compile(
    rf"(?i)(?P<key>\b(?:[\w-]*?[_-])?(?:{_KEYS})\b[\"']?\s*[:=]\s*)"
    r"(?:(?P<q>[\"'])(?:\\.|(?!(?P=q))[^\\])*(?P=q)|(?!(?:bearer|basic)\s)[^\s,;&\"'}\])]+)"
)
_QUERY_VALUE = re.compile(rf"(?i)(?P<key>[?&;](?:{'|'.join(_QUERY_ONLY_KEYS)})=)[^&;#\s\"']*")
_AUTH_SCHEME = re.compile(r"(?i)\b(?P<scheme>bearer|basic)\s+[A-Za-z0-9._~+/-]+=*")


def _mask_value(m: re.Match[str]) -> str:
    quote = m.group("q") or ""
    return f"{m.group('key')}{quote}{MASK}{quote}"


def redact(text: str) -> str:
    """``text`` with every credential this module knows how to spot replaced by ``***``."""
    text = _URL_USERINFO.sub(rf"\g<scheme>{MASK}@", text)
    text = _AUTH_SCHEME.sub(rf"\g<scheme> {MASK}", text)
    text = _QUERY_VALUE.sub(rf"\g<key>{MASK}", text)
    return _KEY_VALUE.sub(_mask_value, text)


def redact_url(url: str | int) -> str:
    """A source (URL, path or device index) fit to show: ``rtsp://u:pw@h/x?token=t`` -> ``rtsp://***@h/x?token=***``."""
    return redact(str(url))


def redact_with_url(text: str, url: str | int) -> str:
    """Redact ``text`` and also every secret of ``url`` wherever it stands on its own.

    Libraries sometimes quote a URL's password or user apart from the URL (``auth failed for
    'admin'``); knowing the URL, those pieces can be masked too.
    """
    raw = str(url)
    out = text.replace(raw, redact_url(raw)) if raw else text
    return redact(_mask_each(out, url_secrets(raw)))


def url_secrets(url: str) -> list[str]:
    """The user info, user, password and secret query values of ``url`` (pieces of 3+ characters)."""
    found: list[str] = []
    userinfo = re.match(r"[A-Za-z][A-Za-z0-9+.-]*://([^\s\"'<>]*)@", url)
    if userinfo:
        found += [userinfo.group(1), *userinfo.group(1).split(":", 1)]
    query = re.compile(rf"(?i)[?&;](?:[\w-]*?[_-])?(?:{_KEYS}|{'|'.join(_QUERY_ONLY_KEYS)})=([^&;#\s]+)")
    found += query.findall(url)
    return [s for s in dict.fromkeys(found) if len(s) >= 3]


def _mask_each(text: str, secrets: list[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
