"""The alert API with real SQLite stores and real tokens: acknowledge/resolve/comment with the
audit log, filters and paging, silences, rules reload, /metrics, and the SSE stream over a real
uvicorn server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from borderwatch.hub.agents import AgentRegistry
from borderwatch.hub.alerts.config import AlertRule, AlertsConfig
from borderwatch.hub.alerts.engine import AlertEngine
from borderwatch.hub.alerts.store import SqlAlertStore
from borderwatch.hub.api.app import create_app
from borderwatch.hub.api.broadcast import Broadcaster
from borderwatch.hub.api.context import HubContext
from borderwatch.hub.api.metrics import collect, render
from borderwatch.hub.api.tokens import Role, TokenStore, token_hash
from borderwatch.hub.store.sqlite import SqliteStore
from borderwatch.runtime.configfile import ConfigError
from tests.support.alerts import event
from tests.support.api import client_as
from tests.support.server import serving
from tests.support.waits import wait_until

SCRAPE = "scrape-token-0123456789abcdef"


@pytest.fixture
def ctx(tmp_path: Path, alert_stores: Callable[[], SqlAlertStore]) -> Iterator[HubContext]:
    alerts = alert_stores()  # SQLite and PostgreSQL
    tokens = TokenStore(tmp_path / "alerts.sqlite3")
    events = SqliteStore(tmp_path / "events.sqlite3", run_retention=False)
    live = Broadcaster()
    engine = AlertEngine(AlertsConfig(), alerts, watchers=[lambda c: live.publish("alert", c.alert.model_dump_json())])

    def reload(who: str) -> AlertsConfig:
        if who == "broken-admin":
            raise ConfigError("config hub.toml: 1 error\n  alerts.rules[0].zone 'x' is not one of alerts.zones []")
        cfg = AlertsConfig(rules=[AlertRule(name="only-vehicles", classes=["vehicle"])])
        engine.reload(cfg, who)
        return cfg

    def metrics() -> str:
        return render(collect({"messages": 7, "agents": {"west-1/mast-01": {"received": 7}}},
                              alerts.counts().counts, dict(engine.counts), live.clients()))  # fmt: skip

    yield HubContext("hub", alerts, events, AgentRegistry(), dict, None, tokens, engine, live, reload, metrics,
                     token_hash(SCRAPE))  # fmt: skip
    for closable in (tokens, events):
        closable.close()


def raise_alerts(ctx: HubContext, n: int, **kw) -> list[str]:
    assert ctx.engine is not None
    return [ctx.engine.handle([event(i * 100.0, lat=52.0 + i * 0.01, track=i, **kw)])[0].id for i in range(n)]


def test_operator_acks_then_resolves_and_the_audit_log_shows_both(ctx: HubContext) -> None:
    (aid,) = raise_alerts(ctx, 1)
    viewer, operator, admin = (client_as(ctx, r) for r in (Role.VIEWER, Role.OPERATOR, Role.ADMIN))
    assert viewer.post(f"/api/v1/alerts/{aid}/ack").status_code == 403
    acked = operator.post(f"/api/v1/alerts/{aid}/ack", json={"comment": "team on the way"})
    assert acked.status_code == 200 and acked.json()["state"] == "acknowledged"
    assert operator.post(f"/api/v1/alerts/{aid}/comment", json={"comment": "two people, one child"}).status_code == 200
    assert operator.post(f"/api/v1/alerts/{aid}/resolve").json()["state"] == "resolved"
    assert operator.post(f"/api/v1/alerts/{aid}/ack").status_code == 409
    assert operator.get("/api/v1/audit").status_code == 403
    log = admin.get("/api/v1/audit", params={"alert_id": aid}).json()
    who = operator_name(ctx)
    assert [(e["action"], e["who"], e["comment"]) for e in log] == [
        ("resolve", who, None), ("comment", who, "two people, one child"), ("ack", who, "team on the way")]  # fmt: skip
    assert [e["action"] for e in viewer.get(f"/api/v1/alerts/{aid}/history").json()] == ["resolve", "comment", "ack"]
    assert admin.get("/api/v1/audit", params={"before_id": log[1]["id"]}).json()[0]["action"] == "ack"


def operator_name(ctx: HubContext) -> str:
    assert ctx.tokens is not None
    return next(t.name for t in ctx.tokens.list() if t.role is Role.OPERATOR)


def test_filters_and_cursor_paging(ctx: HubContext) -> None:
    ids = raise_alerts(ctx, 5)
    raise_alerts(ctx, 1, site="east-2")
    api = client_as(ctx)
    seen, cursor = [], None
    while True:
        page = api.get(
            "/api/v1/alerts", params={"limit": 2, "site": "west-1", **({"cursor": cursor} if cursor else {})}
        )
        seen += [a["id"] for a in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]  # newest first, each once
    assert len(api.get("/api/v1/alerts", params={"state": "resolved"}).json()["items"]) == 0
    both = api.get("/api/v1/alerts", params=[("state", "firing"), ("state", "pending"), ("severity", "critical")])
    assert len(both.json()["items"]) == 6
    window = api.get("/api/v1/alerts", params={"since": "2026-11-27T12:01:00Z", "until": "2026-11-27T12:05:00Z"})
    assert len(window.json()["items"]) == 2  # 12:01:40 and 12:03:20; 12:05:00 is the (open) end
    assert api.get("/api/v1/alerts", params={"cursor": "bm9wZQ"}).status_code == 422
    assert api.get("/api/v1/alerts", params={"limit": 1001}).status_code == 422


def test_silences_create_list_expire(ctx: HubContext) -> None:
    operator, viewer = client_as(ctx, Role.OPERATOR), client_as(ctx, Role.VIEWER)
    body = {"site": "west-1", "rule": "border-crossing-person", "duration_s": 600, "comment": "fence works"}
    assert viewer.post("/api/v1/silences", json=body).status_code == 403
    assert operator.post("/api/v1/silences", json={"duration_s": 60, "comment": "all"}).status_code == 422
    made = operator.post("/api/v1/silences", json=body)
    assert made.status_code == 201
    sid = made.json()["id"]
    (aid,) = raise_alerts(ctx, 1)
    assert viewer.get(f"/api/v1/alerts/{aid}").json()["silenced"] is True
    assert [s["id"] for s in viewer.get("/api/v1/silences").json()] == [sid]
    assert operator.delete(f"/api/v1/silences/{sid}").status_code == 200
    assert viewer.get("/api/v1/silences").json() == []
    assert viewer.get("/api/v1/silences", params={"expired": True}).json()[0]["id"] == sid
    assert operator.delete("/api/v1/silences/nope").status_code == 404


def test_rules_are_admin_and_a_broken_reload_keeps_the_old_rules(ctx: HubContext) -> None:
    assert ctx.tokens is not None
    _, broken = ctx.tokens.create("broken-admin", Role.ADMIN)
    admin = client_as(ctx, Role.ADMIN)
    assert client_as(ctx, Role.OPERATOR).post("/api/v1/rules/reload").status_code == 403
    before = admin.get("/api/v1/rules").json()["rules"]
    refused = admin.post("/api/v1/rules/reload", headers={"Authorization": f"Bearer {broken}"})
    assert refused.status_code == 422 and "old rules kept" in refused.json()["detail"]
    assert "alerts.rules[0].zone" in refused.json()["detail"]
    assert admin.get("/api/v1/rules").json()["rules"] == before
    assert admin.post("/api/v1/rules/reload").json() == {"rules": 1, "zones": 0}
    assert [r["name"] for r in admin.get("/api/v1/rules").json()["rules"]] == ["only-vehicles"]


def test_metrics_need_a_viewer_or_the_scrape_token(ctx: HubContext) -> None:
    raise_alerts(ctx, 2)
    anon = client_as(ctx, None)
    assert anon.get("/metrics").status_code == 401
    assert anon.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    for resp in (client_as(ctx).get("/metrics"), anon.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE}"})):
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert 'borderwatch_alerts{state="firing",severity="critical"} 2' in resp.text
        assert 'borderwatch_agent_received{site="west-1",agent="mast-01"} 7' in resp.text
        assert "borderwatch_ingest_messages_total 7" in resp.text
        assert 'borderwatch_alert_changes_total{reason="fired"} 2' in resp.text


@pytest.fixture
def server(ctx: HubContext) -> Iterator[str]:
    with serving(create_app(ctx)) as url:
        yield url


def test_stream_sends_alert_changes_with_the_token_in_a_header(ctx: HubContext, server: str) -> None:
    assert httpx.get(f"{server}/api/v1/stream", timeout=5).status_code == 401
    token = client_as(ctx).headers["Authorization"]
    got: list[dict] = []
    with httpx.stream("GET", f"{server}/api/v1/stream", headers={"Authorization": token}, timeout=10) as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
        lines = resp.iter_lines()
        assert next(lines).startswith("retry:")
        wait_until(lambda: ctx.stream is None or ctx.stream.clients() > 0, 10, "the stream to register its client")
        (aid,) = raise_alerts(ctx, 1)
        kind = None
        for line in lines:
            if line.startswith("event:"):
                kind = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and kind == "alert":
                got.append(json.loads(line[5:]))
                break
    assert got and got[0]["id"] == aid and got[0]["state"] == "firing"
