"""Track quality of a thermal imager: the default association (centre distance) against box overlap (IoU).

Why: a distant person is a hot spot a pixel or two wide on a 320 px imager, and a group's spots merge and
split as its members pass each other, so tracks associated by box overlap break up. The imager's default
(``THERMAL_TRACKER`` in edge/sensors/thermal/config.py) associates by centre distance in box heights.

Each scenario's imager runs twice offline (tests/support/thermal_tracks.py: every frame rendered by the
thermal simulator and fed to the imager's unit with the config ``borderwatch demo`` writes for it, the
shipped classifier included; the same frames every run), once per association, and its track events are
scored on the ground plane against the scenario's truth by the track scorer of ``borderwatch sim score``
(motmetrics MOTA, IDF1 and identity switches, 10 m gate, one truth sample a second; no warm-up left out). Left out: the
reader's socket and bad-frame checks, MQTT and the hub (the scorer reads the events directly). Target:
the default's IDF1 at least IoU's on every scenario (PASS/BELOW).

Last, the day scene again with warm patches added (the simulator's warm spots: no actor, a sun-warmed rock,
warm water), the clutter the classifier was trained to drop. Target: they add no crossing and flag no one in distress;
the false track samples they add are printed.

Run: ``python bench/bench_thermal_tracks.py``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from borderwatch.simulators.scenario import load_scenario
from tests.support.thermal_tracks import ImagerRun, run_imager, warm_patches

SCENARIOS = (
    "border-crossing",
    "border-crossing-night",
    str(Path(__file__).resolve().parents[1] / "simulators/scenarios/river-distress.toml"),
)
PATCHED = SCENARIOS[0]
"""The scene the warm patches are added to (the demo's, by day: at night they stay under ``min_c``)."""
IOU = {"association": "iou", "max_cost": 0.9}
"""The imager's tracker before distance became its default (IoU > 0.1)."""


def _line(name: str, r: ImagerRun) -> str:
    s = r.score
    mota = f"{s.mota:.2f}" if s.mota is not None else "n/a"
    idf1 = f"{s.idf1:.2f}" if s.idf1 is not None else "n/a"
    return (
        f"    {name:<9} MOTA {mota}  IDF1 {idf1}  switches {s.switches:>3}  misses {s.misses:>3}  "
        f"false {s.false_positives:>3}  tracks {r.tracks:>3}  crossings {len(r.crossings)}"
    )


def report_patches(k: int, clean: ImagerRun, count: int = 16) -> bool:
    """Warm patches (no actor) appearing in the day scene: tracks on them are false ones. Target: they add no
    crossing and flag no one in distress (what would reach an operator as an alert). ``clean``: the same
    scene's default run without them ([1])."""
    scn = load_scenario(PATCHED)
    warm = run_imager(scn, None, warm_patches(scn.thermals[0], scn, count, seed=11, first_s=20.0, last_s=100.0))
    print(f"[{k}] {scn.name} with {count} warm spots (1-6 px across, 3-15 K above the ground) appearing at 20-100 s")
    print(_line("clean", clean))
    print(_line("patches", warm))
    same = warm.crossings == clean.crossings
    ok = same and warm.distress == clean.distress
    added = warm.score.false_positives - clean.score.false_positives
    extra = sorted((Counter(warm.classes) - Counter(clean.classes)).elements())  # the added tracks' classes
    print(f"    -> {'PASS' if ok else 'BELOW'} crossings the same: {same}, people in distress {warm.distress} "
          f"(clean {clean.distress}); {added} false track samples and {warm.tracks - clean.tracks} tracks added "
          f"(no target), classes of the tracks gained: {', '.join(extra) or 'none'}")  # fmt: skip
    return ok


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    ok = True
    defaults: dict[str, ImagerRun] = {}
    for k, name in enumerate(SCENARIOS, 1):
        scn = load_scenario(name)
        default, iou = run_imager(scn, None), run_imager(scn, IOU)
        defaults[name] = default
        d, i = default.score.idf1 or 0.0, iou.score.idf1 or 0.0
        print(f"[{k}] {scn.name}, imager {scn.thermals[0].id}: {default.score.objects} truth samples in view")
        print(_line("default", default))
        print(_line("iou", iou))
        same = default.crossings == iou.crossings
        print(f"    crossings reported: {'the same' if same else 'differ'}: {', '.join(default.crossings) or 'none'}")
        print(f"    -> {'PASS' if d >= i else 'BELOW'} default IDF1 {d:.2f} vs IoU {i:.2f} (target: at least IoU's)")
        ok &= d >= i
    ok &= report_patches(len(SCENARIOS) + 1, defaults[PATCHED])
    print(f"thermal tracks: {'PASS' if ok else 'BELOW'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
