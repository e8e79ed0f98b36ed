"""Contract classes as small integers, and the lookup table from a model's labels to them.

After decoding, ``Detections.class_id`` holds an index into ``CONTRACT_CLASSES`` (not the model's
own label id): every stage after the detector speaks the contract's vocabulary, whatever model
produced the boxes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from borderwatch.contract.common import ObjectClass

CONTRACT_CLASSES: tuple[ObjectClass, ...] = tuple(ObjectClass)
CLASS_INDEX: dict[ObjectClass, int] = {c: i for i, c in enumerate(CONTRACT_CLASSES)}
DROPPED = -1


def label_lookup(labels: Sequence[str], class_map: Mapping[str, ObjectClass]) -> npt.NDArray[np.int64]:
    """(C,) contract index per model label; ``DROPPED`` for labels the map does not name.

    Labels are compared case-insensitively so "Person" and "person" map alike.
    """
    folded = {k.lower(): v for k, v in class_map.items()}
    return np.array([CLASS_INDEX[folded[x.lower()]] if x.lower() in folded else DROPPED for x in labels], np.int64)


def class_name(index: int) -> ObjectClass:
    """Contract class of an index (anything out of range is UNKNOWN)."""
    return CONTRACT_CLASSES[index] if 0 <= index < len(CONTRACT_CLASSES) else ObjectClass.UNKNOWN
