"""Random frames for property tests of image arithmetic (Hypothesis draws their content)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


def noise_frames() -> st.SearchStrategy[tuple[int, int, int]]:
    """A Hypothesis strategy for ``random_frame``'s content: a seed and a value range (narrow ranges
    make many ties and halves, where rounding differences show)."""
    return st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 255), st.integers(0, 255))


def random_frame(h: int, w: int, content: tuple[int, int, int]) -> np.ndarray:
    """An h x w BGR uint8 frame of uniform noise in ``[low, low + span]`` (clipped), ``content`` =
    (seed, low, span) as ``noise_frames`` draws it."""
    seed, low, span = content
    rng = np.random.default_rng(seed)
    return np.minimum(rng.integers(low, low + span + 1, (h, w, 3)), 255).astype(np.uint8)
