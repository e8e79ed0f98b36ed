"""Scenario world -> what a radar at a pose sees at time t: plots (range, bearing from the boresight,
radial speed, SNR) and, for radars that track themselves, per-actor tracks.

Detection model (seeded, reproducible): an actor inside range and field of view is detected with
probability ``pd`` (lowered with range and raised with radar cross-section through the SNR of a
simple radar equation, SNR = snr_ref_db + 10 log10(rcs) - 40 log10(range / ref_range_m)); the
plot's range and bearing get Gaussian noise; a vehicle gives three plots (its length
spreads returns over range), people and animals two (body, limbs), each with its own Doppler:
limbs and legs swing (micro-Doppler, wider for four-legged animals than for people), wheels less. Clutter:
Poisson-many false plots per scan, uniform over the covered sector, at zero-ish Doppler; and
``clutter_sites`` fixed reflectors (wind-blown vegetation, fences) that answer about every other
scan with a jittered position and a fluctuating Doppler, so some clutter forms tracks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from borderwatch.simulators.world import ActorState, World

F64 = npt.NDArray[np.float64]
MICRO_DOPPLER = np.array([0.5, 0.05, 1.0])  # Doppler spread of the limbs per m/s of speed: person, vehicle, animal


@dataclass(frozen=True, slots=True)
class RadarSpec:
    """Pose (metres from the site origin, boresight azimuth) and sensing figures of a simulated radar."""

    east_m: float = 0.0
    north_m: float = 0.0
    heading_deg: float = 0.0
    fov_deg: float = 120.0
    max_range_m: float = 2000.0
    range_std_m: float = 1.0
    bearing_std_deg: float = 0.3
    pd: float = 0.95
    clutter_per_scan: float = 1.0
    snr_ref_db: float = 45.0
    ref_range_m: float = 100.0
    clutter_sites: int = 0


@dataclass(frozen=True, slots=True)
class Plots:
    """One scan's plots; ``actor`` is the actor row of each plot, -1 for clutter."""

    range_m: F64
    bearing_deg: F64  # from the boresight, clockwise, in [-180, 180)
    doppler_mps: F64
    snr_db: F64
    actor: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.actor)


@dataclass(frozen=True, slots=True)
class Truth:
    """Visible actors in range and view: range, bearing (from the boresight), speed, course (true)."""

    rows: npt.NDArray[np.int64]
    range_m: F64
    bearing_deg: F64
    speed_mps: F64
    course_deg: F64


class RadarRenderer:
    """Renders one radar's view of a world; all randomness from one seeded generator."""

    def __init__(self, world: World, spec: RadarSpec, seed: int = 0) -> None:
        self.world, self.spec = world, spec
        self.rng = np.random.default_rng(seed)
        n = spec.clutter_sites
        self.sites = (
            self.rng.uniform(50.0, spec.max_range_m, n),
            self.rng.uniform(-spec.fov_deg / 2, spec.fov_deg / 2, n),
        )

    def truth(self, state: ActorState) -> Truth:
        s = self.spec
        de, dn = state.east_m - s.east_m, state.north_m - s.north_m
        rng = np.hypot(de, dn)
        bearing = (np.degrees(np.arctan2(de, dn)) - s.heading_deg + 180.0) % 360.0 - 180.0
        seen = state.visible & (rng <= s.max_range_m) & (np.abs(bearing) <= s.fov_deg / 2) & (rng > 1.0)
        rows = np.flatnonzero(seen)
        return Truth(rows, rng[rows], bearing[rows], state.speed_mps[rows], state.heading_deg[rows])

    def plots(self, t: float) -> tuple[Plots, Truth]:
        s, r = self.spec, self.rng
        state = self.world.state(t)
        truth = self.truth(state)
        rows = truth.rows
        snr = (
            s.snr_ref_db
            + 10 * np.log10(state.rcs_m2[rows])
            - 40 * np.log10(np.maximum(truth.range_m, 1) / s.ref_range_m)
        )
        pd = s.pd * np.clip((snr - 3.0) / 10.0, 0.0, 1.0)
        hit = r.random(len(rows)) < pd
        cls = state.class_id[rows]
        n_parts = np.select([cls == 1, cls == 2], [3, 2], 2) * hit  # scatterers: body and limbs; a vehicle's length
        owner = np.repeat(np.arange(len(rows)), n_parts)
        along = r.uniform(-0.5, 0.5, len(owner)) * state.length_m[rows][owner]
        radial = self._radial(truth, owner)
        rng_p = truth.range_m[owner] + along + r.normal(0, s.range_std_m, len(owner))
        brg_p = truth.bearing_deg[owner] + r.normal(0, s.bearing_std_deg, len(owner))
        micro = MICRO_DOPPLER[cls[owner]] * np.minimum(truth.speed_mps[owner], 3.0)  # swinging limbs, legs
        dop = radial + r.normal(0, 0.15, len(owner)) + r.normal(0, 1.0, len(owner)) * micro
        snr_p = snr[owner] + r.normal(0, 2.0, len(owner))
        n_clutter = r.poisson(s.clutter_per_scan)
        answer = r.random(len(self.sites[0])) < 0.5
        n_sites = int(answer.sum())
        c_rng = np.concatenate(
            (r.uniform(20.0, s.max_range_m, n_clutter), self.sites[0][answer] + r.normal(0, 2.0, n_sites))
        )
        c_brg = np.concatenate((r.uniform(-s.fov_deg / 2, s.fov_deg / 2, n_clutter),
                                self.sites[1][answer] + r.normal(0, 0.5, n_sites)))  # fmt: skip
        n_clutter += n_sites
        plots = Plots(
            np.maximum(np.concatenate((rng_p, c_rng)), 0.5),
            np.concatenate((brg_p, c_brg)),
            np.concatenate((dop, r.normal(0, 0.1, n_clutter - n_sites), r.normal(0, 0.6, n_sites))),
            np.concatenate((snr_p, r.uniform(8.0, 14.0, n_clutter))),
            np.concatenate((rows[owner], np.full(n_clutter, -1))),
        )
        return plots, truth

    def _radial(self, truth: Truth, owner: npt.NDArray[np.int64]) -> F64:
        """Radial speed (positive = moving away) of each plot's actor."""
        los = np.radians(truth.bearing_deg + self.spec.heading_deg)
        course = np.radians(truth.course_deg)
        v = truth.speed_mps * np.cos(course - los)
        return v[owner]
