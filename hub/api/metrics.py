"""``/metrics`` in the Prometheus text format: ingest, delivery per agent, alerts, the stream.

Counters are totals since the hub started (Prometheus derives rates); gauges are read at scrape
time. Protected like the API: a viewer token, or the scrape token named by ``api.metrics_token_file``
(a Prometheus job holds that one, not an operator's token). Rendering is pure.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials

from borderwatch.hub.api.auth import CHECKS, bearer
from borderwatch.hub.api.context import HubContext, get_context
from borderwatch.hub.api.tokens import Role, token_hash

metrics = APIRouter(tags=["metrics"])
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_INGEST = {
    "messages": ("counter", "MQTT messages consumed"),
    "dead_letters": ("counter", "messages refused at decode or by the store"),
    "store_errors": ("counter", "failed store writes (retried)"),
    "replay_commands": ("counter", "replay requests sent to agents"),
    "confirms": ("counter", "delivery confirmations sent to agents"),
    "qos0_dropped": ("counter", "QoS 0 messages dropped on a full queue"),
    "queue_depth": ("gauge", "messages waiting for the ingest worker (lag)"),
}


@dataclass
class Family:
    """One metric family: name, type, help text and its labelled samples."""

    name: str
    kind: str  # counter | gauge
    help: str
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)


def _escape(v: str) -> str:
    return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render(families: Iterable[Family]) -> str:
    """The text exposition format, version 0.0.4."""
    out: list[str] = []
    for f in families:
        out += [f"# HELP {f.name} {f.help}", f"# TYPE {f.name} {f.kind}"]
        for labels, value in f.samples:
            lab = ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items())
            out.append(f"{f.name}{{{lab}}} {float(value):g}" if lab else f"{f.name} {float(value):g}")
    return "\n".join(out) + "\n"


def collect(stats: Mapping[str, Any], alert_counts: Mapping[tuple[str, str], int],
            engine_counts: Mapping[str, int], stream_clients: int) -> list[Family]:  # fmt: skip
    """Families from the hub's stats (see Hub.stats), the store's counts and the engine's counters."""
    fams = [Family(f"borderwatch_ingest_{k}" + ("_total" if kind == "counter" else ""), kind, text,
                   [({}, float(stats.get(k, 0) or 0))]) for k, (kind, text) in _INGEST.items()]  # fmt: skip
    fams.append(Family("borderwatch_broker_connected", "gauge", "1 while the hub is connected to the broker",
                       [({}, float(bool(stats.get("connected"))))]))  # fmt: skip
    per_agent: dict[str, Family] = {}
    for agent, counters in sorted((stats.get("agents") or {}).items()):
        site, _, name = agent.partition("/")
        for k, v in counters.items():
            if isinstance(v, bool) or not isinstance(v, int | float):
                continue
            fam = per_agent.setdefault(k, Family(f"borderwatch_agent_{k}", "gauge", f"per-agent delivery: {k}"))
            fam.samples.append(({"site": site, "agent": name}, float(v)))
    fams += per_agent.values()
    by_state = [({"state": s, "severity": sev}, n) for (s, sev), n in sorted(alert_counts.items())]
    fams.append(Family("borderwatch_alerts", "gauge", "alerts in the store by state and severity", by_state))
    fams.append(Family("borderwatch_alert_changes_total", "counter", "alert changes since start by reason",
                       [({"reason": r}, n) for r, n in sorted(engine_counts.items())]))  # fmt: skip
    fams.append(Family("borderwatch_stream_clients", "gauge", "connected /api/v1/stream clients",
                       [({}, stream_clients)]))  # fmt: skip
    return fams + notify_families(stats)


_WEBHOOK_OUTCOMES = ("sent", "failed", "dropped")


def notify_families(stats: Mapping[str, Any]) -> list[Family]:
    """Webhook deliveries per endpoint (``stats["webhooks"]``: url -> counts) and retained alert
    state publishes (``stats["alerts_mqtt"]``), so a dead receiver or broker shows before a missed page."""
    hooks = sorted((stats.get("webhooks") or {}).items())
    done = Family("borderwatch_webhook_deliveries_total", "counter",
                  "alert changes per webhook by outcome: sent, failed (retries exhausted or refused), dropped "
                  "(queue full or hub stopping)")  # fmt: skip
    retries = Family("borderwatch_webhook_retries_total", "counter", "webhook attempts that failed and were retried")
    retrying = Family("borderwatch_webhook_retrying", "gauge", "1 while a webhook waits to retry a failed change")
    pending = Family("borderwatch_webhook_pending", "gauge", "alert changes queued for a webhook")
    for url, c in hooks:
        for outcome in _WEBHOOK_OUTCOMES:
            done.samples.append(({"url": url, "outcome": outcome}, float(c.get(outcome, 0))))
        retries.samples.append(({"url": url}, float(c.get("retries", 0))))
        retrying.samples.append(({"url": url}, float(c.get("retrying", 0))))
        pending.samples.append(({"url": url}, float(c.get("pending", 0))))
    mqtt = stats.get("alerts_mqtt") or {}
    published = Family("borderwatch_alert_state_publishes_total", "counter",
                       "retained alert state messages by outcome: published, failed (broker disconnected)",
                       [({"outcome": "published"}, float(mqtt.get("published", 0))),
                        ({"outcome": "failed"}, float(mqtt.get("publish_failed", 0)))])  # fmt: skip
    out = [done, retries, retrying, pending] if hooks else []
    return out + ([published] if "alerts_mqtt" in stats else [])


@metrics.get("/metrics", response_class=PlainTextResponse)
def get_metrics(
    request: Request,
    ctx: Annotated[HubContext, Depends(get_context)],
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> PlainTextResponse:
    """The Prometheus text; a viewer token or the scrape token."""
    scrape = ctx.metrics_token_sha256
    if not (scrape and creds and hmac.compare_digest(token_hash(creds.credentials), scrape)):
        CHECKS[Role.VIEWER](request, ctx, creds)  # 401/403 as on every other route
    text = ctx.metrics() if ctx.metrics is not None else ""
    return PlainTextResponse(text, media_type=CONTENT_TYPE)
