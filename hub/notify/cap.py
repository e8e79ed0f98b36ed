"""Alerts as CAP 1.2 (OASIS Common Alerting Protocol) XML, the format neighbouring centres ingest.

Pure: an :class:`~borderwatch.contract.Alert` in, the bytes of one ``<alert>`` message out. The
element order follows the CAP 1.2 schema (a sequence: order matters); ``tests/test_notify_cap.py``
validates the output against the OASIS XSD. The mapping of our severities to CAP's severity,
urgency and response type is the table :data:`SEVERITY_MAP` (documented in docs/operator-guide.md).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import NamedTuple

from borderwatch.contract import Alert, AlertState, Severity

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ET.register_namespace("", CAP_NS)


class CapGrade(NamedTuple):
    """CAP's view of one of our severities."""

    severity: str  # Extreme | Severe | Moderate | Minor | Unknown
    urgency: str  # Immediate | Expected | Future | Past | Unknown
    response: str  # Shelter | Evacuate | Prepare | Execute | Avoid | Monitor | Assess | AllClear | None


SEVERITY_MAP: dict[Severity, CapGrade] = {
    Severity.HUMANITARIAN: CapGrade("Extreme", "Immediate", "Execute"),  # a life at stake: send rescue now
    Severity.CRITICAL: CapGrade("Severe", "Immediate", "Assess"),
    Severity.WARNING: CapGrade("Moderate", "Expected", "Monitor"),
    Severity.INFO: CapGrade("Minor", "Future", "Monitor"),
}
RESOLVED_GRADE = ("Past", "AllClear")
"""A resolved alert keeps its severity; urgency becomes Past and the response AllClear."""
HEALTH_RULES = frozenset({"agent-offline", "sensor-degraded"})
"""Alerts about our own equipment: CAP category Infra, not Security."""

_XML_BAD = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ID_BAD = re.compile(r"[^A-Za-z0-9_.:@-]")


def _text(s: str) -> str:
    """Text XML 1.0 can carry (an agent's summary could hold control characters)."""
    return _XML_BAD.sub("\ufffd", s)


def cap_time(dt: datetime) -> str:
    """CAP's dateTime: seconds, and an explicit offset (the schema's pattern forbids "Z" and fractions)."""
    return dt.astimezone(UTC).replace(microsecond=0).isoformat()


def certainty(alert: Alert) -> str:
    """Observed when independent sensor kinds agree or one is sure; Likely/Possible below."""
    if len(alert.sensor_kinds) >= 2 or alert.confidence >= 0.8:
        return "Observed"
    return "Likely" if alert.confidence >= 0.5 else "Possible"


def _ids(alert: Alert, sender: str) -> tuple[str, str, str | None]:
    """(identifier, msgType, references): the first message is the alert's id; later states update
    or cancel it and reference the first (sender,identifier,sent)."""
    first = _ID_BAD.sub("_", alert.id)
    if alert.state in (AlertState.PENDING, AlertState.FIRING):
        return first, "Alert", None
    stamp = int((alert.updated_at or alert.ts).timestamp())
    kind = "Cancel" if alert.state is AlertState.RESOLVED else "Update"
    ref = f"{_ID_BAD.sub('_', sender)},{first},{cap_time(alert.fired_at or alert.ts)}"
    return f"{first}.{alert.state.value}.{stamp}", kind, ref


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        el.text = _text(text)
    return el


def _param(info: ET.Element, name: str, value: object) -> None:
    p = _sub(info, "parameter")
    _sub(p, "valueName", name)
    _sub(p, "value", str(value))


def to_cap(alert: Alert, sender: str, hub_id: str) -> bytes:
    """One CAP 1.2 ``<alert>`` (UTF-8 XML with declaration) describing ``alert`` as it stands."""
    identifier, msg_type, references = _ids(alert, sender)
    grade = SEVERITY_MAP[alert.severity]
    urgency, response = RESOLVED_GRADE if alert.state is AlertState.RESOLVED else (grade.urgency, grade.response)
    root = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(root, "identifier", identifier)
    _sub(root, "sender", _ID_BAD.sub("_", sender))
    _sub(root, "sent", cap_time(alert.updated_at or alert.ts))
    _sub(root, "status", "Actual")
    _sub(root, "msgType", msg_type)
    _sub(root, "source", f"borderwatch hub {hub_id}")
    _sub(root, "scope", "Restricted")
    _sub(root, "restriction", "border coordination centres")
    if references:
        _sub(root, "references", references)
    _sub(root, "incidents", _ID_BAD.sub("_", alert.fingerprint))

    info = _sub(root, "info")
    _sub(info, "language", "en")
    if alert.severity is Severity.HUMANITARIAN:
        _sub(info, "category", "Rescue")
    _sub(info, "category", "Infra" if alert.rule in HEALTH_RULES else "Security")
    _sub(info, "event", alert.rule)
    _sub(info, "responseType", response)
    _sub(info, "urgency", urgency)
    _sub(info, "severity", grade.severity)
    _sub(info, "certainty", certainty(alert))
    code = _sub(info, "eventCode")
    _sub(code, "valueName", "borderwatch:severity")
    _sub(code, "value", alert.severity.value)
    _sub(info, "effective", cap_time(alert.fired_at or alert.ts))
    _sub(info, "senderName", f"borderwatch hub {hub_id}")
    _sub(info, "headline", alert.summary[:160])
    _sub(info, "description", _description(alert))
    for name, value in (("state", alert.state.value), ("site", alert.site), ("agent", alert.agent),
                        ("confidence", f"{alert.confidence:.2f}"), ("sensors", " ".join(alert.sensors)),
                        ("object_class", alert.object_class.value), ("direction", alert.direction),
                        ("zone", alert.zone), ("acked_by", alert.acked_by)):  # fmt: skip
        if value:
            _param(info, name, value)
    area = _sub(info, "area")
    _sub(area, "areaDesc", f"site {alert.site}" + (f", zone {alert.zone}" if alert.zone else ""))
    if alert.position is not None:
        radius_km = max((alert.position.uncertainty_m or 50.0) / 1000.0, 0.01)
        _sub(area, "circle", f"{alert.position.lat:.6f},{alert.position.lon:.6f} {radius_km:.3f}")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _description(alert: Alert) -> str:
    kinds = ", ".join(k.value for k in alert.sensor_kinds) or "agent"
    lines = [alert.summary, f"Seen by {len(alert.sensors) or 1} sensor(s) ({kinds}); "
             f"fused confidence {alert.confidence:.2f}."]  # fmt: skip
    if alert.direction:
        lines.append(f"Direction: {alert.direction}.")
    return "\n".join(lines)
