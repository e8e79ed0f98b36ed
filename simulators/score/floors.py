"""The floors and tolerances kept in the repository (simulators/scenarios/floors.toml), and the verdicts.

Why a file and not constants: the figures a release is held to are reviewed like code, and the demo,
`make eval` and CI read the same ones. A figure that is undefined (nothing to divide by) is neither a
pass nor a failure: the verdict says so.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from borderwatch.simulators.score.match import Tolerances

FLOORS_FILE = Path(__file__).resolve().parents[1] / "scenarios" / "floors.toml"
# metric -> True when higher is better (a floor), False when it is a ceiling
DIRECTION = {
    "crossing_alert_recall": True,
    "crossing_alert_precision": True,
    "nuisance_false_alerts_per_hour": False,
    "localisation_p95_m": False,
    "alert_latency_p95_s": False,
    "humanitarian_alert_recall": True,
    "humanitarian_alert_latency_p95_s": False,
}


@dataclass(frozen=True)
class Floors:
    """Gates for scoring, the library's targets and the demo's floors."""

    tolerances: Tolerances
    warmup_s: float
    recovery_s: float
    library: dict[str, float]
    demo: dict[str, float]


def load_floors(path: Path = FLOORS_FILE) -> Floors:
    """Read floors.toml; a missing section or key is a KeyError naming it."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    tol = data["tolerances"]
    return Floors(
        Tolerances(float(tol["position_m"]), float(tol["time_s"])),
        float(tol["warmup_s"]),
        float(tol["recovery_s"]),
        {k: float(v) for k, v in data["floors"].items()},
        {k: float(v) for k, v in data.get("demo", {}).items()},
    )


def verdict(metric: str, value: float | None, target: float) -> str:
    """PASS, BELOW (the target is missed, whichever way it points) or UNDEFINED (nothing measured)."""
    if value is None:
        return "UNDEFINED"
    ok = value >= target if DIRECTION.get(metric, True) else value <= target
    return "PASS" if ok else "BELOW"
