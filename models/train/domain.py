"""Domain randomisation of whole frames: texture, colour, lighting, blur, noise and JPEG quality.

Why: a detector trained on clean renders keys on what only renders have (flat fills, exact
colours, crisp edges, no compression). Each frame here gets a random subset of the nuisances a
real camera adds, so that what stays constant across them, the shape of people, vehicles and
animals, is what the model learns. All draws come from the caller's generator (fixed seeds).
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]


def texture(img: U8, rng: np.random.Generator, tex: U8) -> U8:
    """Multiply a high-pass real texture (``tex``, same size, BGR) over the frame, 5-25 % deep."""
    g = cv2.cvtColor(tex, cv2.COLOR_BGR2GRAY).astype(np.float32)
    hp = g - cv2.GaussianBlur(g, (0, 0), 6.0)
    hp /= max(float(np.abs(hp).mean()) * 4, 1.0)
    out = img.astype(np.float32) * (1.0 + rng.uniform(0.05, 0.25) * hp[..., None])
    return np.clip(out, 0, 255).astype(np.uint8)


def colour(img: U8, rng: np.random.Generator) -> U8:
    """White balance (per-channel gains), saturation and gamma."""
    f = img.astype(np.float32) / 255.0
    f *= rng.uniform(0.8, 1.2, 3).astype(np.float32)
    grey = f.mean(2, keepdims=True)
    f = grey + (f - grey) * rng.uniform(0.4, 1.4)
    f = np.clip(f, 0, 1) ** rng.uniform(0.7, 1.4)
    return (f * 255).astype(np.uint8)


def lighting(img: U8, rng: np.random.Generator) -> U8:
    """A brightness ramp across the frame (sun, shade, a lens vignette), 0.55-1.35x."""
    h, w = img.shape[:2]
    a = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ramp = (np.cos(a) * (xx / w - 0.5) + np.sin(a) * (yy / h - 0.5)) * rng.uniform(0.2, 0.8)
    gain = rng.uniform(0.7, 1.15) + ramp
    if rng.random() < 0.4:
        r2 = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2
        gain = gain * (1 - rng.uniform(0.1, 0.4) * r2)
    return np.clip(img.astype(np.float32) * np.clip(gain, 0.55, 1.35)[..., None], 0, 255).astype(np.uint8)


def blur(img: U8, rng: np.random.Generator) -> U8:
    """Defocus (Gaussian) or motion blur along a random direction."""
    if rng.random() < 0.5:
        return cv2.GaussianBlur(img, (0, 0), float(rng.uniform(0.6, 1.8)))
    n = int(rng.integers(3, 8))
    k = np.zeros((n, n), np.float32)
    k[n // 2, :] = 1.0 / n
    rot = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), float(rng.uniform(0, 180)), 1.0)
    k = cv2.warpAffine(k, rot, (n, n))
    return cv2.filter2D(img, -1, k / max(float(k.sum()), 1e-6))


def noise(img: U8, rng: np.random.Generator) -> U8:
    """Sensor noise: Gaussian, partly colour (chroma) noise, sigma 2-12 grey levels."""
    h, w = img.shape[:2]
    s = rng.uniform(2, 12)
    n = rng.normal(0, s, (h, w, 1)) + rng.normal(0, s * rng.uniform(0, 0.5), (h, w, 3))
    return np.clip(img.astype(np.float32) + n, 0, 255).astype(np.uint8)


def jpeg(img: U8, rng: np.random.Generator) -> U8:
    """Round-trip through JPEG at quality 15-95 (blocking and ringing of a streaming camera)."""
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(15, 96))])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR) if ok else img


def randomise(img: U8, rng: np.random.Generator, tex: U8 | None, p: float) -> U8:
    """Each nuisance with probability ``p`` (JPEG last, as a camera encodes after everything else)."""
    if tex is not None and rng.random() < p:
        img = texture(img, rng, tex)
    if rng.random() < p:
        img = colour(img, rng)
    if rng.random() < p:
        img = lighting(img, rng)
    if rng.random() < p * 0.6:
        img = blur(img, rng)
    if rng.random() < p:
        img = noise(img, rng)
    if rng.random() < p:
        img = jpeg(img, rng)
    return img
