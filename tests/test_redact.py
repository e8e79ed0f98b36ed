"""runtime/redact.py: one redaction for logs, URLs and errors; no secret survives in any form it knows."""

from __future__ import annotations

import io
import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderwatch.runtime.logs import setup_logging
from borderwatch.runtime.redact import MASK, redact, redact_url, redact_with_url

CASES = [
    # URLs: user info, passwords holding @ and /, queries
    ("rtsp://admin:hunter2@10.0.0.5:554/stream1", "rtsp://***@10.0.0.5:554/stream1"),
    ("rtsp://user:p@ss/w@host/x", "rtsp://***@host/x"),
    ("mqtts://mast-01:a/b@c@broker:8883", "mqtts://***@broker:8883"),
    (
        "http://cam.local/video.mjpg?user=bob&password=pw1&fps=5",
        "http://cam.local/video.mjpg?user=***&password=***&fps=5",
    ),
    ("http://h/x?key=abc&fps=5", "http://h/x?key=***&fps=5"),
    ("open failed rtsp://u:p@h/s: timeout", "open failed rtsp://***@h/s: timeout"),
    # key/value forms
    ("password=x,other=1", "password=***,other=1"),
    ("password: s3cr3t next", "password: *** next"),
    ("password = 'two words'", "password = '***'"),
    ('{"password": "a\\"b", "user": "u"}', '{"password": "***", "user": "u"}'),
    ("{'password': 'x', 'site': 's1'}", "{'password': '***', 'site': 's1'}"),
    ("BW_MQTT_PASSWORD=s3", "BW_MQTT_PASSWORD=***"),
    ("token=abc secret=def api_key=ghi api-key: jkl", "token=*** secret=*** api_key=*** api-key: ***"),
    ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer ***"),
    ("authorization=Basic dXNlcjpw==", "authorization=Basic ***"),
    # what is not a secret stays
    ("password_env = BW_X password_file=/etc/pw", "password_env = BW_X password_file=/etc/pw"),
    ("keyfile=/a/b max_tokens=5 token_count=3", "keyfile=/a/b max_tokens=5 token_count=3"),
    ("mqtt://host:1883/x /var/video/clip.mp4", "mqtt://host:1883/x /var/video/clip.mp4"),
    ("token=***", "token=***"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_redact_table(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_url_takes_device_indexes() -> None:
    assert redact_url(0) == "0"


def test_secrets_of_the_url_are_masked_where_they_stand_alone() -> None:
    url = "http://viewer:s3cr3t@127.0.0.1:9/stream.mjpg?token=t0k3n"
    out = redact_with_url(f"could not open {url}: refused (s3cr3t) user viewer t0k3n", url)
    assert not any(s in out for s in ("s3cr3t", "viewer", "t0k3n")), out
    assert "127.0.0.1:9" in out


_password = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters="\"'<>\\"), min_size=4
)


@given(user=st.from_regex(r"[a-z][a-z0-9_-]{2,12}", fullmatch=True), password=_password)
def test_no_url_password_survives(user: str, password: str) -> None:
    url = f"rtsp://{user}:{password}@cam.example:554/stream"
    # Only what stands between the scheme and the host can leak ("rtsp" itself may be drawn as a password).
    assert password not in redact(url).removeprefix("rtsp://").removesuffix("@cam.example:554/stream")
    assert redact(url).endswith(f"{MASK}@cam.example:554/stream")


@given(password=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1))
def test_no_json_password_survives(password: str) -> None:
    doc = json.dumps({"site": "s1", "password": password})
    assert json.loads(redact(doc)) == {"site": "s1", "password": MASK}


@given(text=st.text())
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@pytest.mark.parametrize("fmt", ["kv", "json"])
def test_log_lines_and_tracebacks_are_redacted(fmt: str) -> None:
    stream = io.StringIO()
    root = logging.getLogger("borderwatch")
    saved = (root.handlers[:], root.level, root.propagate)
    setup_logging("info", fmt, stream)
    try:
        raise ConnectionError("cannot reach mqtt://mast:pa@ss/word@broker:1883 password=hunter2")
    except ConnectionError:
        logging.getLogger("borderwatch.test").exception("connect failed url=%s", "rtsp://u:p@ss@cam/x")
    finally:
        root.handlers[:], root.level, root.propagate = saved
    out = stream.getvalue()
    assert not any(s in out for s in ("pa@ss", "hunter2", "p@ss")), out
    assert "broker:1883" in out and "cam/x" in out


def test_an_unhandled_error_reaches_the_terminal_redacted(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import borderwatch.edge.agent as agent_module
    from borderwatch.deploy.cli import main

    def crash(config: object) -> int:
        raise RuntimeError("cannot open rtsp://admin:hunter2@10.0.0.5/stream")

    monkeypatch.setattr(agent_module, "run_agent", crash)
    root = logging.getLogger("borderwatch")
    saved = (root.handlers[:], root.level, root.propagate)
    try:
        assert main(["edge", "run", "-c", "agent.toml"]) == 1
    finally:
        root.handlers[:], root.level, root.propagate = saved
    err = capsys.readouterr().err
    assert "hunter2" not in err and "rtsp://***@10.0.0.5/stream" in err
