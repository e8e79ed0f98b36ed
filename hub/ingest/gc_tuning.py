"""Garbage-collector settings for a process that decodes event batches (the hub's ingest).

Why: CPython starts a generation-0 collection every 700 net allocations of container objects.
Decoding one 100-event batch creates about 1,000 of them (per Event: the model, its ``__dict__``,
its fields-set, its SensorRef and ImageBox with theirs) that all live until the batch is
written, so the collector runs in the middle of nearly every batch, promotes the whole batch
to older generations and regularly sweeps every object of the process (pydantic, HTTP and
MQTT clients) in full collections. Measured in bench/bench_ingest.py: about a third of the
hub's CPU per detection. A gen-0 threshold above one batch's objects lets batches die young,
uncollected; freezing what exists after start-up keeps full collections off the imports.
Reference cycles are still collected, only less often; memory stays bounded by the threshold.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger("borderwatch.ingest")

YOUNG_THRESHOLD = 50_000
"""Gen-0 threshold: above the ~10 container objects per event of a full 5,000-event batch."""


def tune_gc(young_threshold: int = YOUNG_THRESHOLD) -> None:
    """Call once, after start-up (imports, config, clients), before the ingest loop runs."""
    if young_threshold < 1:
        raise ValueError(f"young_threshold must be >= 1, got {young_threshold}")
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(young_threshold, older, oldest)
    log.info("gc tuned young_threshold=%d frozen_objects=%d", young_threshold, gc.get_freeze_count())
