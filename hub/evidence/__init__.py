"""Evidence at the hub: the agents' JPEG snapshots kept on disk, indexed, capped and served.

``EvidenceStore`` keeps and serves them; ``EvidenceIngest`` feeds it from MQTT on its own thread.
"""

from hub.evidence.config import EvidenceConfig
from hub.evidence.index import EvidenceRow
from hub.evidence.ingest import EvidenceIngest
from hub.evidence.store import EvidenceStore
from hub.evidence.validate import Reason, Rejection

__all__ = ["EvidenceConfig", "EvidenceIngest", "EvidenceRow", "EvidenceStore", "Reason", "Rejection"]
