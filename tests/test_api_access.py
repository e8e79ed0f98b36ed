"""API access: tokens and roles on every route but /health, CORS, trusted hosts, security headers,
the docs page served from the hub itself, and no token in any log line. Real SQLite stores."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from borderwatch.contract import Alert, ObjectClass, SensorKind, Severity
from borderwatch.hub.agents import AgentRegistry
from borderwatch.hub.alerts.config import AlertsConfig
from borderwatch.hub.alerts.engine import AlertEngine
from borderwatch.hub.alerts.store import SqliteAlertStore
from borderwatch.hub.api.app import create_app
from borderwatch.hub.api.config import ApiConfig
from borderwatch.hub.api.context import HubContext
from borderwatch.hub.api.tokens import Role, TokenStore
from borderwatch.hub.evidence import EvidenceConfig, EvidenceStore
from borderwatch.hub.store.sqlite import SqliteStore
from tests.support.api import BASE_URL, ISSUED, client_as

ALERT_ID = "alert-0001"
READ_ROUTES = ["/api/v1/alerts", f"/api/v1/alerts/{ALERT_ID}", "/api/v1/agents", "/api/v1/events",
               "/api/v1/stats", "/api/v1/evidence"]  # fmt: skip
ACK = (f"/api/v1/alerts/{ALERT_ID}/ack", {"comment": "on it"})


def _alert() -> Alert:
    return Alert(
        id=ALERT_ID, fingerprint="fp", ts=datetime.now(UTC), rule="border-crossing-person",
        severity=Severity.CRITICAL, site="west-1", agent="mast-01", sensor_id="cam-1",
        sensor_kind=SensorKind.CAMERA, object_class=ObjectClass.PERSON, confidence=0.9, summary="person crossed",
        fired_at=datetime.now(UTC),
    )  # fmt: skip


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[HubContext]:
    alerts = SqliteAlertStore(tmp_path / "alerts.sqlite3")
    alerts.upsert(_alert())
    events = SqliteStore(tmp_path / "events.sqlite3", run_retention=False)
    evidence = EvidenceStore(EvidenceConfig(dir=tmp_path / "evidence"))
    tokens = TokenStore(tmp_path / "alerts.sqlite3")
    engine = AlertEngine(AlertsConfig(), alerts)  # picks up the stored firing alert
    yield HubContext("hub", alerts, events, AgentRegistry(), dict, evidence, tokens, engine)
    for closable in (alerts, events, evidence, tokens):
        closable.close()


@pytest.fixture(autouse=True)
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record at any level, in every test here; none may contain a token handed out."""
    caplog.set_level(logging.DEBUG)
    ISSUED.clear()
    yield caplog
    assert_not_logged(caplog, *ISSUED)


def assert_not_logged(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    text = "\n".join(r.getMessage() for r in caplog.records)
    for s in secrets:
        assert s and s not in text


def test_health_is_open_and_everything_else_needs_a_token(ctx: HubContext, logged) -> None:
    anon = client_as(ctx, None)
    assert anon.get("/health").status_code == 200
    for path in READ_ROUTES:
        resp = anon.get(path)
        assert resp.status_code == 401, path
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert anon.post(ACK[0], json=ACK[1]).status_code == 401
    assert anon.get("/api/v1/tokens").status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer bwt_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "bwt_no-scheme", "Bearer " + "x" * 5000],
)
def test_bad_credentials_get_401_with_a_challenge(ctx: HubContext, header: str, logged) -> None:
    resp = client_as(ctx, None).get("/api/v1/alerts", headers={"Authorization": header})
    assert resp.status_code == 401
    assert "Bearer" in resp.headers["WWW-Authenticate"]
    if secret := header.split(" ")[-1]:
        assert_not_logged(logged, secret)


def test_a_caller_cannot_forge_log_lines(ctx: HubContext, logged) -> None:
    path = "/api/v1/alerts/x%0Ats=forged%20level=error%1B[2K%0D%00"
    client_as(ctx, None).get(path, headers={"Authorization": "Bearer bwt_x"})
    refused = [r.getMessage() for r in logged.records if "token refused" in r.getMessage()]
    assert refused and all(c.isprintable() for m in refused for c in m), refused


def test_a_revoked_token_gets_401_on_its_next_request(ctx: HubContext, logged) -> None:
    api = client_as(ctx, Role.VIEWER)
    secret = api.headers["Authorization"].removeprefix("Bearer ")
    assert api.get("/api/v1/alerts").status_code == 200
    name = ctx.tokens.list()[-1].name
    admin = client_as(ctx, Role.ADMIN)
    assert admin.delete(f"/api/v1/tokens/{name}").json()["revoked_at"] is not None
    resp = api.get("/api/v1/alerts")
    assert resp.status_code == 401
    assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]
    assert_not_logged(logged, secret, admin.headers["Authorization"].removeprefix("Bearer "))


def test_viewer_reads_but_changes_nothing(ctx: HubContext, logged) -> None:
    viewer = client_as(ctx, Role.VIEWER)
    for path in READ_ROUTES:
        assert viewer.get(path).status_code == 200, path
    assert viewer.post(ACK[0], json=ACK[1]).status_code == 403
    assert viewer.get("/api/v1/tokens").status_code == 403
    assert viewer.delete("/api/v1/tokens/1").status_code == 403
    assert ctx.alerts.get(ALERT_ID).state.value == "firing"  # type: ignore[union-attr]
    assert all(t.revoked_at is None for t in ctx.tokens.list())  # type: ignore[union-attr]


def test_operator_changes_alerts_but_cannot_administer(ctx: HubContext, logged) -> None:
    operator = client_as(ctx, Role.OPERATOR)
    resp = operator.post(ACK[0], json=ACK[1])
    assert resp.status_code == 200 and resp.json()["state"] == "acknowledged"
    assert operator.post(ACK[0], json=ACK[1]).status_code == 409  # acknowledged already
    assert operator.post("/api/v1/alerts/no-such-alert/ack", json=ACK[1]).status_code == 404
    assert operator.get("/api/v1/tokens").status_code == 403
    assert operator.delete("/api/v1/tokens/1").status_code == 403
    assert all(t.revoked_at is None for t in ctx.tokens.list())  # type: ignore[union-attr]


def test_admin_lists_tokens_without_secrets(ctx: HubContext) -> None:
    admin = client_as(ctx, Role.ADMIN)
    secret = admin.headers["Authorization"].removeprefix("Bearer ")
    resp = admin.get("/api/v1/tokens")
    assert resp.status_code == 200
    assert [t["role"] for t in resp.json()] == ["admin"]
    assert secret not in resp.text and "sha256" not in resp.text
    assert admin.delete("/api/v1/tokens/nobody").status_code == 404


def test_tokens_are_stored_hashed(ctx: HubContext, tmp_path: Path) -> None:
    _, secret = ctx.tokens.create("hashed", Role.VIEWER)  # type: ignore[union-attr]
    ctx.tokens.close()  # type: ignore[union-attr]
    assert secret.encode() not in (tmp_path / "alerts.sqlite3").read_bytes()
    assert secret.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("alerts.sqlite3*"))


def test_docs_load_from_the_hub_only(ctx: HubContext) -> None:
    api = client_as(ctx, None)
    page = api.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text)
    assert urls and all(not re.match(r"^(https?:)?//", u) for u in urls), urls
    assert not re.search(r"https?://", page.text)
    assert "<script>" not in page.text  # no inline script: the CSP forbids it
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "http" not in csp
    for u in [*urls, "docs/init.js", "openapi.json"]:
        assert api.get(f"/{u}").status_code == 200, u
    assert "validatorUrl: null" in api.get("/docs/init.js").text
    bundle = api.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.headers["Cache-Control"].startswith("public") and bundle.headers["X-Content-Type-Options"]
    assert "bearer" in api.get("/openapi.json").text.lower()


def test_docs_can_be_switched_off(ctx: HubContext) -> None:
    api = client_as(ctx, None, ApiConfig(docs=False))
    assert api.get("/docs").status_code == 404 and api.get("/openapi.json").status_code == 404


def test_cors_preflight_from_an_unconfigured_origin_gets_no_allow_header(ctx: HubContext) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "authorization"}  # fmt: skip
    closed = client_as(ctx, None).options("/api/v1/alerts", headers=preflight)
    assert "access-control-allow-origin" not in closed.headers
    cfg = ApiConfig(cors_origins=["https://console.example"])
    opened = client_as(ctx, None, cfg)
    assert "access-control-allow-origin" not in opened.options("/api/v1/alerts", headers=preflight).headers
    ok = opened.options("/api/v1/alerts", headers={**preflight, "Origin": "https://console.example"})
    assert ok.headers["access-control-allow-origin"] == "https://console.example"


@pytest.mark.parametrize(
    ("cfg", "host", "status"),
    [
        (ApiConfig(), "localhost", 200),
        (ApiConfig(), "127.0.0.1", 200),
        (ApiConfig(), "attacker.example", 400),
        (ApiConfig(host="10.0.0.5"), "10.0.0.5", 200),
        (ApiConfig(trusted_hosts=["hub.example.org"]), "hub.example.org", 200),
        (ApiConfig(trusted_hosts=["hub.example.org"]), "localhost", 400),
    ],
)
def test_trusted_hosts(ctx: HubContext, cfg: ApiConfig, host: str, status: int) -> None:
    resp = TestClient(create_app(ctx, cfg), base_url=f"http://{host}").get("/health")
    assert resp.status_code == status
    assert resp.headers["X-Content-Type-Options"] == "nosniff"


def test_security_headers_on_every_answer(ctx: HubContext) -> None:
    viewer = client_as(ctx, Role.VIEWER)
    for resp in (viewer.get("/health"), viewer.get("/api/v1/alerts"), client_as(ctx, None).get("/api/v1/alerts")):
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in viewer.get("/health").headers


def test_tls_config_needs_both_files_and_sends_hsts(ctx: HubContext, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"ssl_certfile and api\.ssl_keyfile"):
        ApiConfig(ssl_certfile=tmp_path / "cert.pem")
    cfg = ApiConfig(ssl_certfile=tmp_path / "cert.pem", ssl_keyfile=tmp_path / "key.pem")
    assert TestClient(create_app(ctx, cfg), base_url=BASE_URL).get("/health").headers["Strict-Transport-Security"]


def test_without_a_token_store_nothing_but_health_answers(ctx: HubContext) -> None:
    bare = HubContext(ctx.hub_id, ctx.alerts, ctx.events, ctx.agents, ctx.stats, ctx.evidence)
    api = TestClient(create_app(bare), base_url=BASE_URL, headers={"Authorization": "Bearer bwt_anything"})
    assert api.get("/health").status_code == 200
    assert api.get("/api/v1/alerts").status_code == 401
