"""A model's card (``<model>.md`` beside the file): where it is and the limits a technician must know.

Why read the card at the mast: the card is where the model's measured limits are written down
(what it was trained on, where it fails); `edge doctor` prints them next to the camera that runs
the model, so nobody points a simulation-trained model at a real border without being told.
"""

from __future__ import annotations

import re
from pathlib import Path

from borderwatch.edge.pipeline.modelref import ModelRef

_HEADING = re.compile(r"^##\s+(limitations|limits|known limits)\b", re.I)


def model_card(ref: ModelRef) -> Path | None:
    """The model card (``<model>.md`` beside the file) if there is one: shipped models have theirs."""
    card = ref.path.with_suffix(".md")
    return card if card.is_file() else None


def _first_sentence(text: str, limit: int) -> str:
    text = " ".join(text.split())
    end = re.search(r"(?<=[.!?])\s", text)
    sentence = text[: end.start()] if end else text
    return sentence if len(sentence) <= limit else sentence[: limit - 3].rstrip() + "..."


def card_limits(card: Path, limit: int = 200) -> list[str]:
    """First sentence of each bullet under the card's "## Limitations" (or "## Limits") heading; empty if none."""
    lines = card.read_text("utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if _HEADING.match(line)), None)
    if start is None:
        return []
    bullets: list[str] = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.lstrip().startswith(("- ", "* ")) and line[: len(line) - len(line.lstrip())] == "":
            bullets.append(line.lstrip()[2:])
        elif bullets and line.strip():
            bullets[-1] += " " + line.strip()
    return [_first_sentence(b, limit) for b in bullets]
