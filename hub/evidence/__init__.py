"""Evidence at the hub: the agents' JPEG snapshots kept on disk, indexed, capped and served.

``EvidenceStore`` keeps and serves them; ``EvidenceIngest`` feeds it from MQTT on its own thread.
"""

from borderwatch.hub.evidence.config import EvidenceConfig
from borderwatch.hub.evidence.index import EvidenceRow
from borderwatch.hub.evidence.ingest import EvidenceIngest
from borderwatch.hub.evidence.store import EvidenceStore
from borderwatch.hub.evidence.validate import Reason, Rejection

__all__ = ["EvidenceConfig", "EvidenceIngest", "EvidenceRow", "EvidenceStore", "Reason", "Rejection"]
