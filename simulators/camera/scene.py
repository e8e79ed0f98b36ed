"""The static part of a camera's picture: textured ground, roads, border strip, sky, hills, bushes, posts.

Why a cached background: everything that does not move is rendered once per camera (one
cv2.remap of a world-space texture through the ground projection), so a frame costs only the
actors and the noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from borderwatch.simulators.camera.projection import Pinhole
from borderwatch.simulators.scenario import Scenario, TerrainSpec

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]

# style -> (base, alternate, dark) BGR
PALETTES: dict[str, tuple[tuple[int, int, int], ...]] = {
    "grass": ((62, 118, 86), (72, 104, 124), (40, 84, 58)),
    "dry": ((86, 150, 172), (70, 112, 142), (60, 110, 120)),
    "sand": ((124, 176, 206), (100, 150, 186), (96, 140, 160)),
    "snow": ((226, 224, 220), (196, 192, 188), (170, 170, 165)),
}
ROAD_BGR = (112, 122, 128)
STRIP_BGR = (96, 128, 150)
SKY_TOP, SKY_HORIZON, HAZE = (205, 160, 110), (228, 218, 206), (200, 200, 196)
MACRO_PX = 2048
DETAIL_M = 0.04


def smooth_noise(shape: tuple[int, int], cell_px: float, rng: np.random.Generator) -> F32:
    """Value noise: a random grid in [-1, 1] upsampled bicubically (which overshoots that range a little)."""
    gh, gw = max(2, int(shape[0] / cell_px) + 2), max(2, int(shape[1] / cell_px) + 2)
    grid = rng.uniform(-1, 1, (gh, gw)).astype(np.float32)
    return cv2.resize(grid, (shape[1], shape[0]), interpolation=cv2.INTER_CUBIC)


def fractal_noise(shape: tuple[int, int], cell_px: float, rng: np.random.Generator, octaves: int = 4) -> F32:
    """Octaves of value noise, each half the cell size and half the weight, scaled to about [-1, 1]:
    ground grain at several scales at once. Consumes ``rng`` (callers rely on the draw order).
    """
    out = np.zeros(shape, np.float32)
    for k in range(octaves):
        out += smooth_noise(shape, max(cell_px / 2**k, 1.0), rng) / 2**k
    return out / 1.9


@dataclass(frozen=True, slots=True)
class GroundTexture:
    """Ground colour in site-local metres: macro map plus a tiling detail layer."""

    macro: U8
    macro_blur: U8
    detail: F32
    extent_m: float
    res_m: float


def _to_px(pts_en: npt.ArrayLike, extent: float, res: float) -> npt.NDArray[np.int32]:
    p = np.asarray(pts_en, dtype=np.float64)
    return np.round(np.stack([(p[:, 0] + extent) / res, (extent - p[:, 1]) / res], axis=1) * 16).astype(np.int32)


def ground_texture(
    terrain: TerrainSpec,
    border_en: npt.NDArray,
    seed: int,
    size_px: int = MACRO_PX,
) -> GroundTexture:
    """Macro colour map: palette mixed by fractal noise, then roads and the border strip drawn on."""
    rng = np.random.default_rng([seed, 101])
    res = 2 * terrain.extent_m / size_px
    base, alt, dark = (np.array(c, np.float32) for c in PALETTES[terrain.style])
    mix = np.clip(fractal_noise((size_px, size_px), 40 / res, rng) * 1.6 + 0.2, 0, 1)[..., None]
    shade = fractal_noise((size_px, size_px), 6 / res, rng)[..., None]
    tex = base * (1 - mix) + alt * mix + (dark - base) * np.clip(shade, 0, 1) * 0.8
    tex = np.clip(tex, 0, 255).astype(np.uint8)
    for road in terrain.roads:
        cv2.polylines(
            tex,
            [_to_px(road.points, terrain.extent_m, res)],
            False,
            ROAD_BGR,
            max(1, round(road.width_m / res)),
            cv2.LINE_AA,
            shift=4,
        )
    if len(border_en) >= 2:
        cv2.polylines(
            tex,
            [_to_px(border_en, terrain.extent_m, res)],
            False,
            STRIP_BGR,
            max(1, round(3.0 / res)),
            cv2.LINE_AA,
            shift=4,
        )
    detail = 1.0 + 0.22 * fractal_noise((256, 256), 8, rng, octaves=3)
    return GroundTexture(tex, cv2.GaussianBlur(tex, (0, 0), 2.5), detail.astype(np.float32), terrain.extent_m, res)


def _sky(cam: Pinhole, horizon: float) -> F32:
    rows = np.arange(cam.height, dtype=np.float32)[:, None, None]
    w = np.clip((horizon - rows) / max(cam.height * 0.6, 1.0), 0, 1)
    return np.broadcast_to(
        np.array(SKY_HORIZON, np.float32) * (1 - w) + np.array(SKY_TOP, np.float32) * w,
        (cam.height, cam.width, 3),
    )


def _ground(
    cam: Pinhole,
    tex: GroundTexture,
    origin: tuple[float, float],
    site_offset: tuple[float, float],
) -> tuple[F32, F32, npt.NDArray[np.bool_]]:
    """Per-pixel ground colour and distance by remapping the world texture through the camera."""
    v, u = np.mgrid[0 : cam.height, 0 : cam.width].astype(np.float64) + 0.5
    e, n, valid = cam.ground(u, v)
    e, n = np.nan_to_num(e) + site_offset[0], np.nan_to_num(n) + site_offset[1]
    mx = ((e + tex.extent_m) / tex.res_m).astype(np.float32)
    my = ((tex.extent_m - n) / tex.res_m).astype(np.float32)
    dist = np.where(valid, np.hypot(e - site_offset[0], n - site_offset[1]), 1e9).astype(np.float32)
    near = np.clip(1.0 - (dist - 40.0) / 80.0, 0, 1)[..., None]
    fine = cv2.remap(tex.macro, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101).astype(np.float32)
    coarse = cv2.remap(tex.macro_blur, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    col = fine * near + coarse.astype(np.float32) * (1 - near)
    dx = (np.mod(e / DETAIL_M, 256)).astype(np.float32)
    dy = (np.mod(n / DETAIL_M, 256)).astype(np.float32)
    det = cv2.remap(tex.detail, dx, dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_WRAP)
    fade = np.clip(1.0 - dist / 60.0, 0, 1)
    col *= (1.0 + (det - 1.0) * fade)[..., None]
    haze = (1 - np.exp(-dist / 700.0))[..., None]
    col = col * (1 - haze) + np.array(HAZE, np.float32) * haze
    return col, dist, valid


def _hills(cam: Pinhole, horizon: float, seed: int) -> npt.NDArray[np.bool_]:
    """Distant hills/treeline: elevation angle as a function of azimuth, so cameras agree."""
    az = np.degrees(np.arctan2(*(cam.fwd[:2]))) + np.degrees(np.arctan((np.arange(cam.width) + 0.5 - cam.cx) / cam.f))
    k = np.arange(1, 7)[:, None]
    rng = np.random.default_rng([seed, 7])
    amp, ph = rng.uniform(0.1, 0.5, (6, 1)) / k, rng.uniform(0, 2 * np.pi, (6, 1))
    elev = 0.6 + (amp * np.sin(np.radians(az)[None] * k * 3 + ph)).sum(0)
    top = horizon - cam.f * np.tan(np.radians(np.clip(elev, 0.05, 3.0)))
    return np.arange(cam.height)[:, None] >= top[None, :]


def static_objects(scn: Scenario, border_en: npt.NDArray) -> npt.NDArray[np.float64]:
    """Bushes and border posts as rows (east, north, radius_m, height_m, kind 0=bush 1=post)."""
    rng = np.random.default_rng([scn.seed, 202])
    ext = scn.terrain.extent_m * 0.5
    nb = scn.terrain.bushes
    bushes = np.column_stack(
        [
            rng.uniform(-ext, ext, nb),
            rng.uniform(-ext * 0.2, ext, nb),
            rng.uniform(0.5, 1.8, nb),
            rng.uniform(0.5, 1.6, nb),
            np.zeros(nb),
        ]
    )
    step = scn.terrain.border_posts_every_m
    if step <= 0 or len(border_en) < 2:
        return bushes
    seg = np.diff(border_en, axis=0)
    cum = np.concatenate([[0], np.cumsum(np.hypot(*seg.T))])
    s = np.arange(0, cum[-1], step)
    posts = np.column_stack([np.interp(s, cum, border_en[:, 0]), np.interp(s, cum, border_en[:, 1])])
    return np.vstack([bushes, np.column_stack([posts, np.full((len(s), 2), [0.07, 1.5]), np.ones(len(s))])])


def draw_static(img: U8, cam: Pinhole, objs: npt.NDArray, offset: tuple[float, float], seed: int) -> None:
    """Paint bushes and posts far-to-near onto the background (in place, build time only)."""
    e, n = objs[:, 0] - offset[0], objs[:, 1] - offset[1]
    u, v, depth = cam.project(e, n, np.zeros_like(e))
    _, vt, _ = cam.project(e, n, objs[:, 3])
    ok = (depth > 2) & (u > -200) & (u < cam.width + 200) & (v > -50) & (v < cam.height + 300)
    rng = np.random.default_rng([seed, 303])
    shades = rng.uniform(0.6, 1.1, len(objs))
    for i in np.nonzero(ok)[0][np.argsort(-depth[ok])]:
        ppm, h_px = cam.f / depth[i], v[i] - vt[i]
        if objs[i, 4] == 0:
            axes = (max(1, int(objs[i, 2] * ppm)), max(1, int(h_px / 2)))
            col = tuple(float(c * shades[i]) for c in (34, 70, 46))
            cv2.ellipse(img, (int(u[i]), int(v[i] - h_px / 2)), axes, 0, 0, 360, col, -1, cv2.LINE_AA)
        else:
            w = max(1, round(2 * objs[i, 2] * ppm))
            mid = int(v[i] - h_px / 2)
            cv2.line(img, (int(u[i]), int(v[i])), (int(u[i]), mid), (40, 40, 170), w)
            cv2.line(img, (int(u[i]), mid), (int(u[i]), int(vt[i])), (225, 225, 225), w)


def background(scn: Scenario, cam: Pinhole, tex: GroundTexture, border_en: npt.NDArray) -> U8:
    """The full static picture for one camera (day colours; night is applied later to the whole frame)."""
    origin = (scn.origin.lat, scn.origin.lon)
    off_e, off_n = cam.from_site(np.zeros(1), np.zeros(1), origin)
    offset = (-float(off_e[0]), -float(off_n[0]))  # camera position in site metres
    horizon = cam.horizon_v()
    ground, _, valid = _ground(cam, tex, origin, offset)
    img = np.where(valid[..., None], ground, _sky(cam, horizon))
    hills = _hills(cam, horizon, scn.seed) & ~valid
    img[hills] = np.array((112, 128, 118), np.float32)
    out = np.clip(img, 0, 255).astype(np.uint8)
    draw_static(out, cam, static_objects(scn, border_en), offset, scn.seed)
    return out
